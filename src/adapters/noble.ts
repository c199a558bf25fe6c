/**
 * The central adapter on `@stoprocent/noble` (docs/hardware.md; the link seam of
 * src/link/types.ts). It scans for the pqble service, connects by device id, negotiates the
 * ATT MTU through the library, writes to TX (write without response, one value in flight,
 * bounded queue) and receives notifications from RX.
 *
 * The library is imported lazily, when {@link createNobleCentral} runs without an injected
 * `noble` object, so importing pqble never loads native code.
 *
 * @module
 */

import { setImmediate as nextImmediate } from 'node:timers/promises';
import { sleep, systemClock, withDeadline, type Clock } from '../clock.js';
import { AbortError, LinkError, PqbleError, throwIfAborted } from '../errors.js';
import { parseDeviceId } from '../link/device-id.js';
import type { Link, LinkConnectOptions, LinkEndpoint } from '../link/types.js';
import { checkInteger, checkOptionKeys } from '../util/options.js';
import { ATT_HEADER_BYTES, ATT_MTU_MIN, PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID, compactUuid, sameUuid } from './gatt.js';
import { AdapterLink } from './link-core.js';
import { SharedBleLibrary, deviceIdForBlePeer, deviceIdFromAddress, radioUnavailable, randomStaticDeviceId, silenceStoppedSocket, waitForPoweredOn } from './radio.js';

export { PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID } from './gatt.js';
export { deviceIdForBlePeer } from './radio.js';

const PACKAGE = '@stoprocent/noble';

/** A characteristic as noble 2.x exposes it (the subset pqble uses). */
export interface NobleCharacteristicLike {
  /** UUID, lowercase without dashes. */
  readonly uuid: string;
  /** GATT properties, for example `['writeWithoutResponse']` or `['notify']`. */
  readonly properties: readonly string[];
  /** Writes a value; the callback runs once the library sent it (one pending callback per characteristic). */
  write(data: Buffer, withoutResponse: boolean, callback?: (error: Error | undefined) => void): void;
  /** Enables notifications (writes the CCCD). */
  subscribeAsync(): Promise<void>;
  /** Inbound values: `isNotification` is true for notifications. */
  on(event: 'data', listener: (data: Buffer, isNotification: boolean) => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'data', listener: (data: Buffer, isNotification: boolean) => void): unknown;
}

/** A peripheral as noble 2.x exposes it (the subset pqble uses). */
export interface NoblePeripheralLike {
  /** noble's id: the address without colons on Linux, a CoreBluetooth UUID on macOS. */
  readonly id: string;
  /** The BLE address `aa:bb:cc:dd:ee:ff` (empty or `'unknown'` where the OS hides it). */
  readonly address: string;
  /** RSSI of the last advertisement, in dBm. */
  readonly rssi: number;
  /** Negotiated ATT MTU once known (on macOS: the largest write-without-response value). */
  readonly mtu: number | null;
  /** Advertisement data merged over the scan. */
  readonly advertisement: { readonly localName?: string | undefined; readonly serviceUuids?: readonly string[] | undefined };
  /** Connects. */
  connectAsync(): Promise<void>;
  /** Cancels a pending connect (the pending `connectAsync()` rejects). */
  cancelConnect(): void;
  /** Disconnects. */
  disconnectAsync(): Promise<void>;
  /** Discovers the given services and characteristics. */
  discoverSomeServicesAndCharacteristicsAsync(
    serviceUuids: string[],
    characteristicUuids: string[],
  ): Promise<{ readonly characteristics: readonly NobleCharacteristicLike[] }>;
  /** The connection dropped (HCI status number or a text reason). */
  on(event: 'disconnect', listener: (reason: number | string) => void): unknown;
  /** The ATT MTU changed. */
  on(event: 'mtu', listener: (mtu: number) => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'disconnect', listener: (reason: number | string) => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'mtu', listener: (mtu: number) => void): unknown;
}

