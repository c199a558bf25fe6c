/**
 * The crypto seam (docs/crypto.md). Every primitive pqble uses goes through one
 * {@link CryptoProvider}: {@link nobleCrypto} (pure TypeScript, any Node) or
 * {@link nodeCrypto} (native ML-KEM-768, ML-DSA-65 and X25519 where `node:crypto` has
 * them, Node 24). {@link defaultCrypto} picks between them by feature detection; the
 * `crypto` options override it.
 *
 * Primitives: ML-KEM-768 (FIPS 203), ML-DSA-65 (FIPS 204), X25519, ChaCha20-Poly1305,
 * HKDF-SHA-256, HMAC-SHA-256, SHA-256, and a CSPRNG.
 *
 * @module
 */

import { PqbleError } from '../errors.js';
import { nobleCrypto } from './noble.js';
import { nodeCrypto, nodeCryptoSupport } from './node.js';
import type { CryptoProvider } from './types.js';
import { jwkX25519Available, nobleWithNativeX25519 } from './x25519-jwk.js';

export { SIZES } from './types.js';
export type { CryptoProvider, KeyPair } from './types.js';
export { nobleCrypto } from './noble.js';
export { NATIVE_AEAD_MIN_BYTES, nodeCrypto, nodeCryptoSupport } from './node.js';
export type { NodeCryptoSupport } from './node.js';

/** A backend's name as the CLI and the benchmark take it: `auto` is {@link defaultCrypto}. */
export type CryptoBackendName = 'auto' | 'noble' | 'node';

/** The names {@link cryptoBackend} accepts. */
export const CRYPTO_BACKEND_NAMES: readonly CryptoBackendName[] = Object.freeze(['auto', 'noble', 'node']);

/**
 * The provider pqble uses when none is given: {@link nodeCrypto} where
 * {@link nodeCryptoSupport} finds native ML-KEM-768 and ML-DSA-65, else {@link nobleCrypto}
 * with X25519 from `node:crypto` (JWK keys; about 9× faster, which keeps a `psk-dhe`
 * resumption within 0.3 ms of CPU per side), or plain noble where even that is missing.
 * The first call runs the feature probe (about 3 ms on Node 24, 0.1 ms where the API is
 * missing); later calls only read its cached answer. Importing pqble runs nothing.
 */
export function defaultCrypto(): CryptoProvider {
  if (nodeCryptoSupport().available) return nodeCrypto;
  return jwkX25519Available() ? nobleWithNativeX25519 : nobleCrypto;
}

/**
 * The provider named `name`: `noble`, `node`, or `auto` ({@link defaultCrypto}).
 * @throws TypeError if `name` is not one of those; PqbleError `PQBLE_ERR_UNSUPPORTED` for
 *   `node` where this Node has no native ML-KEM-768 / ML-DSA-65 (the message says why)
 */
export function cryptoBackend(name: CryptoBackendName): CryptoProvider {
  switch (name) {
    case 'auto':
      return defaultCrypto();
    case 'noble':
      return nobleCrypto;
    case 'node': {
      const support = nodeCryptoSupport();
      if (!support.available) throw new PqbleError('PQBLE_ERR_UNSUPPORTED', `crypto backend "node" is not available: ${support.reason ?? 'unknown reason'}`);
      return nodeCrypto;
    }
    default:
      throw new TypeError(`crypto backend must be one of ${CRYPTO_BACKEND_NAMES.join(', ')}, got ${JSON.stringify(String(name)).slice(0, 40)}`);
  }
}

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
 * Returns `crypto` (default {@link defaultCrypto}()) after checking it has every
 * {@link CryptoProvider} method. Internal: the check behind every `crypto` option.
 * @throws TypeError for anything that is not a CryptoProvider
 */
export function checkCrypto(crypto: unknown, label = 'crypto'): CryptoProvider {
  if (crypto === undefined) return defaultCrypto();
  if (crypto === null || typeof crypto !== 'object') throw new TypeError(`${label} must be a CryptoProvider`);
  for (const name of PROVIDER_METHODS) {
    if (typeof (crypto as Record<string, unknown>)[name] !== 'function') throw new TypeError(`${label}.${name} must be a function`);
  }
  return crypto as CryptoProvider;
}
