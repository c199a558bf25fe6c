/**
 * Options of the Redis fleet store (docs/fleet.md "Options"): where Redis is, the fleet's
 * keys, the namespace, the lifetime and cap of sessions, and the bounds on every call.
 * Checked once, with labelled errors; an unknown key is an error.
 *
 * @module
 */

import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { checkBytes } from '../../bytes.js';
import { checkCrypto, type CryptoProvider } from '../../crypto/index.js';
import { consoleLogger, type Logger } from '../../logger.js';
import { checkInteger, checkOptionKeys, optInteger } from '../../util/options.js';
import { DEFAULT_SESSION_TTL_MS } from '../expiry.js';
import { MAX_TIME_MS } from '../validate.js';

/** Bytes of a fleet storage key and of the fleet blinding key. */
export const FLEET_KEY_BYTES = 32;
/** Default timeout of one store call, in milliseconds. */
export const DEFAULT_REDIS_TIMEOUT_MS = 250;
/** Default time {@link RedisSessionStoreOptions.connectTimeoutMs} `open()` waits for Redis. */
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 2000;
/** Default cap on the sessions of one fleet (namespace). */
export const DEFAULT_REDIS_MAX_SESSIONS = 1_000_000;
/** Default namespace: the hash tag every key of the fleet carries. */
export const DEFAULT_REDIS_NAMESPACE = 'pqble';
/** Namespaces: 1..64 of `A-Z a-z 0-9 . _ : -` (no braces: the namespace is the hash tag). */
export const REDIS_NAMESPACE_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** A fleet storage key: 32 secret bytes and the id written next to every value it seals. */
export interface FleetKey {
  /** 0..65535; unique among the keys a fleet has used. */
  readonly id: number;
  /** 32 random bytes, the same on every gateway of the fleet. */
  readonly key: Uint8Array;
}

/** Options of {@link RedisSessionStore.open} (defaults in docs/fleet.md "Options"). */
export interface RedisSessionStoreOptions {
  /** A Redis URL (`redis://`, `rediss://`, with credentials if needed). Exactly one of `url`, `cluster`, `client`. */
  readonly url?: string;
  /** Seed nodes of a Redis Cluster (`{ host, port }`). */
  readonly cluster?: readonly { readonly host: string; readonly port: number }[];
  /**
   * A client the caller made and owns (`close()` leaves it open). Configure it to fail fast
   * (docs/fleet.md "Failure"); the store bounds every call with its own timeout anyway.
   */
  readonly client?: Redis | Cluster;
  /** Extra ioredis options (auth, TLS) for a client the store makes; the fail-fast settings always win. */
  readonly redisOptions?: RedisOptions;
  /** Extra ioredis Cluster options for `cluster`; the fail-fast settings always win. */
  readonly clusterOptions?: ClusterOptions;
  /** The key new values are sealed with. */
  readonly storageKey: FleetKey;
  /** Older keys still accepted when reading (rotation); default none. */
  readonly previousStorageKeys?: readonly FleetKey[];
  /** 32 bytes: keys the hashes that blind fingerprints, ticket ids and device ids in key names. Never rotates. */
  readonly blindingKey: Uint8Array;
  /** The fleet's namespace (the hash tag of every key); default `pqble`. */
  readonly namespace?: string;
  /** Session lifetime from the last full handshake, ms (1 s .. year 9999); default 24 h. The same on every gateway. */
  readonly sessionLifetimeMs?: number;
  /** Cap on the fleet's sessions; least recently active ones go beyond it; default 1,000,000. */
  readonly maxSessions?: number;
  /** Default timeout of every call, ms; default 250. */
  readonly timeoutMs?: number;
  /** How long `open()` waits for Redis, ms; default 2000. */
  readonly connectTimeoutMs?: number;
  /** Replicas every durable write waits for (Redis `WAIT`); default 0 (none). */
  readonly waitReplicas?: number;
  /** Longest `WAIT`, ms; default the call's timeout minus 20 ms, at least 10 ms. */
  readonly waitTimeoutMs?: number;
  /** The crypto provider (sealing, blinding); default noble. */
  readonly crypto?: CryptoProvider;
  /** Where warnings about damaged values go; default the console logger. */
  readonly logger?: Logger;
}

/** The checked options, every default filled in. */
export interface ResolvedRedisOptions {
  readonly target:
    | { readonly kind: 'url'; readonly url: string; readonly redisOptions: RedisOptions }
    | {
        readonly kind: 'cluster';
        readonly nodes: readonly { host: string; port: number }[];
        readonly redisOptions: RedisOptions;
        readonly clusterOptions: ClusterOptions;
      }
    | { readonly kind: 'client'; readonly client: Redis | Cluster };
  readonly storageKey: FleetKey;
  readonly readKeys: ReadonlyMap<number, Uint8Array>;
  readonly blindingKey: Uint8Array;
  readonly namespace: string;
  readonly sessionLifetimeMs: number;
  readonly maxSessions: number;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly waitReplicas: number;
  readonly waitTimeoutMs: number | undefined;
  readonly crypto: CryptoProvider;
  readonly logger: Logger;
}

const OPTION_KEYS = [
  'url',
  'cluster',
  'client',
  'redisOptions',
  'clusterOptions',
  'storageKey',
  'previousStorageKeys',
  'blindingKey',
  'namespace',
  'sessionLifetimeMs',
  'maxSessions',
  'timeoutMs',
  'connectTimeoutMs',
  'waitReplicas',
  'waitTimeoutMs',
  'crypto',
  'logger',
] as const satisfies readonly (keyof RedisSessionStoreOptions)[];

