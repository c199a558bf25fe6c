/**
 * The outgoing connection attempts of one transport, one per device id: concurrent
 * `connectToDevice()` calls for the same device join the attempt in progress, each with its
 * own AbortSignal, and the attempt itself stops only when every caller gave up.
 *
 * @module
 */

import { AbortError } from '../errors.js';
import type { DeviceId } from '../ids.js';
import type { BleConnection } from './connection.js';

interface PendingConnect {
  readonly promise: Promise<BleConnection>;
  readonly controller: AbortController;
  waiters: number;
}

/** The attempts (radio connect + setup) in progress, by device id. */
export class ConnectAttempts {
  readonly #pending = new Map<string, PendingConnect>();

  /** Attempts in progress (each holds one connection slot). */
  get size(): number {
    return this.#pending.size;
  }

  /** True if an attempt for `deviceId` is in progress. */
  has(deviceId: DeviceId): boolean {
    return this.#pending.has(deviceId);
  }

  /**
   * Starts the attempt for `deviceId` unless one is in progress, and joins it: `run` gets the
   * signal that aborts the shared attempt. `signal` (this caller's) rejects this caller's
   * promise only; the attempt is aborted when every caller that joined with one has given up.
   */
  join(deviceId: DeviceId, run: (signal: AbortSignal) => Promise<BleConnection>, signal: AbortSignal | undefined): Promise<BleConnection> {
    let pending = this.#pending.get(deviceId);
    if (pending === undefined) {
      const controller = new AbortController();
      const promise = run(controller.signal).finally(() => this.#pending.delete(deviceId));
      pending = { promise, controller, waiters: 0 };
      this.#pending.set(deviceId, pending);
    }
    return joinAttempt(pending, signal);
  }

  /** Aborts every attempt in progress with `reason`. */
  abortAll(reason: Error): void {
    for (const p of this.#pending.values()) p.controller.abort(reason);
  }

  /** Resolves once every attempt in progress now has settled (never rejects). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#pending.values()].map((p) => p.promise));
  }
}

async function joinAttempt(pending: PendingConnect, signal: AbortSignal | undefined): Promise<BleConnection> {
  pending.waiters++;
  if (signal === undefined) return pending.promise;
  return new Promise<BleConnection>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      reject(new AbortError(undefined, { cause: signal.reason }));
      // The shared attempt stops only when every caller gave up.
      if (--pending.waiters === 0) pending.controller.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.promise.then(
      (c) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        resolve(c);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
