/**
 * Discovery for the noble central (docs/hardware.md "Source layout", "Flow control and
 * limits"): which pqble peripherals advertised recently, and scanning, reference-counted
 * between `scan()` calls and connection attempts that are looking for a device. Scan
 * results live in an LRU map (the least recently seen is dropped past
 * {@link MAX_DISCOVERED_DEVICES}; stale ones are pruned).
 *
 * @module
 */

import { sleep, type Clock } from '../../clock.js';
import { ClosedError, LinkError } from '../../errors.js';
import { raceAbort } from '../../util/abort.js';
import { LruMap } from '../../util/lru.js';
import { PQBLE_SERVICE_UUID, compactUuid, sameUuid } from '../gatt.js';
import { deviceIdForBlePeer, deviceIdFromAddress } from '../peer-address.js';
import { radioUnavailable } from '../radio-unavailable.js';
import { NOBLE_PACKAGE, type NobleLike, type NoblePeripheralLike } from './library.js';

/** Options of {@link NobleCentral.scan} (src/adapters/noble/central.ts). */
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

/** Most scan results kept; the least recently seen is dropped beyond this. */
const MAX_DISCOVERED_DEVICES = 256;

/** One peripheral seen while scanning. */
export interface DiscoveryEntry {
  /** noble's object for it (persistent across advertisements). */
  readonly peripheral: NoblePeripheralLike;
  /** Its device id. */
  readonly deviceId: string;
  /** RSSI of its last advertisement. */
  rssi: number;
  /** Last seen, on the monotonic clock. */
  lastSeenMono: number;
  /** Last seen, wall clock. */
  lastSeenWall: number;
  /** Advertised local name. */
  name: string | undefined;
}

/** Options of {@link NobleScanner}. */
export interface NobleScannerOptions {
  /** How long {@link NobleScanner.find} scans for a device before `PQBLE_ERR_DEVICE_NOT_FOUND`. */
  readonly scanTimeoutMs: number;
  /** Entries not seen for this long are pruned. */
  readonly staleDeviceMs: number;
  /** True for a device id that must not be pruned (it has an open link). */
  readonly inUse: (deviceId: string) => boolean;
}

/** The public view of a discovery entry. */
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

/** Strongest first. */
function byRssi(a: DiscoveredDevice, b: DiscoveredDevice): number {
  return b.rssi - a.rssi;
}

/** Scan results and scanning of one noble object. */
export class NobleScanner {
  readonly #noble: NobleLike;
  readonly #clock: Clock;
  readonly #options: NobleScannerOptions;
  /** By noble's peripheral id, least recently seen first. */
  readonly #discovered = new LruMap<DiscoveryEntry>();
  readonly #waiters = new Set<(entry: DiscoveryEntry) => void>();
  readonly #closeSignal = new AbortController();
  #users = 0;
  #scanning = false;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(noble: NobleLike, clock: Clock, options: NobleScannerOptions) {
    this.#noble = noble;
    this.#clock = clock;
    this.#options = options;
    noble.on('discover', this.#onDiscover);
    noble.on('scanStop', this.#onScanStop);
  }

  // -- events from noble --

  readonly #onDiscover = (peripheral: NoblePeripheralLike): void => {
    try {
      const uuids: readonly string[] | undefined = peripheral.advertisement?.serviceUuids;
      if (uuids === undefined || !Array.prototype.some.call(uuids, (u: unknown) => typeof u === 'string' && sameUuid(u, PQBLE_SERVICE_UUID))) return;
      const now = this.#clock.now();
      let entry = this.#discovered.get(peripheral.id);
      if (entry === undefined) {
        // Only for a new peripheral: on macOS this hashes the OS's id, and advertisements repeat.
        const deviceId = deviceIdFromAddress(peripheral.address) ?? deviceIdForBlePeer(peripheral.id);
        entry = { peripheral, deviceId, rssi: peripheral.rssi, lastSeenMono: now, lastSeenWall: this.#clock.wallNow(), name: undefined };
      }
      // Inserts, or makes it the most recently seen.
      this.#discovered.set(peripheral.id, entry);
      this.#evictOldest();
      entry.rssi = typeof peripheral.rssi === 'number' ? peripheral.rssi : entry.rssi;
      entry.lastSeenMono = now;
      entry.lastSeenWall = this.#clock.wallNow();
      const name = peripheral.advertisement.localName;
      if (typeof name === 'string' && name.length > 0) entry.name = name;
      for (const waiter of [...this.#waiters]) waiter(entry);
    } catch {
      // a malformed advertisement is not ours
    }
  };

  readonly #onScanStop = (): void => {
    this.#scanning = false;
  };

  #evictOldest(): void {
    while (this.#discovered.size > MAX_DISCOVERED_DEVICES) {
      const oldest = this.#discovered.oldest();
      if (oldest === undefined) return;
      this.#discovered.delete(oldest.peripheral.id);
    }
  }

  /** Drops entries not seen for staleDeviceMs (unless in use). The map is in last-seen order, so this stops at the first fresh one. */
  #prune(): void {
    const cutoff = this.#clock.now() - this.#options.staleDeviceMs;
    const stale: string[] = [];
    for (const entry of this.#discovered.values()) {
      if (entry.lastSeenMono >= cutoff) break;
      if (!this.#options.inUse(entry.deviceId)) stale.push(entry.peripheral.id);
    }
    for (const id of stale) this.#discovered.delete(id);
  }

  // -- scanning, reference-counted --

  #update(): Promise<void> {
    const run = this.#chain.then(async () => {
      const want = this.#users > 0 && !this.#closed;
      if (want && !this.#scanning) {
        this.#scanning = true;
        try {
          await this.#noble.startScanningAsync([compactUuid(PQBLE_SERVICE_UUID)], true);
        } catch (err) {
          this.#scanning = false;
          throw radioUnavailable('could not start scanning', NOBLE_PACKAGE, err);
        }
      } else if (!want && this.#scanning) {
        this.#scanning = false;
        try {
          await this.#noble.stopScanningAsync();
        } catch {
          // already stopped
        }
      }
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Starts scanning unless it runs already; pair with {@link release}. */
  async acquire(): Promise<void> {
    this.#users++;
    try {
      await this.#update();
    } catch (err) {
      this.#users--;
      throw err;
    }
  }

  /** Gives back one {@link acquire}; the last one stops scanning. */
  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    void this.#update().catch(() => undefined);
  }

