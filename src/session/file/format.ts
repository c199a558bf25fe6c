/**
 * The record codec of the version-2 session store file (docs/store.md "On-disk format"): the
 * file header, and the journal records that follow it. Pure: no I/O, no keys; sealing lives
 * in seal.ts. Every multi-byte integer is big-endian; every record ends with the CRC-32
 * (ISO-HDLC, as zlib) of all its bytes before the CRC.
 *
 * Over 400 lines on purpose: every record type's layout, encoder and decoder sit side by side,
 * in the order of docs/store.md's tables, so that the two can be read against each other.
 *
 * @module
 */

import { crc32 } from 'node:zlib';
import { readU16, readU32, writeU16, writeU32 } from '../../bytes.js';
import { MAX_TIME_MS } from '../validate.js';

/** The first 8 bytes of a version-2 store file: ASCII `PQBSTORE`. */
const FILE_MAGIC = new Uint8Array([0x50, 0x51, 0x42, 0x53, 0x54, 0x4f, 0x52, 0x45]);
/** The format version in byte 8 of the file header this code writes (it reads 2 and 3; 3 adds entry blocks). */
export const STORE_FILE_VERSION = 3;
/** The oldest format version read (a version-2 file is rewritten as version 3 when opened for writing). */
const OLDEST_STORE_FILE_VERSION = 2;
/** `magic(8) || version(1) || reserved(3) = 0 || crc32(4)`. */
export const FILE_HEADER_BYTES = 16;

/** Record types (byte 0 of every record). */
export const REC = {
  /** Starts a segment: `salt(16)`; the seal key of the records up to the next segment derives from it. */
  segment: 0x01,
  /** An entry's whole state; low 2 bits are flags (`FLAG_OUTBOUND`, `FLAG_INBOUND`). */
  entry: 0x10,
  /** An entry's whole state after consuming an inbound ticket, plus the consumed ticket; low 2 bits are flags. */
  consume: 0x30,
  /** Removes an entry. */
  delete: 0x20,
  /** A later last-active time of an entry. */
  touch: 0x21,
  /** A ticket id consumed earlier (kept by compaction so single use survives it). */
  consumed: 0x22,
  /** Sets a named value (sealed). */
  value: 0x40,
  /** Removes a named value. */
  valueDelete: 0x41,
  /** Version 3: up to {@link BLOCK_MAX_ENTRIES} entries' whole states sealed together (bulk puts, compaction). */
  block: 0x50,
} as const;

/** Entry flag: the entry has an outbound secret. */
export const FLAG_OUTBOUND = 0x01;
/** Entry flag: the entry has an inbound slot. */
export const FLAG_INBOUND = 0x02;

/** Bytes of a blinded fingerprint (its AES-256 encryption, two blocks). */
const FP_KEY_BYTES = 32;
/** Bytes of a blinded ticket id (its AES-256 encryption, one block). */
export const TICKET_KEY_BYTES = 16;
/** Bytes of the blinded device-id hint. */
const DEVICE_HINT_BYTES = 4;
/** Bytes of a packed time (ms since the epoch, u48). */
const TIME_BYTES = 6;
/** Bytes of a segment salt. */
export const SALT_BYTES = 16;
/** Plaintext of an entry seal: `deviceId(6) || outbound(32) || inboundSecret(32)`. */
export const ENTRY_PLAIN_BYTES = 6 + 32 + 32;
/** The AEAD tag. */
export const TAG_BYTES = 16;
/** Sealed entry body. */
export const ENTRY_SEALED_BYTES = ENTRY_PLAIN_BYTES + TAG_BYTES;
/** Bytes of the CRC at the end of every record. */
export const CRC_BYTES = 4;

