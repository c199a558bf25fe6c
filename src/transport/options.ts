/**
 * The options of `BleTransport.create` (docs/api.md): their type with every default, the
 * list of accepted keys, and their resolution into {@link ResolvedOptions}.
 *
 * @module
 */

import type { CryptoProvider } from '../crypto/index.js';
import type { TrustPolicy } from '../handshake/index.js';
import type { Identity } from '../identity/index.js';
import type { LinkEndpoint } from '../link/types.js';
import type { Logger } from '../logger.js';
import type { ResumeMode } from '../resumption/index.js';
import type { SessionStore } from '../session/store.js';
import { optBoolean, optInteger, optOneOf, optRenamed } from '../util/options.js';

const HOUR_MS = 3_600_000;

/** Options of `BleTransport.create`. Every default is listed; unknown keys are an error. */
export interface BleTransportOptions {
  /** This device's long-term ML-DSA-65 identity (`generateIdentity()` / `loadIdentity()`). Required. */
  readonly identity: Identity;
  /** The radio: a `SimulatedRadio` device, or the noble / bleno adapters. Required. */
  readonly link: LinkEndpoint;
  /**
   * Public keys (ML-DSA-65, 1,952 bytes) of peers provisioned in advance. They are pinned:
   * a full handshake with such a peer sends 32-byte fingerprints instead of the keys.
   */
  readonly knownPeers?: readonly Uint8Array[];
  /**
   * Which authenticated peers to accept, on every full handshake and every resumption.
   * Default `{ mode: 'tofu' }`: the first identity that authenticates at a device id is bound
   * to it (persisted in the session store) and another identity there later is refused with
   * `PQBLE_ERR_PEER_UNTRUSTED` (docs/security.md "Trust"). `{ mode: 'any' }` accepts every
   * authenticated peer and must be chosen explicitly.
   */
  readonly trust?: TrustPolicy;
  /** Open connections plus setups in progress, both directions, each counted once. Default 5. */
  readonly maxConnections?: number;
  /** Incoming setups in progress at once (a silent link cannot hold every slot). Default 2. */
  readonly maxIncomingSetups?: number;
  /** An incoming link that sends nothing for this many ms while its setup waits for it is closed (`timeout` alert). Default 5 000. */
  readonly setupIdleTimeoutMs?: number;
  /** Radio connect timeout in ms. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Whole setup (resumption and/or full handshake) timeout in ms. Default 20 000. */
  readonly handshakeTimeoutMs?: number;
  /** Largest application message in bytes. Default 65 536 minus the 18-byte record overhead. */
  readonly maxMessageBytes?: number;
  /** Unread inbound messages per connection before it closes with `PQBLE_ERR_QUEUE_FULL`. Default 64. */
  readonly maxQueuedMessages?: number;
  /** Incomplete inbound messages older than this are dropped (ms). Default 30 000. */
  readonly reassemblyTimeoutMs?: number;
  /** Session lifetime from the last full handshake, in ms (wall clock, survives restarts). Default 24 h. */
  readonly sessionCacheDurationMs?: number;
  /**
   * @deprecated Renamed {@link BleTransportOptions.sessionCacheDurationMs}; accepted (with a
   * one-time warning through `logger`) through 0.2.x, removed in 0.3.0. Giving both with different values is a `RangeError`.
   */
  readonly sessionCacheDuration?: number;
  /** Most sessions the store this transport creates keeps (memory or file); the least recently active is evicted first. Default 100. */
  readonly maxCachedSessions?: number;
  /** How often expired sessions are pruned, in ms; `null` disables. Default 10 min. Never keeps the process alive. */
  readonly sessionCleanupIntervalMs?: number | null;
  /** @deprecated Renamed {@link BleTransportOptions.sessionCleanupIntervalMs}; accepted as `sessionCacheDuration` is. */
  readonly sessionCleanupInterval?: number | null;
  /** Session file (the embedded file store); when unset (and no `sessionStore`), sessions live in memory only. */
  readonly sessionPersistPath?: string;
  /** Storage key (32 bytes) sealing the persisted secrets; default: a key file next to the session file. */
  readonly storageKey?: Uint8Array;
  /** A store of your own (instead of `sessionPersistPath`), for example `pqble/redis` for a fleet. Not closed by `close()`. */
  readonly sessionStore?: SessionStore;
  /** Timeout of every session store call, in ms; a store that does not answer costs a full handshake. Default 2 000. */
  readonly storeTimeoutMs?: number;
  /** Deprecated and ignored: every session change is written at once now. */
  readonly sessionSaveDebounceMs?: number;
  /** How often batched last-active times are written, in ms; `null` disables. Default 60 000. */
  readonly sessionSaveIntervalMs?: number | null;
  /** @deprecated Renamed {@link BleTransportOptions.sessionSaveIntervalMs}; accepted as `sessionCacheDuration` is. */
  readonly sessionSaveInterval?: number | null;
  /** Enables 1-RTT resumption (both roles). Default true. */
  readonly resumption?: boolean;
  /**
   * The resumption this side starts: `'psk-dhe'` mixes a fresh X25519 exchange from both
   * sides into the keys (a leaked resumption secret does not expose later sessions), `'psk'`
   * does not (64 bytes less). A responder answers either. Default `'psk-dhe'`.
   */
  readonly resumptionMode?: ResumeMode;
  /** Failed resume attempts a peer device may make in a burst (then 1 per second). Default 4. */
  readonly resumeAttemptBurst?: number;
  /** Failed resume attempts from all devices together in a burst (then 8 per second). Default 32. */
  readonly resumeFailureBudget?: number;
  /** Where warnings go. Default: `process.emitWarning`. */
  readonly logger?: Logger;
  /** Crypto backend. Default: the noble libraries. */
  readonly crypto?: CryptoProvider;
}

