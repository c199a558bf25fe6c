/**
 * The session store benchmark (`pqble bench cache`; docs/benchmarks.md "Session store"): the
 * version-2 file store (docs/store.md) against the version-1 cache file (docs/cache-file.md),
 * measured the same way, in `runs` rounds (each a v2 run then a v1 run, on fresh files);
 * every time is the median over the rounds, every stall the worst of any round:
 *
 * - `saveMs`: write every entry durably from an array of sessions built before the clock
 *   starts (v2: one `putMany()`; v1: one `save()`);
 * - `loadMs`: open the file until the first lookup answers (v2: `open()` + `get()`; v1: a new
 *   store, `load()`, and the entries indexed by fingerprint for the lookup);
 * - `maxStallMs`: the largest event-loop stall during the save (and, for v2, a compaction),
 *   measured by a 1 ms interval timer (how late its runs are, less the main thread's
 *   run-queue wait: see `stallMonitor`);
 * - `bytesPerEntry`: file bytes after the save / entries;
 * - `heapBytesPerEntry`: JavaScript heap growth (after a GC) from before the load to after
 *   it / entries; `memoryBytesPerEntry`: the same for heap plus memory outside it (typed
 *   arrays, buffers: the v2 index and file mirror live there);
 * - `inputMs`: building the input array (not part of `saveMs`);
 * - v2 only: `compactMs`, `ratchetMs` (median of durable `consumeInbound` calls) and, for
 *   reference, `fsyncMs` (median of one small write + fdatasync on the same file system).
 *
 * @module
 */

import { closeSync, openSync, readSync } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
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

/** Rounds of {@link runCacheBench} unless told otherwise. */
export const DEFAULT_CACHE_BENCH_RUNS = 5;

/** Figures of one store (medians over the rounds; the stalls are the worst of any round). */
export interface StoreBenchFigures {
  /** `'v2'` (per-entry journal) or `'v1'` (whole-file JSON). */
  readonly store: 'v2' | 'v1';
  readonly entries: number;
  /** Rounds measured (0 if the store could not do the run). */
  readonly runs: number;
  readonly saveMs: number;
  readonly loadMs: number;
  /** `saveMs` of every round, in order. */
  readonly saveRunsMs: readonly number[];
  /** `loadMs` of every round, in order. */
  readonly loadRunsMs: readonly number[];
  /** The longest stall this code caused: a late timer gap less the main thread's run-queue wait in it. */
  readonly maxStallMs: number;
  /** The longest raw event-loop lateness (includes the machine not scheduling the process). */
  readonly maxStallWallMs: number;
  readonly bytesPerEntry: number;
  readonly heapBytesPerEntry: number;
  /** Heap plus outside-heap memory (typed arrays, buffers) growth over the load / entries. */
  readonly memoryBytesPerEntry: number;
  /** Building the input array before the save's clock starts (not part of `saveMs`). */
  readonly inputMs: number;
  /** v2: a full compaction of the saved file. */
  readonly compactMs?: number;
  /** v2: median durable ratchet (`consumeInbound`), fsync included. */
  readonly ratchetMs?: number;
  /** v2: median small write + fdatasync on the same file system, for reference. */
  readonly fsyncMs?: number;
  /** Set if this store could not do the run (then the times are `NaN`). */
  readonly error?: string;
}

/** What {@link runCacheBench} reports. */
export interface CacheBenchReport {
  readonly entries: number;
  /** Rounds asked for. */
  readonly runs: number;
  /** The machine's 1-minute load average when the run started and when it ended (`os.loadavg()`; 0 where unknown). */
  readonly loadAverage: readonly [number, number];
  readonly v2: StoreBenchFigures;
  readonly v1: StoreBenchFigures;
  /** v1 / v2 (of the medians): how many times faster (or smaller) the new store is. */
  readonly ratios: { readonly save: number; readonly load: number; readonly bytesPerEntry: number; readonly maxStall: number };
}

