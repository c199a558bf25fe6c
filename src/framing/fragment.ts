/**
 * Fragmentation: cutting one message into BLE-MTU-sized packets (docs/framing.md
 * "Fragmentation"). A message that fits in one packet costs 2 header bytes;
 * a longer one costs 6 bytes in its first fragment and 2 in each later one (4 with the
 * version-0 `'sequence16'` headers).
 *
 * @module
 */

import { writeU16, writeU32 } from '../bytes.js';
import { FramingError } from '../errors.js';
import { checkInteger, checkOptionKeys, optFunction, optInteger } from '../util/options.js';
import {
  COMPACT_CONTINUATION_HEADER_BYTES,
  CONTINUATION_FRAGMENT_HEADER_BYTES,
  MAX_FRAGMENT_SEQUENCE,
  SINGLE_PACKET_HEADER_BYTES,
  START_FRAGMENT_HEADER_BYTES,
} from './header.js';

/** Smallest packet the framing works with: ATT MTU 23 (the BLE minimum) minus 3. */
export const MIN_PACKET_BYTES = 20;
/** Largest packet: ATT MTU 517 (the BLE maximum) minus 3. */
export const MAX_PACKET_BYTES = 514;
/** Default largest message, in bytes (64 KiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;
/** Upper bound accepted for any `maxMessageBytes` setting (16 MiB). */
export const MAX_MESSAGE_BYTES_LIMIT = 16 * 1024 * 1024;

/**
 * Header of the fragments after the first: `'compact'` (default) is the 2-byte version-1
 * header with a 4-bit rolling sequence; `'sequence16'` the 4-byte version-0 header with a
 * u16 sequence, for receivers that predate version 1.
 */
export type ContinuationHeader = 'compact' | 'sequence16';

/**
 * Chooses the packet size of one message: called with the message length and the largest
 * packet the link takes, it returns the size (MIN_PACKET_BYTES..maxPacketBytes) every
 * packet of the message but the last gets. See `airtimePacketPolicy` (docs/framing.md
 * "Packet sizes").
 */
export type PacketSizePolicy = (messageBytes: number, maxPacketBytes: number) => number;

/** Options of {@link fragmentMessage}. An unknown key is a TypeError. */
export interface FragmentOptions {
  /** Largest message allowed (1..16 MiB). Default 65,536. */
  readonly maxMessageBytes?: number;
  /** Header of later fragments. Default `'compact'`. */
  readonly continuation?: ContinuationHeader;
  /** Packet size per message. Default: every packet as large as `maxPacketBytes`. */
  readonly packetSize?: PacketSizePolicy;
}

/** Header bytes of each fragment after the first. */
function continuationBytes(continuation: ContinuationHeader): number {
  return continuation === 'compact' ? COMPACT_CONTINUATION_HEADER_BYTES : CONTINUATION_FRAGMENT_HEADER_BYTES;
}

function checkContinuation(value: unknown): ContinuationHeader {
  if (value !== 'compact' && value !== 'sequence16') throw new RangeError(`continuation must be 'compact' or 'sequence16', got ${String(value).slice(0, 20)}`);
  return value;
}

/**
 * How many packets a message of `messageBytes` takes with packets of at most `maxPacketBytes`.
 * @param messageBytes - message length (1 or more)
 * @param maxPacketBytes - largest packet (20..514)
 * @param continuation - header of later fragments, default `'compact'`
 * @returns the packet count (1 when the message fits in one packet)
 */
export function fragmentCount(messageBytes: number, maxPacketBytes: number, continuation: ContinuationHeader = 'compact'): number {
  checkInteger(messageBytes, 'messageBytes', 1, Number.MAX_SAFE_INTEGER);
  checkInteger(maxPacketBytes, 'maxPacketBytes', MIN_PACKET_BYTES, MAX_PACKET_BYTES);
  checkContinuation(continuation);
  if (messageBytes <= maxPacketBytes - SINGLE_PACKET_HEADER_BYTES) return 1;
  const rest = messageBytes - (maxPacketBytes - START_FRAGMENT_HEADER_BYTES);
  return 1 + Math.ceil(rest / (maxPacketBytes - continuationBytes(continuation)));
}

/**
 * The sizes of the packets (ATT values) a message of `messageBytes` is cut into with packets
 * of `packetBytes`: what {@link fragmentMessage} produces, without the bytes.
 * @param messageBytes - message length (1 or more)
 * @param packetBytes - packet size (20..514)
 * @param continuation - header of later fragments, default `'compact'`
 */
export function fragmentSizes(messageBytes: number, packetBytes: number, continuation: ContinuationHeader = 'compact'): number[] {
  const count = fragmentCount(messageBytes, packetBytes, continuation);
  if (count === 1) return [messageBytes + SINGLE_PACKET_HEADER_BYTES];
  const header = continuationBytes(continuation);
  const sizes = [packetBytes];
  let left = messageBytes - (packetBytes - START_FRAGMENT_HEADER_BYTES);
  while (left > 0) {
    const take = Math.min(packetBytes - header, left);
    sizes.push(take + header);
    left -= take;
  }
  return sizes;
}

