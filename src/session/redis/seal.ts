/**
 * Sealing with the fleet's storage keys (docs/fleet.md "Sealing"): ChaCha20-Poly1305
 * through the CryptoProvider, a random 96-bit nonce per value, the key id in clear so keys
 * rotate (seal with the current key, open with any key the store was given).
 *
 * Sealed layout: `version (1) = 1 | keyId (2, big-endian) | nonce (12) | ciphertext | tag (16)`.
 * The AAD is the caller's (the value's key name and header): a sealed value moved to
 * another key, or a header changed, does not open.
 *
 * @module
 */

import { concatBytes, readU16, writeU16 } from '../../bytes.js';
import { SIZES, type CryptoProvider } from '../../crypto/index.js';
import type { FleetKey } from './options.js';

/** Version byte of a sealed value. */
const SEAL_VERSION = 1;
/** Bytes a seal adds to its plaintext: version, key id, nonce, tag. */
export const SEAL_OVERHEAD_BYTES = 1 + 2 + SIZES.aeadNonce + SIZES.aeadTag;

/** Why a sealed value did not open. */
export type UnsealFailure = 'truncated' | 'version' | 'unknown-key' | 'tag';

/** Seals with the current fleet key, opens with any known one. */
export class FleetSealer {
  readonly #current: FleetKey;
  readonly #keys: ReadonlyMap<number, Uint8Array>;
  readonly #crypto: CryptoProvider;

  constructor(current: FleetKey, keys: ReadonlyMap<number, Uint8Array>, crypto: CryptoProvider) {
    this.#current = current;
    this.#keys = keys;
    this.#crypto = crypto;
  }

  /** Id of the key new values are sealed with. */
  get currentKeyId(): number {
    return this.#current.id;
  }

  /** `plaintext` sealed under the current key, bound to `aad`. */
  seal(plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const head = new Uint8Array(3 + SIZES.aeadNonce);
    head[0] = SEAL_VERSION;
    writeU16(head, 1, this.#current.id);
    head.set(this.#crypto.randomBytes(SIZES.aeadNonce), 3);
    const ct = this.#crypto.aeadSeal(this.#current.key, head.subarray(3), plaintext, concatBytes(head.subarray(0, 3), aad));
    return concatBytes(head, ct);
  }

  /** The plaintext of `sealed`, or why it did not open. */
  open(sealed: Uint8Array, aad: Uint8Array): { plaintext: Uint8Array; keyId: number } | { failure: UnsealFailure; keyId?: number } {
    if (sealed.length < SEAL_OVERHEAD_BYTES) return { failure: 'truncated' };
    if (sealed[0] !== SEAL_VERSION) return { failure: 'version' };
    const keyId = readU16(sealed, 1);
    const key = this.#keys.get(keyId);
    if (key === undefined) return { failure: 'unknown-key', keyId };
    const plaintext = this.#crypto.aeadOpen(
      key,
      sealed.subarray(3, 3 + SIZES.aeadNonce),
      sealed.subarray(3 + SIZES.aeadNonce),
      concatBytes(sealed.subarray(0, 3), aad),
    );
    return plaintext === undefined ? { failure: 'tag', keyId } : { plaintext, keyId };
  }
}
