/**
 * The session store benchmark (`pqble bench cache`; docs/benchmarks.md "Session store"): the
 * version-2 file store (docs/store.md) against the version-1 cache file (docs/cache-file.md)
 * in one run, measured the same way:
 *
 * - `saveMs`: write every entry durably (v2: one `putMany()` over a generator that makes each
 *   session from a random pool as it is read, so no large object set sits on the heap: the
 *   public bulk path an importer uses; v1: one `save()` of an array built before the clock
 *   starts);
 * - `loadMs`: open the file until the first lookup answers (v2: `open()` + `get()`; v1: a new
 *   store, `load()`, and the entries indexed by fingerprint for the lookup);
 * - `maxStallMs`: the largest event-loop stall during the save (and, for v2, a compaction),
 *   measured by a 1 ms interval timer (how late its runs are);
 * - `bytesPerEntry`: file bytes after the save / entries;
 * - `heapBytesPerEntry`: JavaScript heap growth (after a GC) from before the load to after
 *   it / entries; `memoryBytesPerEntry`: the same for heap plus memory outside it (typed
 *   arrays, buffers: the v2 index and file mirror live there);
 * - v2 only: `compactMs`, `ratchetMs` (median of durable `consumeInbound` calls) and, for
 *   reference, `fsyncMs` (median of one small write + fdatasync on the same file system)
 *   and `inputMs` (the session generator read alone: the input's share of `saveMs`).
 *
 * @module
 */

import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bytesToHex } from '../src/bytes.js';
import { nodeCrypto } from '../src/crypto/node.js';
import { silentLogger } from '../src/logger.js';
import { FileSessionStore as V1Store } from './baseline/file-store-v1.js';
import { FileSessionStore } from '../src/session/file/index.js';
import type { StoredSession } from '../src/session/store.js';
import type { CachedSession } from '../src/session/types.js';

/** Figures of one store. */
export interface StoreBenchFigures {
  /** `'v2'` (per-entry journal) or `'v1'` (whole-file JSON). */
  readonly store: 'v2' | 'v1';
  readonly entries: number;
  readonly saveMs: number;
  readonly loadMs: number;
  /** The longest stall this code caused (CPU time used inside one late timer gap). */
  readonly maxStallMs: number;
  /** The longest raw event-loop lateness (includes the machine not scheduling the process). */
  readonly maxStallWallMs: number;
  readonly bytesPerEntry: number;
  readonly heapBytesPerEntry: number;
  /** Heap plus outside-heap memory (typed arrays, buffers) growth over the load / entries. */
  readonly memoryBytesPerEntry: number;
  /** v2: a full compaction of the saved file. */
  readonly compactMs?: number;
  /** v2: median durable ratchet (`consumeInbound`), fsync included. */
  readonly ratchetMs?: number;
  /** v2: median small write + fdatasync on the same file system, for reference. */
  readonly fsyncMs?: number;
  /** v2: reading the session generator alone, no store (the input's own share of `saveMs`). */
  readonly inputMs?: number;
  /** Set if this store could not do the run (then the times are `NaN`). */
  readonly error?: string;
}

/** What {@link runCacheBench} reports. */
export interface CacheBenchReport {
  readonly entries: number;
  readonly v2: StoreBenchFigures;
  readonly v1: StoreBenchFigures;
  /** v1 / v2: how many times faster (or smaller) the new store is. */
  readonly ratios: { readonly save: number; readonly load: number; readonly bytesPerEntry: number; readonly maxStall: number };
}

/** Options of {@link runCacheBench}. */
export interface CacheBenchOptions {
  /** Entries to save and load. */
  readonly entries: number;
  /** Skip the version-1 store (it cannot hold a million entries in its JSON file). Default false. */
  readonly skipV1?: boolean;
  /** Folder for the temp files. Default the OS temp folder. */
  readonly dir?: string;
  /** Progress callback. */
  readonly onProgress?: (label: string) => void;
}

let gcFn: (() => void) | undefined;
function gc(): void {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

function memoryUsed(): { heap: number; all: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, all: m.heapUsed + m.external };
}

/**
 * Tracks the largest event-loop stall while running: a 1 ms timer notes how late each of
 * its runs is (a blocked loop delays it by the length of the block). On a shared machine
 * the process is also delayed when it is not scheduled at all, so each gap counts only the
 * CPU time the process used in it (`process.cpuUsage`): `cpu` is the stall this code
 * caused, `wall` the raw lateness (machine noise included).
 */
function stallMonitor(): { stop(): { cpu: number; wall: number } } {
  let cpu = 0;
  let wall = 0;
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const tick = (): void => {
    const now = performance.now();
    const c = process.cpuUsage();
    const gap = now - last - 1;
    const used = (c.user - lastCpu.user + c.system - lastCpu.system) / 1000;
    wall = Math.max(wall, gap);
    cpu = Math.max(cpu, Math.min(gap, used - 1));
    last = now;
    lastCpu = c;
  };
  const timer = setInterval(tick, 1);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { cpu: Math.max(0, cpu), wall: Math.max(0, wall) };
    },
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Bytes of one session's random material in the pool. */
const PER_SESSION = 32 + 6 + 32 + 32 + 16;