function checkFleetKey(value: unknown, label: string): FleetKey {
  if (value === null || typeof value !== 'object') throw new TypeError(`${label} must be { id, key }`);
  checkOptionKeys(value, ['id', 'key'], label);
  const k = value as Record<string, unknown>;
  const id = checkInteger(k.id, `${label}.id`, 0, 0xffff);
  checkBytes(k.key, `${label}.key`, FLEET_KEY_BYTES);
  return { id, key: k.key.slice() };
}

function checkLogger(value: unknown): Logger {
  if (value === undefined) return consoleLogger;
  if (value === null || typeof value !== 'object' || typeof (value as Logger).warn !== 'function')
    throw new TypeError('logger must have a warn(message, fields) method');
  return value as Logger;
}

/**
 * Checks {@link RedisSessionStoreOptions} and fills in the defaults.
 * @throws TypeError / RangeError naming the option
 */
export function resolveRedisOptions(options: RedisSessionStoreOptions): ResolvedRedisOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('RedisSessionStore options must be an object');
  checkOptionKeys(options, OPTION_KEYS, 'RedisSessionStore options');
  const targets = (['url', 'cluster', 'client'] as const).filter((k) => options[k] !== undefined);
  if (targets.length !== 1) throw new TypeError('RedisSessionStore options: give exactly one of url, cluster, client');
  const redisOptions = options.redisOptions ?? {};
  if (typeof redisOptions !== 'object' || redisOptions === null) throw new TypeError('redisOptions must be an object');
  let target: ResolvedRedisOptions['target'];
  if (options.url !== undefined) {
    if (typeof options.url !== 'string') throw new TypeError('url must be a string');
    if (!/^rediss?:\/\//.test(options.url)) throw new RangeError('url must start with redis:// or rediss://');
    target = { kind: 'url', url: options.url, redisOptions };
  } else if (options.cluster !== undefined) {
    if (!Array.isArray(options.cluster) || options.cluster.length === 0) throw new TypeError('cluster must be a non-empty array of { host, port }');
    const nodes = options.cluster.map((n: unknown, i) => {
      if (n === null || typeof n !== 'object') throw new TypeError(`cluster[${i}] must be { host, port }`);
      checkOptionKeys(n, ['host', 'port'], `cluster[${i}]`);
      const { host, port } = n as Record<string, unknown>;
      if (typeof host !== 'string' || host.length === 0) throw new TypeError(`cluster[${i}].host must be a non-empty string`);
      return { host, port: checkInteger(port, `cluster[${i}].port`, 1, 65535) };
    });
    const clusterOptions = options.clusterOptions ?? {};
    if (typeof clusterOptions !== 'object' || clusterOptions === null) throw new TypeError('clusterOptions must be an object');
    target = { kind: 'cluster', nodes, redisOptions, clusterOptions };
  } else {
    const client = options.client;
    if (client === null || typeof client !== 'object' || typeof (client as { evalsha?: unknown }).evalsha !== 'function') {
      throw new TypeError('client must be an ioredis Redis or Cluster client');
    }
    target = { kind: 'client', client: client };
  }
  const storageKey = checkFleetKey(options.storageKey, 'storageKey');
  const readKeys = new Map<number, Uint8Array>([[storageKey.id, storageKey.key]]);
  const previous = options.previousStorageKeys ?? [];
  if (!Array.isArray(previous)) throw new TypeError('previousStorageKeys must be an array');
  previous.forEach((k: unknown, i) => {
    const key = checkFleetKey(k, `previousStorageKeys[${i}]`);
    if (readKeys.has(key.id)) throw new RangeError(`previousStorageKeys[${i}].id ${key.id} is already used by another key`);
    readKeys.set(key.id, key.key);
  });
  checkBytes(options.blindingKey, 'blindingKey', FLEET_KEY_BYTES);
  const namespace = options.namespace ?? DEFAULT_REDIS_NAMESPACE;
  if (typeof namespace !== 'string') throw new TypeError('namespace must be a string');
  if (!REDIS_NAMESPACE_RE.test(namespace)) throw new RangeError('namespace must be 1..64 of A-Z a-z 0-9 . _ : -');
  const timeoutMs = optInteger(options.timeoutMs, 'timeoutMs', 1, 600_000, DEFAULT_REDIS_TIMEOUT_MS);
  const waitReplicas = optInteger(options.waitReplicas, 'waitReplicas', 0, 64, 0);
  return {
    target,
    storageKey,
    readKeys,
    blindingKey: options.blindingKey.slice(),
    namespace,
    sessionLifetimeMs: optInteger(options.sessionLifetimeMs, 'sessionLifetimeMs', 1000, MAX_TIME_MS, DEFAULT_SESSION_TTL_MS),
    maxSessions: optInteger(options.maxSessions, 'maxSessions', 1, 100_000_000, DEFAULT_REDIS_MAX_SESSIONS),
    timeoutMs,
    connectTimeoutMs: optInteger(options.connectTimeoutMs, 'connectTimeoutMs', 1, 600_000, DEFAULT_REDIS_CONNECT_TIMEOUT_MS),
    waitReplicas,
    waitTimeoutMs: optInteger(options.waitTimeoutMs, 'waitTimeoutMs', 1, 600_000, undefined),
    crypto: checkCrypto(options.crypto),
    logger: checkLogger(options.logger),
  };
}
