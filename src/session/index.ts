/**
 * Session caching (docs/security.md "Properties" 8-10; docs/store.md): the per-entry
 * persistence seam ({@link SessionStore}), the in-memory store and the expiry rule. The
 * file-backed store is in ./file/ (format: docs/store.md).
 *
 * @module
 */

export type { CachedSession } from './types.js';
export { DEFAULT_SESSION_TTL_MS, DEFAULT_MAX_CLOCK_SKEW_MS, isSessionExpired } from './expiry.js';
export type { SessionStore, StoredSession, InboundSlot, StoreCallOptions, SessionTouch } from './store.js';

// --- Session store v2 (per-entry seam; docs/store.md) -----------------------------------
export { MemorySessionStore, DEFAULT_MEMORY_STORE_TIMEOUT_MS, type MemorySessionStoreOptions } from './memory-store.js';
export type { RatchetUpdate, SessionStoreCounters } from './store.js';
export { MAX_STORE_VALUE_BYTES, STORE_VALUE_NAME_RE } from './store.js';
