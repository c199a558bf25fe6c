/**
 * Online compaction of the version-2 file store (docs/store.md "Compaction"), and the
 * snapshot writer it shares with creating a file: every live entry is written again, in
 * entry blocks under a new segment, into a new file, while calls go on; the entries they
 * change meanwhile are noted and written again once the writer is paused; the new file is
 * fsynced, renamed over the old one, and the index is pointed at it.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { wipe } from '../../bytes.js';
import { StoreError } from '../../errors.js';
import { syncDir } from '../../util/fs.js';
import type { GroupCommit } from './commit.js';
import { blockCache, dropBlockCache, type BlockCache, type Segment, type StoreCore } from './core.js';
import { writeBlocks, writeValueRecord } from './encode.js';
import { ROW_GEN } from './row-index.js';
import {
  BLOCK_MAX_ENTRIES,
  CONSUMED_RECORD_BYTES,
  REC,
  DELETE_RECORD_BYTES,
  FILE_HEADER_BYTES,
  SALT_BYTES,
  encodeFileHeader,
  writeConsumedRecord,
  writeDeleteRecord,
  writeSegmentRecord,
} from './format.js';
import { SLICE_MS, ioError, yieldToLoop } from './journal.js';
import { FileMirror } from './mirror.js';
import { RecordWriter } from './writer.js';

/** Bytes written per `write()` of a snapshot. */
const FLUSH_BYTES = 512 * 1024;

/** Where a snapshot put each row. */
class Placement {
  loc = new Float64Array(1024).fill(-1);
  sub = new Uint8Array(1024);

  set(row: number, loc: number, sub: number): void {
    if (row >= this.loc.length) {
      let n = this.loc.length;
      while (n <= row) n *= 2;
      const l = new Float64Array(n).fill(-1);
      l.set(this.loc);
      const s = new Uint8Array(n);
      s.set(this.sub);
      this.loc = l;
      this.sub = s;
    }
    this.loc[row] = loc;
    this.sub[row] = sub;
  }

  get(row: number): number {
    return row < this.loc.length ? this.loc[row] : -1;
  }
}

/** A snapshot being written: its file, writer, mirror of what it wrote, and placements. */
class Snapshot {
  readonly fh: FileHandle;
  readonly segment: Segment;
  readonly mirror = new FileMirror();
  readonly placed = new Placement();
  w: RecordWriter;

  constructor(core: StoreCore, fh: FileHandle) {
    this.fh = fh;
    const salt = core.crypto.randomBytes(SALT_BYTES);
    this.segment = { start: FILE_HEADER_BYTES, salt, key: core.keys.segmentKey(salt) };
    this.w = new RecordWriter(0, this.segment, FLUSH_BYTES * 2);
    this.w.buf.set(encodeFileHeader(), this.w.reserve(FILE_HEADER_BYTES));
    writeSegmentRecord(this.w.buf, this.w.reserve(21), salt);
  }

  get size(): number {
    return this.mirror.size + this.w.len;
  }

  async flush(): Promise<void> {
    const b = this.w.bytes();
    let done = 0;
    while (done < b.length) done += (await this.fh.write(b, done, b.length - done, this.mirror.size + done)).bytesWritten;
    this.mirror.appendChunk(b);
    this.w = new RecordWriter(this.mirror.size, this.segment, FLUSH_BYTES * 2);
  }
}

/**
 * Writes every live entry (in blocks, with yields) and, with `extras`, the consumed tickets
 * and the values, into `fh` from offset 0. Throws `PQBLE_ERR_STORE_CLOSED` if `cancelled()`
 * turns true between slices.
 */
async function writeSnapshot(core: StoreCore, fh: FileHandle, cancelled: () => boolean, extras: boolean): Promise<Snapshot> {
  const snap = new Snapshot(core, fh);
  const ix = core.index;
  const cache = blockCache();
  const rows = new Int32Array(BLOCK_MAX_ENTRIES * 8);
  const place = (row: number, loc: number, sub: number): void => snap.placed.set(row, loc, sub);
  try {
    let sliceStart = performance.now();
    let r = 0;
    while (r < ix.rowLimit) {
      let n = 0;
      while (r < ix.rowLimit && n < rows.length) {
        if (ix.isLive(r)) rows[n++] = r;
        r++;
      }
      writeBlocks(core, snap.w, rows, 0, n, cache, place);
      if (snap.w.len >= FLUSH_BYTES) await snap.flush();
      if (performance.now() - sliceStart > SLICE_MS) {
        dropBlockCache(cache);
        await yieldToLoop();
        if (cancelled()) throw new StoreError('PQBLE_ERR_STORE_CLOSED', 'compaction cancelled');
        sliceStart = performance.now();
      }
    }
  } finally {
    dropBlockCache(cache);
  }
  if (extras) writeExtras(core, snap.w);
  return snap;
}