/**
 * Cuts `message` into packets, every packet filled to the chosen size except the last.
 * Each returned packet is a fresh copy.
 * @param message - the message (1..maxMessageBytes bytes)
 * @param messageId - the sender's message id (0..255), from a {@link MessageIdAllocator}
 * @param maxPacketBytes - the link's `maxPayloadBytes` (ATT MTU - 3), 20..514
 * @param options - a number is `maxMessageBytes` (the form before options existed);
 *   else {@link FragmentOptions}
 * @returns the packets, in sending order
 * @throws TypeError / RangeError for bad arguments (including an empty message, or a size
 *   policy that returns a size outside 20..maxPacketBytes);
 *   FramingError `PQBLE_ERR_MESSAGE_TOO_LARGE` if the message is longer than `maxMessageBytes`
 *   or, with `'sequence16'` headers, would need more than 65,536 fragments
 */
export function fragmentMessage(
  message: Uint8Array,
  messageId: number,
  maxPacketBytes: number,
  options: number | FragmentOptions = DEFAULT_MAX_MESSAGE_BYTES,
): Uint8Array[] {
  if (!(message instanceof Uint8Array)) throw new TypeError('message must be a Uint8Array');
  checkInteger(messageId, 'messageId', 0, 0xff);
  checkInteger(maxPacketBytes, 'maxPacketBytes', MIN_PACKET_BYTES, MAX_PACKET_BYTES);
  const o: FragmentOptions = typeof options === 'number' ? { maxMessageBytes: options } : options;
  checkOptionKeys(o, ['maxMessageBytes', 'continuation', 'packetSize'], 'fragment options');
  const maxMessageBytes = optInteger(o.maxMessageBytes, 'maxMessageBytes', 1, MAX_MESSAGE_BYTES_LIMIT, DEFAULT_MAX_MESSAGE_BYTES);
  const continuation = checkContinuation(o.continuation ?? 'compact');
  optFunction(o.packetSize, 'packetSize');
  const length = message.length;
  if (length === 0) throw new RangeError('message must not be empty');
  if (length > maxMessageBytes) {
    throw new FramingError('PQBLE_ERR_MESSAGE_TOO_LARGE', `message of ${length} bytes exceeds the limit of ${maxMessageBytes} bytes`);
  }
  const packetBytes =
    o.packetSize === undefined
      ? maxPacketBytes
      : checkInteger(o.packetSize(length, maxPacketBytes), 'packet size from the policy', MIN_PACKET_BYTES, maxPacketBytes);

  if (length <= packetBytes - SINGLE_PACKET_HEADER_BYTES) {
    const packet = new Uint8Array(SINGLE_PACKET_HEADER_BYTES + length);
    packet[0] = 0x03; // START | END
    packet[1] = messageId;
    packet.set(message, SINGLE_PACKET_HEADER_BYTES);
    return [packet];
  }

  const count = fragmentCount(length, packetBytes, continuation);
  if (continuation === 'sequence16' && count - 1 > MAX_FRAGMENT_SEQUENCE) {
    throw new FramingError('PQBLE_ERR_MESSAGE_TOO_LARGE', `message of ${length} bytes needs ${count} fragments of ${packetBytes} bytes (at most 65536)`);
  }
  const packets: Uint8Array[] = [];
  const firstPayload = packetBytes - START_FRAGMENT_HEADER_BYTES;
  const first = new Uint8Array(packetBytes);
  first[0] = 0x02; // START
  first[1] = messageId;
  writeU32(first, 2, length);
  first.set(message.subarray(0, firstPayload), START_FRAGMENT_HEADER_BYTES);
  packets.push(first);

  const header = continuationBytes(continuation);
  const chunk = packetBytes - header;
  let offset = firstPayload;
  for (let sequence = 1; offset < length; sequence++) {
    const take = Math.min(chunk, length - offset);
    const end = offset + take === length;
    const packet = new Uint8Array(header + take);
    if (continuation === 'compact') {
      packet[0] = 0x40 | ((sequence & 0x0f) << 2) | (end ? 0x01 : 0x00); // version 1, seq mod 16, END
    } else {
      packet[0] = end ? 0x01 : 0x00; // END on the last one
      writeU16(packet, 2, sequence);
    }
    packet[1] = messageId;
    packet.set(message.subarray(offset, offset + take), header);
    packets.push(packet);
    offset += take;
  }
  return packets;
}

/** Hands out a sender's message ids: 0, 1, ..., 255, 0, ... (rolling u8). */
export class MessageIdAllocator {
  #next: number;

  /**
   * @param first - the first id handed out (0..255), default 0
   * @throws RangeError if `first` is out of range
   */
  constructor(first = 0) {
    this.#next = checkInteger(first, 'first', 0, 0xff);
  }

  /** Returns the next id and advances (wrapping after 255). */
  next(): number {
    const id = this.#next;
    this.#next = (id + 1) & 0xff;
    return id;
  }
}
