/**
 * File chores of the version-2 store (docs/store.md "Recovery" and "Compaction"): reading
 * the whole file, removing the temp files of killed writes, and setting damaged or foreign
 * content aside as `<path>.corrupt-<timestamp>-<random>` (or `.v1-…`).
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StoreError } from '../../errors.js';
import { errnoCode } from '../../util/fs.js';
import { ioError } from './journal.js';

/** `2026-12-01T10:00:00.000Z` as `20261201T100000000Z`. */
export function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}

/** The whole file, or `undefined` if there is none. */
export async function readWholeFile(path: string, maxFileBytes: number): Promise<Uint8Array | undefined> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new StoreError('PQBLE_ERR_STORE_IO', `the session store ${path} is not a regular file`);
    if (st.size > maxFileBytes)
      throw new StoreError('PQBLE_ERR_STORE_IO', `the session store ${path} is ${st.size} bytes, over maxFileBytes (${maxFileBytes})`);
    return new Uint8Array(await readFile(path));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    if (err instanceof StoreError) throw err;
    throw ioError('read', path, err);
  }
}

/** Removes `<path>.compact-*` and `<path>.tmp-*` (temp files of killed writes). */
export async function removeTempFiles(path: string): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (n.startsWith(`${base}.compact-`) || n.startsWith(`${base}.tmp-`)) await unlink(join(dir, n)).catch(() => undefined);
  }
}

/** A new name beside `path`: `<path>.<what>-<timestamp>-<random>`. */
function asideName(path: string, what: string, nowMs: number): string {
  return `${path}.${what}-${fileStamp(nowMs)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Renames the whole file aside; resolves the new name, or `undefined` if the file is
 * already gone (the version-1 reader sets a damaged cache file aside itself).
 */
export async function setWholeFileAside(path: string, what: 'corrupt' | 'v1', nowMs: number): Promise<string | undefined> {
  const target = asideName(path, what, nowMs);
  try {
    await rename(path, target);
    return target;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw ioError('set aside', path, err);
  }
}

/** Writes damaged bytes to `<path>.corrupt-<timestamp>-<random>` (mode 0600); resolves the name, or `undefined` if that failed. */
export async function copyBytesAside(path: string, parts: Uint8Array[], nowMs: number): Promise<string | undefined> {
  const target = asideName(path, 'corrupt', nowMs);
  try {
    await writeFile(target, Buffer.concat(parts), { mode: 0o600, flag: 'wx' });
    return target;
  } catch {
    return undefined;
  }
}
