/**
 * BENCHMARK BASELINE, not shipped: the first release's in-memory session cache, removed from the package in 0.2
 * (docs/api.md "Removed in 0.2") and kept here unchanged but for import paths (its expiry rule now lives in
 * src/session/expiry.ts), so that the benchmark's cache rows
 * measure today's code against what it replaced.
 *
 * The in-memory session cache (docs/cache-file.md; docs/security.md "Properties" 3, 8
 * and 10).
 *
 * Entries are keyed by the peer's identity fingerprint and kept in an {@link LruMap} (a map
 * with a linked list in least-recently-used order), with `Map` indexes by device id and by
 * ticket id. Lookup, touch, insert, update and eviction
 * are O(1). Expiry is by the wall-clock time of the last full handshake, so resumptions
 * never extend a session's life, and an entry dated in the future (a clock that jumped
 * backwards) counts as expired rather than immortal.
 *
 * @module
 */

import { checkBytes, wipe } from '../../src/bytes.js';
import { LruMap } from '../../src/util/lru.js';
import type { CachedSession } from '../../src/session/types.js';
import {
  checkDeviceId,
  checkFingerprint,
  checkId16,
  checkOptionKeys,
  checkTimeMs,
  freezeChecked,
  normaliseSession,
  RESUMPTION_SECRET_BYTES,
} from './validate-v1.js';

export type { CachedSession } from '../../src/session/types.js';

/** Options of {@link SessionCache}. */
export interface SessionCacheOptions {
  /** Most entries kept; beyond it the least recently used is evicted. Whole number in 1..1e7. Default 100. */
  readonly maxEntries?: number;
  /**
   * Life of a session from its last full handshake, in ms. An entry is expired when
   * `now >= establishedMs + ttlMs`. Positive whole number. Default 24 h (86,400,000).
   */
  readonly ttlMs?: number;
  /** Wall clock in ms since the Unix epoch. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * How far in the future an entry's `establishedMs` or `lastActiveMs` may lie before the
   * entry counts as expired (a clock that jumps backwards must not make a session
   * immortal). Whole number >= 0. Default 5 min (300,000).
   */
  readonly maxClockSkewMs?: number;
}

/** Running totals of entries the cache dropped on its own. */
export interface SessionCacheCounters {
  /** Entries evicted because the cache was full (least recently used first). */
  evictions: number;
  /** Entries removed because they had expired (on lookup, touch, update, eviction or prune). */
  expired: number;
}

/**
 * A change to the cache, for listeners such as a debounced persistence task.
 * `set` covers inserts, replacements and `update()`; `clear` has no fingerprint.
 */
export type SessionCacheChange = {
  kind: 'set' | 'delete' | 'evict' | 'expire' | 'touch' | 'clear';
  peerFingerprint?: string;
};

/** Default {@link SessionCacheOptions.maxEntries}. */
export const DEFAULT_MAX_CACHED_SESSIONS = 100;
/** Default {@link SessionCacheOptions.ttlMs}: 24 hours; default {@link SessionCacheOptions.maxClockSkewMs}: 5 minutes. */
export { DEFAULT_MAX_CLOCK_SKEW_MS, DEFAULT_SESSION_TTL_MS, isSessionExpired } from '../../src/session/expiry.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS, DEFAULT_SESSION_TTL_MS, isSessionExpired } from '../../src/session/expiry.js';

const MAX_ENTRIES_LIMIT = 1e7;
const OPTION_KEYS = ['maxEntries', 'ttlMs', 'now', 'maxClockSkewMs'] as const;

/**
 * The in-memory cache of resumable sessions: TTL from the last full handshake, true LRU by
 * last activity, O(1) lookups by fingerprint, device id and ticket id.
 *
 * Entries are stored as frozen copies that own their secret; the caller's objects and
 * buffers are never kept or changed. A secret is wiped when its entry is replaced,
 * ratcheted by `update()`, evicted, expired, deleted or cleared.
 *
 * @example
 * ```ts
 * const cache = new SessionCache({ maxEntries: 100, ttlMs: 24 * 3600_000 });
 * cache.set({ peerFingerprint, deviceId, sessionId, establishedMs: now, lastActiveMs: now, resumptionSecret, ticketId });
 * const hit = cache.getByDeviceId('aabbccddeeff');
 * ```
 */
