/**
 * Option checking, one style for every public entry point: an options object is
 * `undefined` or a plain object, an unknown key is a `TypeError` (a typo looks like an
 * omission), a value of the wrong type is a `TypeError` and one out of range a `RangeError`,
 * each naming the option. Readers (`optInteger`, `optBoolean`, ...) return the checked value
 * or the default; a renamed option keeps its old name as an alias through {@link optRenamed}.
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

/**
 * Checks an options argument: `undefined` (no options, `{}` is returned) or an object whose
 * keys are all in `allowed`.
 * @param options - the caller's value
 * @param label - names the options in errors (`'BleTransport.create'`)
 * @param allowed - every accepted key
 * @returns the options, typed for reading with the `opt*` readers
 * @throws TypeError for a non-object or an unknown key
 */
export function checkOptions<T extends object>(options: T | undefined, label: string, allowed: readonly string[]): Partial<T> {
  if (options === undefined) return {};
  checkOptionKeys(options, allowed, label);
  return options;
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

/** `fallback` if `value` is `undefined`, else `value` checked as an integer in [min, max]. */
export function optInteger<D extends number | undefined>(value: unknown, label: string, min: number, max: number, fallback: D): number | D {
  return value === undefined ? fallback : checkInteger(value, label, min, max);
}

/** `fallback` if `value` is `undefined`, else `value` checked as a finite number in [min, max]. */
export function optNumber<D extends number | undefined>(value: unknown, label: string, min: number, max: number, fallback: D): number | D {
  return value === undefined ? fallback : checkNumber(value, label, min, max);
}

/** `fallback` if `value` is `undefined`, else `value` checked as a boolean. */
export function optBoolean<D extends boolean | undefined>(value: unknown, label: string, fallback: D): boolean | D {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${label} must be a boolean`);
  return value;
}

/**
 * `fallback` if `value` is `undefined`, else `value` checked as one of `choices`.
 * @throws TypeError for a non-string; RangeError for a string not in `choices`
 */
export function optOneOf<T extends string, D extends T | undefined>(value: unknown, label: string, choices: readonly T[], fallback: D): T | D {
  if (value === undefined) return fallback;
  const list = choices.map((c) => `'${c}'`).join(', ');
  if (typeof value !== 'string') throw new TypeError(`${label} must be one of ${list}`);
  if (!(choices as readonly string[]).includes(value)) throw new RangeError(`${label} must be one of ${list}, got '${value.slice(0, 20)}'`);
  return value as T;
}

/** `value` checked as an `AbortSignal` or `undefined`. */
export function optSignal(value: unknown, label: string): AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) throw new TypeError(`${label} must be an AbortSignal`);
  return value;
}

/** `value` checked as a function or `undefined`. */
export function optFunction<F extends (...args: never[]) => unknown>(value: unknown, label: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${label} must be a function`);
  return value as F | undefined;
}

/** `fallback` if `value` is `undefined`, else `value` checked as a non-empty string of at most `maxLength` characters. */
export function optString<D extends string | undefined>(value: unknown, label: string, maxLength: number, fallback: D): string | D {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new TypeError(`${label} must be a string`);
  if (value.length === 0 || value.length > maxLength) throw new RangeError(`${label} must be 1..${maxLength} characters`);
  return value;
}

const warnedAliases = new Set<string>();

/**
 * The value of a renamed option: `options[name]`, or the deprecated `options[oldName]`
 * (kept as an alias for one release). The first use of the old name in this process calls
 * `warn` once.
 * @param options - the checked options object
 * @param name - the current name (`sessionCacheDurationMs`)
 * @param oldName - the deprecated alias (`sessionCacheDuration`)
 * @param label - names the options in the warning (`'BleTransport.create'`)
 * @param warn - where the one-time deprecation warning goes, if anywhere
 * @returns the value given under either name, `undefined` if neither
 * @throws RangeError if both names are given with different values
 */
export function optRenamed(options: object, name: string, oldName: string, label: string, warn?: (message: string) => void): unknown {
  const o = options as Record<string, unknown>;
  const value = o[name];
  const old = o[oldName];
  if (old === undefined) return value;
  if (value !== undefined && !Object.is(value, old))
    throw new RangeError(`${label}: ${oldName} is the deprecated name of ${name}; give one, or both with the same value`);
  const key = `${label}\0${oldName}`;
  if (warn !== undefined && !warnedAliases.has(key)) {
    warnedAliases.add(key);
    warn(`${label}: the option ${oldName} is deprecated; use ${name}`);
  }
  return old;
}

/**
 * Runs `check` (the labelled checks of a method's arguments) and hands its result to
 * `call`; a `TypeError` or `RangeError` from `check` becomes a rejected promise instead of a
 * throw, so a method that returns a promise always reports through it.
 * @param check - checks and copies the arguments
 * @param call - the method body, given the checked arguments
 */
export function rejectingChecks<A, T>(check: () => A, call: (args: A) => Promise<T>): Promise<T> {
  let args: A;
  try {
    args = check();
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return call(args);
}
