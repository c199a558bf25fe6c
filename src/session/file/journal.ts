/**
 * The journal of the version-2 store file (docs/store.md "Recovery" and "Writing"): recovery
 * scans the records after the file header, delivering each valid one with the segment it
 * belongs to, resynchronising past damage, and reporting a torn tail; the append side writes
 * at the end of the file, fsyncs, and rolls a failed write back by truncating.
 *
 * @module
 */

import type { FileHandle } from 'node:fs/promises';
import { StoreError } from '../../errors.js';
import { errnoCode } from '../../util/fs.js';
import { readU32 } from '../../bytes.js';
import { MAX_TIME_MS } from '../validate.js';
import {
  BLOCK_AT,
  BLOCK_ENTRY_HEADER_BYTES,
  BLOCK_MAX_ENTRIES,
  CONSUME_RECORD_BYTES,
  CRC_BYTES,
  ENTRY_AT,
  ENTRY_RECORD_BYTES,
  FILE_HEADER_BYTES,
  REC,
  blockRecordBytes,
  crcOf,
  decodeRecord,
  readU48,
  type JournalRecord,
} from './format.js';

/** A segment: where it starts in the file (its segment record) and its salt. */
export interface SegmentInfo {
  /** Absolute offset of the segment record. */
  readonly start: number;
  /** 16 bytes. */
  readonly salt: Uint8Array;
}

/** A byte range of the file. */
export interface ByteRange {
  readonly from: number;
  readonly to: number;
}

/** What a scan found. */
export interface ScanResult {
  /** Offset just past the last valid record (where appending may start). */
  readonly validEnd: number;
  /** Damaged ranges between valid records (set aside, then dropped by compaction). */
  readonly damaged: ByteRange[];
  /** Bytes after `validEnd`: a torn write (`torn`) or damage reaching the end (`damaged`), if any. */
  readonly tail: { readonly range: ByteRange; readonly kind: 'torn' | 'damaged' } | undefined;
  /** Records seen. */
  readonly records: number;
}

/**
 * Called instead of {@link RecordSink} for a valid entry or consume record (type
 * `0x10..0x13`, `0x30..0x33`, CRC checked, times in range) at `bytes[p, p + len)`.
 */
export type EntrySink = (bytes: Uint8Array, p: number, len: number, segment: SegmentInfo) => void;

/**
 * Called instead of {@link RecordSink} for a valid entry block (type `0x50`, CRC checked,
 * every header's flags and times in range) of `count` entries at `bytes[p, p + len)`.
 */
export type BlockSink = (bytes: Uint8Array, p: number, count: number, segment: SegmentInfo) => void;

/** The length of the valid entry block at `p`, or 0 if there is none there. */
function blockRecordLength(b: Uint8Array, p: number, end: number): number {
  if (b[p] !== REC.block || end - p < 2) return 0;
  const n = b[p + 1];
  if (n < 1 || n > BLOCK_MAX_ENTRIES) return 0;
  const len = blockRecordBytes(n);
  if (end - p < len) return 0;
  for (let i = 0; i < n; i++) {
    const h = p + 2 + i * BLOCK_ENTRY_HEADER_BYTES;
    if ((b[h] & 0xfc) !== 0) return 0;
    if (readU48(b, h + BLOCK_AT.established) > MAX_TIME_MS || readU48(b, h + BLOCK_AT.lastActive) > MAX_TIME_MS) return 0;
  }
  if (readU32(b, p + len - CRC_BYTES) !== crcOf(b, p, p + len - CRC_BYTES)) return 0;
  return len;
}

/** The length of the valid entry or consume record at `p`, or 0 if there is none there. */
function entryRecordLength(b: Uint8Array, p: number, end: number): number {
  const t = b[p] & 0xfc;
  const len = t === REC.entry ? ENTRY_RECORD_BYTES : t === REC.consume ? CONSUME_RECORD_BYTES : 0;
  if (len === 0 || end - p < len) return 0;
  if (readU32(b, p + len - CRC_BYTES) !== crcOf(b, p, p + len - CRC_BYTES)) return 0;
  if (readU48(b, p + ENTRY_AT.established) > MAX_TIME_MS || readU48(b, p + ENTRY_AT.lastActive) > MAX_TIME_MS) return 0;
  return len;
}

/** Called for each valid non-segment record, in file order. */
export type RecordSink = (record: JournalRecord, segment: SegmentInfo, offset: number) => void;

/** Yields to the event loop. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Default slice of synchronous work between yields, in ms. */
export const SLICE_MS = 4;

