/**
 * The bound on every call of the fleet store (docs/fleet.md "Failure"): the shared call
 * wrapper of every store (store-checks.ts `runStoreCall`: `PQBLE_ERR_STORE_TIMEOUT` once the
 * timeout passes, `PQBLE_ERR_ABORTED` when the signal fires, a timeout of 0 has no effect)
 * with the client's errors mapped to the store codes. What the client answers after the
 * bound is dropped.
 *
 * @module
 */

import type { PqbleError } from '../../errors.js';
import { runStoreCall, type CheckedCallOptions } from '../store-checks.js';
import { toStoreError } from './client.js';

/**
 * Runs `work` under `options`, rejecting with coded errors only.
 * @param what - the operation, for error messages
 */
export async function bounded<T>(what: string, options: CheckedCallOptions, work: () => Promise<T>): Promise<T> {
  try {
    return await runStoreCall(`redis: ${what}`, options, work);
  } catch (err) {
    throw toStoreError(err, what) satisfies PqbleError;
  }
}
