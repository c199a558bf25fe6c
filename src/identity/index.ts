/**
 * Long-term ML-DSA-65 identities, their fingerprints and key files (docs/protocol.md
 * "Identities and fingerprints", "Identity file").
 *
 * @module
 */

export {
  FINGERPRINT_BYTES,
  IDENTITY_SEED_BYTES,
  fingerprintToHex,
  generateIdentity,
  identityFingerprint,
  identityFromKeyPair,
  identityFromSeed,
  isIdentity,
  parseFingerprint,
} from './identity.js';
export type { GenerateIdentityOptions, Identity, IdentityFromSecretOptions } from './identity.js';
export { IDENTITY_FILE_VERSION, MAX_IDENTITY_FILE_BYTES, loadIdentity, saveIdentity } from './file.js';
export type { LoadIdentityOptions, SaveIdentityOptions } from './file.js';