/**
 * Scans `bytes` (a whole file whose header was checked) and calls `sink` for every valid
 * record. Works in slices of about {@link SLICE_MS} ms, yielding in between. After damage
 * it looks for the next offset where a whole CRC-valid record starts; a record outside
 * any segment (damage before the first segment record) counts as damage.
 */
export async function scanJournal(
  bytes: Uint8Array,
  sink: RecordSink,
  onSliceEnd?: () => void,
  fastEntry?: EntrySink,
  fastBlock?: BlockSink,
): Promise<ScanResult> {
  const end = bytes.length;
  const damaged: ByteRange[] = [];
  let segment: SegmentInfo | undefined;
  let p = FILE_HEADER_BYTES;
  let records = 0;
  let validEnd = p;
  let sliceStart = performance.now();
  let badFrom = -1;
  let badKind: 'torn' | 'damaged' = 'damaged';
  while (p < end) {
    if ((records & 63) === 0 && performance.now() - sliceStart > SLICE_MS) {
      onSliceEnd?.();
      await yieldToLoop();
      sliceStart = performance.now();
    }
    // Fast path for entry records (most of a file): checked in place, no record object.
    if (fastEntry !== undefined && segment !== undefined && badFrom < 0) {
      const len = entryRecordLength(bytes, p, end);
      if (len > 0) {
        records++;
        fastEntry(bytes, p, len, segment);
        p += len;
        validEnd = p;
        continue;
      }
    }
    // The same for entry blocks (the records of bulk puts and compaction).
    if (fastBlock !== undefined && segment !== undefined && badFrom < 0) {
      const len = blockRecordLength(bytes, p, end);
      if (len > 0) {
        records++;
        fastBlock(bytes, p, bytes[p + 1], segment);
        p += len;
        validEnd = p;
        continue;
      }
    }
    const r = decodeRecord(bytes, p, end);
    if (r.kind === 'record' && (segment !== undefined || r.record.type === 'segment')) {
      if (badFrom >= 0) {
        damaged.push({ from: badFrom, to: p });
        badFrom = -1;
      }
      records++;
      if (r.record.type === 'segment') segment = { start: p, salt: r.record.salt };
      else sink(r.record, segment!, p);
      p += r.bytes;
      validEnd = p;
      continue;
    }
    if (badFrom < 0) {
      badFrom = p;
      badKind = r.kind === 'short' ? 'torn' : 'damaged';
    }
    p++;
    if ((p & 1023) === 0 && performance.now() - sliceStart > SLICE_MS) {
      onSliceEnd?.();
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  onSliceEnd?.();
  const tail: ScanResult['tail'] = badFrom >= 0 ? { range: { from: badFrom, to: end }, kind: badKind } : undefined;
  return { validEnd, damaged, tail, records };
}

/** The error of a failed file operation. */
export function ioError(what: string, path: string, err: unknown): StoreError {
  return new StoreError(
    'PQBLE_ERR_STORE_IO',
    `cannot ${what} the session store ${path} (${errnoCode(err) ?? (err instanceof Error ? err.message : 'unknown error')})`,
    { cause: err },
  );
}

/** The append side of an open journal file. */
export class JournalFile {
  readonly path: string;
  #fh: FileHandle;
  /** Current end of the file: where the next append goes. */
  size: number;

  constructor(path: string, fh: FileHandle, size: number) {
    this.path = path;
    this.#fh = fh;
    this.size = size;
  }

  /** The open handle (for reads of the file and for closing). */
  get handle(): FileHandle {
    return this.#fh;
  }

  /**
   * Writes `data` at the end and fsyncs. On failure, truncates back to where the append
   * began and throws `PQBLE_ERR_STORE_IO`; `rolledBack` tells whether the truncation worked.
   */
  async append(data: Uint8Array, sync: boolean): Promise<void> {
    const at = this.size;
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await this.#fh.write(data, done, data.length - done, at + done);
        if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
        done += bytesWritten;
      }
      if (sync) await this.#fh.datasync();
      this.size = at + data.length;
    } catch (err) {
      const wrapped = ioError('write', this.path, err);
      try {
        await this.#fh.truncate(at);
        await this.#fh.datasync();
      } catch (err2) {
        throw Object.assign(wrapped, { rollbackFailed: err2 });
      }
      throw wrapped;
    }
  }

  /** Replaces the handle (after compaction renamed a new file into place). */
  replace(fh: FileHandle, size: number): FileHandle {
    const old = this.#fh;
    this.#fh = fh;
    this.size = size;
    return old;
  }
}
