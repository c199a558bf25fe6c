/**
 * Opening a version-2 file store (docs/store.md "Recovery", "Migration from version 1",
 * "Locking"): the lock, temp files of killed writes, the storage key, a version-1 file
 * migrated or set aside, a foreign file set aside, the journal loaded (damage copied aside,
 * a torn tail cut off), a version-2 file rewritten as version 3, or a new file created.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { wipe } from '../../bytes.js';
import { StoreError } from '../../errors.js';
import { syncDir } from '../../util/fs.js';
import type { StoredSession } from '../store.js';
import { copyStoredSession } from '../store-checks.js';
import type { GroupCommit } from './commit.js';
import { writeInitialFile } from './compaction.js';
import type { StoreCore } from './core.js';
import { copyBytesAside, readWholeFile, removeTempFiles, setWholeFileAside } from './files.js';
import { FILE_HEADER_BYTES, REC, STORE_FILE_VERSION, classifyFile, fileVersion } from './format.js';
import { JournalFile, ioError } from './journal.js';
import { loadJournal } from './load.js';
import { acquireStoreLock, type StoreLock } from './lock.js';
import { migrateV1File, type V1Entry } from './migrate-v1.js';
import { FileMirror } from './mirror.js';
import { StoreKeys } from './seal.js';
import { readOrCreateStorageKeyFile, readStorageKeyFile } from './storage-key.js';

/** What opening needs besides the core. */
export interface OpenParams {
  readonly keyPath: string;
  /** A checked copy of the caller's key (wiped here), or `undefined` to use the key file. */
  readonly storageKey: Uint8Array | undefined;
  readonly maxFileBytes: number;
  readonly migrateV1: ((entry: V1Entry) => StoredSession | undefined) | undefined;
  readonly nowMs: () => number;
}

/** What an open found: the file's format version before (2 means the caller compacts it to 3). */
export interface Opened {
  readonly lock: StoreLock | undefined;
  readonly version: number;
}

function warnMode(core: StoreCore, keyPath: string): (mode: number) => void {
  return (mode) =>
    core.warn(`pqble: storage key file ${keyPath} had mode ${mode.toString(8).padStart(4, '0')}, which lets other users read it; changed it to 0600`, {
      path: keyPath,
    });
}

async function setAsideWhole(core: StoreCore, what: 'corrupt' | 'v1', reason: string, nowMs: number): Promise<void> {
  const target = await setWholeFileAside(core.path, what, nowMs);
  if (target !== undefined)
    core.warn(`pqble: session store ${core.path}: ${reason}; set it aside as ${target} and started empty`, { path: core.path, movedTo: target, reason });
}

/** Inspection only: no lock, nothing changed. */
export async function openReadOnly(core: StoreCore, p: OpenParams): Promise<Opened> {
  core.readOnly = true;
  const bytes = await readWholeFile(core.path, p.maxFileBytes);
  if (bytes === undefined)
    throw new StoreError('PQBLE_ERR_STORE_IO', `no session store file at ${core.path}`, { cause: Object.assign(new Error('ENOENT'), { code: 'ENOENT' }) });
  const kind = classifyFile(bytes.subarray(0, FILE_HEADER_BYTES));
  if (kind === 'v1-json') throw new StoreError('PQBLE_ERR_STORE_IO', `${core.path} is a version-1 session cache file, not a version-2 store`);
  if (kind !== 'v2') throw new StoreError('PQBLE_ERR_STORE_IO', `${core.path} is not a pqble session store file`);
  const key = p.storageKey ?? (await readStorageKeyFile(p.keyPath));
  if (key === undefined) throw new StoreError('PQBLE_ERR_STORE_IO', `no storage key file at ${p.keyPath} (the store's entries are sealed under it)`);
  core.keys = new StoreKeys(core.crypto, key);
  wipe(key);
  await loadFile(core, bytes, p.nowMs);
  return { lock: undefined, version: fileVersion(bytes) };
}

