/**
 * Session caching (docs/security.md "Properties" 8-10; docs/store.md): the in-memory
 * {@link SessionCache} and its persistence seam ({@link SessionStore}) with the default
 * file-backed {@link FileSessionStore} (format: docs/cache-file.md).
 *
 * @module
 */

export type { CachedSession } from './types.js';
export {
  SessionCache,
  isSessionExpired,
  DEFAULT_MAX_CACHED_SESSIONS,
  DEFAULT_SESSION_TTL_MS,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  type SessionCacheOptions,
  type SessionCacheCounters,
  type SessionCacheChange,
} from './cache.js';
export { MemorySnapshotStore, type SnapshotSessionStore } from './snapshot-store.js';
export type { SessionStore, StoredSession, InboundSlot, StoreCallOptions, SessionTouch } from './store.js';
export {
  FileSessionStore,
  readCacheFileMetadata,
  pruneCacheFile,
  clearCacheFile,
  CACHE_FILE_FORMAT,
  CACHE_FILE_VERSION,
  KEY_FILE_TYPE,
  DEFAULT_MAX_CACHE_FILE_BYTES,
  STORAGE_KEY_BYTES,
  type FileSessionStoreOptions,
  type CacheFileMetadata,
  type CacheFileSessionMetadata,
  type PruneCacheFileOptions,
  type ReadCacheFileOptions,
} from './file-store.js';

// --- Session store v2 (per-entry seam; docs/store.md) -----------------------------------
export { MemorySessionStore, DEFAULT_MEMORY_STORE_TIMEOUT_MS, type MemorySessionStoreOptions } from './memory-store.js';
export type { RatchetUpdate, SessionStoreCounters } from './store.js';
export { MAX_STORE_VALUE_BYTES, STORE_VALUE_NAME_RE } from './store.js';
