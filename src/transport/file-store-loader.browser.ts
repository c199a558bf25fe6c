/**
 * What bundlers for the browser use instead of ./file-store-loader.ts (the `browser` field
 * of package.json maps one onto the other, docs/api.md "Entry points"): there is no file
 * system, so `sessionPersistPath` is refused with a coded error and the bundle holds no
 * `node:fs`. Pass a `sessionStore` instead (`MemorySessionStore`, or one of your own).
 *
 * @module
 */

import { PqbleError } from '../errors.js';
import type { SessionStore } from '../session/store.js';
import type { FileStoreInit } from './file-store-loader.js';

/** Always rejects with `PqbleError` `PQBLE_ERR_UNSUPPORTED`: the file store needs Node.js. */
export function openFileStore(init: FileStoreInit): Promise<SessionStore> {
  return Promise.reject(
    new PqbleError('PQBLE_ERR_UNSUPPORTED', `sessionPersistPath (${init.path.slice(0, 80)}) needs Node.js's file system; pass a sessionStore instead`),
  );
}