/** Offsets inside an entry/consume record. */
export const ENTRY_AT = {
  fpKey: 1,
  ticketKey: 1 + FP_KEY_BYTES,
  deviceHint: 1 + FP_KEY_BYTES + TICKET_KEY_BYTES,
  established: 1 + FP_KEY_BYTES + TICKET_KEY_BYTES + DEVICE_HINT_BYTES,
  lastActive: 1 + FP_KEY_BYTES + TICKET_KEY_BYTES + DEVICE_HINT_BYTES + TIME_BYTES,
  sealed: 1 + FP_KEY_BYTES + TICKET_KEY_BYTES + DEVICE_HINT_BYTES + 2 * TIME_BYTES,
} as const;
/** The associated data of an entry seal: record bytes `[0, ENTRY_AAD_BYTES)` (type .. established). */
export const ENTRY_AAD_BYTES = ENTRY_AT.lastActive;
/** 155 bytes. */
export const ENTRY_RECORD_BYTES = ENTRY_AT.sealed + ENTRY_SEALED_BYTES + CRC_BYTES;
/** 171 bytes: an entry record with the consumed ticket key before the CRC. */
export const CONSUME_RECORD_BYTES = ENTRY_RECORD_BYTES + TICKET_KEY_BYTES;
export const SEGMENT_RECORD_BYTES = 1 + SALT_BYTES + CRC_BYTES;
/** Most entries in one entry block. */
export const BLOCK_MAX_ENTRIES = 32;
/** One entry's header in an entry block: `flags(1) || fpKey(32) || ticketKey(16) || hint(4) || established(6) || lastActive(6)`. */
export const BLOCK_ENTRY_HEADER_BYTES = 1 + FP_KEY_BYTES + TICKET_KEY_BYTES + DEVICE_HINT_BYTES + 2 * TIME_BYTES;
/** Offsets inside one entry header of a block (relative to the header). */
export const BLOCK_AT = { flags: 0, fpKey: 1, ticketKey: 33, deviceHint: 49, established: 53, lastActive: 59 } as const;
/** Bytes of an entry block of `n` entries: `type || n || n headers || n sealed bodies (70 each) || tag(16) || crc32`. */
export function blockRecordBytes(n: number): number {
  return 2 + n * (BLOCK_ENTRY_HEADER_BYTES + ENTRY_PLAIN_BYTES) + TAG_BYTES + CRC_BYTES;
}
/** Where the sealed bodies of a block of `n` entries start (the associated data is every byte before). */
export function blockSealedAt(n: number): number {
  return 2 + n * BLOCK_ENTRY_HEADER_BYTES;
}
export const DELETE_RECORD_BYTES = 1 + FP_KEY_BYTES + CRC_BYTES;
export const TOUCH_RECORD_BYTES = 1 + FP_KEY_BYTES + TIME_BYTES + CRC_BYTES;
export const CONSUMED_RECORD_BYTES = 1 + TICKET_KEY_BYTES + CRC_BYTES;
/** Longest value name. */
export const MAX_NAME_BYTES = 128;
/** Longest value. */
const MAX_VALUE_BYTES = 4096;
/** Longest record (a full entry block; a value record of the largest name and value is shorter). */
export const MAX_RECORD_BYTES = Math.max(blockRecordBytes(BLOCK_MAX_ENTRIES), 1 + 1 + MAX_NAME_BYTES + 2 + MAX_VALUE_BYTES + TAG_BYTES + CRC_BYTES);

/** A decoded record; byte fields are views into the decoded buffer (copy to keep). */
export type JournalRecord =
  | { readonly type: 'segment'; readonly salt: Uint8Array }
  | {
      readonly type: 'entry';
      readonly flags: number;
      readonly fpKey: Uint8Array;
      readonly ticketKey: Uint8Array;
      readonly deviceHint: number;
      readonly establishedMs: number;
      readonly lastActiveMs: number;
      /** type .. established: the seal's associated data. */
      readonly aad: Uint8Array;
      readonly sealed: Uint8Array;
      /** Set for a consume record: the blinded ticket it consumed. */
      readonly consumedKey: Uint8Array | undefined;
    }
  | { readonly type: 'delete'; readonly fpKey: Uint8Array }
  | { readonly type: 'touch'; readonly fpKey: Uint8Array; readonly lastActiveMs: number }
  | { readonly type: 'consumed'; readonly ticketKey: Uint8Array }
  | { readonly type: 'value'; readonly name: string; readonly aad: Uint8Array; readonly sealed: Uint8Array }
  | { readonly type: 'valueDelete'; readonly name: string }
  | {
      readonly type: 'block';
      /** Entries in the block, 1..{@link BLOCK_MAX_ENTRIES}; headers at `2 + i * BLOCK_ENTRY_HEADER_BYTES` of the record. */
      readonly count: number;
      /** The record's bytes up to its CRC (headers checked: flags, times in range). */
      readonly bytes: Uint8Array;
    };

/** What {@link decodeRecord} found at an offset. */
export type DecodeResult =
  | { readonly kind: 'record'; readonly record: JournalRecord; readonly bytes: number }
  /** The bytes end inside the record (a torn tail if this is the end of the file). */
  | { readonly kind: 'short' }
  /** Not a valid record here (unknown type, bad length or CRC mismatch). */
  | { readonly kind: 'bad' };