/** Options of {@link runCacheBench}. */
export interface CacheBenchOptions {
  /** Entries to save and load. */
  readonly entries: number;
  /** Rounds (1..25), each a v2 and a v1 run; default {@link DEFAULT_CACHE_BENCH_RUNS}. */
  readonly runs?: number;
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
 * The main thread's run-queue wait so far, in ms (Linux: the second field of its
 * `schedstat`, the time it was ready to run while the machine ran something else), or
 * `undefined` where that cannot be read.
 */
function mainThreadWaitReader(): { read(): number; close(): void } | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  } catch {
    return undefined;
  }
  const buf = Buffer.alloc(128);
  const read = (): number => {
    const n = readSync(fd, buf, 0, buf.length, 0);
    const fields = buf.toString('latin1', 0, n).split(' ');
    return Number(fields[1]) / 1e6;
  };
  try {
    if (!Number.isFinite(read())) throw new Error('no wait field');
  } catch {
    closeSync(fd);
    return undefined;
  }
  return { read, close: () => closeSync(fd) };
}

/**
 * Tracks the largest event-loop stall while running: a 1 ms timer notes how late each of
 * its runs is (a blocked loop delays it by the length of the block). On a shared machine
 * the process is also delayed when it is not scheduled at all, so each gap (`wall`, the raw
 * lateness, machine noise included) has the main thread's run-queue wait in it taken out
 * (Linux `schedstat`: the time the thread was ready but another process had the CPU):
 * `stall` is then what the loop's own thread spent running or blocked in a call, the stall
 * this code caused. Where `schedstat` cannot be read, the process's CPU time in the gap
 * stands in for it (that counts the GC and file-system helper threads too).
 */
