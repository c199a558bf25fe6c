/**
 * BENCHMARK BASELINE, not shipped: the first release's whole-snapshot persistence seam
 * (`SnapshotSessionStore`, with `MemorySnapshotStore`), removed from the package in 0.2
 * (docs/api.md "Removed in 0.2") and replaced by the per-entry `SessionStore` of
 * src/session/store.ts. Kept, unchanged but for import paths, because the version-1 store
 * of file-store-v1.ts (the benchmark's baseline) implements it. Docs: docs/cache-file.md;
 * docs/security.md "Properties" 9.
 *
 * @module
 */

import { wipe } from '../../src/bytes.js';
import type { CachedSession } from '../../src/session/types.js';
import { normaliseSession } from './validate-v1.js';

/**
 * Where the session cache is persisted between runs.
 *
 * Contract: `load()` never rejects because of bad stored content (it logs, sets the bad
 * data aside and resolves to `[]`); it returns every stored session, expired ones included
 * (the cache's `prune()` drops those), least recently used first, so that inserting them in
 * order with `SessionCache.set()` restores the LRU order. `save()` replaces the whole content
 * with the given sessions (the caller passes `cache.entries()`), copying what it needs before
 * its first `await`; it may reject on an I/O failure. `clear()` forgets every session.
 */
export interface SnapshotSessionStore {
  /** Every stored session, least recently used first; `[]` when nothing (usable) is stored. */
  load(): Promise<CachedSession[]>;
  /** Replaces the stored sessions with `sessions` (read synchronously before the first await). */
  save(sessions: Iterable<CachedSession>): Promise<void>;
  /** Forgets every stored session. */
  clear(): Promise<void>;
}

/**
 * A {@link SnapshotSessionStore} kept in memory: for tests, and for processes that want resumption
 * only while they run. Holds copies of the sessions (secrets included) and hands out copies.
 */
export class MemorySnapshotStore implements SnapshotSessionStore {
  #sessions: CachedSession[] = [];

  /** Copies of the stored sessions, least recently used first. */
  load(): Promise<CachedSession[]> {
    return Promise.resolve(this.#sessions.map((s) => normaliseSession(s)));
  }

  /**
   * Replaces the stored sessions with copies of `sessions`.
   * @throws TypeError / RangeError (as a rejection) for a malformed session
   */
  save(sessions: Iterable<CachedSession>): Promise<void> {
    const copies: CachedSession[] = [];
    try {
      for (const s of sessions) copies.push(normaliseSession(s, `sessions[${copies.length}]`));
    } catch (err) {
      for (const c of copies) wipe(c.resumptionSecret);
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.#drop();
    this.#sessions = copies;
    return Promise.resolve();
  }

  /** Forgets (and wipes) every stored session. */
  clear(): Promise<void> {
    this.#drop();
    return Promise.resolve();
  }

  #drop(): void {
    for (const s of this.#sessions) wipe(s.resumptionSecret);
    this.#sessions = [];
  }
}