/** The noble object (the module's default export, or `withBindings()`): the subset pqble uses. */
export interface NobleLike {
  /** Adapter state; reading it starts the library. */
  readonly state: string;
  /** This adapter's address once known (`'unknown'` before, or on macOS). */
  readonly address?: string;
  /** Adapter state changes. */
  on(event: 'stateChange', listener: (state: string) => void): unknown;
  /** A peripheral advertised. */
  on(event: 'discover', listener: (peripheral: NoblePeripheralLike) => void): unknown;
  /** Scanning stopped (also when the library stops it to connect). */
  on(event: 'scanStop', listener: () => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'stateChange', listener: (state: string) => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'discover', listener: (peripheral: NoblePeripheralLike) => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'scanStop', listener: () => void): unknown;
  /** Starts scanning, filtered by service UUIDs. */
  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
  /** Stops scanning. */
  stopScanningAsync(): Promise<void>;
  /** Stops the library (closes the HCI socket); only called on an instance the adapter loaded itself. */
  stop?(): void;
}

/** How the library reports the MTU: the ATT MTU (Linux, Windows) or the largest value (macOS). */
export type NobleMtuReport = 'attMtu' | 'maxWriteLength';

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

/** Options of {@link NobleCentral.scan}. */
export interface NobleScanOptions {
  /** How long to scan. Default 5000 ms. */
  readonly durationMs?: number;
  /** Cancels the scan (`PQBLE_ERR_ABORTED`). */
  readonly signal?: AbortSignal;
}

