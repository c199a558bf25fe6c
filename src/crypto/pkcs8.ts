/**
 * The PKCS #8 wrapping the native backend uses to hand FIPS 203/204 expanded secret keys to
 * OpenSSL (docs/crypto.md "Native backend"). `node:crypto` has no raw import for an expanded
 * ML-KEM or ML-DSA secret key, but OpenSSL 3.5 accepts it inside PKCS #8 in the
 * "expandedKey" form of the LAMPS drafts:
 *
 * ```
 * SEQUENCE { INTEGER 0, SEQUENCE { OID }, OCTET STRING { OCTET STRING expandedKey } }
 * ```
 *
 * and exports a key it generated from a seed in the "both" form, whose last element is the
 * expanded key (`... OCTET STRING seed, OCTET STRING expandedKey }`).
 *
 * @module
 */

/** id-alg-ml-kem-768 (2.16.840.1.101.3.4.4.2) and id-ml-dsa-65 (2.16.840.1.101.3.4.3.18), DER content bytes. */
export const OID = {
  mlKem768: Uint8Array.of(0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02),
  mlDsa65: Uint8Array.of(0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12),
} as const;

/** A DER tag-length header for `length` content bytes (lengths below 65,536). */
function header(tag: number, length: number): number[] {
  if (length < 0x80) return [tag, length];
  if (length < 0x100) return [tag, 0x81, length];
  return [tag, 0x82, length >> 8, length & 0xff];
}

/**
 * The bytes that precede a `keyLength`-byte expanded key in its PKCS #8 "expandedKey" form;
 * `concat(prefix, key)` is the whole DER document.
 */
export function expandedKeyPrefix(oid: Uint8Array, keyLength: number): Uint8Array {
  const inner = [...header(0x04, keyLength)];
  const outerOctets = [...header(0x04, inner.length + keyLength), ...inner];
  const algorithm = [...header(0x30, oid.length + 2), ...header(0x06, oid.length), ...oid];
  const body = [0x02, 0x01, 0x00, ...algorithm, ...outerOctets];
  return Uint8Array.from([...header(0x30, body.length + keyLength), ...body]);
}

/**
 * The expanded key at the end of an exported PKCS #8 document in the "both" or
 * "expandedKey" form (a view into `der`), or `undefined` if `der` does not end in an
 * OCTET STRING of exactly `keyLength` bytes.
 */
export function expandedKeyOf(der: Uint8Array, keyLength: number): Uint8Array | undefined {
  const tag = header(0x04, keyLength);
  const start = der.length - keyLength;
  if (start - tag.length < 0) return undefined;
  for (let i = 0; i < tag.length; i++) if (der[start - tag.length + i] !== tag[i]) return undefined;
  return der.subarray(start);
}
