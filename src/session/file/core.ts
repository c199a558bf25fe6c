/**
 * The state of one open version-2 file store (docs/store.md), shared by the files that work
 * on it: the keys, the row index, the mirror of the file's bytes and its segments, the
 * named values, and the entries not yet written. Turning rows into sessions (unsealing on
 * use) and sessions into rows (blinding) lives here; encoding records lives in encode.ts,
 * writing in commit.ts, loading in load.ts, compaction in compaction.ts, the seam in
 * store.ts.
 *
 * @module
 */

import { wipe } from '../../bytes.js';
import type { CryptoProvider } from '../../crypto/index.js';
import type { Logger } from '../../logger.js';
import type { StoredSession } from '../store.js';
import { ENTRY_AAD_BYTES, ENTRY_AT, ENTRY_PLAIN_BYTES, ENTRY_SEALED_BYTES, FLAG_INBOUND, FLAG_OUTBOUND, REC } from './format.js';
import type { JournalFile } from './journal.js';
import { FileMirror } from './mirror.js';
import { openBlockRecord } from './record.js';
import { ROW_INBOUND, ROW_OUTBOUND, RowIndex } from './row-index.js';
import { openAt, type StoreKeys } from './seal.js';
import { PendingBodies } from './pending.js';

/** A journal segment: where its segment record is, its salt, and the seal key derived from it. */
export interface Segment {
  /** Absolute file offset of the segment record (record nonces count from here). */
  readonly start: number;
  readonly salt: Uint8Array;
  readonly key: Uint8Array;
}

/** The last entry block opened (compaction and bulk reads walk blocks entry by entry). */
export interface BlockCache {
  loc: number;
  plain: Uint8Array | undefined;
}

/** A fresh, empty {@link BlockCache}. */
export function blockCache(): BlockCache {
  return { loc: -1, plain: undefined };
}

/** Wipes what a {@link BlockCache} holds. */
export function dropBlockCache(c: BlockCache): void {
  if (c.plain !== undefined) wipe(c.plain);
  c.plain = undefined;
  c.loc = -1;
}

/** The shared state of an open store. */
export class StoreCore {
  readonly path: string;
  readonly crypto: CryptoProvider;
  /** Where warnings go. */
  readonly logger: Logger;
  keys!: StoreKeys;
  journal!: JournalFile;
  readOnly = false;
  readonly index = new RowIndex();
  mirror = new FileMirror();
  /** Segments by start offset, ascending. */
  segments: Segment[] = [];
  /**
   * While a compaction points the rows at the new file (in slices): the old file's mirror
   * and segments, for rows whose generation is not the index's current one.
   */
  previous: { readonly mirror: FileMirror; readonly segments: Segment[] } | undefined;
  readonly values = new Map<string, Uint8Array>();
  /** Bodies (`deviceId(6) || outbound(32) || inboundSecret(32)`) of rows whose record is not in the mirror yet. */
  readonly bodies = new PendingBodies();
  /** Entries removed to make room (`maxEntries`) since the store was opened. */
  evictions = 0;
  /** Entries dropped because their seal did not verify. */
  damagedEntries = 0;

  constructor(path: string, crypto: CryptoProvider, logger: Logger) {
    this.path = path;
    this.crypto = crypto;
    this.logger = logger;
  }

  /** Logs a warning (a throwing logger does not break the store). */
  warn(message: string, fields: Record<string, unknown>): void {
    try {
      this.logger.warn(message, fields);
    } catch {
      // a throwing logger must not break the store
    }
  }

