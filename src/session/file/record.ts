/**
 * Building and opening sealed entry records of the version-2 store file (docs/store.md
 * "Entry record"): the record codec of format.ts joined with the keys and seal of seal.ts.
 * Pure: no I/O. The known-answer vector of docs/store.md is produced by
 * {@link encodeEntryRecord}.
 *
 * @module
 */

import { wipe } from '../../bytes.js';
import type { CryptoProvider } from '../../crypto/index.js';
import {
  BLOCK_MAX_ENTRIES,
  CONSUME_RECORD_BYTES,
  ENTRY_PLAIN_BYTES,
  REC,
  blockRecordBytes,
  blockSealedAt,
  sealCrc,
  ENTRY_AAD_BYTES,
  ENTRY_AT,
  ENTRY_RECORD_BYTES,
  ENTRY_SEALED_BYTES,
  FLAG_INBOUND,
  FLAG_OUTBOUND,
  TICKET_KEY_BYTES,
  finishEntryRecord,
  writeEntryHeader,
  type EntryHeader,
} from './format.js';
import { entryPlain, openAt, sealAt } from './seal.js';

/** The fields of one entry as the record holds them. */
export interface EntryFields {
  /** 32 bytes: the blinded fingerprint (`StoreKeys.fpKey`). */
  readonly fpKey: Uint8Array;
  /** 12 lowercase hex digits. */
  readonly deviceId: string;
  readonly establishedMs: number;
  readonly lastActiveMs: number;
  /** 32 bytes, or absent. */
  readonly outbound: Uint8Array | undefined;
  /** 32 bytes, or absent (then `ticketKey` is too). */
  readonly inboundSecret: Uint8Array | undefined;
  /** 16 bytes: the blinded inbound ticket id (`StoreKeys.ticketKey`), or absent. */
  readonly ticketKey: Uint8Array | undefined;
}

/** Bytes {@link encodeEntryRecord} writes. */
export function entryRecordBytes(consumedKey: Uint8Array | undefined): number {
  return consumedKey === undefined ? ENTRY_RECORD_BYTES : CONSUME_RECORD_BYTES;
}

/**
 * Writes the entry record (or, with `consumedKey`, the blinded consumed ticket, the consume record) of `e` into `out`
 * at `o`, sealed under `segmentKey` with nonce `segmentOffset`. Returns the sealed body
 * (ciphertext || tag, a view into `out`).
 */
export function encodeEntryRecord(
  out: Uint8Array,
  o: number,
  crypto: CryptoProvider,
  segmentKey: Uint8Array,
  segmentOffset: number,
  e: EntryFields,
  deviceHint: number,
  consumedKey: Uint8Array | undefined,
): Uint8Array {
  const flags = (e.outbound !== undefined ? FLAG_OUTBOUND : 0) | (e.ticketKey !== undefined ? FLAG_INBOUND : 0);
  const body = entryPlain(Buffer.from(e.deviceId, 'hex'), e.outbound, e.inboundSecret);
  const header: EntryHeader = {
    flags,
    fpKey: e.fpKey,
    ticketKey: e.ticketKey ?? new Uint8Array(TICKET_KEY_BYTES),
    deviceHint,
    establishedMs: e.establishedMs,
    lastActiveMs: e.lastActiveMs,
  };
  try {
    return encodeFullEntryRecord(out, o, crypto, segmentKey, segmentOffset, header, body, consumedKey);
  } finally {
    wipe(body);
  }
}

/**
 * Writes the entry (or consume) record with `header` and the 70-byte `body`
 * (`deviceId(6) || outbound(32) || inboundSecret(32)`) at `out[o]`, sealed under
 * `segmentKey` with nonce `segmentOffset`. Returns the sealed body (a view into `out`).
 */
export function encodeFullEntryRecord(
  out: Uint8Array,
  o: number,
  crypto: CryptoProvider,
  segmentKey: Uint8Array,
  segmentOffset: number,
  header: EntryHeader,
  body: Uint8Array,
  consumedKey: Uint8Array | undefined,
): Uint8Array {
  writeEntryHeader(out, o, header, consumedKey !== undefined);
  const sealed = sealAt(crypto, segmentKey, segmentOffset, out.subarray(o, o + ENTRY_AAD_BYTES), body);
  if (sealed.length !== ENTRY_SEALED_BYTES) throw new Error('the crypto provider returned a sealed entry of the wrong length');
  out.set(sealed, o + ENTRY_AT.sealed);
  wipe(sealed);
  finishEntryRecord(out, o, consumedKey);
  return out.subarray(o + ENTRY_AT.sealed, o + ENTRY_AT.sealed + ENTRY_SEALED_BYTES);
}

/**
 * Finishes the entry block of `n` entries at `out[o]` whose headers are written (by
 * `writeBlockEntryHeader`): writes the type and count, seals `plain` (the `n` bodies,
 * `deviceId(6) || outbound(32) || inboundSecret(32)` each, back to back) under `segmentKey`
 * with nonce `segmentOffset` and the headers as associated data, and writes the CRC.
 * Returns the record's length.
 */
export function sealBlockRecord(
  out: Uint8Array,
  o: number,
  n: number,
  crypto: CryptoProvider,
  segmentKey: Uint8Array,
  segmentOffset: number,
  plain: Uint8Array,
): number {
  if (n < 1 || n > BLOCK_MAX_ENTRIES || plain.length !== n * ENTRY_PLAIN_BYTES) throw new RangeError('an entry block holds 1..32 entries');
  out[o] = REC.block;
  out[o + 1] = n;
  const at = o + blockSealedAt(n);
  const sealed = sealAt(crypto, segmentKey, segmentOffset, out.subarray(o, at), plain);
  out.set(sealed, at);
  sealCrc(out, o, at + sealed.length);
  return blockRecordBytes(n);
}

/**
 * Opens the bodies of the entry block `record` (its bytes from the type to the CRC, or
 * further); `undefined` if it does not verify. The result holds every entry's body back
 * to back (see {@link sealBlockRecord}); the caller wipes it.
 */
export function openBlockRecord(crypto: CryptoProvider, segmentKey: Uint8Array, segmentOffset: number, record: Uint8Array): Uint8Array | undefined {
  const n = record[1];
  if (record[0] !== REC.block || n < 1 || n > BLOCK_MAX_ENTRIES || record.length < blockRecordBytes(n) - 4) return undefined;
  const at = blockSealedAt(n);
  const p = openAt(crypto, segmentKey, segmentOffset, record.subarray(0, at), record.subarray(at, at + n * ENTRY_PLAIN_BYTES + 16));
  if (p !== undefined && p.length !== n * ENTRY_PLAIN_BYTES) {
    wipe(p);
    return undefined;
  }
  return p;
}