function writeExtras(core: StoreCore, w: RecordWriter): void {
  for (const t of core.index.consumed.keys()) writeConsumedRecord(w.buf, w.reserve(CONSUMED_RECORD_BYTES), Buffer.from(t, 'latin1'));
  for (const [name, value] of core.values) writeValueRecord(core, w, name, value);
}

/**
 * Points the store at the snapshot just renamed into place (new writes go there, tagged
 * with the next generation), then every row at its place in it, in slices (`slices`) or at
 * once. Until that pass ends, rows of the old generation are still read from the old
 * file's mirror. Rows not live but still referenced (the previous states that queued
 * changes would restore if their write fails) keep their secrets in memory.
 */
async function switchTo(core: StoreCore, commit: GroupCommit, snap: Snapshot, slices: boolean): Promise<void> {
  const ix = core.index;
  core.previous = { mirror: core.mirror, segments: core.segments };
  const oldGen = ix.gen;
  ix.gen ^= ROW_GEN;
  core.mirror = snap.mirror;
  core.segments = [snap.segment];
  commit.segment = snap.segment;
  commit.needSegment = false;
  let sliceStart = performance.now();
  for (let r = 0; r < ix.rowLimit; r++) {
    if (ix.rowGen(r) === oldGen) {
      if (ix.isLive(r)) {
        const at = snap.placed.get(r);
        if (at >= 0) {
          ix.setLocation(r, REC.block, at, snap.placed.sub[r]);
          core.dropPending(r);
        } else if (!core.hasPending(r)) {
          core.warn(`pqble: session store ${core.path}: an entry could not be carried over by compaction; dropped it`, { path: core.path });
          ix.unlink(r);
        }
      } else if (ix.loc(r) >= 0 && !core.hasPending(r)) {
        const body = core.bodyOf(r);
        if (body !== undefined) {
          core.setPendingFrom(r, body, 0);
          wipe(body);
        }
      }
    }
    if (slices && (r & 1023) === 1023 && performance.now() - sliceStart > SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  core.previous = undefined;
}

/** A running compaction. */
export interface CompactionState {
  cancelled: boolean;
  done: Promise<void>;
}

/**
 * Compacts the store online (see the module header); `state.cancelled` stops it between
 * slices (the temp file is removed).
 * @throws StoreError `PQBLE_ERR_STORE_IO` if the new file cannot be written (the old one stays)
 */
export async function compactStore(core: StoreCore, commit: GroupCommit, state: CompactionState): Promise<void> {
  const tmp = `${core.path}.compact-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fh: FileHandle | undefined;
  let paused = false;
  const dirty = new Set<string>();
  core.index.dirty = dirty;
  core.index.holdReleases();
  try {
    fh = await open(tmp, 'wx', 0o600);
    // 1. Bulk copy, while calls go on (their entries become dirty).
    const snap = await writeSnapshot(core, fh, () => state.cancelled, false);
    // 2. Stop the writer between batches and catch up with what changed meanwhile.
    await commit.pause();
    paused = true;
    if (state.cancelled) throw new StoreError('PQBLE_ERR_STORE_CLOSED', 'compaction cancelled');
    core.index.dirty = undefined;
    const rows: number[] = [];
    const w = snap.w;
    for (const fp of dirty) {
      const key = Buffer.from(fp, 'latin1');
      const row = core.index.findFp(key);
      if (row < 0) writeDeleteRecord(w.buf, w.reserve(DELETE_RECORD_BYTES), key);
      else {
        snap.placed.set(row, -1, 0);
        rows.push(row);
      }
    }
    const cache: BlockCache = blockCache();
    writeBlocks(core, w, rows, 0, rows.length, cache, (row, loc, sub) => snap.placed.set(row, loc, sub));
    dropBlockCache(cache);
    writeExtras(core, w);
    await snap.flush();
    await fh.sync();
    // 3. Switch: new writes go to the new file from here on; the rows follow in slices.
    await rename(tmp, core.path);
    await syncDir(dirname(core.path));
    const old = core.journal.replace(fh, snap.size);
    fh = undefined;
    const switching = switchTo(core, commit, snap, true);
    commit.resume();
    paused = false;
    await switching;
    await old.close().catch(() => undefined);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (state.cancelled) return;
    throw err instanceof StoreError ? err : ioError('compact', core.path, err);
  } finally {
    core.index.dirty = undefined;
    core.index.endHold();
    if (paused) commit.resume();
  }
}

/**
 * Writes a new store file holding the current state (a new or migrated store) into `fh`
 * from offset 0, and points the store at it (the caller renames it into place).
 */
export async function writeInitialFile(core: StoreCore, commit: GroupCommit, fh: FileHandle): Promise<number> {
  const snap = await writeSnapshot(core, fh, () => false, true);
  await snap.flush();
  await switchTo(core, commit, snap, false);
  return snap.size;
}
