/**
 * Time seam. Every timer in pqble goes through a {@link Clock}, so the same code runs on
 * the wall clock (real radios, `--realtime` demo) and on the simulated radio's virtual
 * clock (tests and benchmarks finish in milliseconds and are deterministic).
 *
 * Timers are created "unref'd" unless asked otherwise: a timer that only does
 * housekeeping (cache pruning, debounced saves) must never keep a process alive.
 *
 * @module
 */

import { AbortError, TimeoutError, type PqbleErrorCode } from './errors.js';

/** A scheduled callback; `cancel()` is idempotent. */
export interface Timer {
  /** Cancels the timer; safe to call more than once or after it fired. */
  cancel(): void;
}

/** Options of {@link Clock.setTimer}. */
export interface TimerOptions {
  /**
   * When true the timer keeps the process (or the virtual clock's run loop) alive
   * while pending, like a ref'd Node timer. Default: `false`.
   */
  readonly ref?: boolean;
}

/** A source of time and timers. */
export interface Clock {
  /** Monotonic milliseconds (arbitrary origin); used for timeouts and airtime. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch; used for session expiry. */
  wallNow(): number;
  /** Calls `fn` once after `delayMs` milliseconds. */
  setTimer(delayMs: number, fn: () => void, options?: TimerOptions): Timer;
  /**
   * Optional: tells a clock that `work` (real I/O, such as a session store's fsync) is in
   * progress, and returns it. A virtual clock does not move while such work is pending, so
   * its timeouts measure simulated time only; a real clock has no need for it.
   */
  hold?<T>(work: Promise<T>): Promise<T>;
}

/** `clock.hold(work)` where the clock has it, else `work`. */
export function holdClock<T>(clock: Clock, work: Promise<T>): Promise<T> {
  return clock.hold === undefined ? work : clock.hold(work);
}

/** The process's real clock: `performance.now()`, `Date.now()` and Node timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(delayMs, fn, options) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    if (options?.ref !== true) handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * Resolves after `delayMs` on `clock`; rejects with `PQBLE_ERR_ABORTED` if `signal` aborts.
 * The timer is ref'd while pending (someone is waiting for it).
 */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new AbortError(undefined, { cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(new AbortError(undefined, { cause: signal?.reason }));
    };
    const timer = clock.setTimer(
      delayMs,
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      { ref: true },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Options of {@link withDeadline}. */
export interface DeadlineOptions {
  /** Milliseconds before the wait fails with a timeout error. */
  readonly timeoutMs: number;
  /** Cancels the wait. */
  readonly signal?: AbortSignal | undefined;
  /** The code of the timeout error. Default `PQBLE_ERR_TIMEOUT`. */
  readonly code?: 'PQBLE_ERR_TIMEOUT' | 'PQBLE_ERR_HANDSHAKE_TIMEOUT';
  /** Text of the timeout error. */
  readonly what?: string;
  /** Called once when the deadline passes or the signal aborts (to tear down work). */
  readonly onCancel?: (reason: Error) => void;
}

/**
 * Races `promise` against a timeout on `clock` and an optional AbortSignal. The timer is
 * always cleared, so nothing leaks whichever side wins.
 */
export function withDeadline<T>(clock: Clock, promise: Promise<T>, options: DeadlineOptions): Promise<T> {
  const { timeoutMs, signal } = options;
  const code: PqbleErrorCode = options.code ?? 'PQBLE_ERR_TIMEOUT';
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (): void => {
      settled = true;
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error): void => {
      if (settled) return;
      finish();
      options.onCancel?.(err);
      reject(err);
    };
    const onAbort = (): void => fail(new AbortError(undefined, { cause: signal?.reason }));
    const timer = clock.setTimer(timeoutMs, () => fail(new TimeoutError(`${options.what ?? 'operation'} timed out after ${timeoutMs} ms`, code)), {
      ref: true,
    });
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        if (settled) return;
        finish();
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        finish();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
