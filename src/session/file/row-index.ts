/**
 * The in-memory index of the version-2 file store (docs/store.md "Memory and time"): every
 * entry is one row in typed arrays (pages of {@link PAGE_ROWS} rows), found through
 * open-addressed hash tables keyed by its blinded fingerprint, its blinded inbound ticket
 * and its device hint. No JavaScript object per entry: at a million entries the garbage
 * collector has nothing to walk but a few hundred typed arrays. Pure data structure; no
 * I/O, no keys.
 *
 * A row holds what a lookup needs without unsealing: the blinded ids, the hint, the two
 * times, the flags, and where the entry's sealed body is (the file offset of its record
 * and its slot in an entry block; `loc = -1` while the record is not yet written).
 *
 * Over 400 lines on purpose: the row layout, its pages and the three tables' linking rules
 * depend on each other row by row, and are checked together against one model in the tests.
 *
 * @module
 */

import { CONSUMED_TICKETS_REMEMBERED } from '../store-checks.js';
import { LruMap } from '../../util/lru.js';
import { HashTable } from './hash-table.js';

/** Rows per page (growing the index adds a page: nothing is copied). */
const PAGE_ROWS = 4096;
const PAGE_SHIFT = 12;
const PAGE_MASK = PAGE_ROWS - 1;

/** Row flag: the entry has an outbound secret (as in the record's type byte). */
export const ROW_OUTBOUND = 0x01;
/** Row flag: the entry has an inbound slot. */
export const ROW_INBOUND = 0x02;
/** Row flag: the row is the current state of its entry (linked in the tables). */
const ROW_LIVE = 0x80;
/** Row flag: which of two files (generations) the row's location refers to (a compaction switches). */
export const ROW_GEN = 0x40;

class Page {
  readonly fp = new Uint32Array(PAGE_ROWS * 8);
  readonly fp8 = new Uint8Array(this.fp.buffer);
  readonly ticket = new Uint32Array(PAGE_ROWS * 4);
  readonly ticket8 = new Uint8Array(this.ticket.buffer);
  readonly hint = new Uint32Array(PAGE_ROWS);
  readonly established = new Float64Array(PAGE_ROWS);
  readonly lastActive = new Float64Array(PAGE_ROWS);
  readonly loc = new Float64Array(PAGE_ROWS);
  readonly type = new Uint8Array(PAGE_ROWS);
  readonly sub = new Uint8Array(PAGE_ROWS);
  readonly flags = new Uint8Array(PAGE_ROWS);
  /** Pending body slot + 1 (0: none). */
  readonly pend = new Int32Array(PAGE_ROWS);
}

/** The fields of a row as handed in. */
export interface RowFields {
  /** 32 bytes. */
  readonly fpKey: Uint8Array;
  /** 16 bytes, or `undefined` without an inbound slot. */
  readonly ticketKey: Uint8Array | undefined;
  readonly hint: number;
  readonly establishedMs: number;
  readonly lastActiveMs: number;
  /** {@link ROW_OUTBOUND} | {@link ROW_INBOUND}. */
  readonly flags: number;
  /** The record type byte the entry is (or will be) written with. */
  readonly type: number;
  /** File offset of the record, or -1. */
  readonly loc: number;
  /** Slot in an entry block (0 for a single-entry record). */
  readonly sub: number;
}

function writeU48(out: Uint8Array, at: number, v: number): void {
  const hi = Math.floor(v / 0x1_0000_0000);
  const lo = v >>> 0;
  out[at] = (hi >>> 8) & 0xff;
  out[at + 1] = hi & 0xff;
  out[at + 2] = lo >>> 24;
  out[at + 3] = (lo >>> 16) & 0xff;
  out[at + 4] = (lo >>> 8) & 0xff;
  out[at + 5] = lo & 0xff;
}

function hint32(h: number): number {
  return Math.imul(h, 0x9e3779b1) >>> 0;
}

