/**
 * File helpers shared by the two file formats that hold secrets: identity key files
 * (src/identity/file.ts) and the session store's storage key file (src/session/file/storage-key.ts).
 * Writes are atomic and private (temp file mode 0600 in the same folder, fsync, rename or
 * link, fsync of the folder); reads are bounded and never block on a FIFO.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileFormatError } from '../errors.js';

const IS_WINDOWS = process.platform === 'win32';

/** The `code` of a Node system error (`'ENOENT'`, ...), if any. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** True if something (a file, folder or link) exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** fsync of a directory, so a rename survives a crash; not supported everywhere (ignored there). */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Windows and some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Writes `data` to a new temp file next to `path` (mode 0600; the folder is created with
 * mode 0700 if missing) and fsyncs it. Returns the temp file's name; the caller renames or
 * links it into place, or unlinks it.
 */
export async function writeTemp(path: string, data: string | Uint8Array): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx', 0o600);
    if (!IS_WINDOWS) await fh.chmod(0o600);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    return tmp;
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Atomic replace: temp file (0600), fsync, rename over `path`, fsync of the folder. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(path, data);
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(path));
}

/** A file's bytes and permission bits. */
export interface RawFile {
  readonly bytes: Uint8Array;
  readonly mode: number;
}

/**
 * Reads a whole regular file of at most `maxBytes`, without blocking on a FIFO and without
 * trusting a size checked earlier. ENOENT is rethrown as is; everything else becomes `error()`.
 */
export async function readSmallFile(path: string, maxBytes: number, error: (reason: string, cause?: unknown) => FileFormatError): Promise<RawFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') throw err;
    if (code === 'EISDIR') throw error('is a directory, not a file', err);
    if (code === 'EACCES' || code === 'EPERM') throw error('cannot be read (permission denied)', err);
    throw error(`cannot be opened (${code ?? 'unknown error'})`, err);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw error('is a directory, not a file');
    if (!st.isFile()) throw error('is not a regular file');
    if (st.size > maxBytes) throw error(`is too big (${st.size} bytes, limit ${maxBytes})`);
    const buf = new Uint8Array(st.size + 1);
    let total = 0;
    for (;;) {
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, total, buf.length - total, null));
      } catch (err) {
        throw error(`cannot be read (${errnoCode(err) ?? 'unknown error'})`, err);
      }
      if (n === 0) break;
      total += n;
      if (total === buf.length) throw error(`grew while being read (limit ${maxBytes} bytes)`);
    }
    return { bytes: buf.subarray(0, total), mode: st.mode & 0o777 };
  } finally {
    await fh.close().catch(() => undefined);
  }
}
