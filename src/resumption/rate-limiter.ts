/**
 * Per-link limit on resume attempts (docs/resumption.md "Rate limiting"; docs/security.md
 * "Properties" 11): a token bucket per key, so a flood of forged tokens costs the responder a
 * map lookup each, not a key derivation. A refused attempt is answered with a
 * `'rate-limited'` reject.
 *
 * Pure and synchronous: time comes from an injected `now()`, no timers.
 *
 * @module
 */

import { systemClock } from '../clock.js';
import { LruMap } from '../util/lru.js';
import { checkOptions, optFunction, optInteger, optNumber } from '../util/options.js';

/** Options of {@link ResumeRateLimiter}. */
export interface ResumeRateLimiterOptions {
  /** Attempts a key may make at once (bucket size). Integer in 1..1,000,000. Default: 3. */
  readonly burst?: number;
  /**
   * Attempts regained per second (0 = never). Number in 0..1,000,000. Default: 0.1 (one
   * attempt every 10 s once the burst is spent).
   */
  readonly refillPerSecond?: number;
  /**
   * Keys tracked at once; beyond it the least recently used key is forgotten (it starts
   * again with a full bucket). Integer in 1..16,777,216. Default: 4096.
   */
  readonly maxKeys?: number;
  /** Monotonic milliseconds. Default: `systemClock.now` (`performance.now()`). */
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Token-bucket limiter of resume attempts, keyed by link (device id, connection id, ...).
 *
 * @example
 * ```ts
 * const limiter = new ResumeRateLimiter();
 * if (!limiter.tryAcquire(deviceId)) link.send(encodeResumeReject('rate-limited'));
 * ```
 */
export class ResumeRateLimiter {
  readonly #burst: number;
  readonly #refillPerMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  /** Buckets in recency order (src/util/lru.ts: a `Map` re-inserted to keep order is slow in V8). */
  readonly #buckets = new LruMap<Bucket>();

  /**
   * @param options - see {@link ResumeRateLimiterOptions}
   * @throws TypeError / RangeError for bad options
   */
  constructor(options?: ResumeRateLimiterOptions) {
    const o = checkOptions(options, 'ResumeRateLimiterOptions', ['burst', 'refillPerSecond', 'maxKeys', 'now']);
    this.#burst = optInteger(o.burst, 'burst', 1, 1_000_000, 3);
    this.#refillPerMs = optNumber(o.refillPerSecond, 'refillPerSecond', 0, 1_000_000, 0.1) / 1000;
    this.#maxKeys = optInteger(o.maxKeys, 'maxKeys', 1, 2 ** 24, 4096);
    this.#now = optFunction<() => number>(o.now, 'now') ?? (() => systemClock.now());
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one attempt from `key`'s bucket.
   * @param key - the link the attempt came on
   * @returns true if the attempt may proceed, false if it must be refused
   * @throws TypeError if `key` is not a string or `now()` returns a non-finite number
   */
  tryAcquire(key: string): boolean {
    if (typeof key !== 'string') throw new TypeError('key must be a string');
    const now = this.#now();
    if (!Number.isFinite(now)) throw new TypeError('now() must return a finite number');
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.oldestKey();
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      bucket = { tokens: this.#burst, updatedMs: now };
    } else {
      // A clock that goes backwards refills nothing (and restarts the interval from now).
      const elapsedMs = Math.max(0, now - bucket.updatedMs);
      bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsedMs * this.#refillPerMs);
      bucket.updatedMs = now;
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
