/**
 * Periodic housekeeping on a {@link Clock}: the transport's session pruning and the session
 * keeper's batched writes. Its timers are unref'd: they never keep a process (or the virtual
 * clock) alive. After `stop()` nothing runs or is scheduled again.
 *
 * @module
 */

import type { Clock, Timer } from '../clock.js';

/** A set of repeating tasks stopped together. */
export class Upkeep {
  readonly #clock: Clock;
  /** The pending timer of each task. */
  readonly #timers: Timer[] = [];
  #stopped = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Runs `task` every `ms`: the next run is scheduled as this one starts (a slow run does
   * not shift the schedule). A run that rejects goes to `onError`.
   */
  every(ms: number, task: () => Promise<unknown>, onError: (err: unknown) => void): void {
    const slot = this.#timers.length;
    const tick = (): void => {
      if (this.#stopped) return;
      task().catch(onError);
      this.#timers[slot] = this.#clock.setTimer(ms, tick);
    };
    this.#timers.push(this.#clock.setTimer(ms, tick));
  }

  /** Runs `task` `ms` after the previous run settled (runs never overlap; a rejection is ignored). */
  afterEach(ms: number, task: () => Promise<unknown>): void {
    const slot = this.#timers.length;
    const schedule = (): void => {
      if (this.#stopped) return;
      this.#timers[slot] = this.#clock.setTimer(ms, () => {
        task().then(schedule, schedule);
      });
    };
    this.#timers.push({ cancel: () => undefined });
    schedule();
  }

  /** Cancels every pending run; idempotent. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.splice(0)) t.cancel();
  }
}