/** A pqble peripheral seen while scanning. */
export interface DiscoveredDevice {
  /** Its device id: the BLE address, or on macOS an alias derived from the OS's id (docs/hardware.md). */
  readonly deviceId: string;
  /** RSSI of its last advertisement, in dBm. */
  readonly rssi: number;
  /** When it was last seen, in wall-clock ms since the Unix epoch. */
  readonly lastSeenMs: number;
  /** Its advertised local name, if any. */
  readonly name?: string;
  /** noble's own id of the peripheral (address without colons, or a macOS UUID). */
  readonly peripheralId: string;
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

/** Most scan results kept; the least recently seen is dropped beyond this. */
const MAX_DISCOVERED_DEVICES = 256;

interface DiscoveryEntry {
  readonly peripheral: NoblePeripheralLike;
  readonly deviceId: string;
  rssi: number;
  lastSeenMono: number;
  lastSeenWall: number;
  name: string | undefined;
}

interface ResolvedOptions {
  readonly scanTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly staleDeviceMs: number;
  readonly maxQueuedWrites: number;
  readonly mtuReport: NobleMtuReport;
}

const OPTION_KEYS = ['noble', 'scanTimeoutMs', 'connectTimeoutMs', 'poweredOnTimeoutMs', 'staleDeviceMs', 'maxQueuedWrites', 'mtuReport', 'signal'] as const;

// ---- the lazily loaded library, shared and reference-counted ----------------------------

/** Stops a noble instance the adapter loaded itself, once no central uses it. */
async function stopNoble(lib: NobleLike): Promise<void> {
  try {
    if (lib.state === 'poweredOn') await lib.stopScanningAsync();
  } catch {
    // not scanning
  }
  try {
    lib.stop?.();
  } catch {
    // a library that never started cannot stop; nothing is left running
  }
  silenceStoppedSocket(lib);
  try {
    (lib as { removeAllListeners?: () => void }).removeAllListeners?.();
  } catch {
    // not an EventEmitter
  }
}

const sharedNoble = new SharedBleLibrary<NobleLike>(PACKAGE, () => import('@stoprocent/noble'), stopNoble);

// ---- the central ------------------------------------------------------------------------

function cancelledError(signal: AbortSignal): PqbleError {
  const reason: unknown = signal.reason;
  return reason instanceof PqbleError ? reason : new AbortError('the connection attempt was cancelled', { cause: reason });
}

/** `err` if it is coded already, else a {@link LinkError} with `code` that wraps it. */
function coded(err: unknown, code: 'PQBLE_ERR_DISCONNECTED' | 'PQBLE_ERR_DEVICE_NOT_FOUND', message: string): PqbleError {
  return err instanceof PqbleError ? err : new LinkError(code, message, { cause: err });
}

/** Waits for `promise`, or rejects as soon as `signal` aborts (then runs `onCancel`). */
function untilCancelled<T>(promise: Promise<T>, signal: AbortSignal, onCancel?: () => void): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    onCancel?.();
    return Promise.reject(cancelledError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      try {
        onCancel?.();
      } catch {
        // best effort
      }
      reject(cancelledError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

class NobleCentralImpl implements NobleCentral {
  readonly deviceId: string;
  readonly clock: Clock = systemClock;
  readonly noble: NobleLike;
  readonly #owned: boolean;
  readonly #options: ResolvedOptions;
  readonly #discovered = new Map<string, DiscoveryEntry>();
  readonly #discoverWaiters = new Set<(entry: DiscoveryEntry) => void>();
  readonly #links = new Map<string, AdapterLink>();
  readonly #connecting = new Set<string>();
  readonly #attempts = new Set<AbortController>();
  readonly #closeSignal = new AbortController();
  #scanUsers = 0;
  #scanning = false;
  #scanChain: Promise<void> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(noble: NobleLike, owned: boolean, options: ResolvedOptions) {
    this.noble = noble;
    this.#owned = owned;
    this.#options = options;
    this.deviceId = deviceIdFromAddress(noble.address) ?? randomStaticDeviceId();
    noble.on('discover', this.#onDiscover);
    noble.on('stateChange', this.#onStateChange);
    noble.on('scanStop', this.#onScanStop);
  }

  // -- events from noble --

  readonly #onDiscover = (peripheral: NoblePeripheralLike): void => {
    try {
      const uuids: readonly string[] | undefined = peripheral.advertisement?.serviceUuids;
      if (uuids === undefined || !Array.prototype.some.call(uuids, (u: unknown) => typeof u === 'string' && sameUuid(u, PQBLE_SERVICE_UUID))) return;
      const now = this.clock.now();
      let entry = this.#discovered.get(peripheral.id);
      if (entry === undefined) {
        // Only for a new peripheral: on macOS this hashes the OS's id, and advertisements repeat.
        const deviceId = deviceIdFromAddress(peripheral.address) ?? deviceIdForBlePeer(peripheral.id);
        entry = { peripheral, deviceId, rssi: peripheral.rssi, lastSeenMono: now, lastSeenWall: this.clock.wallNow(), name: undefined };
        this.#discovered.set(peripheral.id, entry);
        this.#evictOldest();
      } else {
        this.#discovered.delete(peripheral.id);
        this.#discovered.set(peripheral.id, entry);
      }
      entry.rssi = typeof peripheral.rssi === 'number' ? peripheral.rssi : entry.rssi;
      entry.lastSeenMono = now;
      entry.lastSeenWall = this.clock.wallNow();
      const name = peripheral.advertisement.localName;
      if (typeof name === 'string' && name.length > 0) entry.name = name;
      for (const waiter of [...this.#discoverWaiters]) waiter(entry);
    } catch {
      // a malformed advertisement is not ours
    }
  };

  readonly #onStateChange = (state: string): void => {
    if (state === 'poweredOn') return;
    this.#scanning = false;
    const reason = radioUnavailable(`the Bluetooth adapter went ${state}`, PACKAGE);
    for (const link of this.#links.values()) link.closeWith(reason);
  };

  readonly #onScanStop = (): void => {
    this.#scanning = false;
  };

  #evictOldest(): void {
    while (this.#discovered.size > MAX_DISCOVERED_DEVICES) {
      // Map iteration order is insertion order and a sighting re-inserts: the first is the oldest.
      const first = this.#discovered.keys().next();
      if (first.done === true) return;
      this.#discovered.delete(first.value);
    }
  }

  #prune(): void {
    const cutoff = this.clock.now() - this.#options.staleDeviceMs;
    for (const [id, entry] of this.#discovered) {
      if (entry.lastSeenMono < cutoff && !this.#links.has(entry.deviceId)) this.#discovered.delete(id);
    }
  }

  // -- scanning, reference-counted between scan() and connect() --

  #updateScan(): Promise<void> {
    const run = this.#scanChain.then(async () => {
      const want = this.#scanUsers > 0 && !this.#closed;
      if (want && !this.#scanning) {
        this.#scanning = true;
        try {
          await this.noble.startScanningAsync([compactUuid(PQBLE_SERVICE_UUID)], true);
        } catch (err) {
          this.#scanning = false;
          throw radioUnavailable('could not start scanning', PACKAGE, err);
        }
      } else if (!want && this.#scanning) {
        this.#scanning = false;
        try {
          await this.noble.stopScanningAsync();
        } catch {
          // already stopped
        }
      }
    });
    this.#scanChain = run.catch(() => undefined);
    return run;
  }

  async #acquireScan(): Promise<void> {
    this.#scanUsers++;
    try {
      await this.#updateScan();
    } catch (err) {
      this.#scanUsers--;
      throw err;
    }
  }

