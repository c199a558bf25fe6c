/**
 * The fleet store's ratchets (docs/fleet.md "Scripts and single use", "Ordering"): consuming
 * an inbound ticket and replacing the outbound secret read the entry (or reuse the raw value
 * last seen), check it, re-seal the changed entry, and compare-and-set it in one script, and
 * read again if the entry changed in between (another field, another gateway).
 *
 * @module
 */

import { wipe } from '../../bytes.js';
import type { RatchetUpdate, StoredSession } from '../store.js';
import type { EntryCodec, EntryRecord } from './entry.js';
import type { KeyLayout } from './keys.js';
import type { EntryRows } from './rows.js';
import type { ScriptRunner } from './runner.js';

/** Reads of a changed entry before a ratchet gives up (returns false). */
const RATCHET_ATTEMPTS = 4;

/** Runs the read-check-write loop of a ratchet. */
export class Ratchet {
  readonly #runner: ScriptRunner;
  readonly #keys: KeyLayout;
  readonly #codec: EntryCodec;
  readonly #rows: EntryRows;
  readonly #counters: { retries: number };

  /** @param counters - the store's counters; `retries` goes up by one per re-read */
  constructor(runner: ScriptRunner, keys: KeyLayout, codec: EntryCodec, rows: EntryRows, counters: { retries: number }) {
    this.#runner = runner;
    this.#keys = keys;
    this.#codec = codec;
    this.#rows = rows;
    this.#counters = counters;
  }

  /**
   * Read (or reuse the value last seen), check, re-seal, and compare-and-set in one script;
   * read again if the entry changed in between (another field, another gateway).
   */
  async run(
    entry: { readonly bfp: Buffer; readonly key: Buffer; readonly hex: string },
    script: 'pqbleConsume' | 'pqbleReplaceOutbound',
    blinded: Buffer,
    u: RatchetUpdate,
    matches: (r: StoredSession) => boolean,
    change: (r: StoredSession) => EntryRecord,
  ): Promise<boolean> {
    const { bfp, key, hex } = entry;
    const place = this.#runner.order.hold();
    try {
      await place.ready;
      return await this.#inLine(bfp, key, hex, script, blinded, u, matches, change, place.release);
    } finally {
      place.release();
    }
  }

  async #inLine(
    bfp: Buffer,
    key: Buffer,
    hex: string,
    script: 'pqbleConsume' | 'pqbleReplaceOutbound',
    blinded: Buffer,
    u: RatchetUpdate,
    matches: (r: StoredSession) => boolean,
    change: (r: StoredSession) => EntryRecord,
    release: () => void,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < RATCHET_ATTEMPTS; attempt++) {
      let raw = attempt === 0 ? this.#rows.recent(hex) : undefined;
      let session: StoredSession | undefined;
      if (raw !== undefined) {
        const row = this.#rows.decode([bfp, raw, null, 0]);
        session = row?.session;
        if (session === undefined) raw = undefined;
      }
      if (raw === undefined) {
        const read = await this.#rows.read(this.#runner, bfp, key);
        if (read === undefined) return false;
        ({ session, raw } = read);
      }
      const s = session!;
      try {
        if (!matches(s)) {
          if (attempt === 0 && this.#rows.recent(hex) === raw) {
            this.#rows.forget(hex);
            this.#counters.retries++;
            continue;
          }
          return false;
        }
        const value = this.#codec.encode(key, change(s));
        const sent = this.#runner.script(script, [key, this.#keys.lru], [this.#keys.prefix, bfp, blinded, raw, value, String(u.lastActiveMs)], true);
        release(); // the compare-and-set is on the wire: later calls may follow it
        const reply = await sent;
        if (reply === 1) {
          this.#rows.remember(hex, value);
          return true;
        }
        this.#rows.forget(hex);
        if (reply !== 2) return false;
        this.#counters.retries++;
      } finally {
        wipe(s.outbound, s.inbound?.secret);
      }
    }
    return false;
  }
}
