/**
 * Fragmentation: cutting one message into BLE-MTU-sized packets (docs/framing.md
 * "Fragmentation"). A message that fits in one packet costs 2 header bytes;
 * a longer one costs 6 bytes in its first fragment and 4 in each later one.
 *
 * @module
 */

import { writeU16, writeU32 } from '../bytes.js';
import { FramingError } from '../errors.js';
import { checkInteger } from '../util/options.js';
import {
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
 * How many packets a message of `messageBytes` takes with packets of at most `maxPacketBytes`.
 * @param messageBytes - message length (1 or more)
 * @param maxPacketBytes - largest packet (20..514)
 * @returns the packet count (1 when the message fits in one packet)
 */
export function fragmentCount(messageBytes: number, maxPacketBytes: number): number {
  checkInteger(messageBytes, 'messageBytes', 1, Number.MAX_SAFE_INTEGER);
  checkInteger(maxPacketBytes, 'maxPacketBytes', MIN_PACKET_BYTES, MAX_PACKET_BYTES);
  if (messageBytes <= maxPacketBytes - SINGLE_PACKET_HEADER_BYTES) return 1;
  const rest = messageBytes - (maxPacketBytes - START_FRAGMENT_HEADER_BYTES);
  return 1 + Math.ceil(rest / (maxPacketBytes - CONTINUATION_FRAGMENT_HEADER_BYTES));
}

/**
 * Cuts `message` into packets of at most `maxPacketBytes` bytes each, every packet filled to
 * the limit except the last. Each returned packet is a fresh copy.
 * @param message - the message (1..maxMessageBytes bytes)
 * @param messageId - the sender's message id (0..255), from a {@link MessageIdAllocator}
 * @param maxPacketBytes - the link's `maxPayloadBytes` (ATT MTU - 3), 20..514
 * @param maxMessageBytes - largest message allowed (1..16 MiB), default 65,536
 * @returns the packets, in sending order
 * @throws TypeError / RangeError for bad arguments (including an empty message);
 *   FramingError `PQBLE_ERR_MESSAGE_TOO_LARGE` if the message is longer than `maxMessageBytes`
 *   or would need more than 65,536 fragments
 */
export function fragmentMessage(message: Uint8Array, messageId: number, maxPacketBytes: number, maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES): Uint8Array[] {
  if (!(message instanceof Uint8Array)) throw new TypeError('message must be a Uint8Array');
  checkInteger(messageId, 'messageId', 0, 0xff);
  checkInteger(maxPacketBytes, 'maxPacketBytes', MIN_PACKET_BYTES, MAX_PACKET_BYTES);
  checkInteger(maxMessageBytes, 'maxMessageBytes', 1, MAX_MESSAGE_BYTES_LIMIT);
  const length = message.length;
  if (length === 0) throw new RangeError('message must not be empty');
  if (length > maxMessageBytes) {
    throw new FramingError('PQBLE_ERR_MESSAGE_TOO_LARGE', `message of ${length} bytes exceeds the limit of ${maxMessageBytes} bytes`);
  }

  if (length <= maxPacketBytes - SINGLE_PACKET_HEADER_BYTES) {
    const packet = new Uint8Array(SINGLE_PACKET_HEADER_BYTES + length);
    packet[0] = 0x03; // START | END
    packet[1] = messageId;
    packet.set(message, SINGLE_PACKET_HEADER_BYTES);
    return [packet];
  }

  const count = fragmentCount(length, maxPacketBytes);
  if (count - 1 > MAX_FRAGMENT_SEQUENCE) {
    throw new FramingError('PQBLE_ERR_MESSAGE_TOO_LARGE', `message of ${length} bytes needs ${count} fragments of ${maxPacketBytes} bytes (at most 65536)`);
  }
  const packets: Uint8Array[] = [];
  const firstPayload = maxPacketBytes - START_FRAGMENT_HEADER_BYTES;
  const first = new Uint8Array(maxPacketBytes);
  first[0] = 0x02; // START
  first[1] = messageId;
  writeU32(first, 2, length);
  first.set(message.subarray(0, firstPayload), START_FRAGMENT_HEADER_BYTES);
  packets.push(first);

  const chunk = maxPacketBytes - CONTINUATION_FRAGMENT_HEADER_BYTES;
  let offset = firstPayload;
  for (let sequence = 1; offset < length; sequence++) {
    const take = Math.min(chunk, length - offset);
    const packet = new Uint8Array(CONTINUATION_FRAGMENT_HEADER_BYTES + take);
    packet[0] = offset + take === length ? 0x01 : 0x00; // END on the last one
    packet[1] = messageId;
    writeU16(packet, 2, sequence);
    packet.set(message.subarray(offset, offset + take), CONTINUATION_FRAGMENT_HEADER_BYTES);
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
