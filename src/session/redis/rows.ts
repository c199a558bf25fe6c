/**
 * The entry rows the fleet store's scripts return (docs/fleet.md "Entry value"): a row is
 * `[blinded fingerprint, raw value, last-active score, dead flag]`. {@link EntryRows} reads
 * entries and decodes rows (damaged ones are logged and skipped) and remembers the raw value
 * last read or written per entry: the expected value of a ratchet's compare-and-set.
 *
 * @module
 */

import { wipe } from '../../bytes.js';
import { LruMap } from '../../util/lru.js';
import type { StoredSession } from '../store.js';
import type { DamageLog } from './damage-log.js';
import type { EntryCodec } from './entry.js';
import type { KeyLayout } from './keys.js';
import type { ScriptRunner } from './runner.js';

/** Raw values remembered, at most. */
const RECENT_MAX = 4096;

/** A script's entry row: blinded fingerprint, raw value, last-active score (or null), 1 if the inbound ticket is dead. */
export type Row = [Buffer, Buffer, Buffer | null, number];

/** True if a script's reply is an entry row. */
export function isRow(value: unknown): value is Row {
  return Array.isArray(value) && value.length === 4 && Buffer.isBuffer(value[0]) && Buffer.isBuffer(value[1]);
}

/** Decodes entry rows and remembers the raw values last seen (see the module header). */
export class EntryRows {
  readonly #keys: KeyLayout;
  readonly #codec: EntryCodec;
  readonly #damage: DamageLog;
  /** Raw values last read or written, by blinded fingerprint (hex): the expected value of a ratchet's compare-and-set. */
  readonly #recent = new LruMap<{ readonly hex: string; readonly raw: Buffer }>();

  constructor(keys: KeyLayout, codec: EntryCodec, damage: DamageLog) {
    this.#keys = keys;
    this.#codec = codec;
    this.#damage = damage;
  }

  /** Reads entry `key` (blinded fingerprint `bfp`) with the get script; `undefined` if absent or damaged. */
  async read(runner: ScriptRunner, bfp: Buffer, key: Buffer): Promise<{ session: StoredSession; raw: Buffer } | undefined> {
    const row = await runner.script('pqbleGet', [key], [this.#keys.prefix, bfp], false);
    return isRow(row) ? this.decode(row) : undefined;
  }

  /** The entry in a script row, or `undefined` (damaged ones are logged and skipped). */
  decode(row: Row): { session: StoredSession; raw: Buffer } | undefined {
    const [bfp, raw, score, dead] = row;
    const key = this.#keys.entry(bfp);
    let decoded: ReturnType<EntryCodec['decode']>;
    try {
      decoded = this.#codec.decode(key, bfp, raw);
    } catch {
      decoded = { failure: 'layout' };
    }
    if ('failure' in decoded) {
      const hint = decoded.failure === 'unknown-key' ? ' (sealed with a storage key this gateway does not have: give it in previousStorageKeys)' : '';
      this.#damage.warnOnce(`a damaged session entry${hint}`, bfp.toString('hex'), {
        entry: bfp.toString('hex'),
        reason: decoded.failure,
        keyId: decoded.keyId,
      });
      return undefined;
    }
    const r = decoded.record;
    const lastActive = score === null ? r.establishedMs : Number(score.toString('latin1'));
    const session: StoredSession = {
      ...r,
      inbound: dead === 1 ? undefined : r.inbound,
      lastActiveMs: Number.isSafeInteger(lastActive) && lastActive >= 0 ? lastActive : r.establishedMs,
    };
    if (dead === 1) wipe(r.inbound?.secret);
    this.remember(bfp.toString('hex'), raw);
    return { session, raw };
  }

  /** Remembers `raw` as the value of entry `hex` (the least recently seen beyond 4096 is forgotten). */
  remember(hex: string, raw: Buffer): void {
    this.#recent.set(hex, { hex, raw });
    if (this.#recent.size > RECENT_MAX) this.#recent.delete(this.#recent.oldest()!.hex);
  }

  /** The raw value last seen of entry `hex`, if remembered. */
  recent(hex: string): Buffer | undefined {
    return this.#recent.get(hex)?.raw;
  }

  /** Forgets entry `hex`'s value. */
  forget(hex: string): void {
    this.#recent.delete(hex);
  }

  /** Forgets every value. */
  forgetAll(): void {
    this.#recent.clear();
  }
}
