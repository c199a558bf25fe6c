/**
 * The changes of the version-2 file store (docs/store.md "Writing: group commit"): each is
 * applied to the row index at once and queued for the next group commit with the record
 * that makes it durable and the undo that rolls it back if that write fails. Rows are
 * never changed in place (but for `lastActive`): a change links a new row and keeps the
 * old one until the change is durable, so an undo can link it again.
 *
 * @module
 */

import type { SessionTouch, StoredSession } from '../store.js';
import type { BulkChunk } from './bulk-input.js';
import type { GroupCommit } from './commit.js';
import type { StoreCore } from './core.js';
import { writeBlocksFrom, writeEntryRecord, writeValueRecord } from './encode.js';
import { BLOCK_MAX_ENTRIES, DELETE_RECORD_BYTES, ENTRY_PLAIN_BYTES, REC, TOUCH_RECORD_BYTES, writeDeleteRecord, writeTouchRecord } from './format.js';
import { latin1 } from './row-index.js';

/** Sessions a bulk put turns into one queued change (64 entry blocks). */
export const BULK_CHUNK = 16 * BLOCK_MAX_ENTRIES;

/** Rows looked at to choose one to evict (see `maxEntries`). */
const EVICTION_SAMPLE = 32;

/** The changes of one store. */
export class StoreWrites {
  readonly #core: StoreCore;
  readonly #commit: GroupCommit;
  readonly #maxEntries: number;
  #evictCursor = 0;

  constructor(core: StoreCore, commit: GroupCommit, maxEntries: number) {
    this.#core = core;
    this.#commit = commit;
    this.#maxEntries = maxEntries;
  }