const SHORT: DecodeResult = { kind: 'short' };
const BAD: DecodeResult = { kind: 'bad' };

/** Writes a u48 (a whole number of ms in [0, 2^48)). */
export function writeU48(out: Uint8Array, offset: number, value: number): void {
  writeU16(out, offset, Math.floor(value / 0x1_0000_0000));
  writeU32(out, offset + 2, value >>> 0);
}

/** Reads a u48. */
export function readU48(b: Uint8Array, offset: number): number {
  return readU16(b, offset) * 0x1_0000_0000 + readU32(b, offset + 2);
}

/** CRC-32 of `b[from, to)`. */
export function crcOf(b: Uint8Array, from: number, to: number): number {
  return crc32(b.subarray(from, to)) >>> 0;
}

/** Writes the CRC of `out[start, at)` at `at`; returns the offset after it. */
export function sealCrc(out: Uint8Array, start: number, at: number): number {
  writeU32(out, at, crcOf(out, start, at));
  return at + CRC_BYTES;
}

/** The 16-byte file header (of version {@link STORE_FILE_VERSION} unless told). */
export function encodeFileHeader(version: number = STORE_FILE_VERSION): Uint8Array {
  const out = new Uint8Array(FILE_HEADER_BYTES);
  out.set(FILE_MAGIC, 0);
  out[8] = version;
  sealCrc(out, 0, 12);
  return out;
}

/** The format version of a file whose header {@link classifyFile} accepted as `'v2'`. */
export function fileVersion(head: Uint8Array): number {
  return head[8];
}

/** What the first bytes of a file are (`'v2'`: a per-entry store file, format version 2 or 3). */
export type FileKind = 'v2' | 'empty' | 'short' | 'foreign' | 'v1-json';

/** Classifies a file by its first bytes (a v1 cache file is JSON text, `{`). */
export function classifyFile(head: Uint8Array): FileKind {
  if (head.length === 0) return 'empty';
  if (head[0] === 0x7b) return 'v1-json';
  if (head.length < FILE_HEADER_BYTES) {
    for (let i = 0; i < head.length; i++) if (head[i] !== FILE_MAGIC[i] && i < 8) return 'foreign';
    return 'short';
  }
  for (let i = 0; i < 8; i++) if (head[i] !== FILE_MAGIC[i]) return 'foreign';
  if (head[8] < OLDEST_STORE_FILE_VERSION || head[8] > STORE_FILE_VERSION || head[9] !== 0 || head[10] !== 0 || head[11] !== 0) return 'foreign';
  if (readU32(head, 12) !== crcOf(head, 0, 12)) return 'foreign';
  return 'v2';
}

/** Writes a segment record at `o`; returns the offset after it. */
export function writeSegmentRecord(out: Uint8Array, o: number, salt: Uint8Array): number {
  out[o] = REC.segment;
  out.set(salt, o + 1);
  return sealCrc(out, o, o + 1 + SALT_BYTES);
}

/** The header fields of an entry record. */
export interface EntryHeader {
  readonly flags: number;
  readonly fpKey: Uint8Array;
  /** Zeros when the entry has no inbound slot. */
  readonly ticketKey: Uint8Array;
  readonly deviceHint: number;
  readonly establishedMs: number;
  readonly lastActiveMs: number;
}

/**
 * Writes the header of an entry (or, with `consumedKey`, a consume) record at `o`: bytes up
 * to the sealed body. The caller seals with `out[o, o + ENTRY_AAD_BYTES)` as associated data,
 * writes the body at `o + ENTRY_AT.sealed`, then calls {@link finishEntryRecord}.
 */
export function writeEntryHeader(out: Uint8Array, o: number, h: EntryHeader, consume: boolean): void {
  out[o] = (consume ? REC.consume : REC.entry) | (h.flags & 0x03);
  out.set(h.fpKey, o + ENTRY_AT.fpKey);
  out.set(h.ticketKey, o + ENTRY_AT.ticketKey);
  writeU32(out, o + ENTRY_AT.deviceHint, h.deviceHint >>> 0);
  writeU48(out, o + ENTRY_AT.established, h.establishedMs);
  writeU48(out, o + ENTRY_AT.lastActive, h.lastActiveMs);
}

/** Writes the consumed key (for a consume record) and the CRC; returns the offset after the record. */
export function finishEntryRecord(out: Uint8Array, o: number, consumedKey: Uint8Array | undefined): number {
  let at = o + ENTRY_AT.sealed + ENTRY_SEALED_BYTES;
  if (consumedKey !== undefined) {
    out.set(consumedKey, at);
    at += TICKET_KEY_BYTES;
  }
  return sealCrc(out, o, at);
}

