/**
 * The central adapter on `@stoprocent/noble` (docs/hardware.md; the link seam of
 * src/link/types.ts): {@link createNobleCentral} and the central it makes. It finds a device
 * through its scanner (./scanner.ts), connects by device id, negotiates the ATT MTU through
 * the library, writes to TX (write without response, one value in flight, bounded queue)
 * and receives notifications from RX.
 *
 * @module
 */

import { setImmediate as nextImmediate } from 'node:timers/promises';
import { systemClock, withDeadline, type Clock } from '../../clock.js';
import { AbortError, ClosedError, LinkError, PqbleError, throwIfAborted } from '../../errors.js';
import { parseDeviceId } from '../../ids.js';
import type { Link, LinkConnectOptions, LinkEndpoint } from '../../link/types.js';
import { raceAbort } from '../../util/abort.js';
import { checkOptionKeys, optInteger, optSignal } from '../../util/options.js';
import { waitForPoweredOn } from '../adapter-state.js';
import {
  ATT_HEADER_BYTES,
  ATT_MTU_MIN,
  PQBLE_RX_CHARACTERISTIC_UUID,
  PQBLE_SERVICE_UUID,
  PQBLE_TX_CHARACTERISTIC_UUID,
  compactUuid,
  sameUuid,
} from '../gatt.js';
import { AdapterLink } from '../link-core.js';
import { deviceIdFromAddress, randomStaticDeviceId } from '../peer-address.js';
import { radioUnavailable } from '../radio-unavailable.js';
import { NOBLE_PACKAGE, isNobleLike, sharedNoble, type NobleCharacteristicLike, type NobleLike, type NobleMtuReport } from './library.js';
import { NobleScanner, type DiscoveredDevice, type NobleScanOptions } from './scanner.js';

/** Options of {@link createNobleCentral}. Every default is listed; an unknown key is a TypeError. */
export interface NobleCentralOptions {
  /** A noble object to use. Default: the `@stoprocent/noble` default instance, imported lazily and stopped on close. */
  readonly noble?: NobleLike;
  /** How long `connect()` scans for a device it has not seen yet before `PQBLE_ERR_DEVICE_NOT_FOUND`. Default 10000 ms. */
  readonly scanTimeoutMs?: number;
  /** Default deadline of a whole `connect()` (scan, connect, discovery, subscribe). Default 15000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long to wait for the adapter to report `poweredOn`. Default 3000 ms. */
  readonly poweredOnTimeoutMs?: number;
  /** Scan results not seen for this long are dropped from `discovered()`. Default 30000 ms. */
  readonly staleDeviceMs?: number;
  /** Values queued per link before `send()` waits. Default 32. */
  readonly maxQueuedWrites?: number;
  /** What the library's `mtu` means. Default `'maxWriteLength'` on macOS, else `'attMtu'`. */
  readonly mtuReport?: NobleMtuReport;
  /** Cancels creation (waiting for the adapter). */
  readonly signal?: AbortSignal;
}

/** A pqble central on noble: a {@link LinkEndpoint} that connects out (it never accepts). */
export interface NobleCentral extends LinkEndpoint {
  /** The noble object in use. */
  readonly noble: NobleLike;
  /** Scans for pqble peripherals for `durationMs`; resolves with those seen, strongest first. */
  scan(options?: NobleScanOptions): Promise<DiscoveredDevice[]>;
  /** pqble peripherals seen recently (stale ones pruned), strongest first. */
  discovered(): DiscoveredDevice[];
  /** Open links. */
  links(): Link[];
}

interface ResolvedOptions {
  readonly scanTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly staleDeviceMs: number;
  readonly maxQueuedWrites: number;
  readonly mtuReport: NobleMtuReport;
}

const OPTION_KEYS = ['noble', 'scanTimeoutMs', 'connectTimeoutMs', 'poweredOnTimeoutMs', 'staleDeviceMs', 'maxQueuedWrites', 'mtuReport', 'signal'] as const;

/** The error of a cancelled connection attempt: the attempt's own reason when it is coded (timeout, closed). */
function cancelledError(reason: unknown): PqbleError {
  return reason instanceof PqbleError ? reason : new AbortError('the connection attempt was cancelled', { cause: reason });
}

