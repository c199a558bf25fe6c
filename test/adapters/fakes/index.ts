/**
 * Fakes of `@stoprocent/noble` and `@stoprocent/bleno` for tests (see ./air.ts for what is
 * modelled), and {@link createFakeBlePair}: a fake central radio and a fake peripheral radio
 * that reach each other, to drive the real adapters (src/adapters) without hardware.
 *
 * @module
 */

import type { BlenoLike } from '../../../src/adapters/bleno.js';
import type { NobleLike } from '../../../src/adapters/noble.js';
import {
  FakeAir,
  type FakeAirOptions,
  type FakeBleno,
  type FakeBlenoCharacteristic,
  type FakeBlenoOptions,
  type FakeNoble,
  type FakeNobleOptions,
} from './air.js';

export * from './air.js';

/** Options of {@link createFakeBlePair}. */
export interface FakeBlePairOptions {
  /** Options of the shared air. */
  readonly air?: FakeAirOptions;
  /** Options of the fake noble (central). */
  readonly central?: FakeNobleOptions;
  /** Options of the fake bleno (peripheral). */
  readonly peripheral?: FakeBlenoOptions;
}

/** A fake central radio and a fake peripheral radio on one air. */
export interface FakeBlePair {
  /** Pass as `createNobleCentral({ noble })`. */
  readonly noble: NobleLike & FakeNoble;
  /** Pass as `createBlenoPeripheral({ bleno })`. */
  readonly bleno: BlenoLike<FakeBlenoCharacteristic> & FakeBleno;
  /** The medium between them: fault injection and inspection. */
  readonly air: FakeAir;
}

/** Creates a fake noble and a fake bleno that can connect to each other. */
export function createFakeBlePair(options: FakeBlePairOptions = {}): FakeBlePair {
  const air = new FakeAir(options.air);
  const noble = air.createNoble(options.central);
  const bleno = air.createBleno(options.peripheral);
  return { noble, bleno, air };
}
