/**
 * The session keeper's clock for lifetimes (docs/security.md "Session state"): wall-clock
 * time that never runs behind the persisted high-water mark (`clock:hwm`, 8 bytes: the ms
 * since the epoch as two big-endian u32, high word first) plus the monotonic time elapsed in
 * this process, so a wall clock moved back never keeps a session alive; and the expiry check
 * built on it.
 *
 * @module
 */

import { readU32, writeU32 } from '../bytes.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { StoredSession } from '../session/store.js';

/** The store value name of the high-water mark. */
export const CLOCK_HWM_KEY = 'clock:hwm';

/** What {@link SessionClock} works with. */
export interface SessionClockOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Session lifetime from the last full handshake, ms. */
  readonly lifetimeMs: number;
  /** How far in the future an entry's times may lie before it counts as expired, ms. */
  readonly maxClockSkewMs: number;
}

/** Wall-clock ms for expiry decisions, kept monotonic across restarts. */
export class SessionClock {
  readonly #o: SessionClockOptions;
  /** Wall clock at open (persisted high-water mark included) and the monotonic time then. */
  #wallBase = 0;
  #monoBase = 0;
  #hwmWritten = 0;

  constructor(options: SessionClockOptions) {
    this.#o = options;
  }

  /**
   * Starts the clock from the persisted high-water mark (`undefined` or malformed: none); a
   * wall clock behind it is logged.
   */
  restore(hwm: Uint8Array | undefined): void {
    const clock = this.#o.clock;
    this.#monoBase = clock.now();
    this.#wallBase = Math.floor(clock.wallNow());
    if (hwm !== undefined && hwm.length === 8) {
      const stored = readU32(hwm, 0) * 2 ** 32 + readU32(hwm, 4);
      if (stored > this.#wallBase) {
        this.#o.logger.warn('pqble: the wall clock is behind the last time this store saw; session lifetimes count from that time', {
          behindMs: stored - this.#wallBase,
        });
        this.#wallBase = stored;
      }
      this.#hwmWritten = stored;
    }
  }

  /**
   * Wall-clock ms for expiry decisions: never less than the persisted high-water mark plus
   * the monotonic time elapsed in this process, so a clock moved back does not make sessions
   * live longer.
   */
  now(): number {
    const clock = this.#o.clock;
    return Math.floor(Math.max(clock.wallNow(), this.#wallBase + (clock.now() - this.#monoBase)));
  }

  /** True if `entry` may no longer be resumed. */
  isExpired(entry: Pick<StoredSession, 'establishedMs' | 'lastActiveMs'>): boolean {
    const now = this.now();
    const skew = this.#o.maxClockSkewMs;
    return now >= entry.establishedMs + this.#o.lifetimeMs || entry.establishedMs > now + skew || entry.lastActiveMs > now + skew;
  }

  /**
   * The high-water mark to persist if time moved past the one last written: call
   * `written()` once it was put (or tried).
   */
  nextMark(): { readonly value: Uint8Array; written(): void } | undefined {
    const now = this.now();
    if (now <= this.#hwmWritten) return undefined;
    const v = new Uint8Array(8);
    writeU32(v, 0, Math.floor(now / 2 ** 32));
    writeU32(v, 4, now >>> 0);
    return {
      value: v,
      written: () => {
        this.#hwmWritten = now;
      },
    };
  }
}
