/**
 * The pure-TypeScript backend: the audited noble libraries (docs/crypto.md "Backends"). It
 * runs on every supported Node and is the reference the native backend is tested against.
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
import { SIZES, type CryptoProvider } from './types.js';

/** The pure-TypeScript provider: the audited noble libraries, on any Node. */
export const nobleCrypto: CryptoProvider = Object.freeze({
  name: 'noble',
  kemKeygen: (seed?: Uint8Array) => ml_kem768.keygen(seed),
  kemEncapsulate: (publicKey: Uint8Array) => ml_kem768.encapsulate(publicKey),
  kemDecapsulate: (cipherText: Uint8Array, secretKey: Uint8Array) => ml_kem768.decapsulate(cipherText, secretKey),
  sigKeygen: (seed?: Uint8Array) => ml_dsa65.keygen(seed),
  sign: (message: Uint8Array, secretKey: Uint8Array) => ml_dsa65.sign(message, secretKey),
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) {
    try {
      return ml_dsa65.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
  x25519Keygen(secretKey?: Uint8Array) {
    const sk = secretKey ?? x25519.utils.randomSecretKey();
    return { secretKey: sk, publicKey: x25519.getPublicKey(sk) };
  },
  x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => x25519.getSharedSecret(secretKey, publicKey),
  aeadSeal: (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array) {
    if (ciphertext.length < SIZES.aeadTag) return undefined;
    try {
      return chacha20poly1305(key, nonce, aad).decrypt(ciphertext);
    } catch {
      return undefined;
    }
  },
  hkdfExtract: (salt: Uint8Array, ikm: Uint8Array) => extract(sha256, ikm, salt),
  hkdfExpand: (prk: Uint8Array, info: Uint8Array, length: number) => expand(sha256, prk, info, length),
  hmac: (key: Uint8Array, message: Uint8Array) => hmac(sha256, key, message),
  sha256: (message: Uint8Array) => sha256(message),
  randomBytes: (length: number) => randomBytes(length),
});
