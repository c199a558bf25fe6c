/**
 * The embedded version-2 session store (docs/store.md): {@link FileSessionStore} on the
 * per-entry `SessionStore` seam, and the inspection helpers of `pqble sessions`.
 *
 * @module
 */

export {
  FileSessionStore,
  DEFAULT_FILE_STORE_TIMEOUT_MS,
  DEFAULT_MAX_STORE_FILE_BYTES,
  DEFAULT_COMPACT_MIN_BYTES,
  type FileSessionStoreOptions,
} from './store.js';
export type { V1Entry } from './migrate-v1.js';
export { STORE_FILE_VERSION } from './format.js';
export { STORE_KEY_BYTES, STORAGE_KEY_FILE_TYPE } from './storage-key.js';
export {
  readStoreFileMetadata,
  pruneStoreFile,
  forgetStoreEntry,
  clearStoreFile,
  sessionFileKind,
  type StoreEntryMetadata,
  type StoreFileMetadata,
  type StoreToolOptions,
  type PruneStoreFileOptions,
  type SessionFileKind,
} from './tools.js';