/** Opens for writing (see the module header). */
export async function openWritable(core: StoreCore, commit: GroupCommit, p: OpenParams): Promise<Opened> {
  try {
    await mkdir(dirname(core.path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError('create the folder of', core.path, err);
  }
  const lock = await acquireStoreLock(core.path);
  let storageKey = p.storageKey;
  try {
    await removeTempFiles(core.path);
    let bytes = await readWholeFile(core.path, p.maxFileBytes);
    let kind = bytes === undefined ? 'empty' : classifyFile(bytes.subarray(0, FILE_HEADER_BYTES));
    let migrated: V1Entry[] | undefined;
    if (kind === 'v1-json') {
      migrated = await migrateV1File(core.path, {
        logger: core.logger,
        crypto: core.crypto,
        keyPath: p.keyPath,
        ...(storageKey === undefined ? {} : { storageKey }),
      });
      if (p.migrateV1 === undefined) {
        for (const e of migrated) wipe(e.resumptionSecret);
        migrated = undefined;
        await setAsideWhole(core, 'v1', 'it is a version-1 cache file and no migrateV1 conversion was given', p.nowMs());
      }
      bytes = undefined;
      kind = 'empty';
    } else if (kind === 'foreign' || (kind === 'short' && bytes !== undefined && bytes.length > 0)) {
      await setAsideWhole(core, 'corrupt', kind === 'short' ? 'the file header is incomplete' : 'it is not a pqble session store file (bad header)', p.nowMs());
      bytes = undefined;
      kind = 'empty';
    }
    if (storageKey === undefined) {
      if (kind === 'v2') {
        storageKey = await readStorageKeyFile(p.keyPath, warnMode(core, p.keyPath));
        if (storageKey === undefined) {
          await setAsideWhole(core, 'corrupt', `the storage key file ${p.keyPath} is missing, so the sealed entries cannot be opened`, p.nowMs());
          bytes = undefined;
          kind = 'empty';
        }
      }
      storageKey ??= (await readOrCreateStorageKeyFile(p.keyPath, core.crypto, warnMode(core, p.keyPath))).key;
    }
    core.keys = new StoreKeys(core.crypto, storageKey);
    wipe(storageKey);
    if (kind === 'v2' && bytes !== undefined) {
      await loadFile(core, bytes, p.nowMs);
      return { lock, version: fileVersion(bytes) };
    }
    const initial = migrated === undefined ? [] : migrated.map((e) => p.migrateV1!(e)).filter((s): s is StoredSession => s !== undefined);
    await createFile(core, commit, initial);
    for (const e of migrated ?? []) wipe(e.resumptionSecret);
    if (migrated !== undefined)
      core.warn(`pqble: migrated the version-1 session cache ${core.path} to the version-2 store (${core.index.size} entries)`, { path: core.path });
    return { lock, version: STORE_FILE_VERSION };
  } catch (err) {
    await (core.journal as JournalFile | undefined)?.handle.close().catch(() => undefined);
    await lock.release();
    if (err instanceof StoreError) throw err;
    throw ioError('open', core.path, err);
  }
}

/** Loads a store file's bytes, sets damage aside, opens the handle, cuts a bad tail. */
async function loadFile(core: StoreCore, bytes: Uint8Array, nowMs: () => number): Promise<void> {
  const result = await loadJournal(core, bytes);
  const aside: Uint8Array[] = result.damaged.map((r) => bytes.subarray(r.from, r.to));
  if (result.tail?.kind === 'damaged') aside.push(bytes.subarray(result.tail.range.from, result.tail.range.to));
  if (aside.length > 0 && core.readOnly) {
    core.warn(`pqble: session store ${core.path}: ${aside.length} damaged place${aside.length === 1 ? '' : 's'} skipped (read-only: nothing set aside)`, {
      path: core.path,
    });
  } else if (aside.length > 0) {
    const n = aside.reduce((a, b) => a + b.length, 0);
    const reason = `${n} damaged bytes in ${aside.length} place${aside.length === 1 ? '' : 's'} were skipped`;
    const target = await copyBytesAside(core.path, aside, nowMs());
    if (target === undefined)
      core.warn(`pqble: session store ${core.path}: ${reason}; kept every good entry (the damaged bytes could not be copied aside)`, {
        path: core.path,
        reason,
      });
    else
      core.warn(`pqble: session store ${core.path}: ${reason}; copied the damaged bytes to ${target} and kept every good entry`, {
        path: core.path,
        movedTo: target,
        reason,
      });
  }
  let fh: FileHandle;
  try {
    fh = await open(core.path, core.readOnly ? 'r' : 'r+');
  } catch (err) {
    throw ioError('open', core.path, err);
  }
  core.journal = new JournalFile(core.path, fh, bytes.length);
  core.mirror = FileMirror.of(bytes);
  if (result.tail !== undefined && !core.readOnly) {
    if (result.tail.kind === 'torn') {
      core.warn(
        `pqble: session store ${core.path}: dropped an incomplete last record (${result.tail.range.to - result.tail.range.from} bytes of a write that did not finish)`,
        { path: core.path },
      );
    }
    try {
      await fh.truncate(result.validEnd);
      await fh.datasync();
    } catch (err) {
      throw ioError('truncate', core.path, err);
    }
    core.journal.size = result.validEnd;
    core.mirror.truncate(result.validEnd);
  }
}

/** A new, empty file (or one holding `initial`, from a migration), written atomically. */
async function createFile(core: StoreCore, commit: GroupCommit, initial: StoredSession[]): Promise<void> {
  const tmp = `${core.path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fh: FileHandle | undefined;
  try {
    for (const s of initial) {
      const row = core.newRow(copyStoredSession(s, 'migrateV1 result'), REC.entry);
      const prev = core.index.link(row);
      if (prev >= 0) core.releaseRow(prev);
    }
    fh = await open(tmp, 'wx', 0o600);
    const size = await writeInitialFile(core, commit, fh);
    await fh.sync();
    await rename(tmp, core.path);
    await syncDir(dirname(core.path));
    core.journal = new JournalFile(core.path, fh, size);
    fh = undefined;
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err instanceof StoreError ? err : ioError('create', core.path, err);
  }
}
