/**
 * One way to wait for a promise that an AbortSignal (and optionally a timeout) may cut short:
 * {@link raceAbort}. The abort listener and the timer are always removed once one side wins,
 * so nothing leaks whichever side it is, and the losing promise's rejection is marked handled.
 *
 * @module
 */

import { systemClock, type Clock, type Timer } from '../clock.js';
import { AbortError, TimeoutError } from '../errors.js';

/** Options of {@link raceAbort}. */
export interface RaceAbortOptions {
  /** Fails the wait after this many ms (on `clock`) with `timeoutError()`. Default: no timeout. */
  readonly timeoutMs?: number | undefined;
  /** Clock of the timeout. Default: the system clock. */
  readonly clock?: Clock | undefined;
  /** Whether the pending timeout keeps the process alive (a ref'd timer). Default true: someone waits for it. */
  readonly keepAlive?: boolean | undefined;
  /** The error of a timeout. Default: a `TimeoutError` (`PQBLE_ERR_TIMEOUT`). */
  readonly timeoutError?: (() => Error) | undefined;
  /** The error of an abort, from the signal's reason. Default: `AbortError` with the reason as `cause`. */
  readonly abortError?: ((reason: unknown) => Error) | undefined;
  /**
   * Called once when the abort or the timeout wins, before the wait rejects (to tear down the
   * work behind `promise`). Returning `false` says the work finished meanwhile and cannot be
   * undone: the abort or timeout is then ignored and the outcome of `promise` stands. An
   * exception it throws is ignored.
   */
  readonly onCancel?: ((reason: Error) => boolean | void) | undefined;
}

/** The default abort error: `PQBLE_ERR_ABORTED` with the signal's reason as cause. */
function defaultAbortError(reason: unknown): Error {
  return new AbortError(undefined, { cause: reason });
}

/**
 * Resolves or rejects as `promise` does, unless `signal` aborts (or `timeoutMs` passes)
 * first: then `onCancel` runs and the wait rejects with `abortError(signal.reason)` (or
 * `timeoutError()`). A signal aborted already rejects at once, without waiting a tick.
 * A non-Error rejection of `promise` is wrapped in an `Error`.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, options: RaceAbortOptions = {}): Promise<T> {
  const { timeoutMs, onCancel } = options;
  const abortError = options.abortError ?? defaultAbortError;
  // Whichever side wins, a later rejection of `promise` is handled.
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: Timer | undefined;
    const cleanUp = (): void => {
      settled = true;
      timer?.cancel();
      signal?.removeEventListener('abort', onAbort);
    };
    const cancel = (err: Error): void => {
      if (settled) return;
      let undoable: boolean | void = true;
      try {
        undoable = onCancel?.(err);
      } catch {
        // tearing down is best effort
      }
      if (undoable === false) return;
      cleanUp();
      reject(err);
    };
    const onAbort = (): void => cancel(abortError(signal?.reason));
    if (signal?.aborted === true) {
      onAbort();
      if (settled) return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      const timeoutError = options.timeoutError ?? (() => new TimeoutError(`the operation timed out after ${timeoutMs} ms`));
      timer = (options.clock ?? systemClock).setTimer(timeoutMs, () => cancel(timeoutError()), { ref: options.keepAlive ?? true });
    }
    promise.then(
      (value) => {
        if (settled) return;
        cleanUp();
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        cleanUp();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
