/**
 * Option checking: typed option objects, defaults merged once, an unknown
 * key is an error because a typo looks like an omission.
 *
 * @module
 */

/** Throws a `TypeError` naming the first key of `options` that is not in `allowed`. */
export function checkOptionKeys(options: object | undefined, allowed: readonly string[], label: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new TypeError(`${label} must be an object`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${label}: unknown option "${key}" (expected one of: ${allowed.join(', ')})`);
  }
}

/** Checks that `value` is an integer within [min, max]. */
export function checkInteger(value: unknown, label: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${label} must be a finite number`);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${label} must be an integer in ${min}..${max}, got ${value}`);
  return value;
}

/** Checks that `value` is a finite number within [min, max]. */
export function checkNumber(value: unknown, label: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${label} must be a finite number`);
  if (value < min || value > max) throw new RangeError(`${label} must be in ${min}..${max}, got ${value}`);
  return value;
}
