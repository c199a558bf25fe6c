/**
 * The value of a session entry in Redis (docs/fleet.md "Entry value"): a 48-byte header of
 * blinded identifiers the Lua scripts compare, then the sealed record.
 *
 * ```
 * header   0  16  blinded inbound ticket id (16 zero bytes: no inbound slot)
 *         16  16  blinded outbound secret  (16 zero bytes: no outbound secret)
 *         32  16  blinded device id
 * sealed  48   …  FleetSealer layout (seal.ts), AAD = "pqble/redis/entry/v1" || key name || header
 *
 * record   0  32  peer fingerprint
 *         32   6  device id
 *         38   8  establishedMs (u64, big-endian)
 *         46   1  flags: bit 0 outbound present, bit 1 inbound present, other bits 0
 *         47  32  outbound secret            (if bit 0)
 *          …  32  inbound secret, 16 ticket id (if bit 1)
 * ```
 *
 * `lastActiveMs` is not in the record: it is the entry's score in the LRU sorted set, so
 * `touch` needs no unsealing.
 *
 * @module
 */

import { bytesToHex, concatBytes, equalBytes, hexToBytes, utf8ToBytes, wipe, writeU64 } from '../../bytes.js';
import type { InboundSlot, StoredSession } from '../store.js';
import { BLIND_BYTES, type Blinder } from './keys.js';
import type { FleetSealer, UnsealFailure } from './seal.js';

/** Bytes of the clear header of an entry value. */
const ENTRY_HEADER_BYTES = 3 * BLIND_BYTES;

const ENTRY_AAD = utf8ToBytes('pqble/redis/entry/v1');
const ZERO16 = new Uint8Array(BLIND_BYTES);
const FLAG_OUTBOUND = 1;
const FLAG_INBOUND = 2;
const RECORD_FIXED_BYTES = 47;

/** A stored session without its last-active time (which lives in the LRU set). */
export type EntryRecord = Omit<StoredSession, 'lastActiveMs'>;

/** Why an entry value was refused. */
export type EntryFailure = UnsealFailure | 'header' | 'layout' | 'mismatch';

/** The header fields of an entry (what the scripts compare). */
export interface EntryHeader {
  readonly ticket: Uint8Array;
  readonly outbound: Uint8Array;
  readonly device: Uint8Array;
}

/** Encodes and decodes entry values for one fleet. */
export class EntryCodec {
  readonly #blinder: Blinder;
  readonly #sealer: FleetSealer;

  constructor(blinder: Blinder, sealer: FleetSealer) {
    this.#blinder = blinder;
    this.#sealer = sealer;
  }

  /** The header a record gets. */
  header(record: EntryRecord): EntryHeader {
    return {
      ticket: record.inbound === undefined ? ZERO16 : this.#blinder.blind('ticket', record.inbound.ticketId),
      outbound: record.outbound === undefined ? ZERO16 : this.#blinder.blind('outbound', record.outbound),
      device: this.#blinder.blind('device', hexToBytes(record.deviceId)),
    };
  }

  /** The value stored at `entryKey` for `record`. */
  encode(entryKey: Uint8Array, record: EntryRecord): Buffer {
    const h = this.header(record);
    const header = concatBytes(h.ticket, h.outbound, h.device);
    const flags = (record.outbound === undefined ? 0 : FLAG_OUTBOUND) | (record.inbound === undefined ? 0 : FLAG_INBOUND);
    const plain = new Uint8Array(RECORD_FIXED_BYTES + (record.outbound === undefined ? 0 : 32) + (record.inbound === undefined ? 0 : 48));
    plain.set(hexToBytes(record.peerFingerprint), 0);
    plain.set(hexToBytes(record.deviceId), 32);
    writeU64(plain, 38, record.establishedMs);
    plain[46] = flags;
    let at = RECORD_FIXED_BYTES;
    if (record.outbound !== undefined) {
      plain.set(record.outbound, at);
      at += 32;
    }
    if (record.inbound !== undefined) {
      plain.set(record.inbound.secret, at);
      plain.set(record.inbound.ticketId, at + 32);
    }
    try {
      const sealed = this.#sealer.seal(plain, concatBytes(ENTRY_AAD, entryKey, header));
      return Buffer.concat([header, sealed]);
    } finally {
      wipe(plain);
    }
  }

  /** The record in `value` (stored at `entryKey`), or why it was refused. */
  decode(entryKey: Uint8Array, bfp: Uint8Array, value: Uint8Array): { record: EntryRecord; keyId: number } | { failure: EntryFailure; keyId?: number } {
    if (value.length < ENTRY_HEADER_BYTES) return { failure: 'header' };
    const header = value.subarray(0, ENTRY_HEADER_BYTES);
    const opened = this.#sealer.open(value.subarray(ENTRY_HEADER_BYTES), concatBytes(ENTRY_AAD, entryKey, header));
    if ('failure' in opened) return opened;
    const p = opened.plaintext;
    try {
      if (p.length < RECORD_FIXED_BYTES) return { failure: 'layout' };
      const flags = p[46];
      const want = RECORD_FIXED_BYTES + (flags & FLAG_OUTBOUND ? 32 : 0) + (flags & FLAG_INBOUND ? 48 : 0);
      if ((flags & ~(FLAG_OUTBOUND | FLAG_INBOUND)) !== 0 || p.length !== want) return { failure: 'layout' };
      const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
      const establishedMs = view.getUint32(38) * 2 ** 32 + view.getUint32(42);
      let at = RECORD_FIXED_BYTES;
      let outbound: Uint8Array | undefined;
      let inbound: InboundSlot | undefined;
      if (flags & FLAG_OUTBOUND) {
        outbound = p.slice(at, at + 32);
        at += 32;
      }
      if (flags & FLAG_INBOUND) inbound = { secret: p.slice(at, at + 32), ticketId: p.slice(at + 32, at + 48) };
      const record: EntryRecord = {
        peerFingerprint: bytesToHex(p.subarray(0, 32)),
        deviceId: bytesToHex(p.subarray(32, 38)),
        establishedMs,
        outbound,
        inbound,
      };
      const h = this.header(record);
      const ok =
        equalBytes(this.#blinder.blind('fingerprint', p.subarray(0, 32)), bfp) &&
        equalBytes(h.ticket, header.subarray(0, 16)) &&
        equalBytes(h.outbound, header.subarray(16, 32)) &&
        equalBytes(h.device, header.subarray(32, 48)) &&
        Number.isSafeInteger(establishedMs);
      if (!ok) {
        wipe(outbound, inbound?.secret);
        return { failure: 'mismatch' };
      }
      return { record, keyId: opened.keyId };
    } finally {
      wipe(p);
    }
  }
}
