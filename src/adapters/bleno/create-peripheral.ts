/**
 * {@link createBlenoPeripheral}: checks its options, takes the bleno object (the injected one,
 * or the shared default loaded lazily), waits for `poweredOn`, and starts the peripheral of
 * ./peripheral.ts (docs/hardware.md).
 *
 * @module
 */

import { LinkError, PqbleError, throwIfAborted } from '../../errors.js';
import { checkOptionKeys, optInteger, optSignal } from '../../util/options.js';
import { waitForPoweredOn } from '../adapter-state.js';
import { radioUnavailable } from '../radio-unavailable.js';
import { ADVERTISED_NAME_RE } from './advertiser.js';
import { BLENO_PACKAGE, isBlenoLike, sharedBleno, type BlenoCharacteristicLike, type BlenoLike } from './library.js';
import { BlenoPeripheralImpl, type BlenoPeripheral } from './peripheral.js';

/** Options of {@link createBlenoPeripheral}. Every default is listed; an unknown key is a TypeError. */
export interface BlenoPeripheralOptions<C = BlenoCharacteristicLike> {
  /** A bleno object to use. Default: the `@stoprocent/bleno` default instance, imported lazily and stopped on close. */
  readonly bleno?: BlenoLike<C>;
  /** Advertised local name, 1..29 ASCII characters. Default `'pqble'`. */
  readonly name?: string;
  /** How long to wait for the adapter to report `poweredOn`. Default 3000 ms. */
  readonly poweredOnTimeoutMs?: number;
  /** Notifications queued per link before `send()` waits. Default 32. */
  readonly maxQueuedNotifications?: number;
  /** Centrals served at once; more are disconnected (where the OS allows) and ignored. Default 8. */
  readonly maxConnections?: number;
  /** Cancels creation (waiting for the adapter, publishing, advertising). */
  readonly signal?: AbortSignal;
}

const OPTION_KEYS = ['bleno', 'name', 'poweredOnTimeoutMs', 'maxQueuedNotifications', 'maxConnections', 'signal'] as const;

interface StartOptions {
  readonly name: string;
  readonly poweredOnTimeoutMs: number;
  readonly maxQueued: number;
  readonly maxConnections: number;
  readonly signal: AbortSignal | undefined;
}

/** bleno objects serving a pqble peripheral: one GATT database each, so one peripheral each. */
const inUse = new WeakSet<object>();

async function startPeripheral<C>(bleno: BlenoLike<C>, release: () => void, options: StartOptions): Promise<BlenoPeripheral> {
  if (inUse.has(bleno)) {
    release();
    throw new LinkError('PQBLE_ERR_RADIO_UNAVAILABLE', 'this bleno object already serves a pqble peripheral; close it first');
  }
  inUse.add(bleno);
  const releaseAll = (): void => {
    inUse.delete(bleno);
    release();
  };
  let peripheral: BlenoPeripheralImpl<C> | undefined;
  try {
    await waitForPoweredOn(bleno, { timeoutMs: options.poweredOnTimeoutMs, signal: options.signal, packageName: BLENO_PACKAGE });
    peripheral = new BlenoPeripheralImpl(bleno, releaseAll, options.name, options.maxQueued, options.maxConnections);
    try {
      await peripheral.start(options.signal);
    } catch (err) {
      throw err instanceof PqbleError ? err : radioUnavailable('could not publish or advertise the pqble service', BLENO_PACKAGE, err);
    }
    return peripheral;
  } catch (err) {
    if (peripheral !== undefined) await peripheral.close();
    else releaseAll();
    throw err;
  }
}

/**
 * Creates a pqble peripheral on bleno: waits for `poweredOn`, publishes the pqble service
 * and advertises it with `name`.
 *
 * @throws TypeError / RangeError for bad options
 * @throws LinkError `PQBLE_ERR_RADIO_UNAVAILABLE` when the library or its native part cannot
 *   load (the message says how to enable it), the adapter is unsupported, unauthorized,
 *   powered off, or does not power on within `poweredOnTimeoutMs`, or publishing or
 *   advertising fails; `PQBLE_ERR_ABORTED` on abort
 */
export async function createBlenoPeripheral<C = BlenoCharacteristicLike>(options: BlenoPeripheralOptions<C> = {}): Promise<BlenoPeripheral> {
  checkOptionKeys(options, OPTION_KEYS, 'BlenoPeripheralOptions');
  if (options.bleno !== undefined && !isBlenoLike(options.bleno)) throw new TypeError('bleno must be a bleno object');
  optSignal(options.signal, 'signal');
  const name = options.name ?? 'pqble';
  if (typeof name !== 'string') throw new TypeError('name must be a string');
  if (!ADVERTISED_NAME_RE.test(name)) throw new RangeError('name must be 1..29 printable ASCII characters');
  const start: StartOptions = {
    name,
    poweredOnTimeoutMs: optInteger(options.poweredOnTimeoutMs, 'poweredOnTimeoutMs', 0, 3_600_000, 3000),
    maxQueued: optInteger(options.maxQueuedNotifications, 'maxQueuedNotifications', 1, 4096, 32),
    maxConnections: optInteger(options.maxConnections, 'maxConnections', 1, 64, 8),
    signal: options.signal,
  };
  throwIfAborted(options.signal);
  if (options.bleno !== undefined) return startPeripheral(options.bleno, () => undefined, start);
  const bleno = await sharedBleno.acquire();
  return startPeripheral(bleno, () => void sharedBleno.release(bleno), start);
}