  /** The adapter left `poweredOn` (the central listens for that): it no longer scans. */
  adapterOff(): void {
    this.#scanning = false;
  }

  /** Resolves once the scan starts and stops asked for so far are done. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /** Scans again if someone still wants to (noble pauses scanning while it connects). */
  resume(): void {
    if (this.#users > 0) void this.#update().catch(() => undefined);
  }

  /**
   * Scans for `durationMs`; resolves with the pqble peripherals seen meanwhile, strongest
   * first. `PQBLE_ERR_ABORTED` if `signal` aborts, `PQBLE_ERR_CLOSED` if the scanner closes.
   */
  async scan(durationMs: number, signal: AbortSignal | undefined): Promise<DiscoveredDevice[]> {
    const seen = new Set<DiscoveryEntry>();
    const waiter = (entry: DiscoveryEntry): void => {
      seen.add(entry);
    };
    this.#waiters.add(waiter);
    try {
      await this.acquire();
      const stop = signal === undefined ? this.#closeSignal.signal : AbortSignal.any([signal, this.#closeSignal.signal]);
      try {
        await sleep(this.#clock, durationMs, stop);
      } catch (err) {
        if (this.#closed) throw new ClosedError('the noble central closed during the scan', { cause: err });
        throw err;
      } finally {
        this.release();
      }
    } finally {
      this.#waiters.delete(waiter);
    }
    return [...seen].map(toDiscoveredDevice).sort(byRssi);
  }

  /** pqble peripherals seen recently (stale ones pruned), strongest first. */
  discovered(): DiscoveredDevice[] {
    this.#prune();
    return [...this.#discovered.values()].map(toDiscoveredDevice).sort(byRssi);
  }

  /** The recent entry of `deviceId`, if any. */
  #fresh(deviceId: string): DiscoveryEntry | undefined {
    this.#prune();
    for (const entry of this.#discovered.values()) if (entry.deviceId === deviceId) return entry;
    return undefined;
  }

  /**
   * The entry of `deviceId`: at once if it advertised recently, else once it advertises
   * (scanning meanwhile), or `PQBLE_ERR_DEVICE_NOT_FOUND` after scanTimeoutMs. Rejects with
   * `cancel`'s reason as soon as `cancel` aborts.
   */
  async find(deviceId: string, cancel: AbortSignal, abortError: (reason: unknown) => Error): Promise<DiscoveryEntry> {
    const known = this.#fresh(deviceId);
    if (known !== undefined) return known;
    const { scanTimeoutMs } = this.#options;
    let waiter: ((entry: DiscoveryEntry) => void) | undefined;
    const found = new Promise<DiscoveryEntry>((resolve) => {
      waiter = (entry) => {
        if (entry.deviceId === deviceId) resolve(entry);
      };
      this.#waiters.add(waiter);
    });
    const acquiring = this.acquire();
    let acquired = false;
    const search = (async (): Promise<DiscoveryEntry> => {
      await acquiring;
      acquired = true;
      return found;
    })();
    try {
      return await raceAbort(search, cancel, {
        abortError,
        clock: this.#clock,
        timeoutMs: scanTimeoutMs,
        timeoutError: () => new LinkError('PQBLE_ERR_DEVICE_NOT_FOUND', `no pqble peripheral ${deviceId} advertised within ${scanTimeoutMs} ms`),
      });
    } finally {
      if (waiter !== undefined) this.#waiters.delete(waiter);
      // Give the scan back; if it is still starting (cancelled meanwhile), once it has started.
      if (acquired) this.release();
      else
        acquiring.then(
          () => this.release(),
          () => undefined,
        );
    }
  }

  /** Stops scanning for good, ends a running {@link scan} with `PQBLE_ERR_CLOSED`, and forgets every entry. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closeSignal.abort();
    this.#users = 0;
    await this.#update().catch(() => undefined);
    this.#noble.removeListener('discover', this.#onDiscover);
    this.#noble.removeListener('scanStop', this.#onScanStop);
    this.#discovered.clear();
  }
}