/**
 * Writes the header of entry `i` of an entry block of `n` entries starting at `o` (the
 * caller writes `type` and `n`, seals the bodies, then writes the CRC with {@link sealCrc}).
 */
export function writeBlockEntryHeader(out: Uint8Array, o: number, i: number, h: EntryHeader): void {
  const at = o + 2 + i * BLOCK_ENTRY_HEADER_BYTES;
  out[at] = h.flags & 0x03;
  out.set(h.fpKey, at + BLOCK_AT.fpKey);
  out.set(h.ticketKey, at + BLOCK_AT.ticketKey);
  writeU32(out, at + BLOCK_AT.deviceHint, h.deviceHint >>> 0);
  writeU48(out, at + BLOCK_AT.established, h.establishedMs);
  writeU48(out, at + BLOCK_AT.lastActive, h.lastActiveMs);
}

/** Writes a delete record. */
export function writeDeleteRecord(out: Uint8Array, o: number, fpKey: Uint8Array): number {
  out[o] = REC.delete;
  out.set(fpKey, o + 1);
  return sealCrc(out, o, o + 1 + FP_KEY_BYTES);
}

/** Writes a touch record. */
export function writeTouchRecord(out: Uint8Array, o: number, fpKey: Uint8Array, lastActiveMs: number): number {
  out[o] = REC.touch;
  out.set(fpKey, o + 1);
  writeU48(out, o + 1 + FP_KEY_BYTES, lastActiveMs);
  return sealCrc(out, o, o + 1 + FP_KEY_BYTES + TIME_BYTES);
}

/** Writes a consumed-ticket record. */
export function writeConsumedRecord(out: Uint8Array, o: number, ticketKey: Uint8Array): number {
  out[o] = REC.consumed;
  out.set(ticketKey, o + 1);
  return sealCrc(out, o, o + 1 + TICKET_KEY_BYTES);
}

/** Bytes of a value record. */
export function valueRecordBytes(nameBytes: number, valueBytes: number): number {
  return 1 + 1 + nameBytes + 2 + valueBytes + TAG_BYTES + CRC_BYTES;
}

/**
 * Writes the header of a value record (`type || nameLen(1) || name || valueLen(2)`) at `o`
 * and returns its length (the associated data of the seal, which follows it).
 */
export function writeValueHeader(out: Uint8Array, o: number, name: string, valueBytes: number): number {
  out[o] = REC.value;
  out[o + 1] = name.length;
  for (let i = 0; i < name.length; i++) out[o + 2 + i] = name.charCodeAt(i);
  writeU16(out, o + 2 + name.length, valueBytes);
  return 2 + name.length + 2;
}

/** Writes a value-delete record. */
export function writeValueDeleteRecord(out: Uint8Array, o: number, name: string): number {
  out[o] = REC.valueDelete;
  out[o + 1] = name.length;
  for (let i = 0; i < name.length; i++) out[o + 2 + i] = name.charCodeAt(i);
  return sealCrc(out, o, o + 2 + name.length);
}

