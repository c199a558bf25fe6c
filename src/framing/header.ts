/**
 * Fragment header codec (docs/framing.md "Header layout").
 *
 * Every packet (one ATT value) starts with a 2-, 4- or 6-byte header:
 *
 * | kind                         | flags | bytes                                   | header |
 * |------------------------------|-------|-----------------------------------------|--------|
 * | single packet (START + END)  | 0x03  | flags, message id                       | 2      |
 * | first fragment (START)       | 0x02  | flags, message id, total length (u32 BE) | 6      |
 * | middle fragment              | 0x00  | flags, message id, sequence (u16 BE)    | 4      |
 * | last fragment (END)          | 0x01  | flags, message id, sequence (u16 BE)    | 4      |
 * | compact later fragment       | 0x40 \| seq4 << 2 \| END | flags, message id | 2      |
 *
 * Version 0 flags: bit 0 END, bit 1 START, bits 2..5 reserved (must be 0), bits 6..7 format
 * version (0). The first fragment's sequence is implicitly 0; later fragments count 1, 2,
 * ... 65535. Version 1 (bits 6..7 = 01) is the compact header of a later fragment: bit 1
 * (START) must be 0, bits 2..5 carry the fragment's sequence number modulo 16.
 *
 * @module
 */

import { readU16, readU32, writeU16, writeU32 } from '../bytes.js';
import { FramingError } from '../errors.js';

/** Flag bit: this packet ends its message. */
const FLAG_END = 0x01;
/** Flag bit: this packet starts its message. */
const FLAG_START = 0x02;
/** Bits 2..5: reserved, must be zero. */
const FLAG_RESERVED = 0x3c;
/** Bits 6..7: header format version (0: the full headers; 1: the compact header of a later fragment). */
const FLAG_VERSION = 0xc0;
/** Version 1 in bits 6..7. */
const VERSION_COMPACT = 0x40;
/** Bits 2..5 of a compact header: the sequence number modulo 16. */
const COMPACT_SEQUENCE_MASK = 0x0f;

/** Header bytes of a message that fits in one packet (flags, message id). */
export const SINGLE_PACKET_HEADER_BYTES = 2;
/** Header bytes of the first fragment of a multi-packet message (flags, id, u32 total length). */
export const START_FRAGMENT_HEADER_BYTES = 6;
/** Header bytes of every later fragment of a multi-packet message (flags, id, u16 sequence). */
export const CONTINUATION_FRAGMENT_HEADER_BYTES = 4;
/** Header bytes of a later fragment in the compact (version 1) format: flags with a 4-bit sequence, message id. */
export const COMPACT_CONTINUATION_HEADER_BYTES = 2;
/** Largest sequence number a version-0 fragment can carry; a message cut with them has at most 65,536 fragments. */
export const MAX_FRAGMENT_SEQUENCE = 0xffff;
/** Largest total length the wire format can declare (u32). Receivers enforce a far smaller limit. */
export const MAX_DECLARED_LENGTH = 0xffffffff;

/** The decoded header of one packet. */
export interface FragmentHeader {
  /** True for the first packet of a message (and for a single-packet message). */
  readonly start: boolean;
  /** True for the last packet of a message (and for a single-packet message). */
  readonly end: boolean;
  /** The sender's rolling message id (0..255); fragments of one message share it. */
  readonly messageId: number;
  /**
   * 0 for the first packet, then 1, 2, ... in order (0..65535). On a compact header: the
   * sequence number modulo 16 (0..15).
   */
  readonly sequence: number;
  /** Total message length in bytes; present exactly on the first fragment of a multi-packet message. */
  readonly totalLength?: number;
  /** True for the compact (version 1) header of a later fragment; absent or false for version 0. */
  readonly compact?: boolean;
}

/** A decoded header and where the packet's payload starts. */
export interface DecodedFragmentHeader {
  /** The header. */
  readonly header: FragmentHeader;
  /** Offset of the first payload byte in the packet (may equal the packet's length). */
  readonly payloadOffset: number;
}

