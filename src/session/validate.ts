/**
 * Time and secret-size checks shared by the session stores (docs/store.md "The store
 * contract"). Ids are parsed by `src/ids.ts`. Internal to `src/session`.
 *
 * @module
 */

/**
 * Largest accepted millisecond timestamp: 9999-12-31T23:59:59.999Z, the last instant an
 * ISO 8601 string with a four-digit year (the cache file's format) can express.
 */
export const MAX_TIME_MS = 253_402_300_799_999;

/** Bytes of a resumption secret. */
export const RESUMPTION_SECRET_BYTES = 32;

/** True if `value` is a whole number of milliseconds in [0, {@link MAX_TIME_MS}]. */
function isTimeMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_TIME_MS;
}

/**
 * Checks a wall-clock millisecond timestamp.
 * @throws TypeError if not a number; RangeError if not a whole number in [0, 8.64e15]
 */
export function checkTimeMs(value: unknown, label: string): number {
  if (typeof value !== 'number') throw new TypeError(`${label} must be a number, got ${typeof value}`);
  if (!isTimeMs(value)) throw new RangeError(`${label} must be a whole number of milliseconds in [0, ${MAX_TIME_MS}] (year 9999)`);
  return value;
}
