/**
 * How the fleet store sends its commands (docs/fleet.md "Scripts and single use", "Ordering", "Failure"): a public call
 * starts only on an open store with checked call options, every script goes with EVAL, a
 * durable write is followed by WAIT in the same pipeline, and each call's round trips go in
 * call order (order.ts) within the call's bound (call.ts).
 *
 * @module
 */

import type { Cluster, Redis } from 'ioredis';
import { StoreError } from '../../errors.js';
import type { StoreCallOptions } from '../store.js';
import { checkCallOptions, storeClosed, type CheckedCallOptions } from '../store-checks.js';
import { bounded } from './call.js';
import type { ResolvedRedisOptions } from './options.js';
import { CallOrder } from './order.js';
import { SCRIPTS, type ScriptName } from './scripts.js';

/** Members asked for per SCAN round trip. */
export const SCAN_CHUNK = 200;

/** A Buffer view of bytes (ioredis sends only Buffers as binary). */
export function buf(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Starts the store's calls and sends their scripts and commands on one client, in call order. */
export class ScriptRunner {
  /** The client (the store's own, or the caller's). */
  readonly client: Redis | Cluster;
  /** The order of calls around ratchets that read before they write. */
  readonly order = new CallOrder();
  readonly #o: ResolvedRedisOptions;
  #closed = false;

  constructor(o: ResolvedRedisOptions, client: Redis | Cluster) {
    this.#o = o;
    this.client = client;
  }

  /** The store was closed: calls fail with `PQBLE_ERR_STORE_CLOSED`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Marks the store closed (see {@link closed}). */
  markClosed(): void {
    this.#closed = true;
  }

  /** Checks a public call's options and that the store is open; the checked options bound the call. */
  start(options: StoreCallOptions | undefined, what: string): CheckedCallOptions {
    const call = checkCallOptions(options, this.#o.timeoutMs);
    if (this.#closed) throw storeClosed(`redis: ${what}`);
    return call;
  }

  /**
   * Runs a script, always with EVAL (never EVALSHA): a NOSCRIPT fallback would re-send some
   * calls after later ones already ran, breaking the order of calls (a Redis restart or a
   * failover empties the script cache). Durable writes WAIT for replicas in the same pipeline.
   */
  async script(name: ScriptName, keys: readonly Buffer[], args: readonly (Buffer | string)[], write: boolean): Promise<unknown> {
    const { lua, numberOfKeys } = SCRIPTS[name];
    const tail = [numberOfKeys, ...keys, ...args];
    if (!write || this.#o.waitReplicas === 0) return this.client.callBuffer('EVAL', lua, ...tail);
    const waitMs = this.#o.waitTimeoutMs ?? Math.max(10, this.#o.timeoutMs - 20);
    const results = await this.client
      .pipeline()
      .callBuffer('EVAL', lua, ...tail)
      .call('WAIT', this.#o.waitReplicas, waitMs)
      .exec();
    const [scriptResult, waitResult] = results ?? [];
    if (scriptResult?.[0]) throw scriptResult[0];
    if (waitResult?.[0]) throw waitResult[0];
    const acked = Number(waitResult?.[1]);
    if (!(acked >= this.#o.waitReplicas)) {
      throw new StoreError(
        'PQBLE_ERR_STORE_UNAVAILABLE',
        `redis: a write reached ${acked} of ${this.#o.waitReplicas} replicas within ${waitMs} ms (treat it as not durable)`,
      );
    }
    return scriptResult?.[1];
  }

  /** Runs one round trip of a public call: in call order, within the call's bound. */
  run<T>(what: string, call: CheckedCallOptions, work: () => Promise<T>): Promise<T> {
    return bounded(what, call, async () => {
      await this.order.turn();
      return work();
    });
  }
}
