/**
 * Keys and per-entry sealing of the version-2 session store file (docs/store.md "Keys and
 * sealing"). From the 32-byte storage key, HKDF-SHA-256 derives:
 *
 * - the **index keys** (AES-256, one block at a time): a fingerprint (two blocks) and an
 *   inbound ticket id (one block) are stored only as their encryption, a keyed blind that
 *   the store can index and, holding the key, invert; without the key the file shows
 *   neither who the peers are nor which ticket a peer will present next;
 * - the **device-hint key**: 4 bytes of AES-256(deviceId || 0^10), a lookup bucket;
 * - the **seal key**, from which every segment of the journal derives its own
 *   ChaCha20-Poly1305 key with the segment's random salt. A record's nonce is its byte
 *   offset from the start of its segment, so no nonce repeats under one key: a segment is
 *   appended by one open of the file only, and every open (and every rollback of a failed
 *   write) starts a new segment with a fresh salt.
 *
 * AES comes from `node:crypto` (the store is Node-only); the AEAD and HKDF from the
 * `CryptoProvider`.
 *
 * @module
 */

import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { utf8ToBytes, wipe, writeU32 } from '../../bytes.js';
import type { CryptoProvider } from '../../crypto/index.js';
import { ENTRY_PLAIN_BYTES, TAG_BYTES } from './format.js';

const SALT = utf8ToBytes('pqble session store v2');
const INFO_FP = utf8ToBytes('pqble store v2 fingerprint index');
const INFO_TICKET = utf8ToBytes('pqble store v2 ticket index');
const INFO_HINT = utf8ToBytes('pqble store v2 device hint');
const INFO_SEAL = utf8ToBytes('pqble store v2 seal');
const INFO_SEGMENT = utf8ToBytes('pqble store v2 segment');

function ecb(key: Uint8Array): { enc: Cipher; dec: Decipher } {
  const enc = createCipheriv('aes-256-ecb', key, null);
  enc.setAutoPadding(false);
  const dec = createDecipheriv('aes-256-ecb', key, null);
  dec.setAutoPadding(false);
  return { enc, dec };
}

/** Every key of one store file, derived once from the storage key. */
export class StoreKeys {
  readonly #crypto: CryptoProvider;
  readonly #fp: { enc: Cipher; dec: Decipher };
  readonly #ticket: { enc: Cipher; dec: Decipher };
  readonly #hint: Cipher;
  readonly #sealKey: Uint8Array;
  readonly #hintIn = Buffer.alloc(16);

  /** @param storageKey - 32 bytes (not kept) */
  constructor(crypto: CryptoProvider, storageKey: Uint8Array) {
    this.#crypto = crypto;
    const prk = crypto.hkdfExtract(SALT, storageKey);
    const fpKey = crypto.hkdfExpand(prk, INFO_FP, 32);
    const ticketKey = crypto.hkdfExpand(prk, INFO_TICKET, 32);
    const hintKey = crypto.hkdfExpand(prk, INFO_HINT, 32);
    this.#sealKey = crypto.hkdfExpand(prk, INFO_SEAL, 32);
    this.#fp = ecb(fpKey);
    this.#ticket = ecb(ticketKey);
    this.#hint = ecb(hintKey).enc;
    wipe(prk, fpKey, ticketKey, hintKey);
  }

  /** The stored form of a fingerprint (32 bytes in, 32 out; or many back to back). */
  fpKey(fingerprint: Uint8Array): Buffer {
    return this.#fp.enc.update(fingerprint);
  }

  /** The fingerprint behind a stored form. */
  fingerprintOf(fpKey: Uint8Array): Buffer {
    return this.#fp.dec.update(fpKey);
  }

  /** The stored form of a ticket id (16 bytes in, 16 out; or many back to back). */
  ticketKey(ticketId: Uint8Array): Buffer {
    return this.#ticket.enc.update(ticketId);
  }

  /** The ticket id behind a stored form. */
  ticketIdOf(ticketKey: Uint8Array): Buffer {
    return this.#ticket.dec.update(ticketKey);
  }

  /** The 32-bit device-id hint: the first 4 bytes of AES(deviceId(6) || 0^10), big-endian. */
  deviceHint(deviceId: Uint8Array): number {
    this.#hintIn.fill(0);
    this.#hintIn.set(deviceId, 0);
    const out = this.#hint.update(this.#hintIn);
    return out.readUInt32BE(0);
  }

  /**
   * The hints of many device ids at once: `input` holds 16-byte blocks `deviceId(6) || 0^10`;
   * the hint of block `i` is the first 4 bytes, big-endian, of output block `i`
   * (`out.readUInt32BE(16 * i)`).
   */
  deviceHintBlocks(input: Uint8Array): Buffer {
    return this.#hint.update(input);
  }

  /** The ChaCha20-Poly1305 key of a segment: HKDF-Expand(HKDF-Extract(salt, sealKey), "pqble store v2 segment", 32). */
  segmentKey(salt: Uint8Array): Uint8Array {
    const prk = this.#crypto.hkdfExtract(salt, this.#sealKey);
    try {
      return this.#crypto.hkdfExpand(prk, INFO_SEGMENT, 32);
    } finally {
      wipe(prk);
    }
  }

  /** Forgets the seal key (the AES contexts are dropped with the object). */
  wipe(): void {
    wipe(this.#sealKey);
  }
}

/** The nonce of the record at `offset` bytes from the start of its segment: `0^4 || u64 BE offset`. */
function recordNonce(offset: number): Uint8Array {
  const n = new Uint8Array(12);
  writeU32(n, 4, Math.floor(offset / 0x1_0000_0000));
  writeU32(n, 8, offset >>> 0);
  return n;
}

/** Seals `plain` for the record at segment offset `offset`; returns ciphertext || tag. */
export function sealAt(crypto: CryptoProvider, segmentKey: Uint8Array, offset: number, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  const out = crypto.aeadSeal(segmentKey, recordNonce(offset), plain, aad);
  if (out.length !== plain.length + TAG_BYTES) throw new Error('the crypto provider returned a sealed body of the wrong length');
  return out;
}

/** Opens a sealed body; `undefined` if it does not verify. */
export function openAt(crypto: CryptoProvider, segmentKey: Uint8Array, offset: number, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  return crypto.aeadOpen(segmentKey, recordNonce(offset), sealed, aad);
}

/** The plaintext of an entry: `deviceId(6) || outbound(32) || inboundSecret(32)`, absent secrets as zeros. */
export function entryPlain(deviceId: Uint8Array, outbound: Uint8Array | undefined, inboundSecret: Uint8Array | undefined): Uint8Array {
  const p = new Uint8Array(ENTRY_PLAIN_BYTES);
  p.set(deviceId, 0);
  if (outbound !== undefined) p.set(outbound, 6);
  if (inboundSecret !== undefined) p.set(inboundSecret, 38);
  return p;
}
