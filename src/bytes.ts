/**
 * Byte helpers shared by every layer. Public APIs take and return `Uint8Array`;
 * these helpers never mutate their inputs except `wipe`.
 *
 * @module
 */

export { concatBytes, bytesToHex, hexToBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/** Throws a labelled `TypeError`/`RangeError` unless `value` is a Uint8Array (of `length`, if given). */
export function checkBytes(value: unknown, label: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${label} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${label} must be ${length} bytes, got ${value.length}`);
  }
}

/** Constant-time comparison of two byte arrays (length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Overwrites secret bytes with zeros. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

/** Big-endian u16 at `offset`. */
export function readU16(b: Uint8Array, offset: number): number {
  return (b[offset] << 8) | b[offset + 1];
}

/** Big-endian u32 at `offset`. */
export function readU32(b: Uint8Array, offset: number): number {
  return ((b[offset] << 24) >>> 0) + ((b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3]);
}

/** Writes a big-endian u16 at `offset`. */
export function writeU16(b: Uint8Array, offset: number, value: number): void {
  b[offset] = (value >>> 8) & 0xff;
  b[offset + 1] = value & 0xff;
}

/** Writes a big-endian u32 at `offset`. */
export function writeU32(b: Uint8Array, offset: number, value: number): void {
  b[offset] = (value >>> 24) & 0xff;
  b[offset + 1] = (value >>> 16) & 0xff;
  b[offset + 2] = (value >>> 8) & 0xff;
  b[offset + 3] = value & 0xff;
}

/** Writes a big-endian u64 (from a non-negative safe integer or bigint) at `offset`. */
export function writeU64(b: Uint8Array, offset: number, value: number | bigint): void {
  let v = BigInt(value);
  for (let i = 7; i >= 0; i--) {
    b[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}
