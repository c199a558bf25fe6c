/**
 * pqble: a post-quantum secure link for Bluetooth Low Energy with 1-RTT session resumption.
 *
 * The root exports the transport, identities, trust policies, the session cache and store
 * seam, the resumption token, the link seam types, the crypto backends and the coded
 * errors, and loads no Node.js module (it bundles for a browser; `node:crypto` is taken
 * from `process.getBuiltinModule` when a native primitive first runs). The node-only parts
 * (identity key files, the file session store and its tools) are at `pqble/node`; the
 * simulated radio at `pqble/radio`; the real-radio adapters at `pqble/noble` and
 * `pqble/bleno` (optional peer dependencies, loaded only when used); the Redis store at
 * `pqble/redis` (docs/api.md "Entry points").
 *
 * @module
 */
export * from './errors.js';
export type { Clock, Timer, TimerOptions } from './clock.js';
export { systemClock } from './clock.js';
export type { Logger } from './logger.js';
export { consoleLogger, silentLogger } from './logger.js';
export * from './link/index.js';
export type { CryptoBackendName, CryptoProvider, KeyPair, NodeCryptoSupport } from './crypto/index.js';
export { cryptoBackend, defaultCrypto, nobleCrypto, nodeCrypto, nodeCryptoSupport } from './crypto/index.js';
export * from './transport/index.js';
export {
  generateIdentity,
  identityFromSeed,
  identityFromKeyPair,
  isIdentity,
  identityFingerprint,
  fingerprintToHex,
  parseFingerprint,
} from './identity/identity.js';
export type { Identity, GenerateIdentityOptions, IdentityFromSecretOptions } from './identity/identity.js';
export type { TrustPolicy, PeerInfo } from './handshake/index.js';
export { ResumeRejectedError } from './resumption/reject.js';
export type { ResumeRejectReason } from './resumption/reject.js';
export type { CachedSession } from './session/types.js';
export { MemorySessionStore, DEFAULT_MEMORY_STORE_TIMEOUT_MS } from './session/memory-store.js';
export type { MemorySessionStoreOptions } from './session/memory-store.js';
export { MAX_STORE_VALUE_BYTES, STORE_VALUE_NAME_RE } from './session/store.js';
export type { SessionStore, StoredSession, InboundSlot, StoreCallOptions, SessionTouch, RatchetUpdate, SessionStoreCounters } from './session/store.js';
