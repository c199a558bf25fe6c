/**
 * Key layout of the Redis fleet store (docs/fleet.md "Key layout"). Every key of a fleet
 * starts with the hash tag `{<namespace>}`, so every key a script touches lives in one
 * Redis Cluster slot. Fingerprints, ticket ids, device ids, outbound secrets and value
 * names appear only blinded: the first 16 bytes of
 * `HMAC-SHA-256(blindingKey, "pqble/redis/v1 " || label || 0x00 || data)`.
 *
 * @module
 */

import { concatBytes, utf8ToBytes } from '../../bytes.js';
import type { CryptoProvider } from '../../crypto/index.js';

/** Bytes of a blinded identifier. */
export const BLIND_BYTES = 16;

/** What a blinded identifier stands for (the label of its hash). */
export type BlindLabel = 'fingerprint' | 'ticket' | 'device' | 'outbound' | 'value' | 'check';

const BLIND_PREFIX = utf8ToBytes('pqble/redis/v1 ');
const LABELS: Record<BlindLabel, Uint8Array> = {
  fingerprint: concatBytes(BLIND_PREFIX, utf8ToBytes('fingerprint'), new Uint8Array(1)),
  ticket: concatBytes(BLIND_PREFIX, utf8ToBytes('ticket'), new Uint8Array(1)),
  device: concatBytes(BLIND_PREFIX, utf8ToBytes('device'), new Uint8Array(1)),
  outbound: concatBytes(BLIND_PREFIX, utf8ToBytes('outbound'), new Uint8Array(1)),
  value: concatBytes(BLIND_PREFIX, utf8ToBytes('value'), new Uint8Array(1)),
  check: concatBytes(BLIND_PREFIX, utf8ToBytes('check'), new Uint8Array(1)),
};

/** The keyed hash that hides identifiers in key names and entry headers. */
export class Blinder {
  readonly #key: Uint8Array;
  readonly #crypto: CryptoProvider;

  constructor(key: Uint8Array, crypto: CryptoProvider) {
    this.#key = key;
    this.#crypto = crypto;
  }

  /** 16 bytes standing for `data` under `label`. */
  blind(label: BlindLabel, data: Uint8Array): Uint8Array {
    return this.#crypto.hmac(this.#key, concatBytes(LABELS[label], data)).subarray(0, BLIND_BYTES);
  }
}

/** Names of a fleet's keys (binary-safe: blinded parts are raw bytes). */
export class KeyLayout {
  /** `{<namespace>}:`, the prefix of every key (scripts build index key names from it). */
  readonly prefix: Buffer;
  /** Sorted set: blinded fingerprint -> last-active ms (LRU order). */
  readonly lru: Buffer;
  /** Sorted set: blinded fingerprint -> established ms (expiry sweep, prune). */
  readonly established: Buffer;
  /** Set: blinded names of the named values (for listing). */
  readonly values: Buffer;
  /** String: the fleet check (blinded constant), set by the first store that opens the namespace. */
  readonly check: Buffer;

  constructor(namespace: string) {
    this.prefix = Buffer.from(`{${namespace}}:`, 'latin1');
    this.lru = this.#name('lru');
    this.established = this.#name('est');
    this.check = this.#name('check');
    this.values = this.#name('vals');
  }

  #name(kind: string, id?: Uint8Array): Buffer {
    const k = Buffer.from(kind, 'latin1');
    return id === undefined ? Buffer.concat([this.prefix, k]) : Buffer.concat([this.prefix, k, Buffer.from(':', 'latin1'), id]);
  }

  /** The entry of a blinded fingerprint: header (48 B) + sealed record. */
  entry(bfp: Uint8Array): Buffer {
    return this.#name('e', bfp);
  }

  /** Pointer blinded ticket id -> blinded fingerprint (expires with the entry). */
  ticket(bticket: Uint8Array): Buffer {
    return this.#name('t', bticket);
  }

  /** Tombstone of a consumed blinded ticket id (expires with the entry it belonged to). */
  tombstone(bticket: Uint8Array): Buffer {
    return this.#name('k', bticket);
  }

  /** Pointer blinded device id -> blinded fingerprint of the entry last seen there. */
  device(bdevice: Uint8Array): Buffer {
    return this.#name('d', bdevice);
  }

  /** A named value (blinded name): sealed bytes. */
  value(bname: Uint8Array): Buffer {
    return this.#name('v', bname);
  }
}
