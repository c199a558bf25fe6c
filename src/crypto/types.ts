/**
 * The crypto seam's types and sizes (docs/crypto.md): every primitive pqble uses goes through
 * one {@link CryptoProvider}, so a backend can be swapped without touching protocol code.
 *
 * @module
 */

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

/**
 * The primitives pqble needs. All functions are synchronous and never mutate inputs. Every
 * provider must give byte-identical results for the deterministic operations (key generation
 * from a seed, decapsulation, X25519, the AEAD, HKDF, HMAC, SHA-256); signatures and
 * encapsulations are randomised, so they only have to verify and decapsulate across providers.
 */
export interface CryptoProvider {
  /** Human-readable name, for stats and benchmarks (`"noble"`, `"node"`). */
  readonly name: string;
  /** ML-KEM-768 key pair (optionally from a 64-byte seed `d || z`); the secret key is the 2,400-byte FIPS 203 decapsulation key. */
  kemKeygen(seed?: Uint8Array): KeyPair;
  /** ML-KEM-768 encapsulation to `publicKey`; throws for a malformed encapsulation key. */
  kemEncapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  /** ML-KEM-768 decapsulation (implicit rejection: a bad ciphertext yields a random-looking secret). */
  kemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** ML-DSA-65 key pair (optionally from a 32-byte seed); the secret key is the 4,032-byte FIPS 204 encoding. */
  sigKeygen(seed?: Uint8Array): KeyPair;
  /** ML-DSA-65 signature of `message`, empty context (hedged/randomised). */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** ML-DSA-65 verification, empty context; false for any invalid or malformed input, never throws. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** X25519 key pair (optionally from a 32-byte secret, which is then returned as `secretKey`). */
  x25519Keygen(secretKey?: Uint8Array): KeyPair;
  /** X25519 shared secret; throws on a low-order point (an all-zero result). */
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
