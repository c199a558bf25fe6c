/**
 * The bound on every call of the fleet store (docs/fleet.md "Failure"): a call rejects with
 * `PQBLE_ERR_STORE_TIMEOUT` when its timeout passes, with `PQBLE_ERR_ABORTED` when its
 * signal fires, and with the mapped client error otherwise; it never waits longer. What the
 * client answers after that is dropped.
 *
 * @module
 */

import { AbortError, StoreError, throwIfAborted } from '../../errors.js';
import { checkInteger, checkOptionKeys } from '../../util/options.js';
import type { StoreCallOptions } from '../store.js';
import { toStoreError } from './client.js';

/** Checks {@link StoreCallOptions}; returns the signal and the timeout to use. */
export function checkCallOptions(options: StoreCallOptions | undefined, defaultTimeoutMs: number): { signal: AbortSignal | undefined; timeoutMs: number } {
  if (options === undefined) return { signal: undefined, timeoutMs: defaultTimeoutMs };
  checkOptionKeys(options, ['signal', 'timeoutMs'], 'store call options');
  const { signal, timeoutMs } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('options.signal must be an AbortSignal');
  return { signal, timeoutMs: timeoutMs === undefined ? defaultTimeoutMs : checkInteger(timeoutMs, 'options.timeoutMs', 1, 600_000) };
}

/**
 * Runs `work` within `timeoutMs` and `signal`.
 * @param what - the operation, for error messages
 */
export async function bounded<T>(what: string, signal: AbortSignal | undefined, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  throwIfAborted(signal);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const running = work();
  // A late answer or failure after the bound is dropped (never an unhandled rejection).
  running.catch(() => {});
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreError('PQBLE_ERR_STORE_TIMEOUT', `redis: ${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
    if (signal !== undefined) {
      onAbort = () => reject(new AbortError(undefined, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([running, bound]);
  } catch (err) {
    throw toStoreError(err, what);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}
