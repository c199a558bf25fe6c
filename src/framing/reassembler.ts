/**
 * Reassembly: putting a peer's packets back together into messages (docs/framing.md
 * "Reassembly" and "Limits"). Packets arrive in order (the BLE link is
 * reliable and in order) but fragments of different messages may interleave; they are told
 * apart by message id.
 *
 * Memory is bounded up front: a first fragment's declared total is checked against
 * `maxMessageBytes`, `maxPendingMessages` and `maxPendingBytes` before its buffer is
 * allocated, and `pendingBytes` counts exactly those reserved buffers.
 *
 * @module
 */

import { systemClock, type Clock } from '../clock.js';
import { FramingError, type FramingErrorCode } from '../errors.js';
import { checkInteger, checkOptionKeys, optInteger } from '../util/options.js';
import { DEFAULT_MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES_LIMIT } from './fragment.js';
import { decodeFragmentHeader } from './header.js';

/** Options of {@link Reassembler}. An unknown key is a `TypeError`. */
export interface ReassemblerOptions {
  /** Largest message accepted, in bytes (1..16 MiB). Default 65,536. */
  readonly maxMessageBytes?: number | undefined;
  /** Most messages in progress at once (1..256). Default 4. */
  readonly maxPendingMessages?: number | undefined;
  /**
   * Most bytes reserved by messages in progress (their declared totals), at least
   * `maxMessageBytes`. Default: the larger of 131,072 and `maxMessageBytes`.
   */
  readonly maxPendingBytes?: number | undefined;
  /** An incomplete message older than this (since its first fragment) is dropped, in ms. Default 30,000. */
  readonly timeoutMs?: number | undefined;
  /** Source of monotonic time (`now()`). Default {@link systemClock}. */
  readonly clock?: Clock | undefined;
}

const OPTION_KEYS: readonly string[] = ['maxMessageBytes', 'maxPendingMessages', 'maxPendingBytes', 'timeoutMs', 'clock'];
const DEFAULT_MAX_PENDING_MESSAGES = 4;
const DEFAULT_MAX_PENDING_BYTES = 131_072;
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
const MAX_PENDING_BYTES_LIMIT = 1024 * 1024 * 1024;

/** One message in progress. */
interface Pending {
  /** Exactly the declared total length; filled as fragments arrive. */
  readonly buffer: Uint8Array;
  /** Bytes filled so far. */
  received: number;
  /** The sequence number the next fragment must carry. */
  nextSequence: number;
  /** `clock.now()` when the first fragment arrived. */
  readonly startedAt: number;
}

/** Reassembles the packets of one peer (one direction of one link) into messages. */
export class Reassembler {
  readonly #maxMessageBytes: number;
  readonly #maxPendingMessages: number;
  readonly #maxPendingBytes: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #pending = new Map<number, Pending>();
  /** Ids of messages dropped by the timeout whose later fragments may still arrive. */
  readonly #timedOut = new Set<number>();
  #pendingBytes = 0;