/**
 * The sessions of a run, made on demand from one random pool, so that no large set of
 * JavaScript objects sits on the heap while the stores are measured.
 */
class SessionSource {
  readonly n: number;
  readonly #pool: Buffer;
  readonly #nowMs: number;

  constructor(n: number, nowMs: number) {
    this.n = n;
    const pool = nodeCrypto.randomBytes(n * PER_SESSION);
    this.#pool = Buffer.from(pool.buffer, pool.byteOffset, pool.length);
    this.#nowMs = nowMs;
  }

  /** Every session, made as it is read. */
  *all(): Generator<StoredSession> {
    for (let i = 0; i < this.n; i++) yield this.at(i);
  }

  at(i: number): StoredSession {
    const p = this.#pool;
    const o = i * PER_SESSION;
    return {
      // Straight from the pool (no view per string): the input's own cost stays small.
      peerFingerprint: p.toString('hex', o, o + 32),
      deviceId: p.toString('hex', o + 32, o + 38),
      establishedMs: this.#nowMs - 3_600_000,
      lastActiveMs: this.#nowMs - 60_000 + (i % 60_000),
      outbound: p.subarray(o + 38, o + 70),
      inbound: { secret: p.subarray(o + 70, o + 102), ticketId: p.subarray(o + 102, o + 118) },
    };
  }
}

function asV1(s: StoredSession): CachedSession {
  return {
    peerFingerprint: s.peerFingerprint,
    deviceId: s.deviceId,
    sessionId: bytesToHex(s.inbound!.ticketId).split('').reverse().join(''),
    establishedMs: s.establishedMs,
    lastActiveMs: s.lastActiveMs,
    resumptionSecret: s.outbound!.slice(),
    ticketId: bytesToHex(s.inbound!.ticketId),
  };
}

async function fsyncMs(dir: string): Promise<number> {
  const fh = await open(join(dir, 'fsync-probe'), 'w');
  try {
    const times: number[] = [];
    const b = new Uint8Array(160);
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      await fh.write(b, 0, b.length, i * b.length);
      await fh.datasync();
      times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await fh.close();
  }
}

async function benchV2(dir: string, sessions: SessionSource, progress: (l: string) => void): Promise<StoreBenchFigures> {
  const n = sessions.n;
  const path = join(dir, 'v2.db');
  const storageKey = nodeCrypto.randomBytes(32);
  const openOpts = { path, storageKey, logger: silentLogger, compactMinBytes: 2 ** 40 };
  // The input's own cost: the same generator read without a store.
  const i0 = performance.now();
  let sink = 0;
  for (const s of sessions.all()) sink += s.peerFingerprint.length;
  const inputMs = performance.now() - i0;
  if (sink !== 64 * n) throw new Error('v2: the session generator is broken');
  progress(`v2: saving ${n} entries`);
  let store = await FileSessionStore.open(openOpts);
  let mon = stallMonitor();
  const t0 = performance.now();
  // The public bulk path: `putMany` over a generator (the sessions are made as they are read).
  const put = await store.putMany(sessions.all(), { timeoutMs: 3_600_000 });
  if (put !== n) throw new Error(`v2: putMany put ${put} of ${n} entries`);
  const saveMs = performance.now() - t0;
  const saveStall = mon.stop();
  const bytesPerEntry = (await stat(path)).size / n;
  progress('v2: compacting');
  mon = stallMonitor();
  const c0 = performance.now();
  await store.compact();
  const compactMs = performance.now() - c0;
  const compactStall = mon.stop();
  const maxStallMs = Math.max(saveStall.cpu, compactStall.cpu);
  const maxStallWallMs = Math.max(saveStall.wall, compactStall.wall);
  await store.close();
  progress('v2: loading');
  const probe = sessions.at(Math.floor(n / 2));
  const mem0 = memoryUsed();
  const l0 = performance.now();
  store = await FileSessionStore.open(openOpts);
  const hit = await store.get(probe.peerFingerprint);
  const loadMs = performance.now() - l0;
  if (hit === undefined) throw new Error('v2: the probe entry was not found after load');
  const mem1 = memoryUsed();
  const heapBytesPerEntry = (mem1.heap - mem0.heap) / n;
  const memoryBytesPerEntry = (mem1.all - mem0.all) / n;
  progress('v2: ratchets');
  const ratchets: number[] = [];
  for (let i = 0; i < 21; i++) {
    const s = sessions.at((i * 7919) % n);
    const t = performance.now();
    const ok = await store.consumeInbound(s.peerFingerprint, s.inbound!.ticketId, { secret: nodeCrypto.randomBytes(32), ticketId: nodeCrypto.randomBytes(16) }, { deviceId: s.deviceId, lastActiveMs: s.lastActiveMs + 1 });
    ratchets.push(performance.now() - t);
    if (!ok) throw new Error('v2: a ratchet did not apply');
  }
  await store.close();
  return {
    store: 'v2',
    entries: n,
    saveMs: round(saveMs),
    loadMs: round(loadMs),
    maxStallMs: round(maxStallMs),
    maxStallWallMs: round(maxStallWallMs),
    bytesPerEntry: round(bytesPerEntry, 1),
    heapBytesPerEntry: Math.round(heapBytesPerEntry),
    memoryBytesPerEntry: Math.round(memoryBytesPerEntry),
    compactMs: round(compactMs),
    ratchetMs: round(median(ratchets), 3),
    fsyncMs: round(await fsyncMs(dir), 3),
    inputMs: round(inputMs),
  };
}