  #releaseScan(): void {
    this.#scanUsers = Math.max(0, this.#scanUsers - 1);
    void this.#updateScan().catch(() => undefined);
  }

  #freshEntry(deviceId: string): DiscoveryEntry | undefined {
    this.#prune();
    for (const entry of this.#discovered.values()) if (entry.deviceId === deviceId) return entry;
    return undefined;
  }

  async scan(options: NobleScanOptions = {}): Promise<DiscoveredDevice[]> {
    checkOptionKeys(options, ['durationMs', 'signal'], 'scan options');
    const durationMs = checkInteger(options.durationMs ?? 5000, 'durationMs', 1, 3_600_000);
    throwIfAborted(options.signal);
    this.#checkUsable();
    const seen = new Set<DiscoveryEntry>();
    const waiter = (entry: DiscoveryEntry): void => {
      seen.add(entry);
    };
    this.#discoverWaiters.add(waiter);
    try {
      await this.#acquireScan();
      const { signal } = options;
      const stop = signal === undefined ? this.#closeSignal.signal : AbortSignal.any([signal, this.#closeSignal.signal]);
      try {
        await sleep(this.clock, durationMs, stop);
      } catch (err) {
        if (this.#closed) throw new LinkError('PQBLE_ERR_CLOSED', 'the noble central closed during the scan', { cause: err });
        throw err;
      } finally {
        this.#releaseScan();
      }
    } finally {
      this.#discoverWaiters.delete(waiter);
    }
    return [...seen].map(toDiscoveredDevice).sort((a, b) => b.rssi - a.rssi);
  }

  discovered(): DiscoveredDevice[] {
    this.#prune();
    return [...this.#discovered.values()].map(toDiscoveredDevice).sort((a, b) => b.rssi - a.rssi);
  }

  links(): Link[] {
    return [...this.#links.values()];
  }

  #checkUsable(): void {
    if (this.#closed) throw new LinkError('PQBLE_ERR_CLOSED', 'the noble central is closed');
    if (this.noble.state !== 'poweredOn') throw radioUnavailable(`the Bluetooth adapter is ${this.noble.state}`, PACKAGE);
  }

  // -- connecting --

  async connect(peerDeviceId: string, options: LinkConnectOptions = {}): Promise<Link> {
    const deviceId = parseDeviceId(peerDeviceId);
    checkOptionKeys(options, ['signal', 'timeoutMs'], 'connect options');
    const timeoutMs = checkInteger(options.timeoutMs ?? this.#options.connectTimeoutMs, 'timeoutMs', 1, 3_600_000);
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

  /** Waits until `deviceId` advertises (scanning meanwhile), up to scanTimeoutMs. */
  async #find(deviceId: string, cancel: AbortSignal): Promise<DiscoveryEntry> {
    const known = this.#freshEntry(deviceId);
    if (known !== undefined) return known;
    let waiter: ((entry: DiscoveryEntry) => void) | undefined;
    let timer: ReturnType<Clock['setTimer']> | undefined;
    const found = new Promise<DiscoveryEntry>((resolve, reject) => {
      waiter = (entry) => {
        if (entry.deviceId === deviceId) resolve(entry);
      };
      this.#discoverWaiters.add(waiter);
      timer = this.clock.setTimer(
        this.#options.scanTimeoutMs,
        () => reject(new LinkError('PQBLE_ERR_DEVICE_NOT_FOUND', `no pqble peripheral ${deviceId} advertised within ${this.#options.scanTimeoutMs} ms`)),
        { ref: true },
      );
    });
    found.catch(() => undefined);
    try {
      const acquiring = this.#acquireScan();
      try {
        await untilCancelled(acquiring, cancel);
      } catch (err) {
        // Cancelled while scanning starts: give the scan back once it has started.
        acquiring.then(
          () => this.#releaseScan(),
          () => undefined,
        );
        throw err;
      }
      try {
        return await untilCancelled(found, cancel);
      } finally {
        this.#releaseScan();
      }
    } finally {
      timer?.cancel();
      if (waiter !== undefined) this.#discoverWaiters.delete(waiter);
    }
  }

  async #establish(deviceId: string, cancel: AbortSignal): Promise<Link> {
    const entry = await this.#find(deviceId, cancel);
    const peripheral = entry.peripheral;
    // noble on Linux stops scanning itself before it connects; wait for our own stop first.
    await untilCancelled(this.#scanChain, cancel);
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
      if (cancel.aborted) throw cancelledError(cancel);
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
    if (this.#scanUsers > 0) void this.#updateScan().catch(() => undefined);
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
    this.#closeSignal.abort();
    const closedError = new LinkError('PQBLE_ERR_CLOSED', 'the noble central is closed');
    for (const attempt of this.#attempts) attempt.abort(closedError);
    await Promise.all([...this.#links.values()].map((link) => link.close()));
    this.#scanUsers = 0;
    await this.#updateScan().catch(() => undefined);
    this.noble.removeListener('discover', this.#onDiscover);
    this.noble.removeListener('stateChange', this.#onStateChange);
    this.noble.removeListener('scanStop', this.#onScanStop);
    this.#discovered.clear();
    if (this.#owned) await sharedNoble.release(this.noble);
  }
}

function toDiscoveredDevice(entry: DiscoveryEntry): DiscoveredDevice {
  const device: { -readonly [K in keyof DiscoveredDevice]: DiscoveredDevice[K] } = {
    deviceId: entry.deviceId,
    rssi: entry.rssi,
    lastSeenMs: entry.lastSeenWall,
    peripheralId: entry.peripheral.id,
  };
  if (entry.name !== undefined) device.name = entry.name;
  return device;
}

function isNobleLike(value: unknown): value is NobleLike {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.on === 'function' && typeof v.removeListener === 'function' && typeof v.startScanningAsync === 'function' && typeof v.stopScanningAsync === 'function';
}

/**
 * Creates a pqble central on noble. Waits for the adapter to report `poweredOn`.
 *
 * @throws TypeError / RangeError for bad options
 * @throws LinkError `PQBLE_ERR_RADIO_UNAVAILABLE` when the library or its native part cannot
 *   load (the message says how to enable it), or the adapter is unsupported, unauthorized,
 *   powered off, or does not power on within `poweredOnTimeoutMs`; `PQBLE_ERR_ABORTED` on abort
 */
export async function createNobleCentral(options: NobleCentralOptions = {}): Promise<NobleCentral> {
  checkOptionKeys(options, OPTION_KEYS, 'NobleCentralOptions');
  if (options.noble !== undefined && !isNobleLike(options.noble)) throw new TypeError('noble must be a noble object');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (options.mtuReport !== undefined && options.mtuReport !== 'attMtu' && options.mtuReport !== 'maxWriteLength') {
    throw new TypeError("mtuReport must be 'attMtu' or 'maxWriteLength'");
  }
  const resolved: ResolvedOptions = {
    scanTimeoutMs: checkInteger(options.scanTimeoutMs ?? 10_000, 'scanTimeoutMs', 1, 3_600_000),
    connectTimeoutMs: checkInteger(options.connectTimeoutMs ?? 15_000, 'connectTimeoutMs', 1, 3_600_000),
    staleDeviceMs: checkInteger(options.staleDeviceMs ?? 30_000, 'staleDeviceMs', 1, 86_400_000),
    maxQueuedWrites: checkInteger(options.maxQueuedWrites ?? 32, 'maxQueuedWrites', 1, 4096),
    mtuReport: options.mtuReport ?? (process.platform === 'darwin' ? 'maxWriteLength' : 'attMtu'),
  };
  const poweredOnTimeoutMs = checkInteger(options.poweredOnTimeoutMs ?? 3000, 'poweredOnTimeoutMs', 0, 3_600_000);
  throwIfAborted(options.signal);
  const injected = options.noble;
  const noble = injected ?? (await sharedNoble.acquire());
  try {
    await waitForPoweredOn(noble, { timeoutMs: poweredOnTimeoutMs, signal: options.signal, packageName: PACKAGE });
    return new NobleCentralImpl(noble, injected === undefined, resolved);
  } catch (err) {
    if (injected === undefined) await sharedNoble.release(noble);
    throw err;
  }
}
