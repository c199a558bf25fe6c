/**
 * The record buffer of one append to the version-2 store file (docs/store.md "Writing: group
 * commit"): records are encoded into it back to back, and it knows the file offset it will
 * be written at and the segment it belongs to (for the records' nonces).
 *
 * @module
 */

import type { Segment } from './core.js';

/** Appends records into a growing buffer for one file position. */
export class RecordWriter {
  buf: Buffer;
  len = 0;
  /** Absolute file offset of `buf[0]`. */
  readonly base: number;
  segment: Segment;

  /** @param spare - a buffer to write into (reused from an earlier append) if it holds `capacity` bytes */
  constructor(base: number, segment: Segment, capacity = 64 * 1024, spare?: Buffer) {
    this.buf = spare !== undefined && spare.length >= capacity ? spare : Buffer.allocUnsafe(capacity);
    this.base = base;
    this.segment = segment;
  }

  /** Room for `n` more bytes; returns the offset to write at. */
  reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    const o = this.len;
    this.len += n;
    return o;
  }

  /** The absolute file offset of buffer offset `o`. */
  fileOffset(o: number): number {
    return this.base + o;
  }

  /** The record at buffer offset `o` as a segment offset (its nonce). */
  segmentOffset(o: number): number {
    return this.base + o - this.segment.start;
  }

  /** The records written so far (a view). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}
