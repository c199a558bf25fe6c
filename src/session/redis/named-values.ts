/**
 * The fleet store's named values (docs/fleet.md "Named values"; the `SessionStore` value
 * calls of src/session/store.ts): sealed like entries (values.ts), one Redis string each,
 * their blinded names in the set `{ns}:vals`.
 *
 * @module
 */

import { wipe } from '../../bytes.js';
import { StoreError } from '../../errors.js';
import type { StoreCallOptions } from '../store.js';
import { checkValueName, copyValue, storeClosed } from '../store-checks.js';
import type { DamageLog } from './damage-log.js';
import type { KeyLayout } from './keys.js';
import { SCAN_CHUNK, type ScriptRunner } from './runner.js';
import { MAX_SEALED_VALUE_BYTES, type ValueCodec } from './values.js';

/** The named-value calls of the fleet store. */
export class NamedValues {
  readonly #runner: ScriptRunner;
  readonly #keys: KeyLayout;
  readonly #values: ValueCodec;
  readonly #damage: DamageLog;

  constructor(runner: ScriptRunner, keys: KeyLayout, values: ValueCodec, damage: DamageLog) {
    this.#runner = runner;
    this.#keys = keys;
    this.#values = values;
    this.#damage = damage;
  }

  /** Counts and logs (once) a damaged named value. */
  warnValue(bname: Buffer, failure: string, keyId?: number): void {
    this.#damage.warnOnce('a damaged named value', bname.toString('hex'), { value: bname.toString('hex'), reason: failure, keyId });
  }

  /** A named value (sealed like entries), or `undefined`; a damaged one is logged and reads as unset. */
  async getValue(name: string, options?: StoreCallOptions): Promise<Uint8Array | undefined> {
    const { bname, key } = this.#values.locate(checkValueName(name));
    const call = this.#runner.start(options, 'getValue');
    return this.#runner.run('getValue', call, async () => {
      // At most one byte more than the largest sealed value: a longer one is damaged (bounded read).
      const stored = await this.#runner.client.callBuffer('GETRANGE', key, '0', String(MAX_SEALED_VALUE_BYTES));
      if (!Buffer.isBuffer(stored) || stored.length === 0) return undefined;
      const opened = this.#values.open(bname, stored);
      if ('failure' in opened) {
        this.warnValue(bname, opened.failure, opened.keyId);
        return undefined;
      }
      return opened.value;
    });
  }

  /** Sets (or with `undefined`, removes) a named value, at most 4 KiB. */
  async putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void> {
    const checked = checkValueName(name);
    const { bname, key } = this.#values.locate(checked);
    const copy = copyValue(value);
    const sealed = copy === undefined ? undefined : this.#values.seal(key, checked, copy);
    wipe(copy);
    const call = this.#runner.start(options, 'putValue');
    await this.#runner.run('putValue', call, () =>
      sealed === undefined
        ? this.#runner.script('pqbleDeleteValue', [key, this.#keys.values], [this.#keys.prefix, bname], false)
        : this.#runner.script('pqblePutValue', [key, this.#keys.values], [this.#keys.prefix, bname, sealed], false),
    );
  }

  /** Every named value whose name starts with `prefix` (SSCAN of `{ns}:vals`, 200 per round trip; the timeout bounds each). */
  async *listValues(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]> {
    if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string, got ${typeof prefix}`);
    if (!/^[\x21-\x7e]{0,128}$/.test(prefix)) throw new RangeError('prefix must be 0..128 printable ASCII characters');
    const call = this.#runner.start(options, 'listValues');
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const scan = await this.#runner.run('listValues', call, () =>
        this.#runner.client.callBuffer('SSCAN', this.#keys.values, cursor, 'COUNT', String(SCAN_CHUNK)),
      );
      if (!Array.isArray(scan) || scan.length !== 2 || !Buffer.isBuffer(scan[0]) || !Array.isArray(scan[1]))
        throw new StoreError('PQBLE_ERR_STORE_IO', 'redis: unexpected SSCAN reply');
      cursor = scan[0].toString('latin1');
      const members = (scan[1] as unknown[]).filter((m): m is Buffer => Buffer.isBuffer(m) && m.length === 16 && !seen.has(m.toString('hex')));
      for (const m of members) seen.add(m.toString('hex'));
      if (members.length === 0) continue;
      const rows = await this.#runner.run('listValues', call, () =>
        this.#runner.script('pqbleGetValues', [this.#keys.values], [this.#keys.prefix, String(MAX_SEALED_VALUE_BYTES), ...members], false),
      );
      for (const row of Array.isArray(rows) ? (rows as unknown[]) : []) {
        if (!Array.isArray(row) || !Buffer.isBuffer(row[0]) || !Buffer.isBuffer(row[1])) continue;
        const opened = this.#values.open(row[0], row[1]);
        if ('failure' in opened) this.warnValue(row[0], opened.failure, opened.keyId);
        else if (opened.name.startsWith(prefix)) yield [opened.name, opened.value] as const;
      }
      if (this.#runner.closed) throw storeClosed('redis: listValues');
    } while (cursor !== '0');
  }
}
