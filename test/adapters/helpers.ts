/**
 * Helpers for the adapter tests (test/adapters/*.test.ts): a connected central/peripheral
 * pair over the noble/bleno fakes, and small real-time waits.
 */

import assert from 'node:assert/strict';
import { createBlenoPeripheral, type BlenoPeripheral, type BlenoPeripheralOptions } from '../../src/adapters/bleno.js';
import { createNobleCentral, type NobleCentral, type NobleCentralOptions } from '../../src/adapters/noble.js';
import { isPqbleError } from '../../src/errors.js';
import type { Link } from '../../src/link/types.js';
import { createFakeBlePair, type FakeBlePair, type FakeBlePairOptions, type FakeBlenoCharacteristic, type FakeConnection } from './fakes/index.js';

/** A fake pair with the adapters on top. */
export interface AdapterPair extends FakeBlePair {
  readonly central: NobleCentral;
  readonly peripheral: BlenoPeripheral;
  close(): Promise<void>;
}

/** Options of {@link makeAdapters}. */
export interface MakeAdaptersOptions extends FakeBlePairOptions {
  readonly centralOptions?: Omit<NobleCentralOptions, 'noble'>;
  readonly peripheralOptions?: Omit<BlenoPeripheralOptions<FakeBlenoCharacteristic>, 'bleno'>;
}

/** Creates the fakes, a bleno peripheral and a noble central on them. */
export async function makeAdapters(options: MakeAdaptersOptions = {}): Promise<AdapterPair> {
  const pair = createFakeBlePair(options);
  const peripheral = await createBlenoPeripheral({ bleno: pair.bleno, ...options.peripheralOptions });
  const central = await createNobleCentral({ noble: pair.noble, scanTimeoutMs: 500, mtuReport: 'attMtu', ...options.centralOptions });
  return {
    ...pair,
    central,
    peripheral,
    async close() {
      await central.close();
      await peripheral.close();
    },
  };
}

/** Connects `central` to `peripheral`; returns both ends. */
export async function connectPair(central: NobleCentral, peripheral: BlenoPeripheral): Promise<{ c: Link; p: Link }> {
  let off: () => void = () => undefined;
  const incoming = new Promise<Link>((resolve) => {
    off = peripheral.onIncoming((link) => {
      if (link.peerDeviceId === central.deviceId) resolve(link);
    });
  });
  try {
    const c = await central.connect(peripheral.deviceId);
    const p = await incoming;
    return { c, p };
  } finally {
    off();
  }
}

/** The fake connection under a central-side link. */
export function connectionOf(pair: FakeBlePair, link: Link): FakeConnection {
  const conn =
    link.role === 'central' ? pair.air.findConnection(link.localDeviceId, link.peerDeviceId) : pair.air.findConnection(link.peerDeviceId, link.localDeviceId);
  assert.ok(conn !== undefined, 'no open fake connection for this link');
  return conn;
}

/** Real-time delay. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every millisecond until it holds, or fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await delay(1);
  }
}

/** Asserts that `promise` rejects with a PqbleError of `code`; returns the error. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    assert.ok(isPqbleError(err), `expected a PqbleError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
  return caught as Error;
}

/** The close reason of `link`, once it closes. */
export function closeReason(link: Link): Promise<string | undefined> {
  return new Promise((resolve) => link.onClose((reason) => resolve(reason?.code)));
}
