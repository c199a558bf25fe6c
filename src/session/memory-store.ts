/**
 * The in-memory {@link SessionStore} (docs/store.md "The memory store"): for tests and for
 * processes that resume only while they run. It keeps every rule of the contract except that
 * nothing survives the process; it is also the reference the compliance suite
 * (test/session/store-compliance.ts) is written against.
 *
 * @module
 */

import { bytesToHex, equalBytes } from '../bytes.js';
import { LruMap } from '../util/lru.js';
import { checkOptions, optInteger } from '../util/options.js';
import type { InboundSlot, RatchetUpdate, SessionStore, SessionStoreCounters, SessionTouch, StoreCallOptions, StoredSession } from './store.js';
import {
  CONSUMED_TICKETS_REMEMBERED,
  copyOf,
  MAX_STORE_TIMEOUT_MS,
  checkCallOptions,
  checkedStoreCall,
  checkConsumeInboundArgs,
  checkReplaceOutboundArgs,
  type ConsumeInboundArgs,
  type ReplaceOutboundArgs,
  checkTouches,
  checkValueName,
  cloneStoredSession,
  copyStoredSession,
  copyValue,
  runStoreCall,
  storeClosed,
  wipeStoredSession,
} from './store-checks.js';
import { parseDeviceId, parseFingerprint, parseTicketId } from '../ids.js';
import { checkTimeMs } from './validate.js';

/** Default `timeoutMs` of a {@link MemorySessionStore} call: 5 s. */
export const DEFAULT_MEMORY_STORE_TIMEOUT_MS = 5000;

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Default `timeoutMs` of every call. Default {@link DEFAULT_MEMORY_STORE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Most entries kept; beyond it the least recently written or touched is evicted. Whole number >= 1. Default unbounded. */
  readonly maxEntries?: number;
}

/**
 * A {@link SessionStore} in memory. Values handed in are copied, values handed out are fresh
 * copies; `close()` wipes every secret it holds.
 *
 * @example
 * ```ts
 * const store = new MemorySessionStore();
 * await store.put({ peerFingerprint, deviceId, establishedMs: now, lastActiveMs: now, outbound, inbound: { secret, ticketId } });
 * const hit = await store.getByTicket(ticketId);
 * ```
 */
export class MemorySessionStore implements SessionStore {
  /** Entries by fingerprint, least recently active first: the eviction order (src/util/lru.ts). */
  readonly #byFp = new LruMap<StoredSession>();
  /** hex ticket id -> fingerprint. */
  readonly #byTicket = new Map<string, string>();
  /** device id -> fingerprints seen there. */
  readonly #byDevice = new Map<string, Set<string>>();
  /** hex ids of consumed tickets, oldest first (bounded). */
  readonly #consumed = new LruMap<true>();
  readonly #values = new Map<string, Uint8Array>();
  readonly #timeoutMs: number;
  readonly #maxEntries: number;
  #closed = false;
  #evictions = 0;

  /** {@inheritDoc SessionStore.counters} */
  get counters(): SessionStoreCounters {
    return { evictions: this.#evictions };
  }

  /**
   * @param options - see {@link MemorySessionStoreOptions}; unknown keys are rejected
   * @throws TypeError / RangeError for a malformed option
   */
  constructor(options: MemorySessionStoreOptions = {}) {
    const o = checkOptions(options, 'MemorySessionStore', ['timeoutMs', 'maxEntries']);
    this.#maxEntries = optInteger(o.maxEntries, 'maxEntries', 1, 2 ** 31 - 1, Infinity);
    this.#timeoutMs = optInteger(o.timeoutMs, 'options.timeoutMs', 0, MAX_STORE_TIMEOUT_MS, DEFAULT_MEMORY_STORE_TIMEOUT_MS);
  }

  #call<T>(what: string, options: StoreCallOptions | undefined, work: () => T): Promise<T> {
    return checkedStoreCall(
      () => checkCallOptions(options, this.#timeoutMs),
      (checked) =>
        runStoreCall(what, checked, () => {
          if (this.#closed) return Promise.reject(storeClosed(what));
          return checkedStoreCall(work, (result) => Promise.resolve(result));
        }),
    );
  }

  /** {@inheritDoc SessionStore.get} */
  get(peerFingerprint: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#call('get', options, () => {
      const s = this.#byFp.get(parseFingerprint(peerFingerprint, 'peerFingerprint'));
      return s === undefined ? undefined : cloneStoredSession(s);
    });
  }

