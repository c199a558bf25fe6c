/**
 * Damaged or unreadable values the fleet store skips (docs/fleet.md "Bad data"): each is
 * counted, and logged once (the set of keys already logged is bounded).
 *
 * @module
 */

import type { Logger } from '../../logger.js';
import { LruMap } from '../../util/lru.js';

/** Keys remembered as already logged, at most. */
const WARNED_MAX = 4096;

/** Counts skipped values and logs each key once. */
export class DamageLog {
  readonly #logger: Logger;
  readonly #counters: { damaged: number };
  /** Keys already warned about (bounded). */
  readonly #warned = new LruMap<string>();

  /** @param counters - the store's counters; `damaged` goes up by one per skipped value */
  constructor(logger: Logger, counters: { damaged: number }) {
    this.#logger = logger;
    this.#counters = counters;
  }

  /** Counts a skipped value and logs `what` with `fields`, unless `what` at `key` was logged already. */
  warnOnce(what: string, key: string, fields: Record<string, unknown>): void {
    this.#counters.damaged++;
    const id = `${what}:${key}`;
    if (this.#warned.get(id) !== undefined) return;
    this.#warned.set(id, id);
    if (this.#warned.size > WARNED_MAX) this.#warned.delete(this.#warned.oldest()!);
    this.#logger.warn(`pqble/redis: skipped ${what}`, fields);
  }
}
