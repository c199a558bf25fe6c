/**
 * Named values of the Redis fleet store (docs/fleet.md "Named values"): small sealed blobs
 * (trust state: learned public keys, TOFU bindings, the clock's high-water mark) under a
 * blinded name, listed through the set `{ns}:vals` of blinded names. The name travels
 * sealed with the value, so `listValues(prefix)` can recover it and nothing in Redis shows it.
 *
 * Sealed plaintext: `nameLength (1) | name (ASCII) | value`; AAD `"pqble/redis/value/v1" || key name`.
 *
 * @module
 */

import { concatBytes, equalBytes, utf8ToBytes } from '../../bytes.js';
import { MAX_STORE_VALUE_BYTES } from '../store.js';
import type { Blinder, KeyLayout } from './keys.js';
import { SEAL_OVERHEAD_BYTES, type FleetSealer, type UnsealFailure } from './seal.js';

const VALUE_AAD = utf8ToBytes('pqble/redis/value/v1');
/** Longest name (STORE_VALUE_NAME_RE). */
const MAX_NAME_BYTES = 128;
/** Longest sealed named value. */
export const MAX_SEALED_VALUE_BYTES = SEAL_OVERHEAD_BYTES + 1 + MAX_NAME_BYTES + MAX_STORE_VALUE_BYTES;

/** Why a stored named value was refused. */
export type ValueFailure = UnsealFailure | 'too-long' | 'layout' | 'mismatch';

/** Seals and opens named values for one fleet. */
export class ValueCodec {
  readonly #blinder: Blinder;
  readonly #sealer: FleetSealer;
  readonly #keys: KeyLayout;

  constructor(blinder: Blinder, sealer: FleetSealer, keys: KeyLayout) {
    this.#blinder = blinder;
    this.#sealer = sealer;
    this.#keys = keys;
  }

  /** The blinded name and key of a (checked) name. */
  locate(name: string): { bname: Buffer; key: Buffer } {
    const b = this.#blinder.blind('value', utf8ToBytes(name));
    const bname = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    return { bname, key: this.#keys.value(bname) };
  }

  /** The stored form of `value` under `name` (stored at `key`). */
  seal(key: Uint8Array, name: string, value: Uint8Array): Buffer {
    const n = utf8ToBytes(name);
    const sealed = this.#sealer.seal(concatBytes(Uint8Array.of(n.length), n, value), concatBytes(VALUE_AAD, key));
    return Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  }

  /** Name and value of the stored bytes at the key of blinded name `bname`, or why not. */
  open(bname: Uint8Array, stored: Uint8Array): { name: string; value: Uint8Array } | { failure: ValueFailure; keyId?: number } {
    if (stored.length > MAX_SEALED_VALUE_BYTES) return { failure: 'too-long' };
    const opened = this.#sealer.open(stored, concatBytes(VALUE_AAD, this.#keys.value(bname)));
    if ('failure' in opened) return opened;
    const p = opened.plaintext;
    const len = p[0] ?? 0;
    if (p.length < 1 + len || len === 0 || len > MAX_NAME_BYTES || p.length - 1 - len > MAX_STORE_VALUE_BYTES) return { failure: 'layout' };
    const name = String.fromCharCode(...p.subarray(1, 1 + len));
    if (!/^[\x21-\x7e]+$/.test(name) || !equalBytes(this.#blinder.blind('value', utf8ToBytes(name)), bname)) return { failure: 'mismatch' };
    return { name, value: p.slice(1 + len) };
  }
}
