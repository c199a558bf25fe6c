/**
 * The crypto seam (DESIGN.md "Cryptography"). Every primitive pqble uses goes through one
 * {@link CryptoProvider}, so a native backend (Node >= 24 `node:crypto` ML-KEM/ML-DSA) can
 * replace the default pure-TypeScript noble implementation without touching protocol code.
 *
 * Primitives: ML-KEM-768 (FIPS 203), ML-DSA-65 (FIPS 204), X25519, ChaCha20-Poly1305,
 * HKDF-SHA-256, HMAC-SHA-256, SHA-256, and a CSPRNG.
 *
 * @module
 */

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

/** Byte sizes of the primitives' keys and outputs. */
export const SIZES = {
  kemPublicKey: 1184,
  kemSecretKey: 2400,
  kemCipherText: 1088,
  kemSharedSecret: 32,
  sigPublicKey: 1952,
  sigSecretKey: 4032,
  signature: 3309,
  x25519Key: 32,
  aeadKey: 32,
  aeadNonce: 12,
  aeadTag: 16,
  hash: 32,
} as const;

/** A key pair. */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** The primitives pqble needs. All functions are synchronous and never mutate inputs. */
export interface CryptoProvider {
  /** Human-readable name, for stats and benchmarks. */
  readonly name: string;
  /** ML-KEM-768 key pair (optionally from a 64-byte seed, for tests). */
  kemKeygen(seed?: Uint8Array): KeyPair;
  /** ML-KEM-768 encapsulation to `publicKey`. */
  kemEncapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  /** ML-KEM-768 decapsulation (implicit rejection: a bad ciphertext yields a random-looking secret). */
  kemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** ML-DSA-65 key pair (optionally from a 32-byte seed). */
  sigKeygen(seed?: Uint8Array): KeyPair;
  /** ML-DSA-65 signature of `message` (hedged/randomised). */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** ML-DSA-65 verification; false for any invalid or malformed input, never throws. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** X25519 key pair (optionally from a 32-byte secret). */
  x25519Keygen(secretKey?: Uint8Array): KeyPair;
  /** X25519 shared secret; throws on a low-order point. */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 seal: ciphertext with the 16-byte tag appended. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 open; `undefined` if the tag does not verify. */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array | undefined;
  /** HKDF-SHA-256 extract. */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-SHA-256 expand. */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** HMAC-SHA-256. */
  hmac(key: Uint8Array, message: Uint8Array): Uint8Array;
  /** SHA-256. */
  sha256(message: Uint8Array): Uint8Array;
  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;
}

/** The default provider: the audited, pure-TypeScript noble libraries. */
export const nobleCrypto: CryptoProvider = {
  name: 'noble',
  kemKeygen: (seed) => ml_kem768.keygen(seed),
  kemEncapsulate: (publicKey) => ml_kem768.encapsulate(publicKey),
  kemDecapsulate: (cipherText, secretKey) => ml_kem768.decapsulate(cipherText, secretKey),
  sigKeygen: (seed) => ml_dsa65.keygen(seed),
  sign: (message, secretKey) => ml_dsa65.sign(message, secretKey),
  verify(signature, message, publicKey) {
    try {
      return ml_dsa65.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
  x25519Keygen(secretKey) {
    const sk = secretKey ?? x25519.utils.randomSecretKey();
    return { secretKey: sk, publicKey: x25519.getPublicKey(sk) };
  },
  x25519: (secretKey, publicKey) => x25519.getSharedSecret(secretKey, publicKey),
  aeadSeal: (key, nonce, plaintext, aad) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  aeadOpen(key, nonce, ciphertext, aad) {
    if (ciphertext.length < SIZES.aeadTag) return undefined;
    try {
      return chacha20poly1305(key, nonce, aad).decrypt(ciphertext);
    } catch {
      return undefined;
    }
  },
  hkdfExtract: (salt, ikm) => extract(sha256, ikm, salt),
  hkdfExpand: (prk, info, length) => expand(sha256, prk, info, length),
  hmac: (key, message) => hmac(sha256, key, message),
  sha256: (message) => sha256(message),
  randomBytes: (length) => randomBytes(length),
};

const PROVIDER_METHODS = [
  'kemKeygen',
  'kemEncapsulate',
  'kemDecapsulate',
  'sigKeygen',
  'sign',
  'verify',
  'x25519Keygen',
  'x25519',
  'aeadSeal',
  'aeadOpen',
  'hkdfExtract',
  'hkdfExpand',
  'hmac',
  'sha256',
  'randomBytes',
] as const satisfies readonly Exclude<keyof CryptoProvider, 'name'>[];

/**
 * Returns `crypto` (default {@link nobleCrypto}) after checking it has every
 * {@link CryptoProvider} method. Internal: the check behind every `crypto` option.
 * @throws TypeError for anything that is not a CryptoProvider
 */
export function checkCrypto(crypto: unknown, label = 'crypto'): CryptoProvider {
  if (crypto === undefined) return nobleCrypto;
  if (crypto === null || typeof crypto !== 'object') throw new TypeError(`${label} must be a CryptoProvider`);
  for (const name of PROVIDER_METHODS) {
    if (typeof (crypto as Record<string, unknown>)[name] !== 'function') throw new TypeError(`${label}.${name} must be a function`);
  }
  return crypto as CryptoProvider;
}
