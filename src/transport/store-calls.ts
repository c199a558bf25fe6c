/**
 * The session keeper's calls into its `SessionStore`: every call with the keeper's
 * timeout, published on the `pqble:store:call` diagnostics channel, and a failure logged,
 * counted and turned into an answer the caller can fall back on (a full handshake), never a
 * hang. An abort is the one failure passed on.
 *
 * @module
 */

import { holdClock, type Clock } from '../clock.js';
import { StoreError, isPqbleError } from '../errors.js';
import type { Fingerprint } from '../ids.js';
import type { Logger } from '../logger.js';
import type { StoreCallOptions, StoredSession } from '../session/store.js';
import { DIAGNOSTICS_CHANNELS, publish } from './diagnostics.js';

/** What {@link StoreCalls.attempt} came to: the answer, or a failure (logged and counted). */
export type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/** Options of {@link StoreCalls}. */
export interface StoreCallsOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Timeout of every call, ms. */
  readonly timeoutMs: number;
  /** Where failures are counted. */
  readonly counters: { storeFailures: number };
}

/** Store calls with a timeout, diagnostics and failure accounting. */
export class StoreCalls {
  readonly #o: StoreCallsOptions;

  constructor(options: StoreCallsOptions) {
    this.#o = options;
  }

  /**
   * One store call with the keeper's timeout. A failure is logged and counted, and resolves
   * `undefined`: the caller treats it as "no session" (and so runs a full handshake).
   */
  async call<T>(op: string, fn: (options: StoreCallOptions) => Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
    const r = await this.attempt(op, fn, signal);
    return r.ok ? r.value : undefined;
  }

  /** {@link call}, telling a failure apart from an `undefined` answer. Published on `pqble:store:call`. */
  async attempt<T>(op: string, fn: (options: StoreCallOptions) => Promise<T>, signal?: AbortSignal): Promise<Attempt<T>> {
    const clock = this.#o.clock;
    const started = clock.now();
    try {
      const value = await holdClock(clock, fn({ signal, timeoutMs: this.#o.timeoutMs }));
      publish(DIAGNOSTICS_CHANNELS.storeCall, () => ({ op, ok: true, durationMs: clock.now() - started }));
      return { ok: true, value };
    } catch (err) {
      const code = err instanceof StoreError ? err.code : isPqbleError(err) ? err.code : 'unexpected';
      publish(DIAGNOSTICS_CHANNELS.storeCall, () => ({ op, ok: false, code, durationMs: clock.now() - started }));
      if (isPqbleError(err, 'PQBLE_ERR_ABORTED')) throw err;
      this.#o.counters.storeFailures++;
      this.#o.logger.warn('pqble: a session store call failed; falling back to a full handshake where needed', { code, error: String(err) });
      return { ok: false };
    }
  }
}

/**
 * The fingerprint of an entry a store handed back. The store contract (docs/store.md) returns
 * the fingerprint as it was put, and every `put` parses it, so it is not parsed again.
 */
export function storedFingerprint(entry: Pick<StoredSession, 'peerFingerprint'>): Fingerprint {
  return entry.peerFingerprint as Fingerprint;
}

/** Up to `max` items of an async iterable. */
export async function collect<T>(items: AsyncIterable<T>, max: number): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    if (out.length >= max) break;
    out.push(item);
  }
  return out;
}
