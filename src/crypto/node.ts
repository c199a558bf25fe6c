/**
 * A crypto provider for Node.js that keeps noble's post-quantum and X25519 primitives and
 * does the symmetric work, ChaCha20-Poly1305 and the CSPRNG, with `node:crypto` (OpenSSL).
 * Node-only parts of pqble (the session cache file) use it by default: sealing 100,000
 * cached secrets costs a third as much as with the pure-TypeScript AEAD, whose per-call
 * set-up dominates on 32-byte inputs.
 *
 * @module
 */

import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { concatBytes } from '../bytes.js';
import { SIZES, nobleCrypto, type CryptoProvider } from './index.js';

const TAG = SIZES.aeadTag;

/** noble's post-quantum primitives with `node:crypto`'s ChaCha20-Poly1305 and random bytes. */
export const nodeCrypto: CryptoProvider = {
  ...nobleCrypto,
  name: `${nobleCrypto.name}+node:crypto`,
  aeadSeal(key, nonce, plaintext, aad) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    if (aad !== undefined) cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    return concatBytes(head, tail, cipher.getAuthTag());
  },
  aeadOpen(key, nonce, ciphertext, aad) {
    if (ciphertext.length < TAG) return undefined;
    try {
      const body = ciphertext.subarray(0, ciphertext.length - TAG);
      const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG));
      if (aad !== undefined) decipher.setAAD(aad, { plaintextLength: body.length });
      const head = decipher.update(body);
      const tail = decipher.final();
      const out = concatBytes(head, tail);
      head.fill(0);
      return out;
    } catch {
      return undefined;
    }
  },
  randomBytes(length) {
    return randomFillSync(new Uint8Array(length));
  },
};
