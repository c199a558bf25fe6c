/**
 * `pqble/node`: the parts of pqble that need Node.js's file system, kept out of the root so
 * that `import 'pqble'` loads no Node module and bundles for a browser (docs/api.md "Entry
 * points"): identity key files, and the embedded file session store with the inspection
 * tools of `pqble sessions` (docs/store.md). The transport opens the file store by itself
 * for `sessionPersistPath`; import it from here to open it yourself (for example to pass it
 * as `sessionStore`, or to inspect a file).
 *
 * @module
 */

export { IDENTITY_FILE_VERSION, MAX_IDENTITY_FILE_BYTES, loadIdentity, saveIdentity } from '../identity/file.js';
export type { LoadIdentityOptions, SaveIdentityOptions } from '../identity/file.js';
export {
  FileSessionStore,
  DEFAULT_FILE_STORE_TIMEOUT_MS,
  DEFAULT_MAX_STORE_FILE_BYTES,
  DEFAULT_COMPACT_MIN_BYTES,
  STORE_FILE_VERSION,
  STORE_KEY_BYTES,
  STORAGE_KEY_FILE_TYPE,
  readStoreFileMetadata,
  pruneStoreFile,
  forgetStoreEntry,
  clearStoreFile,
  sessionFileKind,
} from '../session/file/index.js';
export type {
  FileSessionStoreOptions,
  V1Entry,
  StoreEntryMetadata,
  StoreFileMetadata,
  StoreToolOptions,
  PruneStoreFileOptions,
  SessionFileKind,
} from '../session/file/index.js';
