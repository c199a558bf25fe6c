/**
 * Option checking for the identity and handshake modules (STYLE.md rule 5: an unknown key
 * is an error, since a typo looks like an omission): the shared `checkOptionKeys` plus a
 * check of an injected CryptoProvider. Internal; not exported from the package.
 *
 * @module
 */

import { nobleCrypto, type CryptoProvider } from '../crypto/index.js';

export { checkOptionKeys } from '../util/options.js';

const PROVIDER_METHODS = ['kemKeygen', 'kemEncapsulate', 'kemDecapsulate', 'sigKeygen', 'sign', 'verify', 'x25519Keygen', 'x25519', 'aeadSeal', 'aeadOpen', 'hkdfExtract', 'hkdfExpand', 'hmac', 'sha256', 'randomBytes'] as const;

/** Returns `crypto` (default `nobleCrypto`) after checking it has every CryptoProvider method. */
export function checkCrypto(crypto: unknown, label = 'crypto'): CryptoProvider {
  if (crypto === undefined) return nobleCrypto;
  if (crypto === null || typeof crypto !== 'object') throw new TypeError(`${label} must be a CryptoProvider`);
  for (const name of PROVIDER_METHODS) {
    if (typeof (crypto as Record<string, unknown>)[name] !== 'function') throw new TypeError(`${label}.${name} must be a function`);
  }
  return crypto as CryptoProvider;
}