  /**
   * @param options - limits and clock; see {@link ReassemblerOptions} for the defaults
   * @throws TypeError for an unknown option key or a wrong type; RangeError for an
   *   out-of-range value (including `maxPendingBytes < maxMessageBytes`)
   */
  constructor(options: ReassemblerOptions = {}) {
    checkOptionKeys(options, OPTION_KEYS, 'Reassembler options');
    this.#maxMessageBytes = optInteger(options.maxMessageBytes, 'maxMessageBytes', 1, MAX_MESSAGE_BYTES_LIMIT, DEFAULT_MAX_MESSAGE_BYTES);
    this.#maxPendingMessages = optInteger(options.maxPendingMessages, 'maxPendingMessages', 1, 256, DEFAULT_MAX_PENDING_MESSAGES);
    this.#maxPendingBytes = checkInteger(
      options.maxPendingBytes ?? Math.max(DEFAULT_MAX_PENDING_BYTES, this.#maxMessageBytes),
      'maxPendingBytes',
      this.#maxMessageBytes,
      MAX_PENDING_BYTES_LIMIT,
    );
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs)) throw new TypeError('timeoutMs must be a finite number');
    if (timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) throw new RangeError(`timeoutMs must be in (0, ${MAX_TIMEOUT_MS}], got ${timeoutMs}`);
    this.#timeoutMs = timeoutMs;
    const clock = options.clock ?? systemClock;
    if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function') throw new TypeError('clock must be a Clock');
    this.#clock = clock;
  }

  /** Messages in progress (first fragment seen, last not yet). */
  get pendingMessages(): number {
    return this.#pending.size;
  }

  /** Bytes reserved by messages in progress (the sum of their declared totals). */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Feeds one packet. Incomplete messages older than `timeoutMs` are dropped first.
   * @param packet - one received packet (not retained; the returned message is a fresh copy)
   * @returns the completed message when this packet completes one, else `undefined`
   * @throws TypeError if `packet` is not a Uint8Array. FramingError:
   *   `PQBLE_ERR_FRAME_MALFORMED` (bad header, empty payload);
   *   `PQBLE_ERR_FRAME_INCONSISTENT` (sequence gap or duplicate, a later fragment without a
   *   first, a first fragment for an id in progress, payload beyond the declared total, the
   *   last fragment before the total is reached or the total reached without the last flag);
   *   `PQBLE_ERR_MESSAGE_TOO_LARGE` (declared or single-packet length over `maxMessageBytes`);
   *   `PQBLE_ERR_REASSEMBLY_LIMIT` (too many messages or bytes in progress);
   *   `PQBLE_ERR_REASSEMBLY_TIMEOUT` (a fragment of a message dropped by the timeout).
   *   After a throw the offending message's state is gone and the reassembler stays usable.
   */
  push(packet: Uint8Array): Uint8Array | undefined {
    if (!(packet instanceof Uint8Array)) throw new TypeError('packet must be a Uint8Array');
    this.expire();
    const { header, payloadOffset } = decodeFragmentHeader(packet);
    const { messageId } = header;
    const payloadLength = packet.length - payloadOffset;

    if (header.start) {
      this.#timedOut.delete(messageId);
      if (this.#pending.has(messageId)) {
        this.#drop(messageId);
        throw fail('PQBLE_ERR_FRAME_INCONSISTENT', `first fragment for message ${messageId}, which is already in progress`);
      }
      if (payloadLength === 0) throw fail('PQBLE_ERR_FRAME_MALFORMED', `first packet of message ${messageId} has no payload`);
      if (header.end) {
        if (payloadLength > this.#maxMessageBytes) {
          throw fail('PQBLE_ERR_MESSAGE_TOO_LARGE', `message of ${payloadLength} bytes exceeds the limit of ${this.#maxMessageBytes} bytes`);
        }
        return packet.slice(payloadOffset);
      }
      const total = header.totalLength ?? 0;
      if (total > this.#maxMessageBytes) {
        throw fail('PQBLE_ERR_MESSAGE_TOO_LARGE', `declared message of ${total} bytes exceeds the limit of ${this.#maxMessageBytes} bytes`);
      }
      if (payloadLength >= total) {
        throw fail('PQBLE_ERR_FRAME_INCONSISTENT', `first fragment carries ${payloadLength} of ${total} bytes but does not end the message`);
      }
      if (this.#pending.size >= this.#maxPendingMessages) {
        throw fail('PQBLE_ERR_REASSEMBLY_LIMIT', `more than ${this.#maxPendingMessages} messages in progress`);
      }
      if (this.#pendingBytes + total > this.#maxPendingBytes) {
        throw fail('PQBLE_ERR_REASSEMBLY_LIMIT', `more than ${this.#maxPendingBytes} bytes in progress`);
      }
      const buffer = new Uint8Array(total);
      buffer.set(packet.subarray(payloadOffset), 0);
      this.#pending.set(messageId, { buffer, received: payloadLength, nextSequence: 1, startedAt: this.#clock.now() });
      this.#pendingBytes += total;
      return undefined;
    }

    const state = this.#pending.get(messageId);
    if (state === undefined) {
      if (this.#timedOut.has(messageId)) {
        if (header.end) this.#timedOut.delete(messageId);
        throw fail('PQBLE_ERR_REASSEMBLY_TIMEOUT', `fragment of message ${messageId}, which timed out`);
      }
      throw fail('PQBLE_ERR_FRAME_INCONSISTENT', `fragment ${header.sequence} of message ${messageId} without a first fragment`);
    }
    const expected = header.compact === true ? state.nextSequence & 0x0f : state.nextSequence;
    if (header.sequence !== expected) {
      this.#drop(messageId);
      throw fail(
        'PQBLE_ERR_FRAME_INCONSISTENT',
        `message ${messageId}: expected fragment ${expected}${header.compact === true ? ' (mod 16)' : ''}, got ${header.sequence}`,
      );
    }
    if (payloadLength === 0) {
      this.#drop(messageId);
      throw fail('PQBLE_ERR_FRAME_MALFORMED', `fragment ${header.sequence} of message ${messageId} has no payload`);
    }
    const total = state.buffer.length;
    const received = state.received + payloadLength;
    if (received > total) {
      this.#drop(messageId);
      throw fail('PQBLE_ERR_FRAME_INCONSISTENT', `message ${messageId}: payload runs past the declared ${total} bytes`);
    }
    if (header.end !== (received === total)) {
      this.#drop(messageId);
      throw fail(
        'PQBLE_ERR_FRAME_INCONSISTENT',
        header.end ? `message ${messageId} ended at ${received} of ${total} bytes` : `message ${messageId} reached its ${total} bytes without an end flag`,
      );
    }
    state.buffer.set(packet.subarray(payloadOffset), state.received);
    state.received = received;
    state.nextSequence++;
    if (!header.end) return undefined;
    this.#pending.delete(messageId);
    this.#pendingBytes -= total;
    return state.buffer;
  }

  /**
   * Drops incomplete messages whose first fragment arrived more than `timeoutMs` ago; their
   * later fragments are then answered with `PQBLE_ERR_REASSEMBLY_TIMEOUT`.
   * @returns how many messages were dropped
   */
  expire(): number {
    if (this.#pending.size === 0) return 0;
    const now = this.#clock.now();
    let dropped = 0;
    for (const [id, state] of this.#pending) {
      if (now - state.startedAt > this.#timeoutMs) {
        this.#drop(id);
        this.#timedOut.add(id);
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops all state: messages in progress and the memory of timed-out ids. */
  reset(): void {
    this.#pending.clear();
    this.#timedOut.clear();
    this.#pendingBytes = 0;
  }

  #drop(messageId: number): void {
    const state = this.#pending.get(messageId);
    if (state === undefined) return;
    this.#pending.delete(messageId);
    this.#pendingBytes -= state.buffer.length;
  }
}

function fail(code: FramingErrorCode, message: string): FramingError {
  return new FramingError(code, message);
}