function validName(b: Uint8Array, from: number, len: number): string | undefined {
  if (len < 1 || len > MAX_NAME_BYTES) return undefined;
  let s = '';
  for (let i = from; i < from + len; i++) {
    const c = b[i];
    if (c < 0x21 || c > 0x7e) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

function crcOk(b: Uint8Array, p: number, len: number): boolean {
  return readU32(b, p + len - CRC_BYTES) === crcOf(b, p, p + len - CRC_BYTES);
}

/**
 * Decodes the record at `b[p]`, reading no byte at or past `end`. Never throws: anything
 * that is not a whole, CRC-valid record of a known type is `bad` (or `short` when the bytes
 * end before the record could).
 */
export function decodeRecord(b: Uint8Array, p: number, end: number): DecodeResult {
  if (p >= end) return SHORT;
  const t = b[p];
  const avail = end - p;
  let len: number;
  switch (t & 0xfc) {
    case REC.entry:
      len = ENTRY_RECORD_BYTES;
      break;
    case REC.consume:
      len = CONSUME_RECORD_BYTES;
      break;
    default:
      switch (t) {
        case REC.segment:
          len = SEGMENT_RECORD_BYTES;
          break;
        case REC.delete:
          len = DELETE_RECORD_BYTES;
          break;
        case REC.touch:
          len = TOUCH_RECORD_BYTES;
          break;
        case REC.consumed:
          len = CONSUMED_RECORD_BYTES;
          break;
        case REC.value: {
          if (avail < 2) return SHORT;
          const n = b[p + 1];
          if (n < 1 || n > MAX_NAME_BYTES) return BAD;
          if (avail < 2 + n + 2) return SHORT;
          const v = readU16(b, p + 2 + n);
          if (v > MAX_VALUE_BYTES) return BAD;
          len = valueRecordBytes(n, v);
          break;
        }
        case REC.valueDelete: {
          if (avail < 2) return SHORT;
          const n = b[p + 1];
          if (n < 1 || n > MAX_NAME_BYTES) return BAD;
          len = 2 + n + CRC_BYTES;
          break;
        }
        case REC.block: {
          if (avail < 2) return SHORT;
          const n = b[p + 1];
          if (n < 1 || n > BLOCK_MAX_ENTRIES) return BAD;
          len = blockRecordBytes(n);
          break;
        }
        default:
          return BAD;
      }
  }
  if (avail < len) return SHORT;
  if (!crcOk(b, p, len)) return BAD;
  let record: JournalRecord;
  switch (t & 0xfc) {
    case REC.entry:
    case REC.consume: {
      const flags = t & 0x03;
      const establishedMs = readU48(b, p + ENTRY_AT.established);
      const lastActiveMs = readU48(b, p + ENTRY_AT.lastActive);
      if (establishedMs > MAX_TIME_MS || lastActiveMs > MAX_TIME_MS) return BAD;
      record = {
        type: 'entry',
        flags,
        fpKey: b.subarray(p + ENTRY_AT.fpKey, p + ENTRY_AT.fpKey + FP_KEY_BYTES),
        ticketKey: b.subarray(p + ENTRY_AT.ticketKey, p + ENTRY_AT.ticketKey + TICKET_KEY_BYTES),
        deviceHint: readU32(b, p + ENTRY_AT.deviceHint),
        establishedMs,
        lastActiveMs,
        aad: b.subarray(p, p + ENTRY_AAD_BYTES),
        sealed: b.subarray(p + ENTRY_AT.sealed, p + ENTRY_AT.sealed + ENTRY_SEALED_BYTES),
        consumedKey:
          (t & 0xfc) === REC.consume ? b.subarray(p + ENTRY_RECORD_BYTES - CRC_BYTES, p + ENTRY_RECORD_BYTES - CRC_BYTES + TICKET_KEY_BYTES) : undefined,
      };
      break;
    }
    default:
      switch (t) {
        case REC.segment:
          record = { type: 'segment', salt: b.subarray(p + 1, p + 1 + SALT_BYTES) };
          break;
        case REC.delete:
          record = { type: 'delete', fpKey: b.subarray(p + 1, p + 1 + FP_KEY_BYTES) };
          break;
        case REC.touch:
          if (readU48(b, p + 1 + FP_KEY_BYTES) > MAX_TIME_MS) return BAD;
          record = { type: 'touch', fpKey: b.subarray(p + 1, p + 1 + FP_KEY_BYTES), lastActiveMs: readU48(b, p + 1 + FP_KEY_BYTES) };
          break;
        case REC.consumed:
          record = { type: 'consumed', ticketKey: b.subarray(p + 1, p + 1 + TICKET_KEY_BYTES) };
          break;
        case REC.value: {
          const n = b[p + 1];
          const name = validName(b, p + 2, n);
          if (name === undefined) return BAD;
          const headLen = 2 + n + 2;
          record = { type: 'value', name, aad: b.subarray(p, p + headLen), sealed: b.subarray(p + headLen, p + len - CRC_BYTES) };
          break;
        }
        case REC.block: {
          const n = b[p + 1];
          for (let i = 0; i < n; i++) {
            const h = p + 2 + i * BLOCK_ENTRY_HEADER_BYTES;
            if ((b[h] & 0xfc) !== 0) return BAD;
            if (readU48(b, h + BLOCK_AT.established) > MAX_TIME_MS || readU48(b, h + BLOCK_AT.lastActive) > MAX_TIME_MS) return BAD;
          }
          record = { type: 'block', count: n, bytes: b.subarray(p, p + len - CRC_BYTES) };
          break;
        }
        default: {
          const name = validName(b, p + 2, b[p + 1]);
          if (name === undefined) return BAD;
          record = { type: 'valueDelete', name };
        }
      }
  }
  return { kind: 'record', record, bytes: len };
}