  /**
   * Links `row` (a new row from `core.newRow`) as its entry's state and queues its record
   * (a consume record with `consumedKey`); durable when resolved.
   */
  change(row: number, consumedKey: Uint8Array | undefined): Promise<void> {
    const core = this.#core;
    const ix = core.index;
    const prev = ix.link(row);
    const consumed = consumedKey === undefined ? undefined : latin1(consumedKey);
    const consumedBefore = consumed !== undefined && ix.consumed.has(consumed);
    if (consumed !== undefined) ix.rememberConsumed(consumed);
    const keyCopy = consumedKey?.slice();
    let loc = -1;
    return this.#commit.enqueue(
      (w) => {
        loc = writeEntryRecord(core, w, row, keyCopy);
      },
      () => {
        if (ix.isLive(row)) {
          ix.unlink(row);
          if (prev >= 0) ix.link(prev);
        }
        if (consumed !== undefined && !consumedBefore) ix.consumed.delete(consumed);
        core.releaseRow(row);
      },
      () => {
        if (loc >= 0) {
          ix.setLocation(row, (keyCopy === undefined ? REC.entry : REC.consume) | ix.flags(row), loc, 0);
          core.dropPending(row);
        }
        if (prev >= 0) core.releaseRow(prev);
      },
      true,
    );
  }

  /** Puts an entry (evicting one beyond `maxEntries`); durable when resolved. */
  async put(s: StoredSession): Promise<void> {
    const core = this.#core;
    const row = core.newRow(s, REC.entry);
    const isNew = core.index.findFp(core.index.fpKey(row)) < 0;
    const write = this.change(row, undefined);
    const evicted = isNew ? this.#evictBeyondMax() : undefined;
    await Promise.all([write, evicted]);
  }

  /**
   * Puts the checked sessions of `chunk` (at most {@link BULK_CHUNK}) as one queued change
   * written in entry blocks; the ids are blinded in three AES calls for the whole chunk.
   * The chunk is wiped. Durable when resolved.
   */
  putChunk(chunk: BulkChunk): Promise<void> {
    const core = this.#core;
    const ix = core.index;
    const n = chunk.count;
    const fpKeys = core.keys.fpKey(chunk.fingerprints.subarray(0, 32 * n));
    const ticketKeys = core.keys.ticketKey(chunk.tickets.subarray(0, 16 * n));
    const hints = core.keys.deviceHintBlocks(chunk.devices.subarray(0, 16 * n));
    const rows = new Int32Array(n);
    const prevs = new Int32Array(n);
    let added = 0;
    for (let i = 0; i < n; i++) {
      const flags = chunk.flags[i];
      // The hint is the first 4 bytes (big-endian) of the entry's AES block; read by hand
      // (Buffer#readUInt32BE validates its argument on every call).
      const hint = ((hints[16 * i] << 24) | (hints[16 * i + 1] << 16) | (hints[16 * i + 2] << 8) | hints[16 * i + 3]) >>> 0;
      const row = ix.allocRaw(fpKeys, 32 * i, ticketKeys, 16 * i, hint, chunk.established[i], chunk.lastActive[i], flags, REC.entry | flags, -1, 0);
      core.setPendingFrom(row, chunk.bodies, ENTRY_PLAIN_BYTES * i);
      rows[i] = row;
      prevs[i] = ix.link(row);
      if (prevs[i] < 0) added++;
    }
    // The bodies, in row order, are sealed from this copy when the chunk is written (the
    // pending slots serve reads until then); wiped once written or undone.
    const plain = Buffer.allocUnsafe(ENTRY_PLAIN_BYTES * n);
    chunk.bodies.copy(plain, 0, 0, ENTRY_PLAIN_BYTES * n);
    chunk.clear();
    const locs = new Float64Array(n).fill(-1);
    const subs = new Uint8Array(n);
    const write = this.#commit.enqueue(
      (w) => {
        writeBlocksFrom(core, w, rows, n, plain, (i, loc, sub) => {
          locs[i] = loc;
          subs[i] = sub;
        });
      },
      () => {
        plain.fill(0);
        for (let i = n - 1; i >= 0; i--) {
          if (ix.isLive(rows[i])) {
            ix.unlink(rows[i]);
            if (prevs[i] >= 0) ix.link(prevs[i]);
          }
        }
        for (let i = 0; i < n; i++) core.releaseRow(rows[i]);
      },
      () => {
        plain.fill(0);
        for (let i = 0; i < n; i++) {
          if (locs[i] < 0) continue;
          ix.setLocation(rows[i], REC.block, locs[i], subs[i]);
          core.dropPending(rows[i]);
        }
        for (let i = 0; i < n; i++) if (prevs[i] >= 0) core.releaseRow(prevs[i]);
      },
      true,
    );
    const evictions: Promise<void>[] = [write];
    for (let i = 0; i < added; i++) {
      const e = this.#evictBeyondMax();
      if (e === undefined) break;
      evictions.push(e);
    }
    return Promise.all(evictions).then(() => undefined);
  }

  /** Beyond `maxEntries`: deletes the least recently active of {@link EVICTION_SAMPLE} live rows sampled round-robin. */
  #evictBeyondMax(): Promise<void> | undefined {
    const ix = this.#core.index;
    if (ix.size <= this.#maxEntries || ix.rowLimit === 0) return undefined;
    let best = -1;
    let seen = 0;
    for (let k = 0; k < ix.rowLimit && seen < EVICTION_SAMPLE; k++) {
      const r = this.#evictCursor;
      this.#evictCursor = (this.#evictCursor + 1) % ix.rowLimit;
      if (!ix.isLive(r)) continue;
      seen++;
      if (best < 0 || ix.lastActiveMs(r) < ix.lastActiveMs(best)) best = r;
    }
    if (best < 0) return undefined;
    this.#core.evictions++;
    return this.deleteRow(best);
  }

  /** Deletes the entry of live row `row`; durable when resolved. */
  deleteRow(row: number): Promise<void> {
    const core = this.#core;
    const ix = core.index;
    const fpKey = ix.fpKey(row).slice();
    ix.unlink(row);
    return this.#commit.enqueue(
      (w) => writeDeleteRecord(w.buf, w.reserve(DELETE_RECORD_BYTES), fpKey),
      () => {
        if (ix.findFp(fpKey) < 0) ix.link(row);
      },
      () => core.releaseRow(row),
      true,
    );
  }

  /** Raises entries' `lastActive` (best effort: resolves at once, written with the next batch). */
  touch(updates: readonly SessionTouch[]): void {
    const core = this.#core;
    const ix = core.index;
    for (const t of updates) {
      const row = ix.findFp(core.fpKeyOf(t.peerFingerprint));
      if (row < 0 || t.lastActiveMs <= ix.lastActiveMs(row)) continue;
      const before = ix.lastActiveMs(row);
      const last = t.lastActiveMs;
      ix.setLastActiveMs(row, last);
      const fpKey = ix.fpKey(row).slice();
      ix.dirty?.add(latin1(fpKey));
      void this.#commit.enqueue(
        (w) => writeTouchRecord(w.buf, w.reserve(TOUCH_RECORD_BYTES), fpKey, last),
        () => {
          if (ix.isLive(row) && ix.lastActiveMs(row) === last) ix.setLastActiveMs(row, before);
        },
        undefined,
        false,
      );
    }
  }

  /** Sets or removes a named value (best effort). */
  putValue(name: string, value: Uint8Array | undefined): Promise<void> {
    const values = this.#core.values;
    const prev = values.get(name);
    if (value === undefined) values.delete(name);
    else values.set(name, value);
    return this.#commit.enqueue(
      (w) => writeValueRecord(this.#core, w, name, value),
      () => {
        if (values.get(name) !== value) return;
        if (prev === undefined) values.delete(name);
        else values.set(name, prev);
      },
      undefined,
      false,
    );
  }
}