function stallMonitor(): { stop(): { stall: number; wall: number } } {
  const waitMs = mainThreadWaitReader();
  let stall = 0;
  let wall = 0;
  let last = performance.now();
  let lastWait = waitMs?.read() ?? 0;
  let lastCpu = process.cpuUsage();
  const tick = (): void => {
    const now = performance.now();
    const gap = now - last - 1;
    wall = Math.max(wall, gap);
    if (waitMs !== undefined) {
      const w = waitMs.read();
      stall = Math.max(stall, gap - (w - lastWait));
      lastWait = w;
    } else {
      const c = process.cpuUsage();
      const used = (c.user - lastCpu.user + c.system - lastCpu.system) / 1000;
      stall = Math.max(stall, Math.min(gap, used - 1));
      lastCpu = c;
    }
    last = now;
  };
  const timer = setInterval(tick, 1);
  return {
    stop() {
      clearInterval(timer);
      tick();
      waitMs?.close();
      return { stall: Math.max(0, stall), wall: Math.max(0, wall) };
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
 * The sessions of a run, made on demand from one random pool: both stores get them as an
 * array built before their clock starts (and dropped after), so neither save pays for
 * making its input.
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

  at(i: number): StoredSession {
    const p = this.#pool;
    const o = i * PER_SESSION;
    return {
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

/** One run of one store (the report takes medians over the runs). */
interface RunFigures {
  saveMs: number;
  loadMs: number;
  stallMs: number;
  stallWallMs: number;
  bytesPerEntry: number;
  heapBytesPerEntry: number;
  memoryBytesPerEntry: number;
  inputMs: number;
  compactMs?: number;
  ratchetMs?: number;
}

async function runV2(dir: string, sessions: SessionSource, run: number, progress: (l: string) => void): Promise<RunFigures> {
  const n = sessions.n;
  const path = join(dir, `v2-${run}.db`);
  const storageKey = nodeCrypto.randomBytes(32);
  const openOpts = { path, storageKey, logger: silentLogger, compactMinBytes: 2 ** 40 };
  try {
    progress(`v2 run ${run + 1}: making ${n} sessions`);
    const i0 = performance.now();
    let input: StoredSession[] = [];
    for (let i = 0; i < n; i++) input.push(sessions.at(i));
    const inputMs = performance.now() - i0;
    progress(`v2 run ${run + 1}: saving`);
    let store = await FileSessionStore.open(openOpts);
    // Both stores start each timed phase after a full GC (the other store's garbage is not theirs).
    gc();
    let mon = stallMonitor();
    const t0 = performance.now();
    // The public bulk path: one `putMany` of every session.
    const put = await store.putMany(input, { timeoutMs: 3_600_000 });
    const saveMs = performance.now() - t0;
    const saveStall = mon.stop();
    if (put !== n) throw new Error(`v2: putMany put ${put} of ${n} entries`);
    input = [];
    const bytesPerEntry = (await stat(path)).size / n;
    progress(`v2 run ${run + 1}: compacting`);
    // The input array is the bench's garbage now, not the store's: collected before the clock.
    gc();
    mon = stallMonitor();
    const c0 = performance.now();
    await store.compact();
    const compactMs = performance.now() - c0;
    const compactStall = mon.stop();
    await store.close();
    progress(`v2 run ${run + 1}: loading`);
    const probe = sessions.at(Math.floor(n / 2));
    const mem0 = memoryUsed();
    const l0 = performance.now();
    store = await FileSessionStore.open(openOpts);
    const hit = await store.get(probe.peerFingerprint);
    const loadMs = performance.now() - l0;
    if (hit === undefined) throw new Error('v2: the probe entry was not found after load');
    const mem1 = memoryUsed();
    progress(`v2 run ${run + 1}: ratchets`);
    const ratchets: number[] = [];
    for (let i = 0; i < 21; i++) {
      const s = sessions.at((i * 7919) % n);
      const t = performance.now();
      const ok = await store.consumeInbound(
        s.peerFingerprint,
        s.inbound!.ticketId,
        { secret: nodeCrypto.randomBytes(32), ticketId: nodeCrypto.randomBytes(16) },
        { deviceId: s.deviceId, lastActiveMs: s.lastActiveMs + 1 },
      );
      ratchets.push(performance.now() - t);
      if (!ok) throw new Error('v2: a ratchet did not apply');
    }
    await store.close();
    return {
      saveMs,
      loadMs,
      stallMs: Math.max(saveStall.stall, compactStall.stall),
      stallWallMs: Math.max(saveStall.wall, compactStall.wall),
      bytesPerEntry,
      heapBytesPerEntry: (mem1.heap - mem0.heap) / n,
      memoryBytesPerEntry: (mem1.all - mem0.all) / n,
      inputMs,
      compactMs,
      ratchetMs: median(ratchets),
    };
  } finally {
    await rm(path, { force: true });
  }
}

async function runV1(dir: string, sessions: SessionSource, run: number, progress: (l: string) => void): Promise<RunFigures> {
  const n = sessions.n;
  const path = join(dir, `v1-${run}.json`);
  const storageKey = nodeCrypto.randomBytes(32);
  const opts = { path, storageKey, logger: silentLogger, maxFileBytes: 512 * 1024 * 1024 };
  try {
    progress(`v1 run ${run + 1}: making ${n} sessions`);
    const i0 = performance.now();
    const cached: CachedSession[] = [];
    for (let i = 0; i < n; i++) cached.push(asV1(sessions.at(i)));
    const inputMs = performance.now() - i0;
    progress(`v1 run ${run + 1}: saving`);
    gc();
    const mon = stallMonitor();
    const t0 = performance.now();
    await new V1Store(opts).save(cached);
    const saveMs = performance.now() - t0;
    const stall = mon.stop();
    const bytesPerEntry = (await stat(path)).size / n;
    cached.length = 0;
    progress(`v1 run ${run + 1}: loading`);
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
    index.clear();
    return {
      saveMs,
      loadMs,
      stallMs: stall.stall,
      stallWallMs: stall.wall,
      bytesPerEntry,
      heapBytesPerEntry: (mem1.heap - mem0.heap) / n,
      memoryBytesPerEntry: (mem1.all - mem0.all) / n,
      inputMs,
    };
  } finally {
    await rm(path, { force: true });
  }
}

/** The figures of one store over its runs: medians, but the stalls are the worst of any run. */
function summarise(store: 'v1' | 'v2', entries: number, runs: readonly RunFigures[]): StoreBenchFigures {
  const med = (f: (r: RunFigures) => number): number => median(runs.map(f));
  const common = {
    store,
    entries,
    runs: runs.length,
    saveMs: round(med((r) => r.saveMs)),
    loadMs: round(med((r) => r.loadMs)),
    saveRunsMs: runs.map((r) => round(r.saveMs)),
    loadRunsMs: runs.map((r) => round(r.loadMs)),
    maxStallMs: round(Math.max(...runs.map((r) => r.stallMs))),
    maxStallWallMs: round(Math.max(...runs.map((r) => r.stallWallMs))),
    bytesPerEntry: round(
      med((r) => r.bytesPerEntry),
      1,
    ),
    heapBytesPerEntry: Math.round(med((r) => r.heapBytesPerEntry)),
    memoryBytesPerEntry: Math.round(med((r) => r.memoryBytesPerEntry)),
    inputMs: round(med((r) => r.inputMs)),
  };
  if (store === 'v1') return common;
  return {
    ...common,
    compactMs: round(med((r) => r.compactMs ?? NaN)),
    ratchetMs: round(
      med((r) => r.ratchetMs ?? NaN),
      3,
    ),
  };
}

function failed(store: 'v1' | 'v2', entries: number, err: unknown): StoreBenchFigures {
  return {
    store,
    entries,
    runs: 0,
    saveMs: NaN,
    loadMs: NaN,
    saveRunsMs: [],
    loadRunsMs: [],
    maxStallMs: NaN,
    maxStallWallMs: NaN,
    bytesPerEntry: NaN,
    heapBytesPerEntry: NaN,
    memoryBytesPerEntry: NaN,
    inputMs: NaN,
    error: err instanceof Error ? err.message : String(err),
  };
}

/**
 * Runs the store benchmark (see the module header) in a temp folder it removes: `runs`
 * rounds, each a version-2 run then a version-1 run (so that a change in the machine's load
 * falls on both), every figure the median over the rounds but the stalls, the worst of any.
 * @throws RangeError for a bad `entries` or `runs`
 */
export async function runCacheBench(options: CacheBenchOptions): Promise<CacheBenchReport> {
  const { entries } = options;
  if (!Number.isSafeInteger(entries) || entries < 1 || entries > 10_000_000) throw new RangeError('entries must be a whole number in 1..10000000');
  const runs = options.runs ?? DEFAULT_CACHE_BENCH_RUNS;
  if (!Number.isSafeInteger(runs) || runs < 1 || runs > 25) throw new RangeError('runs must be a whole number in 1..25');
  const progress = options.onProgress ?? (() => undefined);
  const dir = await mkdtemp(join(options.dir ?? tmpdir(), 'pqble-bench-cache-'));
  const load0 = round(loadavg()[0]);
  try {
    progress(`generating ${entries} entries`);
    const sessions = new SessionSource(entries, Date.now());
    const v2Runs: RunFigures[] = [];
    const v1Runs: RunFigures[] = [];
    let v2Error: unknown;
    let v1Error: unknown = options.skipV1 === true ? 'skipped (--no-v1)' : undefined;
    for (let r = 0; r < runs; r++) {
      if (v2Error === undefined) {
        try {
          v2Runs.push(await runV2(dir, sessions, r, progress));
        } catch (err) {
          v2Error = err;
        }
      }
      if (v1Error === undefined) {
        try {
          v1Runs.push(await runV1(dir, sessions, r, progress));
        } catch (err) {
          v1Error = err;
        }
      }
    }
    const v2 = v2Error === undefined ? { ...summarise('v2', entries, v2Runs), fsyncMs: round(await fsyncMs(dir), 3) } : failed('v2', entries, v2Error);
    const v1 = v1Error === undefined ? summarise('v1', entries, v1Runs) : failed('v1', entries, v1Error);
    const ratio = (a: number, b: number): number => round(a / b, 2);
    return {
      entries,
      runs,
      loadAverage: [load0, round(loadavg()[0])],
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
