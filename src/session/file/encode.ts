/**
 * Encoding the records of the version-2 store file from the store's state (docs/store.md
 * "On-disk format"): single-entry records (a put, a ratchet), entry blocks (bulk puts and
 * compaction: up to 32 entries under one seal), value records and segment records. Every
 * record is sealed under the segment key of the writer with its segment offset as nonce.
 *
 * @module
 */

import { wipe } from '../../bytes.js';
import {
  BLOCK_MAX_ENTRIES,
  ENTRY_PLAIN_BYTES,
  SALT_BYTES,
  SEGMENT_RECORD_BYTES,
  TAG_BYTES,
  TICKET_KEY_BYTES,
  blockRecordBytes,
  sealCrc,
  valueRecordBytes,
  BLOCK_ENTRY_HEADER_BYTES,
  writeSegmentRecord,
  writeValueDeleteRecord,
  writeValueHeader,
} from './format.js';
import type { BlockCache, StoreCore } from './core.js';
import { encodeFullEntryRecord, entryRecordBytes, sealBlockRecord } from './record.js';
import { sealAt } from './seal.js';
import type { RecordWriter } from './writer.js';

const NO_TICKET = new Uint8Array(TICKET_KEY_BYTES);

/**
 * Writes the single-entry record of `row` (a consume record with `consumedKey`) and returns
 * its file offset, or -1 if the entry's body could not be had (its seal failed).
 */
export function writeEntryRecord(core: StoreCore, w: RecordWriter, row: number, consumedKey: Uint8Array | undefined, cache?: BlockCache): number {
  const body = core.bodyOf(row, cache);
  if (body === undefined) return -1;
  const ix = core.index;
  const o = w.reserve(entryRecordBytes(consumedKey));
  encodeFullEntryRecord(
    w.buf,
    o,
    core.crypto,
    w.segment.key,
    w.segmentOffset(o),
    {
      flags: ix.flags(row),
      fpKey: ix.fpKey(row),
      ticketKey: ix.ticketKey(row) ?? NO_TICKET,
      deviceHint: ix.hint(row),
      establishedMs: ix.establishedMs(row),
      lastActiveMs: ix.lastActiveMs(row),
    },
    body,
    consumedKey,
  );
  wipe(body);
  return w.fileOffset(o);
}

/**
 * Writes `rows[from, to)` as entry blocks of up to {@link BLOCK_MAX_ENTRIES}; calls
 * `placed(row, recordOffset, slot)` for each entry written. Rows whose body cannot be had
 * are skipped.
 */
export function writeBlocks(
  core: StoreCore,
  w: RecordWriter,
  rows: ArrayLike<number>,
  from: number,
  to: number,
  cache: BlockCache | undefined,
  placed: (row: number, loc: number, sub: number) => void,
): void {
  const ix = core.index;
  const plain = new Uint8Array(BLOCK_MAX_ENTRIES * ENTRY_PLAIN_BYTES);
  const taken = new Int32Array(BLOCK_MAX_ENTRIES);
  let i = from;
  while (i < to) {
    // Gather up to 32 rows whose bodies are at hand.
    let n = 0;
    while (i < to && n < BLOCK_MAX_ENTRIES) {
      const row = rows[i++];
      if (!core.bodyInto(row, plain, n * ENTRY_PLAIN_BYTES, cache)) continue;
      taken[n++] = row;
    }
    if (n === 0) break;
    const o = w.reserve(blockRecordBytes(n));
    for (let k = 0; k < n; k++) ix.writeHeader(taken[k], w.buf, o + 2 + k * BLOCK_ENTRY_HEADER_BYTES);
    sealBlockRecord(w.buf, o, n, core.crypto, w.segment.key, w.segmentOffset(o), plain.subarray(0, n * ENTRY_PLAIN_BYTES));
    const loc = w.fileOffset(o);
    for (let k = 0; k < n; k++) placed(taken[k], loc, k);
  }
  wipe(plain);
}

/**
 * Writes `rows[0, n)` (new rows of a bulk put) as entry blocks of up to
 * {@link BLOCK_MAX_ENTRIES}, sealing their bodies straight from `plain` (`70 n` bytes, the
 * bodies in row order, as the rows were made): no copy out of the pending slots. Calls
 * `placed(i, recordOffset, slot)` for the `i`-th row.
 */
export function writeBlocksFrom(
  core: StoreCore,
  w: RecordWriter,
  rows: ArrayLike<number>,
  n: number,
  plain: Uint8Array,
  placed: (i: number, loc: number, sub: number) => void,
): void {
  const ix = core.index;
  for (let from = 0; from < n; from += BLOCK_MAX_ENTRIES) {
    const m = Math.min(BLOCK_MAX_ENTRIES, n - from);
    const o = w.reserve(blockRecordBytes(m));
    for (let k = 0; k < m; k++) ix.writeHeader(rows[from + k], w.buf, o + 2 + k * BLOCK_ENTRY_HEADER_BYTES);
    sealBlockRecord(w.buf, o, m, core.crypto, w.segment.key, w.segmentOffset(o), plain.subarray(from * ENTRY_PLAIN_BYTES, (from + m) * ENTRY_PLAIN_BYTES));
    const loc = w.fileOffset(o);
    for (let k = 0; k < m; k++) placed(from + k, loc, k);
  }
}

/** Writes a value record (or, for `undefined`, a value-delete record). */
export function writeValueRecord(core: StoreCore, w: RecordWriter, name: string, value: Uint8Array | undefined): void {
  if (value === undefined) {
    writeValueDeleteRecord(w.buf, w.reserve(2 + name.length + 4), name);
    return;
  }
  const o = w.reserve(valueRecordBytes(name.length, value.length));
  const head = writeValueHeader(w.buf, o, name, value.length);
  const sealed = sealAt(core.crypto, w.segment.key, w.segmentOffset(o), w.buf.subarray(o, o + head), value);
  w.buf.set(sealed, o + head);
  sealCrc(w.buf, o, o + head + value.length + TAG_BYTES);
}

/** Starts a new segment (fresh salt, fresh key) at the writer's end; the writer's records after it use it. */
export function writeNewSegment(core: StoreCore, w: RecordWriter): void {
  const salt = core.crypto.randomBytes(SALT_BYTES);
  const o = w.reserve(SEGMENT_RECORD_BYTES);
  writeSegmentRecord(w.buf, o, salt);
  w.segment = { start: w.fileOffset(o), salt, key: core.keys.segmentKey(salt) };
}