function isU(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/**
 * Encodes a fragment header (2, 4 or 6 bytes).
 * @param h - the header; `totalLength` must be given exactly when `start && !end`, and
 *   `sequence` must be 0 when `start` is set and 1..65535 otherwise; with `compact` set,
 *   `start` must be false and `sequence` is the sequence number modulo 16 (0..15)
 * @returns a fresh byte array holding just the header
 * @throws TypeError if `h` is not an object or a flag is not a boolean; RangeError for an
 *   out-of-range or inconsistent field
 */
export function encodeFragmentHeader(h: FragmentHeader): Uint8Array {
  if (h === null || typeof h !== 'object') throw new TypeError('header must be an object');
  const { start, end, messageId, sequence, totalLength } = h;
  if (typeof start !== 'boolean' || typeof end !== 'boolean') throw new TypeError('header.start and header.end must be booleans');
  if (!isU(messageId, 0xff)) throw new RangeError(`header.messageId must be an integer in 0..255, got ${String(messageId)}`);
  if (!isU(sequence, MAX_FRAGMENT_SEQUENCE)) throw new RangeError(`header.sequence must be an integer in 0..65535, got ${String(sequence)}`);
  const compact = h.compact;
  if (compact !== undefined && typeof compact !== 'boolean') throw new TypeError('header.compact must be a boolean');
  if (compact === true) {
    if (start) throw new RangeError('a compact header is only for fragments after the first');
    if (sequence > COMPACT_SEQUENCE_MASK) throw new RangeError(`header.sequence of a compact header is the sequence modulo 16 (0..15), got ${sequence}`);
    if (totalLength !== undefined) throw new RangeError('header.totalLength must be absent on a fragment after the first');
    return Uint8Array.of(VERSION_COMPACT | (sequence << 2) | (end ? FLAG_END : 0), messageId);
  }
  const flags = (start ? FLAG_START : 0) | (end ? FLAG_END : 0);
  if (start) {
    if (sequence !== 0) throw new RangeError('header.sequence must be 0 on a start fragment');
    if (end) {
      if (totalLength !== undefined) throw new RangeError('header.totalLength must be absent on a single-packet message');
      return Uint8Array.of(flags, messageId);
    }
    if (!isU(totalLength, MAX_DECLARED_LENGTH) || totalLength === 0) {
      throw new RangeError(`header.totalLength must be an integer in 1..${MAX_DECLARED_LENGTH} on a first fragment`);
    }
    const out = Uint8Array.of(flags, messageId, 0, 0, 0, 0);
    writeU32(out, 2, totalLength);
    return out;
  }
  if (sequence === 0) throw new RangeError('header.sequence must be 1..65535 on a fragment after the first');
  if (totalLength !== undefined) throw new RangeError('header.totalLength must be absent on a fragment after the first');
  const out = Uint8Array.of(flags, messageId, 0, 0);
  writeU16(out, 2, sequence);
  return out;
}

/**
 * Decodes the header at the start of `packet` (untrusted bytes). Only the header is checked:
 * whether the payload may be empty, and whether the fragment fits the message in progress,
 * is the {@link Reassembler}'s business.
 * @param packet - one received packet
 * @returns the header and the payload offset
 * @throws TypeError if `packet` is not a Uint8Array; FramingError `PQBLE_ERR_FRAME_MALFORMED`
 *   if the packet is shorter than its header, the version is 2 or 3, a version-0 header has
 *   a reserved bit set, a compact header has START set, a version-0 later fragment carries
 *   sequence 0, or a first fragment declares a total length of 0
 */
export function decodeFragmentHeader(packet: Uint8Array): DecodedFragmentHeader {
  if (!(packet instanceof Uint8Array)) throw new TypeError('packet must be a Uint8Array');
  if (packet.length < SINGLE_PACKET_HEADER_BYTES) throw malformed(`packet of ${packet.length} bytes is shorter than a header`);
  const flags = packet[0];
  if ((flags & FLAG_VERSION) === VERSION_COMPACT) {
    if ((flags & FLAG_START) !== 0) throw malformed('a compact fragment header has the START bit set');
    const sequence = (flags >>> 2) & COMPACT_SEQUENCE_MASK;
    return {
      header: { start: false, end: (flags & FLAG_END) !== 0, messageId: packet[1], sequence, compact: true },
      payloadOffset: COMPACT_CONTINUATION_HEADER_BYTES,
    };
  }
  if ((flags & FLAG_VERSION) !== 0) throw malformed(`unknown fragment header version ${flags >>> 6}`);
  if ((flags & FLAG_RESERVED) !== 0) throw malformed('reserved fragment header bits are set');
  const start = (flags & FLAG_START) !== 0;
  const end = (flags & FLAG_END) !== 0;
  const messageId = packet[1];
  if (start && end) return { header: { start, end, messageId, sequence: 0 }, payloadOffset: SINGLE_PACKET_HEADER_BYTES };
  if (start) {
    if (packet.length < START_FRAGMENT_HEADER_BYTES) throw malformed(`first fragment of ${packet.length} bytes is shorter than its header`);
    const totalLength = readU32(packet, 2);
    if (totalLength === 0) throw malformed('first fragment declares a total length of 0');
    return { header: { start, end, messageId, sequence: 0, totalLength }, payloadOffset: START_FRAGMENT_HEADER_BYTES };
  }
  if (packet.length < CONTINUATION_FRAGMENT_HEADER_BYTES) throw malformed(`fragment of ${packet.length} bytes is shorter than its header`);
  const sequence = readU16(packet, 2);
  if (sequence === 0) throw malformed('a fragment after the first carries sequence 0');
  return { header: { start, end, messageId, sequence }, payloadOffset: CONTINUATION_FRAGMENT_HEADER_BYTES };
}

function malformed(message: string): FramingError {
  return new FramingError('PQBLE_ERR_FRAME_MALFORMED', message);
}