/** The entries: rows, the three tables, and the consumed tickets. */
export class RowIndex {
  readonly #pages: Page[] = [];
  #free = new Int32Array(1024);
  #freeCount = 0;
  #highWater = 0;
  /** Rows released while reuse is held back (a compaction maps rows to places in its new file). */
  #held: number[] | undefined;
  readonly #byFp = new HashTable();
  readonly #byTicket = new HashTable();
  readonly #byHint = new HashTable();
  readonly #probe = new Uint32Array(8);
  readonly #probe8 = new Uint8Array(this.#probe.buffer);
  /** Blinded ids (latin1 strings) of consumed tickets, oldest first; at most {@link CONSUMED_TICKETS_REMEMBERED}. */
  readonly consumed = new LruMap<true>();
  /** While a compaction runs: blinded fingerprints (latin1) of the entries changed since it started. */
  dirty: Set<string> | undefined;
  /** The generation ({@link ROW_GEN} or 0) locations set from now on refer to. */
  gen = 0;

  /** Live entries. */
  get size(): number {
    return this.#byFp.count;
  }

  /** One past the highest row ever allocated (iterate `0 .. rowLimit` and check {@link isLive}). */
  get rowLimit(): number {
    return this.#highWater;
  }

  /** Bytes held by the typed arrays (rows and tables). */
  get memoryBytes(): number {
    const page = PAGE_ROWS * (32 + 16 + 4 + 8 * 3 + 3 + 4);
    return this.#pages.length * page + this.#byFp.memoryBytes + this.#byTicket.memoryBytes + this.#byHint.memoryBytes + this.#free.byteLength;
  }

  /**
   * Sizes the three tables for `rows` live entries up front (a load does it from the file
   * size), so that filling them never regrows a shard.
   */
  reserve(rows: number): void {
    this.#byFp.reserve(rows);
    this.#byTicket.reserve(rows);
    this.#byHint.reserve(rows);
  }

  /** A new, unlinked row holding `f`. */
  alloc(f: RowFields): number {
    return this.allocRaw(f.fpKey, 0, f.ticketKey, 0, f.hint, f.establishedMs, f.lastActiveMs, f.flags, f.type, f.loc, f.sub);
  }

