/**
 * The storage-key file of the session store (docs/store.md "The storage key"; the same file
 * format as version 1, docs/cache-file.md "Key file"): `{"version":1,"type":"pqble-storage-key",
 * "key":"<base64 of 32 bytes>"}`, mode 0600, next to the store file (`<path>.key`) unless the
 * caller keeps the key elsewhere. Created atomically and never overwritten.
 *
 * @module
 */

import { chmod, link, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { wipe } from '../../bytes.js';
import type { CryptoProvider } from '../../crypto/index.js';
import { FileFormatError } from '../../errors.js';
import { errnoCode, readSmallFile, syncDir, writeTemp, type RawFile } from '../../util/fs.js';

/** `type` of a storage-key file. */
export const STORAGE_KEY_FILE_TYPE = 'pqble-storage-key';
/** Bytes of a storage key. */
export const STORE_KEY_BYTES = 32;
const MAX_KEY_FILE_BYTES = 4096;
const KEY_B64_RE = /^[A-Za-z0-9+/]{43}=$/;

function keyFileError(reason: string, cause?: unknown): FileFormatError {
  return new FileFormatError('PQBLE_ERR_KEY_FILE', reason, cause === undefined ? {} : { cause });
}

/** Decodes a key file's bytes. @throws FileFormatError `PQBLE_ERR_KEY_FILE` */
function decodeStorageKeyFile(bytes: Uint8Array): Uint8Array {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw keyFileError('not valid JSON', err);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw keyFileError('not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.type !== STORAGE_KEY_FILE_TYPE) throw keyFileError(`not a pqble storage key file (type is not "${STORAGE_KEY_FILE_TYPE}")`);
  if (d.version !== 1) throw keyFileError('unsupported version');
  if (Object.keys(d).length !== 3 || typeof d.key !== 'string' || !KEY_B64_RE.test(d.key)) throw keyFileError(`key is not ${STORE_KEY_BYTES} bytes of base64`);
  return new Uint8Array(Buffer.from(d.key, 'base64'));
}

/** The key file's key, or `undefined` if there is no key file. @throws FileFormatError `PQBLE_ERR_KEY_FILE` */
export async function readStorageKeyFile(keyPath: string, onLooseMode?: (mode: number) => void): Promise<Uint8Array | undefined> {
  let raw: RawFile;
  try {
    raw = await readSmallFile(keyPath, MAX_KEY_FILE_BYTES, keyFileError);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const key = decodeStorageKeyFile(raw.bytes);
    if (process.platform !== 'win32' && (raw.mode & 0o077) !== 0) {
      await chmod(keyPath, 0o600).catch(() => undefined);
      onLooseMode?.(raw.mode);
    }
    return key;
  } finally {
    wipe(raw.bytes);
  }
}

/**
 * The key file's key, creating the file (mode 0600, atomically, never replacing one that
 * appeared meanwhile) when missing.
 * @throws FileFormatError `PQBLE_ERR_KEY_FILE` if it is unusable or cannot be created
 */
export async function readOrCreateStorageKeyFile(
  keyPath: string,
  crypto: CryptoProvider,
  onLooseMode?: (mode: number) => void,
): Promise<{ key: Uint8Array; created: boolean }> {
  const existing = await readStorageKeyFile(keyPath, onLooseMode);
  if (existing !== undefined) return { key: existing, created: false };
  const fresh = crypto.randomBytes(STORE_KEY_BYTES);
  const text = `${JSON.stringify({ version: 1, type: STORAGE_KEY_FILE_TYPE, key: Buffer.from(fresh).toString('base64') })}\n`;
  let tmp: string;
  try {
    tmp = await writeTemp(keyPath, text);
  } catch (err) {
    wipe(fresh);
    throw keyFileError(`cannot create the storage key file ${keyPath} (${errnoCode(err) ?? 'unknown error'})`, err);
  }
  try {
    await link(tmp, keyPath);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') {
      wipe(fresh);
      await unlink(tmp).catch(() => undefined);
      const theirs = await readStorageKeyFile(keyPath, onLooseMode);
      if (theirs === undefined) throw keyFileError(`the storage key file ${keyPath} vanished while being created`);
      return { key: theirs, created: false };
    }
    try {
      await rename(tmp, keyPath);
    } catch (err2) {
      wipe(fresh);
      await unlink(tmp).catch(() => undefined);
      throw keyFileError(`cannot create the storage key file ${keyPath} (${errnoCode(err2) ?? 'unknown error'})`, err2);
    }
  }
  await unlink(tmp).catch(() => undefined);
  await syncDir(dirname(keyPath));
  return { key: fresh, created: true };
}
