/**
 * Long-term identities (docs/protocol.md "Identities and
 * fingerprints"). A peer is known by its ML-DSA-65 identity key, named by a 32-byte
 * fingerprint: SHA-256 over the domain label `"pqble v1 identity fingerprint"` followed by
 * the 1,952-byte public key. BLE addresses rotate; fingerprints do not.
 *
 * @module
 */

import { bytesToHex, checkBytes, concatBytes, equalBytes, utf8ToBytes } from '../bytes.js';
import { SIZES, checkCrypto, type CryptoProvider } from '../crypto/index.js';
import { FINGERPRINT_BYTES, fingerprintBytes, parseFingerprint as parseFingerprintId } from '../ids.js';
import { checkOptionKeys } from '../util/options.js';

export { FINGERPRINT_BYTES };

/** Bytes of the ML-DSA-65 key-generation seed an identity can be re-derived from. */
export const IDENTITY_SEED_BYTES = 32;

/** Domain label hashed in front of the public key to form a fingerprint. */
const FINGERPRINT_LABEL = utf8ToBytes('pqble v1 identity fingerprint');

/**
 * A long-term ML-DSA-65 identity. It holds secrets (`secretKey`, `seed`): never log it,
 * keep it in memory only as long as needed, persist it with `saveIdentity`.
 */
export interface Identity {
  /** The 1,952-byte ML-DSA-65 public key. */
  readonly publicKey: Uint8Array;
  /** The 4,032-byte ML-DSA-65 secret key. */
  readonly secretKey: Uint8Array;
  /** The 32-byte fingerprint of `publicKey` (see {@link identityFingerprint}). */
  readonly fingerprint: Uint8Array;
  /**
   * The 32-byte key-generation seed, when known: always for `generateIdentity`,
   * `identityFromSeed` and files that store a seed; absent for `identityFromKeyPair` (the
   * seed cannot be recovered from a secret key). `saveIdentity` stores it instead of the
   * secret key. Both backends sign with `secretKey` alone (docs/crypto.md).
   */
  readonly seed?: Uint8Array;
}

/** Options of {@link generateIdentity}. */
export interface GenerateIdentityOptions {
  /** Primitives to use. Default: `defaultCrypto()` (docs/crypto.md). */
  readonly crypto?: CryptoProvider;
  /** A 32-byte key-generation seed (deterministic identity, for tests). Default: 32 fresh random bytes from `crypto`. */
  readonly seed?: Uint8Array;
}

/** Options of {@link identityFromSeed} and {@link identityFromKeyPair}. */
export interface IdentityFromSecretOptions {
  /** Primitives to use. Default: `defaultCrypto()` (docs/crypto.md). */
  readonly crypto?: CryptoProvider;
}

/**
 * The 32-byte fingerprint of an ML-DSA-65 public key:
 * `SHA-256("pqble v1 identity fingerprint" || publicKey)`.
 * @param publicKey - a 1,952-byte ML-DSA-65 public key
 * @param crypto - primitives to use (default `defaultCrypto()`)
 * @throws TypeError / RangeError if `publicKey` is not 1,952 bytes
 */
export function identityFingerprint(publicKey: Uint8Array, crypto?: CryptoProvider): Uint8Array {
  checkBytes(publicKey, 'publicKey', SIZES.sigPublicKey);
  return checkCrypto(crypto).sha256(concatBytes(FINGERPRINT_LABEL, publicKey));
}

/**
 * Formats a fingerprint as 64 lowercase hex digits.
 * @throws TypeError / RangeError if `fp` is not 32 bytes
 */
export function fingerprintToHex(fp: Uint8Array): string {
  checkBytes(fp, 'fingerprint', FINGERPRINT_BYTES);
  return bytesToHex(fp);
}

/**
 * Parses a fingerprint written as 64 hex digits (either case).
 * @throws TypeError if `hex` is not a string; RangeError if it is not 64 hex digits
 */
export function parseFingerprint(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError(`fingerprint must be a string, got ${typeof hex}`);
  return fingerprintBytes(parseFingerprintId(hex));
}

/**
 * Re-derives an identity from its 32-byte ML-DSA-65 key-generation seed.
 * The seed is copied; the caller keeps ownership of its buffer.
 * @throws TypeError / RangeError if `seed` is not 32 bytes or an option is unknown
 */
export function identityFromSeed(seed: Uint8Array, options?: IdentityFromSecretOptions): Identity {
  checkOptionKeys(options, ['crypto'], 'identityFromSeed options');
  checkBytes(seed, 'seed', IDENTITY_SEED_BYTES);
  const crypto = checkCrypto(options?.crypto);
  const own = seed.slice();
  const { publicKey, secretKey } = crypto.sigKeygen(own);
  return Object.freeze({ publicKey, secretKey, fingerprint: identityFingerprint(publicKey, crypto), seed: own });
}

/**
 * Builds an identity from an ML-DSA-65 key pair, proving that the two halves belong
 * together by signing and verifying a test message (about 10 ms). Both keys are copied.
 * @returns the identity, or `undefined` if the secret key does not match the public key
 * @throws TypeError / RangeError for wrong types or lengths or an unknown option
 */
export function identityFromKeyPair(publicKey: Uint8Array, secretKey: Uint8Array, options?: IdentityFromSecretOptions): Identity | undefined {
  checkOptionKeys(options, ['crypto'], 'identityFromKeyPair options');
  checkBytes(publicKey, 'publicKey', SIZES.sigPublicKey);
  checkBytes(secretKey, 'secretKey', SIZES.sigSecretKey);
  const crypto = checkCrypto(options?.crypto);
  const probe = utf8ToBytes('pqble v1 identity key check');
  let signature: Uint8Array;
  try {
    signature = crypto.sign(probe, secretKey);
  } catch {
    return undefined;
  }
  if (!crypto.verify(signature, probe, publicKey)) return undefined;
  const pk = publicKey.slice();
  return Object.freeze({ publicKey: pk, secretKey: secretKey.slice(), fingerprint: identityFingerprint(pk, crypto) });
}

/**
 * Generates a fresh ML-DSA-65 identity (or a deterministic one from `options.seed`).
 * @throws TypeError / RangeError for a bad option
 */
export function generateIdentity(options?: GenerateIdentityOptions): Identity {
  checkOptionKeys(options, ['crypto', 'seed'], 'generateIdentity options');
  const crypto = checkCrypto(options?.crypto);
  if (options?.seed !== undefined) return identityFromSeed(options.seed, { crypto });
  const seed = crypto.randomBytes(IDENTITY_SEED_BYTES);
  try {
    return identityFromSeed(seed, { crypto });
  } finally {
    seed.fill(0);
  }
}

/**
 * True if `identity` looks like an {@link Identity}: right types and lengths, and its
 * fingerprint matches its public key. Does not prove that the secret key matches.
 */
export function isIdentity(identity: unknown, crypto?: CryptoProvider): identity is Identity {
  if (identity === null || typeof identity !== 'object') return false;
  const { publicKey, secretKey, fingerprint } = identity as Partial<Identity>;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== SIZES.sigPublicKey) return false;
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SIZES.sigSecretKey) return false;
  if (!(fingerprint instanceof Uint8Array) || fingerprint.length !== FINGERPRINT_BYTES) return false;
  return equalBytes(identityFingerprint(publicKey, crypto), fingerprint);
}