  /**
   * A new, unlinked row: the blinded fingerprint is `fp[fpAt, fpAt + 32)`, the blinded
   * ticket `ticket[ticketAt, ticketAt + 16)` (ignored unless `flags` has {@link ROW_INBOUND}).
   */
  allocRaw(
    fp: Uint8Array,
    fpAt: number,
    ticket: Uint8Array | undefined,
    ticketAt: number,
    hint: number,
    establishedMs: number,
    lastActiveMs: number,
    flags: number,
    type: number,
    loc: number,
    sub: number,
  ): number {
    let row: number;
    if (this.#freeCount > 0) row = this.#free[--this.#freeCount];
    else {
      row = this.#highWater++;
      if (row >>> PAGE_SHIFT >= this.#pages.length) this.#pages.push(new Page());
    }
    const p = this.#pages[row >>> PAGE_SHIFT];
    const i = row & PAGE_MASK;
    const f8 = p.fp8;
    for (let k = 0; k < 32; k++) f8[i * 32 + k] = fp[fpAt + k];
    const t8 = p.ticket8;
    if (ticket === undefined || (flags & ROW_INBOUND) === 0) p.ticket.fill(0, i * 4, i * 4 + 4);
    else for (let k = 0; k < 16; k++) t8[i * 16 + k] = ticket[ticketAt + k];
    p.hint[i] = hint >>> 0;
    p.established[i] = establishedMs;
    p.lastActive[i] = lastActiveMs;
    p.flags[i] = (ticket === undefined ? flags & ROW_OUTBOUND : flags & (ROW_OUTBOUND | ROW_INBOUND)) | this.gen;
    p.type[i] = type;
    p.loc[i] = loc;
    p.sub[i] = sub;
    p.pend[i] = 0;
    return row;
  }

  /** Returns an unlinked row to the free list. */
  release(row: number): void {
    const p = this.#pages[row >>> PAGE_SHIFT];
    const i = row & PAGE_MASK;
    if ((p.flags[i] & ROW_LIVE) !== 0) throw new Error('a live row cannot be released');
    p.fp.fill(0, i * 8, i * 8 + 8);
    p.ticket.fill(0, i * 4, i * 4 + 4);
    p.flags[i] = 0;
    p.loc[i] = -1;
    if (this.#held !== undefined) {
      this.#held.push(row);
      return;
    }
    this.#pushFree(row);
  }

  /** While held, released rows are not reused (until {@link endHold}). */
  holdReleases(): void {
    this.#held ??= [];
  }

  /** Makes the rows released since {@link holdReleases} reusable. */
  endHold(): void {
    const held = this.#held;
    this.#held = undefined;
    for (const r of held ?? []) this.#pushFree(r);
  }

  #pushFree(row: number): void {
    if (this.#freeCount === this.#free.length) {
      const next = new Int32Array(this.#free.length * 2);
      next.set(this.#free);
      this.#free = next;
    }
    this.#free[this.#freeCount++] = row;
  }

  isLive(row: number): boolean {
    return (this.#pages[row >>> PAGE_SHIFT].flags[row & PAGE_MASK] & ROW_LIVE) !== 0;
  }
  /** {@link ROW_OUTBOUND} | {@link ROW_INBOUND}. */
  flags(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].flags[row & PAGE_MASK] & (ROW_OUTBOUND | ROW_INBOUND);
  }
  /** The generation ({@link ROW_GEN} or 0) of the row's location. */
  rowGen(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].flags[row & PAGE_MASK] & ROW_GEN;
  }
  hasTicket(row: number): boolean {
    return (this.flags(row) & ROW_INBOUND) !== 0;
  }
  hint(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].hint[row & PAGE_MASK];
  }
  establishedMs(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].established[row & PAGE_MASK];
  }
  lastActiveMs(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].lastActive[row & PAGE_MASK];
  }
  setLastActiveMs(row: number, ms: number): void {
    this.#pages[row >>> PAGE_SHIFT].lastActive[row & PAGE_MASK] = ms;
  }
  type(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].type[row & PAGE_MASK];
  }
  loc(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].loc[row & PAGE_MASK];
  }
  sub(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].sub[row & PAGE_MASK];
  }
  /**
   * Writes the row's 65-byte entry header at `out[at]`: `flags(1) || fpKey(32) ||
   * ticketKey(16, zeros without an inbound slot) || hint u32 || established u48 ||
   * lastActive u48` (big-endian; the layout of an entry block's header, and of an entry
   * record's bytes 0..64 but for the record type in the flags byte).
   */
  writeHeader(row: number, out: Uint8Array, at: number): void {
    const p = this.#pages[row >>> PAGE_SHIFT];
    const i = row & PAGE_MASK;
    out[at] = p.flags[i] & (ROW_OUTBOUND | ROW_INBOUND);
    const f8 = p.fp8;
    for (let k = 0; k < 32; k++) out[at + 1 + k] = f8[i * 32 + k];
    const t8 = p.ticket8;
    for (let k = 0; k < 16; k++) out[at + 33 + k] = t8[i * 16 + k];
    const h = p.hint[i];
    out[at + 49] = h >>> 24;
    out[at + 50] = (h >>> 16) & 0xff;
    out[at + 51] = (h >>> 8) & 0xff;
    out[at + 52] = h & 0xff;
    writeU48(out, at + 53, p.established[i]);
    writeU48(out, at + 59, p.lastActive[i]);
  }

  /** The row's pending body slot, or -1. */
  pendingSlot(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].pend[row & PAGE_MASK] - 1;
  }
  setPendingSlot(row: number, slot: number): void {
    this.#pages[row >>> PAGE_SHIFT].pend[row & PAGE_MASK] = slot + 1;
  }

  /** Records where the row's entry now is on disk. */
  setLocation(row: number, type: number, loc: number, sub: number): void {
    const p = this.#pages[row >>> PAGE_SHIFT];
    const i = row & PAGE_MASK;
    p.type[i] = type;
    p.loc[i] = loc;
    p.sub[i] = sub;
    p.flags[i] = (p.flags[i] & ~ROW_GEN) | this.gen;
  }
  /** The row's blinded fingerprint (a view: copy to keep). */
  fpKey(row: number): Uint8Array {
    const i = row & PAGE_MASK;
    return this.#pages[row >>> PAGE_SHIFT].fp8.subarray(i * 32, i * 32 + 32);
  }
  /** The row's blinded inbound ticket (a view), or `undefined`. */
  ticketKey(row: number): Uint8Array | undefined {
    if (!this.hasTicket(row)) return undefined;
    const i = row & PAGE_MASK;
    return this.#pages[row >>> PAGE_SHIFT].ticket8.subarray(i * 16, i * 16 + 16);
  }

  #fpEquals(row: number, probe: Uint32Array): boolean {
    const a = this.#pages[row >>> PAGE_SHIFT].fp;
    const o = (row & PAGE_MASK) * 8;
    return (
      a[o] === probe[0] &&
      a[o + 1] === probe[1] &&
      a[o + 2] === probe[2] &&
      a[o + 3] === probe[3] &&
      a[o + 4] === probe[4] &&
      a[o + 5] === probe[5] &&
      a[o + 6] === probe[6] &&
      a[o + 7] === probe[7]
    );
  }

  #ticketEquals(row: number, probe: Uint32Array): boolean {
    if (!this.hasTicket(row)) return false;
    const a = this.#pages[row >>> PAGE_SHIFT].ticket;
    const o = (row & PAGE_MASK) * 4;
    return a[o] === probe[0] && a[o + 1] === probe[1] && a[o + 2] === probe[2] && a[o + 3] === probe[3];
  }

  #fpHash(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].fp[(row & PAGE_MASK) * 8];
  }

  #ticketHash(row: number): number {
    return this.#pages[row >>> PAGE_SHIFT].ticket[(row & PAGE_MASK) * 4];
  }

  /** The live row of the blinded fingerprint `fpKey[at, at + 32)`, or -1. */
  findFp(fpKey: Uint8Array, at = 0): number {
    const p8 = this.#probe8;
    for (let k = 0; k < 32; k++) p8[k] = fpKey[at + k];
    return this.#findProbeFp();
  }

  #findProbeFp(): number {
    const probe = this.#probe;
    for (let s = this.#byFp.first(probe[0]); s >= 0; s = this.#byFp.next(s, probe[0])) {
      const row = this.#byFp.rowAt(s);
      if (this.#fpEquals(row, probe)) return row;
    }
    return -1;
  }

  /** The live row holding the blinded inbound ticket `ticketKey[at, at + 16)`, or -1. */
  findTicket(ticketKey: Uint8Array, at = 0): number {
    const p8 = this.#probe8;
    for (let k = 0; k < 16; k++) p8[k] = ticketKey[at + k];
    return this.#findProbeTicket();
  }

  #findProbeTicket(): number {
    const probe = this.#probe;
    for (let s = this.#byTicket.first(probe[0]); s >= 0; s = this.#byTicket.next(s, probe[0])) {
      const row = this.#byTicket.rowAt(s);
      if (this.#ticketEquals(row, probe)) return row;
    }
    return -1;
  }

  /** The live rows whose device hint is `hint`. */
  rowsWithHint(hint: number): number[] {
    const h = hint32(hint);
    const out: number[] = [];
    for (let s = this.#byHint.first(h); s >= 0; s = this.#byHint.next(s, h)) {
      const row = this.#byHint.rowAt(s);
      if (this.hint(row) === hint >>> 0) out.push(row);
    }
    return out;
  }

  /**
   * Makes `row` the current state of its entry: it replaces (unlinks) the live row of the
   * same blinded fingerprint, which is returned (-1 if there was none; the caller releases
   * or keeps it). Its ticket, if any, now finds this row (as a map's last set wins).
   */
  link(row: number): number {
    const p = this.#pages[row >>> PAGE_SHIFT];
    const i = row & PAGE_MASK;
    const probe = this.#probe;
    const fp = p.fp;
    for (let k = 0; k < 8; k++) probe[k] = fp[i * 8 + k];
    // One walk of each probe run serves the lookup and, when nothing is replaced, the insert.
    const fpHash = probe[0];
    let s = this.#byFp.seek(fpHash);
    while (s >= 0 && !this.#fpEquals(this.#byFp.rowAt(s), probe)) s = this.#byFp.seekNext(s, fpHash);
    const prev = s >= 0 ? this.#byFp.rowAt(s) : -1;
    if (prev >= 0) {
      this.unlink(prev);
      this.#byFp.insert(fpHash, row);
    } else this.#byFp.insertAt(s, fpHash, row);
    p.flags[i] |= ROW_LIVE;
    if ((p.flags[i] & ROW_INBOUND) !== 0) {
      const t = p.ticket;
      for (let k = 0; k < 4; k++) probe[k] = t[i * 4 + k];
      const tHash = probe[0];
      let ts = this.#byTicket.seek(tHash);
      while (ts >= 0 && !this.#ticketEquals(this.#byTicket.rowAt(ts), probe)) ts = this.#byTicket.seekNext(ts, tHash);
      if (ts >= 0) {
        const other = this.#byTicket.rowAt(ts);
        this.#byTicket.remove(this.#ticketHash(other), other);
        this.#byTicket.insert(tHash, row);
      } else this.#byTicket.insertAt(ts, tHash, row);
    }
    this.#byHint.insert(hint32(p.hint[i]), row);
    if (this.dirty !== undefined) this.dirty.add(latin1(this.fpKey(row)));
    return prev;
  }

  /** Takes a live row out of the tables (it stays allocated). */
  unlink(row: number): void {
    const p = this.#pages[row >>> PAGE_SHIFT];
    const i = row & PAGE_MASK;
    if ((p.flags[i] & ROW_LIVE) === 0) return;
    p.flags[i] &= ~ROW_LIVE;
    this.#byFp.remove(this.#fpHash(row), row);
    if (this.hasTicket(row)) this.#byTicket.remove(this.#ticketHash(row), row);
    this.#byHint.remove(hint32(this.hint(row)), row);
    if (this.dirty !== undefined) this.dirty.add(latin1(this.fpKey(row)));
  }

  /** Marks a blinded ticket consumed (the most recent {@link CONSUMED_TICKETS_REMEMBERED} are kept). */
  rememberConsumed(key: string): void {
    // LruMap, not a Set trimmed from the front: at 65,536 ids a Set's oldest-first walk
    // crosses every deleted slot (src/util/lru.ts).
    this.consumed.set(key, true);
    if (this.consumed.size > CONSUMED_TICKETS_REMEMBERED) {
      const oldest = this.consumed.oldestKey();
      if (oldest !== undefined) this.consumed.delete(oldest);
    }
  }

  /** Forgets everything (the typed arrays are dropped). */
  clear(): void {
    this.#pages.length = 0;
    this.#highWater = 0;
    this.#freeCount = 0;
    this.#byFp.clear();
    this.#byTicket.clear();
    this.#byHint.clear();
    this.consumed.clear();
  }
}

/** Bytes as a latin1 string (one character per byte): compact `Set` keys. */
export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}
