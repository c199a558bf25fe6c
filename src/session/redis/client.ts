/**
 * The ioredis client of the fleet store (docs/fleet.md "Failure"): made to fail fast
 * (no offline queue, no retry of a command whose connection dropped, a command timeout as a
 * backstop) while it keeps reconnecting in the background, and the mapping of its errors to
 * the store's codes.
 *
 * @module
 */

import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { PqbleError, StoreError } from '../../errors.js';
import type { ResolvedRedisOptions } from './options.js';

/** A client the store talks to. */
export type RedisClient = Redis | Cluster;

/** Delay before the n-th reconnection attempt: 50 ms doubling to 1 s, forever. */
function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 5), 1000);
}

/** The settings that make a client fail fast; they override what the caller passed. */
function failFast(o: ResolvedRedisOptions) {
  return {
    replyMapping: 'legacy' as const,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: false,
    connectTimeout: Math.min(o.connectTimeoutMs, 10_000),
    commandTimeout: Math.max(1000, 2 * o.timeoutMs),
    retryStrategy: reconnectDelayMs,
  };
}

/** Makes the client `o.target` asks for (`owned`: the store closes it), not yet connected. */
export function makeClient(o: ResolvedRedisOptions): { client: RedisClient; owned: boolean } {
  const t = o.target;
  if (t.kind === 'client') return { client: t.client, owned: false };
  if (t.kind === 'url') return { client: new Redis(t.url, { ...t.redisOptions, ...failFast(o) }), owned: true };
  // The per-node options of a Cluster client: no offline queue or reconnection strategy of their own.
  const { retryStrategy: _r, enableOfflineQueue: _e, ...nodeOptions } = { ...t.redisOptions, ...failFast(o) };
  const clusterOptions = {
    ...t.clusterOptions,
    lazyConnect: true,
    enableOfflineQueue: false,
    // The ready check's CLUSTER INFO races the node connections when there is no offline queue.
    enableReadyCheck: false,
    enableAutoPipelining: false,
    maxRedirections: 4,
    retryDelayOnFailover: 50,
    retryDelayOnClusterDown: 50,
    retryDelayOnTryAgain: 50,
    slotsRefreshTimeout: Math.min(o.connectTimeoutMs, 2000),
    clusterRetryStrategy: (attempt: number) => reconnectDelayMs(attempt),
    redisOptions: { ...nodeOptions, lazyConnect: false },
  } satisfies ClusterOptions;
  return {
    client: new Cluster(
      t.nodes.map((n) => ({ ...n })),
      clusterOptions,
    ),
    owned: true,
  };
}

// Messages (and names) of errors that mean "Redis cannot serve this now": down, slow to
// come back, failing over, read-only replica, cluster reconfiguring, not enough replicas.
const UNAVAILABLE_RE =
  /Connection is closed|Stream isn't writeable|enableOfflineQueue|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN|NOREPLICAS|MOVED|ASK |Failed to refresh slots|None of startup nodes|Too many Cluster redirections|Cluster isn't ready|Reached the max retries|BUSY/;

/** The store error for anything the client threw (store errors and aborts pass through). */
export function toStoreError(err: unknown, what: string): PqbleError {
  if (err instanceof PqbleError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : '';
  if (/Command timed out/i.test(message)) return new StoreError('PQBLE_ERR_STORE_TIMEOUT', `redis: ${what} timed out`, { cause: err });
  if (name === 'MaxRetriesPerRequestError' || name === 'ClusterAllFailedError' || UNAVAILABLE_RE.test(message)) {
    return new StoreError('PQBLE_ERR_STORE_UNAVAILABLE', `redis: ${what} failed: Redis is unavailable (${firstLine(message)})`, { cause: err });
  }
  return new StoreError('PQBLE_ERR_STORE_IO', `redis: ${what} failed (${firstLine(message)})`, { cause: err });
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** Resolves when `client` is ready (it may fail and reconnect on the way: ioredis Cluster's `connect()` can miss that). */
export function untilReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve) => {
    client.once('ready', () => resolve());
    client.connect().then(resolve, () => {});
  });
}