async function benchV1(dir: string, sessions: SessionSource, progress: (l: string) => void): Promise<StoreBenchFigures> {
  const n = sessions.n;
  const path = join(dir, 'v1.json');
  const storageKey = nodeCrypto.randomBytes(32);
  const opts = { path, storageKey, logger: silentLogger, maxFileBytes: 512 * 1024 * 1024 };
  const cached: CachedSession[] = [];
  for (let i = 0; i < n; i++) cached.push(asV1(sessions.at(i)));
  progress(`v1: saving ${n} entries`);
  const mon = stallMonitor();
  const t0 = performance.now();
  await new V1Store(opts).save(cached);
  const saveMs = performance.now() - t0;
  const stall = mon.stop();
  const bytesPerEntry = (await stat(path)).size / n;
  cached.length = 0;
  progress('v1: loading');
  const probe = sessions.at(Math.floor(n / 2));
  const mem0 = memoryUsed();
  const l0 = performance.now();
  const loaded = await new V1Store(opts).load();
  const index = new Map<string, CachedSession>();
  for (const s of loaded) index.set(s.peerFingerprint, s);
  const hit = index.get(probe.peerFingerprint);
  const loadMs = performance.now() - l0;
  if (hit === undefined) throw new Error('v1: the probe entry was not found after load');
  const mem1 = memoryUsed();
  const heapBytesPerEntry = (mem1.heap - mem0.heap) / n;
  const memoryBytesPerEntry = (mem1.all - mem0.all) / n;
  index.clear();
  return { store: 'v1', entries: n, saveMs: round(saveMs), loadMs: round(loadMs), maxStallMs: round(stall.cpu), maxStallWallMs: round(stall.wall), bytesPerEntry: round(bytesPerEntry, 1), heapBytesPerEntry: Math.round(heapBytesPerEntry), memoryBytesPerEntry: Math.round(memoryBytesPerEntry) };
}

function failed(store: 'v1' | 'v2', entries: number, err: unknown): StoreBenchFigures {
  return { store, entries, saveMs: NaN, loadMs: NaN, maxStallMs: NaN, maxStallWallMs: NaN, bytesPerEntry: NaN, heapBytesPerEntry: NaN, memoryBytesPerEntry: NaN, error: err instanceof Error ? err.message : String(err) };
}

/**
 * Runs the store benchmark (see the module header) in a temp folder it removes.
 * @throws RangeError for a bad `entries`
 */
export async function runCacheBench(options: CacheBenchOptions): Promise<CacheBenchReport> {
  const { entries } = options;
  if (!Number.isSafeInteger(entries) || entries < 1 || entries > 10_000_000) throw new RangeError('entries must be a whole number in 1..10000000');
  const progress = options.onProgress ?? (() => undefined);
  const dir = await mkdtemp(join(options.dir ?? tmpdir(), 'pqble-bench-cache-'));
  try {
    progress(`generating ${entries} entries`);
    const sessions = new SessionSource(entries, Date.now());
    let v2: StoreBenchFigures;
    try {
      v2 = await benchV2(dir, sessions, progress);
    } catch (err) {
      v2 = failed('v2', entries, err);
    }
    await rm(join(dir, 'v2.db'), { force: true });
    let v1: StoreBenchFigures;
    if (options.skipV1 === true) v1 = failed('v1', entries, 'skipped (--no-v1)');
    else {
      try {
        v1 = await benchV1(dir, sessions, progress);
      } catch (err) {
        v1 = failed('v1', entries, err);
      }
    }
    const ratio = (a: number, b: number): number => round(a / b, 2);
    return {
      entries,
      v2,
      v1,
      ratios: {
        save: ratio(v1.saveMs, v2.saveMs),
        load: ratio(v1.loadMs, v2.loadMs),
        bytesPerEntry: ratio(v1.bytesPerEntry, v2.bytesPerEntry),
        maxStall: ratio(v1.maxStallMs, Math.max(v2.maxStallMs, 0.01)),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