  /** {@inheritDoc SessionStore.getByTicket} */
  getByTicket(ticketId: Uint8Array, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#call('getByTicket', options, () => {
      parseTicketId(ticketId, 'ticketId');
      const hex = bytesToHex(ticketId);
      if (this.#consumed.has(hex)) return undefined;
      const fp = this.#byTicket.get(hex);
      const s = fp === undefined ? undefined : this.#byFp.get(fp);
      return s === undefined ? undefined : cloneStoredSession(s);
    });
  }

  /** {@inheritDoc SessionStore.getByDevice} */
  getByDevice(deviceId: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#call('getByDevice', options, () => {
      const fps = this.#byDevice.get(parseDeviceId(deviceId, 'deviceId'));
      let best: StoredSession | undefined;
      for (const fp of fps ?? []) {
        const s = this.#byFp.get(fp);
        if (s !== undefined && (best === undefined || s.lastActiveMs >= best.lastActiveMs)) best = s;
      }
      return best === undefined ? undefined : cloneStoredSession(best);
    });
  }

  /** {@inheritDoc SessionStore.put} */
  put(session: StoredSession, options?: StoreCallOptions): Promise<void> {
    return checkedStoreCall(
      () => copyStoredSession(session),
      (copy) =>
        this.#call('put', options, () => {
          this.#set(copy);
        }).catch((err: unknown) => {
          if (this.#byFp.get(copy.peerFingerprint) !== copy) wipeStoredSession(copy);
          throw err;
        }),
    );
  }

  /** {@inheritDoc SessionStore.consumeInbound} */
  consumeInbound(
    peerFingerprint: string,
    ticketId: Uint8Array,
    next: InboundSlot | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean> {
    return checkedStoreCall(
      () => checkConsumeInboundArgs(peerFingerprint, ticketId, next, update),
      (args) => this.#consumeInbound(args, ticketId, options),
    );
  }

  #consumeInbound(args: ConsumeInboundArgs, ticketId: Uint8Array, options: StoreCallOptions | undefined): Promise<boolean> {
    const { fp, next: nextCopy, update: u } = args;
    const ticketHex = bytesToHex(ticketId);
    return this.#call('consumeInbound', options, () => {
      const old = this.#byFp.get(fp);
      if (old?.inbound === undefined || this.#consumed.has(ticketHex) || !equalBytes(old.inbound.ticketId, ticketId)) {
        nextCopy?.secret.fill(0);
        return false;
      }
      this.#rememberConsumed(ticketHex);
      this.#set({ ...old, outbound: copyOf(old.outbound), inbound: nextCopy, deviceId: u.deviceId, lastActiveMs: Math.max(old.lastActiveMs, u.lastActiveMs) });
      return true;
    });
  }

  /** {@inheritDoc SessionStore.replaceOutbound} */
  replaceOutbound(
    peerFingerprint: string,
    expected: Uint8Array,
    next: Uint8Array | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean> {
    return checkedStoreCall(
      () => checkReplaceOutboundArgs(peerFingerprint, expected, next, update),
      (args) => this.#replaceOutbound(args, expected, options),
    );
  }

  #replaceOutbound(args: ReplaceOutboundArgs, expected: Uint8Array, options: StoreCallOptions | undefined): Promise<boolean> {
    const { fp, next: nextCopy, update: u } = args;
    return this.#call('replaceOutbound', options, () => {
      const old = this.#byFp.get(fp);
      if (old?.outbound === undefined || !equalBytes(old.outbound, expected)) {
        nextCopy?.fill(0);
        return false;
      }
      const inbound = old.inbound === undefined ? undefined : { secret: copyOf(old.inbound.secret), ticketId: copyOf(old.inbound.ticketId) };
      this.#set({ ...old, outbound: nextCopy, inbound, deviceId: u.deviceId, lastActiveMs: Math.max(old.lastActiveMs, u.lastActiveMs) });
      return true;
    });
  }

  /** {@inheritDoc SessionStore.delete} */
  delete(peerFingerprint: string, options?: StoreCallOptions): Promise<boolean> {
    return this.#call('delete', options, () => this.#remove(parseFingerprint(peerFingerprint, 'peerFingerprint')));
  }

  /** {@inheritDoc SessionStore.touch} */
  touch(updates: readonly SessionTouch[], options?: StoreCallOptions): Promise<void> {
    return this.#call('touch', options, () => {
      for (const t of checkTouches(updates)) {
        const s = this.#byFp.get(t.peerFingerprint);
        if (s !== undefined && t.lastActiveMs > s.lastActiveMs) {
          // Moved to the end: the map's order is the eviction order.
          this.#byFp.set(t.peerFingerprint, { ...s, lastActiveMs: t.lastActiveMs });
        }
      }
    });
  }

  /** {@inheritDoc SessionStore.prune} */
  prune(establishedBeforeMs: number, options?: StoreCallOptions): Promise<number> {
    return this.#call('prune', options, () => {
      const before = checkTimeMs(establishedBeforeMs, 'establishedBeforeMs');
      let n = 0;
      for (const [fp, s] of [...this.#byFp.entries()]) {
        if (s.establishedMs <= before && this.#remove(fp)) n++;
      }
      return n;
    });
  }

  /** {@inheritDoc SessionStore.entries} */
  entries(options?: StoreCallOptions): AsyncIterable<StoredSession> {
    const snapshot = this.#call('entries', options, () => [...this.#byFp.values()].map(cloneStoredSession));
    return {
      async *[Symbol.asyncIterator]() {
        for (const s of await snapshot) yield s;
      },
    };
  }

  /** {@inheritDoc SessionStore.size} */
  size(options?: StoreCallOptions): Promise<number> {
    return this.#call('size', options, () => this.#byFp.size);
  }

  /** {@inheritDoc SessionStore.getValue} */
  getValue(name: string, options?: StoreCallOptions): Promise<Uint8Array | undefined> {
    return this.#call('getValue', options, () => copyOf(this.#values.get(checkValueName(name))));
  }

  /** {@inheritDoc SessionStore.putValue} */
  putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void> {
    return checkedStoreCall(
      () => ({ checkedName: checkValueName(name), copy: copyValue(value) }),
      ({ checkedName, copy }) =>
        this.#call('putValue', options, () => {
          this.#values.get(checkedName)?.fill(0);
          if (copy === undefined) this.#values.delete(checkedName);
          else this.#values.set(checkedName, copy);
        }),
    );
  }

  /** {@inheritDoc SessionStore.listValues} */
  listValues(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]> {
    const snapshot = this.#call('listValues', options, () => {
      if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
      return [...this.#values].filter(([name]) => name.startsWith(prefix)).map(([name, v]) => [name, v.slice()] as const);
    });
    return {
      async *[Symbol.asyncIterator]() {
        for (const entry of await snapshot) yield entry;
      },
    };
  }

  /** Wipes every secret and releases the store; later calls reject with `PQBLE_ERR_STORE_CLOSED`. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const s of this.#byFp.values()) wipeStoredSession(s);
      for (const v of this.#values.values()) v.fill(0);
      this.#byFp.clear();
      this.#byTicket.clear();
      this.#byDevice.clear();
      this.#values.clear();
    }
    return Promise.resolve();
  }

  #set(s: StoredSession): void {
    this.#remove(s.peerFingerprint);
    this.#byFp.set(s.peerFingerprint, s);
    if (s.inbound !== undefined) this.#byTicket.set(bytesToHex(s.inbound.ticketId), s.peerFingerprint);
    let fps = this.#byDevice.get(s.deviceId);
    if (fps === undefined) this.#byDevice.set(s.deviceId, (fps = new Set()));
    fps.add(s.peerFingerprint);
    while (this.#byFp.size > this.#maxEntries) {
      const oldest = this.#byFp.oldestKey();
      if (oldest === undefined) break;
      this.#remove(oldest);
      this.#evictions++;
    }
  }

  #remove(fp: string): boolean {
    const s = this.#byFp.get(fp);
    if (s === undefined) return false;
    this.#byFp.delete(fp);
    if (s.inbound !== undefined) {
      const hex = bytesToHex(s.inbound.ticketId);
      if (this.#byTicket.get(hex) === fp) this.#byTicket.delete(hex);
    }
    const fps = this.#byDevice.get(s.deviceId);
    fps?.delete(fp);
    if (fps?.size === 0) this.#byDevice.delete(s.deviceId);
    wipeStoredSession(s);
    return true;
  }

  #rememberConsumed(hex: string): void {
    if (this.#consumed.has(hex)) return; // a set: adding again keeps its place
    this.#consumed.set(hex, true);
    if (this.#consumed.size > CONSUMED_TICKETS_REMEMBERED) {
      const oldest = this.#consumed.oldestKey();
      if (oldest !== undefined) this.#consumed.delete(oldest);
    }
  }
}
