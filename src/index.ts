/**
 * pqble: a post-quantum secure link for Bluetooth Low Energy with 1-RTT session resumption.
 *
 * The root exports the transport, identities, trust policies, the session cache and store,
 * the resumption token, the link seam types and the coded errors. The simulated radio is at
 * `pqble/radio`; the real-radio adapters at `pqble/noble` and `pqble/bleno` (optional,
 * native, loaded only when imported).
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
export { generateIdentity, loadIdentity, saveIdentity, identityFingerprint, fingerprintToHex, parseFingerprint } from './identity/index.js';
export type { Identity } from './identity/index.js';
export type { TrustPolicy, PeerInfo } from './handshake/index.js';
export { ResumeToken } from './resumption/index.js';
export { SessionCache, FileSessionStore } from './session/index.js';
export type { CachedSession, SessionCacheOptions, SnapshotSessionStore, FileSessionStoreOptions } from './session/index.js';
