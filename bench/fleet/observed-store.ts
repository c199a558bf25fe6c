/**
 * What the fleet benchmark counts, taken at the store seam (docs/fleet.md "The fleet
 * benchmark"): a {@link SessionStore} wrapper that times every call and records every
 * ticket `consumeInbound` accepted and every outbound secret `replaceOutbound` replaced, so
 * `doubleUse` is counted the same way whether the simulation or a `BleTransport` per gateway
 * drives the stores.
 *
 * @module
 */

import { bytesToHex } from '../../src/bytes.js';
import { isPqbleError } from '../../src/errors.js';
import type { InboundSlot, RatchetUpdate, SessionStore, SessionTouch, StoreCallOptions, StoredSession } from '../../src/session/store.js';

/** Figures shared by every gateway's {@link ObservedStore}. */
export class FleetStoreStats {
  /** Duration of every store call, ms. */
  readonly latenciesMs: number[] = [];
  /** Store calls that rejected with a coded error (timeouts, Redis unavailable). */
  storeErrors = 0;
  readonly #accepted = new Map<string, number>();

  /** Records one successful single use of `what` (a ticket id or an outbound secret). */
  accepted(kind: 'ticket' | 'outbound', what: Uint8Array): void {
    const key = `${kind}:${bytesToHex(what)}`;
    this.#accepted.set(key, (this.#accepted.get(key) ?? 0) + 1);
  }

  /** Tickets and outbound secrets accepted more than once (must be 0). */
  get doubleUse(): number {
    let n = 0;
    for (const count of this.#accepted.values()) if (count > 1) n++;
    return n;
  }

  /** The `p`-th percentile of the call durations, ms (3 decimals). */
  percentileMs(p: number): number {
    const sorted = [...this.latenciesMs].sort((a, b) => a - b);
    if (sorted.length === 0) return 0;
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return Math.round(sorted[i] * 1000) / 1000;
  }
}

/** A store that forwards every call to `inner` and records it in `stats`. */
export class ObservedStore implements SessionStore {
  readonly #inner: SessionStore;
  readonly #stats: FleetStoreStats;

  constructor(inner: SessionStore, stats: FleetStoreStats) {
    this.#inner = inner;
    this.#stats = stats;
  }

  async #timed<T>(call: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await call();
    } catch (err) {
      if (isPqbleError(err)) this.#stats.storeErrors++;
      throw err;
    } finally {
      this.#stats.latenciesMs.push(performance.now() - t0);
    }
  }

  get(peerFingerprint: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#timed(() => this.#inner.get(peerFingerprint, options));
  }

  getByTicket(ticketId: Uint8Array, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#timed(() => this.#inner.getByTicket(ticketId, options));
  }

  getByDevice(deviceId: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#timed(() => this.#inner.getByDevice(deviceId, options));
  }

  put(session: StoredSession, options?: StoreCallOptions): Promise<void> {
    return this.#timed(() => this.#inner.put(session, options));
  }

  async consumeInbound(
    peerFingerprint: string,
    ticketId: Uint8Array,
    next: InboundSlot | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean> {
    const ticket = ticketId.slice();
    const ok = await this.#timed(() => this.#inner.consumeInbound(peerFingerprint, ticketId, next, update, options));
    if (ok) this.#stats.accepted('ticket', ticket);
    return ok;
  }

  async replaceOutbound(
    peerFingerprint: string,
    expected: Uint8Array,
    next: Uint8Array | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean> {
    const secret = expected.slice();
    const ok = await this.#timed(() => this.#inner.replaceOutbound(peerFingerprint, expected, next, update, options));
    if (ok) this.#stats.accepted('outbound', secret);
    secret.fill(0);
    return ok;
  }

  delete(peerFingerprint: string, options?: StoreCallOptions): Promise<boolean> {
    return this.#timed(() => this.#inner.delete(peerFingerprint, options));
  }

  touch(updates: readonly SessionTouch[], options?: StoreCallOptions): Promise<void> {
    return this.#timed(() => this.#inner.touch(updates, options));
  }

  prune(establishedBeforeMs: number, options?: StoreCallOptions): Promise<number> {
    return this.#timed(() => this.#inner.prune(establishedBeforeMs, options));
  }

  entries(options?: StoreCallOptions): AsyncIterable<StoredSession> {
    return this.#inner.entries(options);
  }

  /** Forwards `listValues` (a call of the seam on newer versions) when the inner store has it. */
  listValues(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]> {
    const inner = this.#inner as Partial<{ listValues(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]> }>;
    if (inner.listValues === undefined) throw new TypeError('the inner store has no listValues');
    return inner.listValues(prefix, options);
  }

  size(options?: StoreCallOptions): Promise<number> {
    return this.#timed(() => this.#inner.size(options));
  }

  getValue(name: string, options?: StoreCallOptions): Promise<Uint8Array | undefined> {
    return this.#timed(() => this.#inner.getValue(name, options));
  }

  putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void> {
    return this.#timed(() => this.#inner.putValue(name, value, options));
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