  /** The segment an offset belongs to (in `segments`, default the current file's). */
  segmentAt(offset: number, segments: Segment[] = this.segments): Segment {
    const s = segments;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (s[mid].start <= offset) lo = mid;
      else hi = mid - 1;
    }
    if (s.length === 0 || s[lo].start > offset) throw new RangeError(`no segment before file offset ${offset}`);
    return s[lo];
  }

  // -------------------------------------------------------------------------------------
  // Sessions into rows

  /** The blinded fingerprint of a checked hex fingerprint (32 bytes). */
  fpKeyOf(fingerprintHex: string): Uint8Array {
    return this.keys.fpKey(Buffer.from(fingerprintHex, 'hex'));
  }

  /** The blinded form of a ticket id (16 bytes). */
  ticketKeyOf(ticketId: Uint8Array): Uint8Array {
    return this.keys.ticketKey(ticketId);
  }

  /**
   * A new (unlinked) row for a checked session copy, its body kept in {@link pending} until
   * written. The blinded ids may be given (bulk puts blind many at once).
   */
  newRow(s: StoredSession, type: number, fpKey?: Uint8Array, ticketKey?: Uint8Array, hint?: number): number {
    const flags = (s.outbound !== undefined ? ROW_OUTBOUND : 0) | (s.inbound !== undefined ? ROW_INBOUND : 0);
    const deviceId = Buffer.from(s.deviceId, 'hex');
    const row = this.index.alloc({
      fpKey: fpKey ?? this.fpKeyOf(s.peerFingerprint),
      ticketKey: s.inbound === undefined ? undefined : (ticketKey ?? this.ticketKeyOf(s.inbound.ticketId)),
      hint: hint ?? this.keys.deviceHint(deviceId),
      establishedMs: s.establishedMs,
      lastActiveMs: s.lastActiveMs,
      flags,
      type: type | flags,
      loc: -1,
      sub: 0,
    });
    const slot = this.bodies.alloc();
    this.index.setPendingSlot(row, slot);
    const page = this.bodies.page(slot);
    const o = this.bodies.offset(slot);
    page.set(deviceId, o);
    if (s.outbound !== undefined) page.set(s.outbound, o + 6);
    if (s.inbound !== undefined) page.set(s.inbound.secret, o + 38);
    return row;
  }

  /** True while the row's record is not in the mirror (its body is held in clear). */
  hasPending(row: number): boolean {
    return this.index.pendingSlot(row) >= 0;
  }

  /** Gives a row a pending body, copied from `src[from, from + 70)`. */
  setPendingFrom(row: number, src: Uint8Array, from: number): void {
    // A byte loop: cheaper than a native copy call for 70 bytes.
    let slot = this.index.pendingSlot(row);
    if (slot < 0) {
      slot = this.bodies.alloc();
      this.index.setPendingSlot(row, slot);
    }
    const page = this.bodies.page(slot);
    const o = this.bodies.offset(slot);
    for (let k = 0; k < ENTRY_PLAIN_BYTES; k++) page[o + k] = src[from + k];
  }

  /** Forgets (wipes) the pending body of a row (once its record is mirrored, or when it is dropped). */
  dropPending(row: number): void {
    const slot = this.index.pendingSlot(row);
    if (slot < 0) return;
    this.bodies.free(slot);
    this.index.setPendingSlot(row, -1);
  }

  /** Releases a row that is no longer referenced (its pending body too). */
  releaseRow(row: number): void {
    this.dropPending(row);
    this.index.release(row);
  }

  // -------------------------------------------------------------------------------------
  // Rows into sessions

  /**
   * Copies the row's body into `out[at, at + 70)`: pending, or unsealed from the mirror
   * (through `cache` for entry blocks). False if the seal does not verify: then the entry
   * is dropped from the index, with a warning.
   */
  bodyInto(row: number, out: Uint8Array, at: number, cache?: BlockCache): boolean {
    const slot = this.index.pendingSlot(row);
    if (slot >= 0) {
      const page = this.bodies.page(slot);
      const o = this.bodies.offset(slot);
      for (let k = 0; k < ENTRY_PLAIN_BYTES; k++) out[at + k] = page[o + k];
      return true;
    }
    const loc = this.index.loc(row);
    let ok = false;
    if (loc >= 0) {
      // A row of the previous file after its mirror is gone cannot be read: it counts as
      // not verifying (it cannot happen but for a failed write undone during a compaction).
      const file = this.index.rowGen(row) === this.index.gen ? this : this.previous;
      const seg = file === undefined ? undefined : this.segmentAt(loc, file.segments);
      const { chunk, pos } = file === undefined || seg === undefined ? { chunk: new Uint8Array(0), pos: 0 } : file.mirror.locate(loc);
      if (this.index.type(row) === REC.block) {
        let plain: Uint8Array | undefined;
        if (cache !== undefined && cache.loc === loc) plain = cache.plain;
        else {
          plain = seg === undefined ? undefined : openBlockRecord(this.crypto, seg.key, loc - seg.start, chunk.subarray(pos));
          if (cache !== undefined) {
            dropBlockCache(cache);
            cache.loc = loc;
            cache.plain = plain;
          }
        }
        if (plain !== undefined) {
          const sub = this.index.sub(row) * ENTRY_PLAIN_BYTES;
          for (let k = 0; k < ENTRY_PLAIN_BYTES; k++) out[at + k] = plain[sub + k];
          ok = true;
          if (cache === undefined) wipe(plain);
        }
      } else {
        const aad = chunk.subarray(pos, pos + ENTRY_AAD_BYTES);
        const body =
          seg === undefined
            ? undefined
            : openAt(this.crypto, seg.key, loc - seg.start, aad, chunk.subarray(pos + ENTRY_AT.sealed, pos + ENTRY_AT.sealed + ENTRY_SEALED_BYTES));
        if (body !== undefined && body.length === ENTRY_PLAIN_BYTES) {
          out.set(body, at);
          ok = true;
        }
        if (body !== undefined) wipe(body);
      }
    }
    if (!ok) {
      this.warn(`pqble: session store ${this.path}: an entry does not verify (damaged, or sealed under another storage key); dropped it`, { path: this.path });
      this.damagedEntries++;
      this.index.unlink(row);
    }
    return ok;
  }

  /** The row's body, a fresh copy the caller wipes, or `undefined` (see {@link bodyInto}). */
  bodyOf(row: number, cache?: BlockCache): Uint8Array | undefined {
    const body = new Uint8Array(ENTRY_PLAIN_BYTES);
    return this.bodyInto(row, body, 0, cache) ? body : undefined;
  }

  /** The clear fingerprint (hex) of a row. */
  fingerprintOf(row: number): string {
    return this.keys.fingerprintOf(this.index.fpKey(row)).toString('hex');
  }

  /** The clear inbound ticket id of a row, or `undefined`. */
  ticketIdOf(row: number): Uint8Array | undefined {
    const t = this.index.ticketKey(row);
    return t === undefined ? undefined : new Uint8Array(this.keys.ticketIdOf(t));
  }

  /** The session of a row (fresh buffers), or `undefined` if its seal does not verify. */
  sessionOf(row: number, cache?: BlockCache): StoredSession | undefined {
    const body = this.bodyOf(row, cache);
    if (body === undefined) return undefined;
    const flags = this.index.flags(row);
    const ticketId = this.ticketIdOf(row);
    const s: StoredSession = {
      peerFingerprint: this.fingerprintOf(row),
      deviceId: Buffer.from(body.buffer, body.byteOffset, 6).toString('hex'),
      establishedMs: this.index.establishedMs(row),
      lastActiveMs: this.index.lastActiveMs(row),
      outbound: (flags & FLAG_OUTBOUND) !== 0 ? body.slice(6, 38) : undefined,
      inbound: (flags & FLAG_INBOUND) !== 0 && ticketId !== undefined ? { secret: body.slice(38, 70), ticketId } : undefined,
    };
    wipe(body);
    return s;
  }

  /** Forgets every secret and key held. */
  wipe(): void {
    this.bodies.wipe();
    for (const v of this.values.values()) wipe(v);
    this.values.clear();
    this.index.clear();
    this.mirror = new FileMirror();
    this.previous = undefined;
    this.keys.wipe();
  }
}