export class SessionCache {
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #maxSkewMs: number;
  /** fingerprint -> entry, in LRU -> MRU order. */
  readonly #byFp = new LruMap<CachedSession>();
  /** device id -> fingerprints holding that hint, in the same LRU -> MRU order as #byFp. */
  readonly #byDevice = new Map<string, Set<string>>();
  /** ticket id -> fingerprint. */
  readonly #byTicket = new Map<string, string>();
  readonly #listeners = new Set<(change: SessionCacheChange) => void>();
  #evictions = 0;
  #expired = 0;

  /**
   * @param options - see {@link SessionCacheOptions}; unknown keys are rejected
   * @throws TypeError for a wrong option type or unknown key; RangeError for a value out of range
   */
  constructor(options: SessionCacheOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('SessionCache options must be an object');
    checkOptionKeys(options, OPTION_KEYS, 'SessionCache');
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_CACHED_SESSIONS;
    if (typeof maxEntries !== 'number') throw new TypeError('maxEntries must be a number');
    if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_ENTRIES_LIMIT) {
      throw new RangeError(`maxEntries must be a whole number in 1..${MAX_ENTRIES_LIMIT}, got ${maxEntries}`);
    }
    const ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    if (typeof ttlMs !== 'number') throw new TypeError('ttlMs must be a number');
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`ttlMs must be a positive whole number of ms, got ${ttlMs}`);
    const skew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    if (typeof skew !== 'number') throw new TypeError('maxClockSkewMs must be a number');
    if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError(`maxClockSkewMs must be a whole number of ms >= 0, got ${skew}`);
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') throw new TypeError('now must be a function');
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
    this.#maxSkewMs = skew;
    this.#now = now;
  }

  /** Number of entries held (expired ones count until a lookup or `prune()` removes them). */
  get size(): number {
    return this.#byFp.size;
  }

  /** The configured capacity. */
  get maxEntries(): number {
    return this.#maxEntries;
  }

  /** The configured time to live, in ms. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** A copy of the running totals of evictions and expiries. */
  get counters(): SessionCacheCounters {
    return { evictions: this.#evictions, expired: this.#expired };
  }

  /**
   * The entry for a peer, or `undefined`. An expired entry is removed (counted in
   * `counters.expired`) and `undefined` returned. Does not count as a use (see `touch()`).
   * @param peerFingerprint - 64 hex digits (any case)
   */
  get(peerFingerprint: string): CachedSession | undefined {
    const fp = checkFingerprint(peerFingerprint);
    const entry = this.#byFp.get(fp);
    if (entry === undefined) return undefined;
    if (this.#expiredNow(entry)) {
      this.#remove(entry, 'expire');
      return undefined;
    }
    return entry;
  }

  /**
   * The entry whose device-id hint matches (the most recently used one if several peers
   * were last seen at that address), or `undefined`. Expired matches are removed.
   * O(1) unless several cached peers share the address.
   * @param deviceId - a device id in any form `parseDeviceId` accepts
   */
  getByDeviceId(deviceId: string): CachedSession | undefined {
    const id = checkDeviceId(deviceId);
    for (;;) {
      const fps = this.#byDevice.get(id);
      if (fps === undefined) return undefined;
      const entry = this.#byFp.get(lastOf(fps))!;
      if (!this.#expiredNow(entry)) return entry;
      this.#remove(entry, 'expire');
    }
  }

  /**
   * The entry whose current ticket id matches, or `undefined`. An expired match is removed.
   * @param ticketId - 32 hex digits (any case)
   */
  getByTicketId(ticketId: string): CachedSession | undefined {
    const id = checkId16(ticketId, 'ticketId');
    const fp = this.#byTicket.get(id);
    if (fp === undefined) return undefined;
    const entry = this.#byFp.get(fp)!;
    if (this.#expiredNow(entry)) {
      this.#remove(entry, 'expire');
      return undefined;
    }
    return entry;
  }

  /**
   * Inserts an entry, or replaces the entry with the same fingerprint (its old secret is
   * wiped), and makes it the most recently used. The entry is copied and its secret copied;
   * the caller's buffer is never kept. Beyond `maxEntries` the least recently used entries
   * are dropped (an already-expired victim counts as expired, otherwise as an eviction).
   * @returns the entries dropped to make room (their secrets already wiped)
   * @throws TypeError / RangeError for a malformed entry, or a `ticketId` that belongs to another peer
   */
  set(entry: CachedSession): CachedSession[] {
    const next = normaliseSession(entry, 'entry');
    const ticketOwner = this.#byTicket.get(next.ticketId);
    if (ticketOwner !== undefined && ticketOwner !== next.peerFingerprint) {
      wipe(next.resumptionSecret);
      throw new RangeError('entry.ticketId already belongs to another cached peer');
    }
    const old = this.#byFp.get(next.peerFingerprint);
    if (old !== undefined) {
      this.#unindex(old);
      this.#byFp.delete(old.peerFingerprint);
      wipe(old.resumptionSecret);
    }
    this.#byFp.set(next.peerFingerprint, next);
    this.#index(next);
    this.#emit({ kind: 'set', peerFingerprint: next.peerFingerprint });
    const dropped: CachedSession[] = [];
    if (this.#byFp.size > this.#maxEntries) {
      const now = this.#nowMs();
      while (this.#byFp.size > this.#maxEntries) {
        const victim = this.#byFp.oldest()!;
        const expired = this.#isExpired(victim, now);
        this.#remove(victim, expired ? 'expire' : 'evict');
        dropped.push(victim);
      }
    }
    return dropped;
  }

  /**
   * Changes an entry in place of a second entry: used to ratchet after a resumption. The old
   * secret is wiped when a new one is given (the new one is copied). `establishedMs` never
   * changes. An update is a use: the entry becomes the most recently used and its
   * `lastActiveMs` is set to `patch.lastActiveMs`, or to now if not given.
   * @returns false if there is no such entry or it had expired (it is then removed)
   * @throws TypeError / RangeError for a malformed patch, or a `ticketId` that belongs to another peer
   */
  update(
    peerFingerprint: string,
    patch: { resumptionSecret?: Uint8Array; ticketId?: string; sessionId?: string; deviceId?: string; lastActiveMs?: number },
  ): boolean {
    const fp = checkFingerprint(peerFingerprint);
    if (typeof patch !== 'object' || patch === null) throw new TypeError('patch must be an object');
    checkOptionKeys(patch, ['resumptionSecret', 'ticketId', 'sessionId', 'deviceId', 'lastActiveMs'], 'SessionCache.update patch');
    const ticketId = patch.ticketId === undefined ? undefined : checkId16(patch.ticketId, 'patch.ticketId');
    const sessionId = patch.sessionId === undefined ? undefined : checkId16(patch.sessionId, 'patch.sessionId');
    const deviceId = patch.deviceId === undefined ? undefined : checkDeviceId(patch.deviceId, 'patch.deviceId');
    const lastActive = patch.lastActiveMs === undefined ? undefined : checkTimeMs(patch.lastActiveMs, 'patch.lastActiveMs');
    if (patch.resumptionSecret !== undefined) checkBytes(patch.resumptionSecret, 'patch.resumptionSecret', RESUMPTION_SECRET_BYTES);
    const old = this.#byFp.get(fp);
    if (old === undefined) return false;
    if (this.#expiredNow(old)) {
      this.#remove(old, 'expire');
      return false;
    }
    if (ticketId !== undefined) {
      const owner = this.#byTicket.get(ticketId);
      if (owner !== undefined && owner !== fp) throw new RangeError('patch.ticketId already belongs to another cached peer');
    }
    const next = freezeChecked({
      peerFingerprint: fp,
      deviceId: deviceId ?? old.deviceId,
      sessionId: sessionId ?? old.sessionId,
      establishedMs: old.establishedMs,
      lastActiveMs: lastActive ?? this.#nowMs(),
      resumptionSecret: patch.resumptionSecret === undefined ? old.resumptionSecret : patch.resumptionSecret.slice(),
      ticketId: ticketId ?? old.ticketId,
    });
    this.#unindex(old);
    this.#byFp.set(fp, next);
    this.#index(next);
    if (next.resumptionSecret !== old.resumptionSecret) wipe(old.resumptionSecret);
    this.#emit({ kind: 'set', peerFingerprint: fp });
    return true;
  }

  /**
   * Marks a session as used now (`lastActiveMs = now`) and makes it the most recently used.
   * Never changes `establishedMs`, so it never extends the session's life.
   * @returns false if there is no such entry or it had expired (it is then removed)
   */
  touch(peerFingerprint: string): boolean {
    const entry = this.#byFp.get(checkFingerprint(peerFingerprint));
    return entry === undefined ? false : this.#touchEntry(entry);
  }

  /**
   * `touch()` for the entry `getByDeviceId()` would return.
   * @returns false if no live entry has that device-id hint
   */
  touchByDeviceId(deviceId: string): boolean {
    const entry = this.getByDeviceId(deviceId);
    return entry === undefined ? false : this.#touchEntry(entry);
  }

  /**
   * Removes a peer's entry and wipes its secret (forgetting a peer, a changed identity or a
   * failed authentication).
   * @returns true if there was an entry
   */
  delete(peerFingerprint: string): boolean {
    const entry = this.#byFp.get(checkFingerprint(peerFingerprint));
    if (entry === undefined) return false;
    this.#remove(entry, 'delete');
    return true;
  }

  /**
   * Removes every expired entry (O(n)). Call periodically (the transport does, every 10 min
   * by default).
   * @returns how many entries were removed
   */
  prune(): number {
    const now = this.#nowMs();
    let removed = 0;
    for (const entry of [...this.#byFp.values()]) {
      if (this.#isExpired(entry, now)) {
        this.#remove(entry, 'expire');
        removed++;
      }
    }
    return removed;
  }

  /** Removes every entry and wipes every secret. Counters are kept. */
  clear(): void {
    for (const entry of this.#byFp.values()) wipe(entry.resumptionSecret);
    this.#byFp.clear();
    this.#byDevice.clear();
    this.#byTicket.clear();
    this.#emit({ kind: 'clear' });
  }

  /**
   * The entries that have not expired, least recently used first (the order to save them
   * in, so that inserting them again in order restores the LRU order). Iterates over a
   * snapshot taken at the call, so changing the cache while iterating is safe.
   */
  entries(): IterableIterator<CachedSession> {
    const now = this.#nowMs();
    const live: CachedSession[] = [];
    for (const entry of this.#byFp.values()) {
      if (!this.#isExpired(entry, now)) live.push(entry);
    }
    return live[Symbol.iterator]();
  }

  /**
   * Subscribes to changes (for example to schedule a debounced save). Listeners run
   * synchronously after the cache has changed; an exception thrown by a listener is
   * swallowed so that the cache stays consistent.
   * @returns a function that unsubscribes
   */
  onChange(listener: (change: SessionCacheChange) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const wrapped = (change: SessionCacheChange): void => listener(change);
    this.#listeners.add(wrapped);
    return () => {
      this.#listeners.delete(wrapped);
    };
  }

  #touchEntry(entry: CachedSession): boolean {
    const now = this.#nowMs();
    if (this.#isExpired(entry, now)) {
      this.#remove(entry, 'expire');
      return false;
    }
    const next = freezeChecked({ ...entry, lastActiveMs: now });
    const fp = entry.peerFingerprint;
    this.#byFp.set(fp, next);
    const fps = this.#byDevice.get(entry.deviceId)!;
    fps.delete(fp);
    fps.add(fp);
    this.#emit({ kind: 'touch', peerFingerprint: fp });
    return true;
  }

  /** The wall clock, checked: a clock that returns NaN would otherwise make every entry immortal. */
  #nowMs(): number {
    const now = this.#now();
    if (typeof now !== 'number' || !Number.isFinite(now)) throw new RangeError('SessionCache: now() must return a finite number of ms');
    return Math.floor(now);
  }

  #expiredNow(entry: CachedSession): boolean {
    return this.#isExpired(entry, this.#nowMs());
  }

  #isExpired(entry: CachedSession, now: number): boolean {
    return isSessionExpired(entry, now, this.#ttlMs, this.#maxSkewMs);
  }

  #index(entry: CachedSession): void {
    let fps = this.#byDevice.get(entry.deviceId);
    if (fps === undefined) {
      fps = new Set();
      this.#byDevice.set(entry.deviceId, fps);
    }
    fps.add(entry.peerFingerprint);
    this.#byTicket.set(entry.ticketId, entry.peerFingerprint);
  }

  #unindex(entry: CachedSession): void {
    const fps = this.#byDevice.get(entry.deviceId);
    if (fps !== undefined) {
      fps.delete(entry.peerFingerprint);
      if (fps.size === 0) this.#byDevice.delete(entry.deviceId);
    }
    if (this.#byTicket.get(entry.ticketId) === entry.peerFingerprint) this.#byTicket.delete(entry.ticketId);
  }

  #remove(entry: CachedSession, kind: 'delete' | 'evict' | 'expire'): void {
    this.#unindex(entry);
    this.#byFp.delete(entry.peerFingerprint);
    wipe(entry.resumptionSecret);
    if (kind === 'evict') this.#evictions++;
    else if (kind === 'expire') this.#expired++;
    this.#emit({ kind, peerFingerprint: entry.peerFingerprint });
  }

  #emit(change: SessionCacheChange): void {
    if (this.#listeners.size === 0) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch {
        // A listener must not break the cache; see onChange().
      }
    }
  }
}

/** The last element of a non-empty set (O(1) when it has one element). */
function lastOf(set: Set<string>): string {
  let last = '';
  for (const v of set) last = v;
  return last;
}