/** Waits for `promise` unless the attempt is cancelled first (then runs `onCancel`). */
function untilCancelled<T>(promise: Promise<T>, cancel: AbortSignal, onCancel?: () => void): Promise<T> {
  return raceAbort(promise, cancel, { abortError: cancelledError, onCancel });
}

/** `err` if it is coded already, else a {@link LinkError} with `code` that wraps it. */
function coded(err: unknown, code: 'PQBLE_ERR_DISCONNECTED' | 'PQBLE_ERR_DEVICE_NOT_FOUND', message: string): PqbleError {
  return err instanceof PqbleError ? err : new LinkError(code, message, { cause: err });
}

class NobleCentralImpl implements NobleCentral {
  readonly deviceId: string;
  readonly clock: Clock = systemClock;
  readonly noble: NobleLike;
  readonly #owned: boolean;
  readonly #options: ResolvedOptions;
  readonly #scanner: NobleScanner;
  readonly #links = new Map<string, AdapterLink>();
  readonly #connecting = new Set<string>();
  readonly #attempts = new Set<AbortController>();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(noble: NobleLike, owned: boolean, options: ResolvedOptions) {
    this.noble = noble;
    this.#owned = owned;
    this.#options = options;
    this.deviceId = deviceIdFromAddress(noble.address) ?? randomStaticDeviceId();
    this.#scanner = new NobleScanner(noble, this.clock, {
      scanTimeoutMs: options.scanTimeoutMs,
      staleDeviceMs: options.staleDeviceMs,
      inUse: (deviceId) => this.#links.has(deviceId),
    });
    noble.on('stateChange', this.#onStateChange);
  }

  readonly #onStateChange = (state: string): void => {
    if (state === 'poweredOn') return;
    this.#scanner.adapterOff();
    const reason = radioUnavailable(`the Bluetooth adapter went ${state}`, NOBLE_PACKAGE);
    for (const link of this.#links.values()) link.closeWith(reason);
  };

  async scan(options: NobleScanOptions = {}): Promise<DiscoveredDevice[]> {
    checkOptionKeys(options, ['durationMs', 'signal'], 'scan options');
    const durationMs = optInteger(options.durationMs, 'durationMs', 1, 3_600_000, 5000);
    throwIfAborted(options.signal);
    this.#checkUsable();
    return this.#scanner.scan(durationMs, options.signal);
  }

  discovered(): DiscoveredDevice[] {
    return this.#scanner.discovered();
  }

  links(): Link[] {
    return [...this.#links.values()];
  }

  #checkUsable(): void {
    if (this.#closed) throw new ClosedError('the noble central is closed');
    const { state } = this.noble;
    if (state !== 'poweredOn') {
      throw radioUnavailable(`the Bluetooth adapter is ${state} now (it was on when the central started: switched off, removed or reset since)`, NOBLE_PACKAGE);
    }
  }

  async connect(peerDeviceId: string, options: LinkConnectOptions = {}): Promise<Link> {
    const deviceId = parseDeviceId(peerDeviceId, 'peerDeviceId');
    checkOptionKeys(options, ['signal', 'timeoutMs'], 'connect options');
    const timeoutMs = optInteger(options.timeoutMs, 'timeoutMs', 1, 3_600_000, this.#options.connectTimeoutMs);
    const { signal } = options;
    throwIfAborted(signal);
    this.#checkUsable();
    if (this.#links.has(deviceId) || this.#connecting.has(deviceId)) {
      throw new LinkError('PQBLE_ERR_LINK_BUSY', `already connected or connecting to ${deviceId}`);
    }
    const attempt = new AbortController();
    this.#attempts.add(attempt);
    this.#connecting.add(deviceId);
    try {
      return await withDeadline(this.clock, this.#establish(deviceId, attempt.signal), {
        timeoutMs,
        signal,
        what: `connecting to ${deviceId}`,
        onCancel: (reason) => attempt.abort(reason),
      });
    } finally {
      this.#attempts.delete(attempt);
      this.#connecting.delete(deviceId);
    }
  }

  async #establish(deviceId: string, cancel: AbortSignal): Promise<Link> {
    const entry = await this.#scanner.find(deviceId, cancel, cancelledError);
    const peripheral = entry.peripheral;
    // noble on Linux stops scanning itself before it connects; wait for our own stop first.
    await untilCancelled(this.#scanner.settled(), cancel);
    try {
      await untilCancelled(peripheral.connectAsync(), cancel, () => peripheral.cancelConnect());
    } catch (err) {
      throw coded(err, 'PQBLE_ERR_DISCONNECTED', `could not connect to ${deviceId}`);
    }

    let dropped: PqbleError | undefined;
    let link: AdapterLink | undefined;
    const onDisconnect = (reason: number | string): void => {
      const err = new LinkError('PQBLE_ERR_DISCONNECTED', `the peripheral disconnected (reason ${String(reason)})`);
      if (link !== undefined) link.closeWith(err);
      else dropped ??= err;
    };
    const onMtu = (mtu: number): void => link?.setMtu(this.#attMtuFrom(mtu));
    let rx: NobleCharacteristicLike | undefined;
    const onData = (data: Buffer, isNotification: boolean): void => {
      if (isNotification === false || !(data instanceof Uint8Array)) return;
      link?.deliver(new Uint8Array(data));
    };
    const detach = (): void => {
      peripheral.removeListener('disconnect', onDisconnect);
      peripheral.removeListener('mtu', onMtu);
      rx?.removeListener('data', onData);
    };
    peripheral.on('disconnect', onDisconnect);
    peripheral.on('mtu', onMtu);
    const abandon = (): void => {
      detach();
      link?.closeWith(undefined);
      peripheral.disconnectAsync().catch(() => undefined);
    };
    try {
      const checkDropped = (): void => {
        if (dropped !== undefined) throw dropped;
      };
      let characteristics: readonly NobleCharacteristicLike[];
      try {
        ({ characteristics } = await untilCancelled(
          peripheral.discoverSomeServicesAndCharacteristicsAsync(
            [compactUuid(PQBLE_SERVICE_UUID)],
            [compactUuid(PQBLE_TX_CHARACTERISTIC_UUID), compactUuid(PQBLE_RX_CHARACTERISTIC_UUID)],
          ),
          cancel,
        ));
      } catch (err) {
        checkDropped();
        // noble fails with "Could not find all requested services" when the service is absent.
        const absent = err instanceof Error && /could not find/i.test(err.message);
        throw coded(err, absent ? 'PQBLE_ERR_DEVICE_NOT_FOUND' : 'PQBLE_ERR_DISCONNECTED', `GATT discovery on ${deviceId} failed`);
      }
      checkDropped();
      const tx = characteristics.find((c) => sameUuid(c.uuid, PQBLE_TX_CHARACTERISTIC_UUID));
      rx = characteristics.find((c) => sameUuid(c.uuid, PQBLE_RX_CHARACTERISTIC_UUID));
      if (tx === undefined || rx === undefined) {
        throw new LinkError('PQBLE_ERR_DEVICE_NOT_FOUND', `${deviceId} does not offer the pqble GATT service`);
      }
      const withoutResponse = !tx.properties.includes('write') || tx.properties.includes('writeWithoutResponse');
      link = new AdapterLink({
        localDeviceId: this.deviceId,
        peerDeviceId: deviceId,
        role: 'central',
        attMtu: this.#attMtuFrom(peripheral.mtu),
        maxQueuedPackets: this.#options.maxQueuedWrites,
        clock: this.clock,
        driver: {
          write: async (value) => {
            await new Promise<void>((resolve, reject) => {
              tx.write(Buffer.from(value), withoutResponse, (error) => {
                if (error !== undefined && error !== null) reject(error);
                else resolve();
              });
            });
            // noble on Linux calls back for a write without response synchronously, once the
            // value is in its own (unbounded) ACL queue, so a steady sender would never let
            // the event loop reach the socket. Yielding to pending I/O between values lets
            // the HCI layer drain as it goes (docs/hardware.md "Flow control").
            await nextImmediate();
          },
          disconnect: () => peripheral.disconnectAsync(),
        },
      });
      // Listen before subscribing: a notification may overtake the CCCD write's response.
      rx.on('data', onData);
      try {
        await untilCancelled(rx.subscribeAsync(), cancel);
      } catch (err) {
        checkDropped();
        throw coded(err, 'PQBLE_ERR_DISCONNECTED', `could not subscribe to notifications of ${deviceId}`);
      }
      checkDropped();
      if (cancel.aborted) throw cancelledError(cancel.reason);
    } catch (err) {
      abandon();
      throw err;
    }
    const open = link;
    this.#links.set(deviceId, open);
    open.onClose(() => {
      detach();
      if (this.#links.get(deviceId) === open) this.#links.delete(deviceId);
    });
    // A scan() that was running when noble paused scanning to connect resumes now.
    this.#scanner.resume();
    return open;
  }

  #attMtuFrom(reported: number | null | undefined): number {
    if (typeof reported !== 'number' || !Number.isFinite(reported) || reported <= 0) return ATT_MTU_MIN;
    return this.#options.mtuReport === 'maxWriteLength' ? reported + ATT_HEADER_BYTES : reported;
  }

  onIncoming(listener: (link: Link) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    return () => undefined;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const scannerClosed = this.#scanner.close();
    const closedError = new ClosedError('the noble central is closed');
    for (const attempt of this.#attempts) attempt.abort(closedError);
    await Promise.all([...this.#links.values()].map((link) => link.close()));
    await scannerClosed;
    this.noble.removeListener('stateChange', this.#onStateChange);
    if (this.#owned) await sharedNoble.release(this.noble);
  }
}

/**
 * Creates a pqble central on noble. Waits for the adapter to report `poweredOn`.
 *
 * @throws TypeError / RangeError for bad options
 * @throws LinkError `PQBLE_ERR_RADIO_UNAVAILABLE` when the library or its native part cannot
 *   load (the message says how to enable it), or there is no adapter or it is unsupported,
 *   unauthorized, powered off, or does not power on within `poweredOnTimeoutMs` (the message
 *   names the adapter expected); `PQBLE_ERR_ABORTED` on abort
 */
export async function createNobleCentral(options: NobleCentralOptions = {}): Promise<NobleCentral> {
  checkOptionKeys(options, OPTION_KEYS, 'NobleCentralOptions');
  if (options.noble !== undefined && !isNobleLike(options.noble)) throw new TypeError('noble must be a noble object');
  optSignal(options.signal, 'signal');
  if (options.mtuReport !== undefined && options.mtuReport !== 'attMtu' && options.mtuReport !== 'maxWriteLength') {
    throw new TypeError("mtuReport must be 'attMtu' or 'maxWriteLength'");
  }
  const resolved: ResolvedOptions = {
    scanTimeoutMs: optInteger(options.scanTimeoutMs, 'scanTimeoutMs', 1, 3_600_000, 10_000),
    connectTimeoutMs: optInteger(options.connectTimeoutMs, 'connectTimeoutMs', 1, 3_600_000, 15_000),
    staleDeviceMs: optInteger(options.staleDeviceMs, 'staleDeviceMs', 1, 86_400_000, 30_000),
    maxQueuedWrites: optInteger(options.maxQueuedWrites, 'maxQueuedWrites', 1, 4096, 32),
    mtuReport: options.mtuReport ?? (process.platform === 'darwin' ? 'maxWriteLength' : 'attMtu'),
  };
  const poweredOnTimeoutMs = optInteger(options.poweredOnTimeoutMs, 'poweredOnTimeoutMs', 0, 3_600_000, 3000);
  throwIfAborted(options.signal);
  const injected = options.noble;
  const noble = injected ?? (await sharedNoble.acquire());
  try {
    await waitForPoweredOn(noble, { timeoutMs: poweredOnTimeoutMs, signal: options.signal, packageName: NOBLE_PACKAGE });
    return new NobleCentralImpl(noble, injected === undefined, resolved);
  } catch (err) {
    if (injected === undefined) await sharedNoble.release(noble);
    throw err;
  }
}
