/**
 * The virtual clock (docs/radio-model.md "Virtual time"): a {@link Clock} whose time moves
 * only when work is waiting for it. Tests, the demo's fast mode and the benchmarks run on
 * it, so a second of simulated BLE airtime costs microseconds and every run replays exactly.
 *
 * Timers are ordered by (due time, creation order). While at least one ref'd timer is
 * pending, the clock runs by itself: each time the JS job queue drains (checked with
 * `setImmediate`, or a `MessageChannel` message in a browser), it jumps `now()` to the
 * earliest pending timer and fires it, then yields again so promise continuations run
 * before the next timer. While work outside JavaScript is held ({@link VirtualClock.hold}: real file I/O of a session store) the clock stands
 * still, so simulated timeouts never fire just because a disk was slow. Unref'd timers (housekeeping)
 * fire only when the clock passes their time anyway. With no ref'd timer left the loop
 * stops and schedules nothing, so a process using the clock exits normally.
 *
 * @module
 */

import type { Clock, Timer, TimerOptions } from '../clock.js';
import { scheduleMacrotask } from '../util/macrotask.js';
import { checkOptionKeys } from '../util/options.js';

/** Options of {@link VirtualClock}. */
export interface VirtualClockOptions {
  /**
   * `wallNow()` at virtual time 0, in ms since the Unix epoch.
   * Default: the real `Date.now()` when the clock is created, so that what a simulated
   * transport stores (session dates, expiry in a shared store such as Redis) is dated like
   * anything else. Pass a fixed value for runs whose wall dates must replay exactly.
   */
  readonly wallEpochMs?: number;
}

/**
 * A fixed epoch for runs whose wall dates must replay exactly (2026-01-01T00:00:00Z); pass it
 * as `wallEpochMs`. The default epoch is the real time at the clock's creation.
 */
export const DEFAULT_WALL_EPOCH_MS = Date.UTC(2026, 0, 1);

interface Entry {
  readonly time: number;
  readonly seq: number;
  readonly fn: () => void;
  readonly ref: boolean;
  done: boolean;
}

function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** A binary min-heap of timer entries ordered by (time, seq). */
class TimerHeap {
  readonly #items: Entry[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(e: Entry): void {
    const a = this.#items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  peek(): Entry | undefined {
    return this.#items[0];
  }

  pop(): Entry | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }

  /** Drops entries that are done (cancelled) and restores the heap order. */
  compact(): void {
    const live = this.#items.filter((e) => !e.done);
    this.#items.length = 0;
    for (const e of live) this.push(e);
  }
}

function immediate(): Promise<void> {
  return new Promise((resolve) => scheduleMacrotask(resolve));
}