/** Every key {@link BleTransportOptions} accepts (an unknown key is an error). */
export const OPTION_KEYS = [
  'identity',
  'link',
  'trust',
  'knownPeers',
  'maxConnections',
  'maxIncomingSetups',
  'setupIdleTimeoutMs',
  'connectTimeoutMs',
  'handshakeTimeoutMs',
  'maxMessageBytes',
  'maxQueuedMessages',
  'reassemblyTimeoutMs',
  'sessionCacheDurationMs',
  'sessionCacheDuration',
  'maxCachedSessions',
  'sessionCleanupIntervalMs',
  'sessionCleanupInterval',
  'sessionPersistPath',
  'storageKey',
  'sessionStore',
  'storeTimeoutMs',
  'sessionSaveDebounceMs',
  'sessionSaveIntervalMs',
  'sessionSaveInterval',
  'resumption',
  'resumptionMode',
  'resumeAttemptBurst',
  'resumeFailureBudget',
  'logger',
  'crypto',
] as const;

/** {@link BleTransportOptions} checked, with every default and renamed option resolved. */
export interface ResolvedOptions {
  readonly maxConnections: number;
  readonly maxIncomingSetups: number;
  readonly setupIdleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly maxQueuedMessages: number;
  readonly reassemblyTimeoutMs: number;
  readonly sessionCacheDurationMs: number;
  readonly maxCachedSessions: number;
  readonly sessionCleanupIntervalMs: number | null;
  readonly storeTimeoutMs: number;
  readonly sessionSaveIntervalMs: number | null;
  readonly resumption: boolean;
  readonly resumptionMode: ResumeMode;
  readonly resumeAttemptBurst: number;
  readonly resumeFailureBudget: number;
}

/** The longest timer delay (ms) the options accept. */
export const MAX_MS = 2 ** 31 - 1;
const RESUME_MODES: readonly ResumeMode[] = ['psk', 'psk-dhe'];

/**
 * Checks the numeric, boolean and enum options of `BleTransport.create` and fills in their
 * defaults; a deprecated name is accepted with a warning through `warn`.
 * @throws TypeError / RangeError naming the option
 */
export function resolveOptions(o: BleTransportOptions, warn: (message: string) => void): ResolvedOptions {
  const label = 'BleTransport.create';
  const renamed = (name: keyof BleTransportOptions, oldName: keyof BleTransportOptions): unknown => optRenamed(o, name, oldName, label, warn);
  const interval = (name: keyof BleTransportOptions, oldName: keyof BleTransportOptions, def: number): number | null => {
    const v = renamed(name, oldName);
    return v === null ? null : optInteger(v, name, 1, MAX_MS, def);
  };
  optInteger(o.sessionSaveDebounceMs, 'sessionSaveDebounceMs', 0, MAX_MS, undefined);
  const maxConnections = optInteger(o.maxConnections, 'maxConnections', 1, 1000, 5);
  return {
    maxConnections,
    maxIncomingSetups: optInteger(o.maxIncomingSetups, 'maxIncomingSetups', 1, maxConnections, Math.min(2, maxConnections)),
    setupIdleTimeoutMs: optInteger(o.setupIdleTimeoutMs, 'setupIdleTimeoutMs', 1, MAX_MS, 5_000),
    connectTimeoutMs: optInteger(o.connectTimeoutMs, 'connectTimeoutMs', 1, MAX_MS, 10_000),
    handshakeTimeoutMs: optInteger(o.handshakeTimeoutMs, 'handshakeTimeoutMs', 1, MAX_MS, 20_000),
    maxMessageBytes: optInteger(o.maxMessageBytes, 'maxMessageBytes', 1, 16 * 1024 * 1024, 65_536 - 18),
    maxQueuedMessages: optInteger(o.maxQueuedMessages, 'maxQueuedMessages', 1, 1_000_000, 64),
    reassemblyTimeoutMs: optInteger(o.reassemblyTimeoutMs, 'reassemblyTimeoutMs', 1, MAX_MS, 30_000),
    sessionCacheDurationMs: optInteger(
      renamed('sessionCacheDurationMs', 'sessionCacheDuration'),
      'sessionCacheDurationMs',
      1,
      365 * 24 * HOUR_MS,
      24 * HOUR_MS,
    ),
    maxCachedSessions: optInteger(o.maxCachedSessions, 'maxCachedSessions', 1, 10_000_000, 100),
    sessionCleanupIntervalMs: interval('sessionCleanupIntervalMs', 'sessionCleanupInterval', 10 * 60_000),
    storeTimeoutMs: optInteger(o.storeTimeoutMs, 'storeTimeoutMs', 1, MAX_MS, 2_000),
    sessionSaveIntervalMs: interval('sessionSaveIntervalMs', 'sessionSaveInterval', 60_000),
    resumption: optBoolean(o.resumption, 'resumption', true),
    resumptionMode: optOneOf(o.resumptionMode, 'resumptionMode', RESUME_MODES, 'psk-dhe'),
    resumeAttemptBurst: optInteger(o.resumeAttemptBurst, 'resumeAttemptBurst', 1, 1000, 4),
    resumeFailureBudget: optInteger(o.resumeFailureBudget, 'resumeFailureBudget', 1, 1_000_000, 32),
  };
}