/** Re-throws a timer callback's error outside the clock's loop, as Node does for a timer. */
function reportError(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/**
 * A deterministic clock for simulations. `now()` starts at 0 and moves only by firing
 * timers (automatically while ref'd timers are pending) or by {@link VirtualClock.advance}.
 */
export class VirtualClock implements Clock {
  readonly #heap = new TimerHeap();
  readonly #wallEpochMs: number;
  #now = 0;
  #seq = 0;
  #pending = 0;
  #pendingRef = 0;
  #wallOffsetMs = 0;
  #loopScheduled = false;
  #idleWaiters: (() => void)[] = [];
  #holds = 0;
  #holdWaiters: (() => void)[] = [];

  /** @param options - see {@link VirtualClockOptions}; unknown keys are a TypeError */
  constructor(options: VirtualClockOptions = {}) {
    checkOptionKeys(options, ['wallEpochMs'], 'VirtualClock options');
    const epoch = options.wallEpochMs ?? Date.now();
    if (typeof epoch !== 'number' || !Number.isFinite(epoch)) throw new TypeError('VirtualClock: wallEpochMs must be a finite number');
    this.#wallEpochMs = epoch;
  }

  /** Virtual monotonic milliseconds since the clock was created (starts at 0). */
  now(): number {
    return this.#now;
  }

  /**
   * Virtual wall-clock ms since the Unix epoch: the epoch option + `now()` + the offset set
   * with {@link VirtualClock.setWallOffset}, rounded down to whole ms like `Date.now()`.
   */
  wallNow(): number {
    return Math.floor(this.#wallEpochMs + this.#now + this.#wallOffsetMs);
  }

  /**
   * Jumps the wall clock by setting its offset from the virtual monotonic time (forward or
   * backwards; replaces the previous offset). Monotonic time and timers are unaffected.
   */
  setWallOffset(offsetMs: number): void {
    if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs)) throw new TypeError('wall offset must be a finite number');
    this.#wallOffsetMs = offsetMs;
  }

  /** The current wall-clock offset in ms (0 unless set). */
  get wallOffsetMs(): number {
    return this.#wallOffsetMs;
  }

  /** Timers scheduled and neither fired nor cancelled (ref'd and unref'd). */
  get pendingTimers(): number {
    return this.#pending;
  }

  /** Ref'd timers pending; the clock runs by itself while this is above 0. */
  get pendingRefTimers(): number {
    return this.#pendingRef;
  }

  /**
   * Calls `fn` once when virtual time reaches `now() + delayMs` (a negative or non-finite
   * delay counts as 0). A ref'd timer keeps the clock running; see the module comment.
   */
  setTimer(delayMs: number, fn: () => void, options?: TimerOptions): Timer {
    if (typeof fn !== 'function') throw new TypeError('timer callback must be a function');
    const delay = typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const ref = options?.ref === true;
    const entry: Entry = { time: this.#now + delay, seq: this.#seq++, fn, ref, done: false };
    this.#heap.push(entry);
    this.#pending += 1;
    if (ref) {
      this.#pendingRef += 1;
      this.#ensureLoop();
    }
    return {
      cancel: () => {
        if (entry.done) return;
        this.#retire(entry);
      },
    };
  }

  /**
   * Holds the clock while `work` is pending (real I/O): no timer fires and time does not
   * move until it settles. Returns `work`.
   */
  hold<T>(work: Promise<T>): Promise<T> {
    this.#holds += 1;
    const release = (): void => {
      this.#holds -= 1;
      if (this.#holds === 0) {
        const waiters = this.#holdWaiters;
        this.#holdWaiters = [];
        for (const w of waiters) w();
        this.#ensureLoop(this.#idleWaiters.length > 0);
      }
    };
    work.then(release, release);
    return work;
  }

  /** Resolves once nothing is held. */
  async #unheld(): Promise<void> {
    while (this.#holds > 0) await new Promise<void>((resolve) => this.#holdWaiters.push(resolve));
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way (ref'd or not) in order,
   * yielding to the job queue between timers. Resolves once time is `now() + ms` or later.
   */
  async advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TypeError('advance(ms): ms must be a finite number');
    if (ms < 0) throw new RangeError(`advance(ms): ms must be >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      await immediate();
      await this.#unheld();
      const next = this.#peekLive();
      if (next === undefined || next.time > target) break;
      this.#fireNext();
    }
    if (this.#now < target) this.#now = target;
  }

  /** Resolves once no ref'd timer is pending (after letting queued continuations run). */
  runUntilIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#ensureLoop(true);
    });
  }

  /** Cancels every pending timer (ref'd or not). The time stays where it is. */
  cancelAll(): void {
    for (;;) {
      const e = this.#heap.pop();
      if (e === undefined) break;
      e.done = true;
    }
    this.#pending = 0;
    this.#pendingRef = 0;
  }

  #retire(entry: Entry): void {
    entry.done = true;
    this.#pending -= 1;
    if (entry.ref) this.#pendingRef -= 1;
    // Cancelled timers stay in the heap until they surface; keep their number bounded.
    if (this.#heap.size > 1024 && this.#heap.size > 4 * this.#pending) this.#heap.compact();
  }

  #peekLive(): Entry | undefined {
    for (;;) {
      const e = this.#heap.peek();
      if (e === undefined || !e.done) return e;
      this.#heap.pop();
    }
  }

  #fireNext(): void {
    const e = this.#peekLive();
    if (e === undefined) return;
    this.#heap.pop();
    if (e.time > this.#now) this.#now = e.time;
    this.#retire(e);
    try {
      e.fn();
    } catch (err) {
      reportError(err);
    }
  }

  #ensureLoop(force = false): void {
    if (this.#loopScheduled) return;
    if (!force && this.#pendingRef === 0) return;
    this.#loopScheduled = true;
    scheduleMacrotask(this.#step);
  }

  readonly #step = (): void => {
    this.#loopScheduled = false;
    // Held: the release schedules the loop again.
    if (this.#holds > 0) return;
    if (this.#pendingRef === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    this.#fireNext();
    this.#ensureLoop(this.#idleWaiters.length > 0);
  };
}
