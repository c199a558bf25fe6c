/**
 * The simulated radio (docs/radio-model.md): the medium
 * that simulated devices share. It owns the clock (virtual by default), the seed, the
 * connection parameters, the faults in force and the radio-wide counters.
 *
 * @module
 */

import { systemClock, type Clock } from '../clock.js';
import { LinkError } from '../errors.js';
import { parseDeviceId } from '../ids.js';
import type { Link } from '../link/types.js';
import { maxLlPayloadBytes } from './airtime.js';
import { connectRequestDelayUs } from './establishment.js';
import { SimulatedConnection, type SimulatedConnectionContext } from './connection.js';
import { newCounters, toRadioStats, type RadioCounters } from './counters.js';
import { SimulatedDevice, type DeviceHost } from './device.js';
import { checkOptionKeys } from '../util/options.js';
import {
  checkAdvertisingInterval,
  checkAttMtu,
  NO_FAULTS,
  resolveFaults,
  resolveRadioOptions,
  type ResolvedFaults,
  type ResolvedRadioOptions,
} from './options.js';
import { deriveSeed, mulberry32, type Prng } from './prng.js';
import type { FaultOptions, RadioStats, SimulatedDeviceOptions, SimulatedRadioOptions } from './types.js';
import { VirtualClock } from './virtual-clock.js';

/** The default advertising interval of a connectable device, in ms (`advertisingIntervalMs`). */
export const ADVERTISING_INTERVAL_MS = 20;

/** The in-process BLE radio the tests, demo and benchmarks run on. */
export class SimulatedRadio {
  /** A {@link VirtualClock} unless `realtime`, else the process clock. */
  readonly clock: VirtualClock | Clock;
  /** The options in force, defaults filled in. */
  readonly options: ResolvedRadioOptions;
  readonly #devices = new Map<string, SimulatedDevice>();
  readonly #connections = new Set<SimulatedConnection>();
  readonly #counters: RadioCounters = newCounters();
  readonly #idPrng: Prng;
  readonly #advPrng: Prng;
  readonly #host: DeviceHost;
  readonly #ctx: SimulatedConnectionContext;
  #faults: ResolvedFaults = NO_FAULTS;
  /** Per central: the peripherals whose GATT database it has (`gattCaching`). */
  readonly #gattCaches = new Map<string, Set<string>>();
  #nextConnectionId = 1;
  #closed = false;

  /** @param options - see {@link SimulatedRadioOptions}; an unknown key is a TypeError */
  constructor(options?: SimulatedRadioOptions) {
    this.options = resolveRadioOptions(options);
    this.clock = this.options.realtime ? systemClock : new VirtualClock();
    this.#idPrng = mulberry32(deriveSeed(this.options.seed, 0));
    this.#advPrng = mulberry32(deriveSeed(this.options.seed, 1));
    this.#ctx = {
      clock: this.clock,
      options: this.options,
      counters: this.#counters,
      faults: () => this.#faults,
      sharing: (conn) => this.#sharing(conn),
    };
    this.#host = {
      clock: this.clock,
      options: this.options,
      findDevice: (id) => this.#devices.get(id),
      connectionsOf: (id) => [...this.#connections].filter((c) => c.involves(id)),
      startConnection: (central, peripheral, handlers) => this.#startConnection(central, peripheral, handlers),
      connectRequestDelayMs: (target) =>
        connectRequestDelayUs(
          {
            phy: this.options.phy,
            advertisingIntervalMs: target.advertisingIntervalMs,
            scanIntervalMs: this.options.scanIntervalMs,
            scanWindowMs: this.options.scanWindowMs,
          },
          this.#advPrng,
        ) / 1000,
      removeDevice: (device) => {
        if (this.#devices.get(device.deviceId) === device) this.#devices.delete(device.deviceId);
      },
    };
  }

  /** The clock as a {@link VirtualClock}, or `undefined` in realtime mode. */
  get virtualClock(): VirtualClock | undefined {
    return this.clock instanceof VirtualClock ? this.clock : undefined;
  }

  /**
   * Adds a device. Without `deviceId` it gets a random static address drawn from the seed.
   * @throws TypeError/RangeError for bad options or a malformed id; RangeError if the id is
   *   taken; `PQBLE_ERR_RADIO_UNAVAILABLE` if the radio is closed
   */
  createDevice(options?: SimulatedDeviceOptions): SimulatedDevice {
    checkOptionKeys(options, ['deviceId', 'attMtu', 'name', 'advertisingIntervalMs'], 'createDevice options');
    if (this.#closed) throw new LinkError('PQBLE_ERR_RADIO_UNAVAILABLE', 'the simulated radio is closed');
    let id: string;
    if (options?.deviceId !== undefined) {
      id = parseDeviceId(options.deviceId);
      if (this.#devices.has(id)) throw new RangeError(`a device with id ${id} already exists on this radio`);
    } else {
      do id = this.#randomDeviceId();
      while (this.#devices.has(id));
    }
    const attMtu = options?.attMtu === undefined ? this.options.attMtu : checkAttMtu(options.attMtu, 'attMtu');
    const name = options?.name ?? `sim-${id}`;
    if (typeof name !== 'string') throw new TypeError('name must be a string');
    if (name.length > 248) throw new RangeError(`name must be at most 248 characters, got ${name.length}`);
    const advertisingIntervalMs =
      options?.advertisingIntervalMs === undefined
        ? this.options.advertisingIntervalMs
        : checkAdvertisingInterval(options.advertisingIntervalMs, 'advertisingIntervalMs');
    const device = new SimulatedDevice(this.#host, id, name, attMtu, advertisingIntervalMs);
    this.#devices.set(id, device);
    return device;
  }

  /** The device with this id, if it exists and is not closed. */
  getDevice(deviceId: string): SimulatedDevice | undefined {
    return this.#devices.get(parseDeviceId(deviceId));
  }

  /**
   * Sets the faults in force on every link, existing and future, replacing the previous
   * set (`setFaults({})` clears them). See {@link FaultOptions}.
   */
  setFaults(faults: FaultOptions): void {
    this.#faults = resolveFaults(faults);
    for (const c of this.#connections) c.resetFaultBaseline();
  }

  /**
   * Drops one link now, as a fault: `'disconnect'` closes both sides with
   * `PQBLE_ERR_DISCONNECTED`; `'silence'` (out of range) stops all traffic and closes both
   * sides with `PQBLE_ERR_SUPERVISION_TIMEOUT` after the supervision timeout.
   * Does nothing if the link is already closed or not from this radio.
   */
  dropLink(link: Link, how: 'disconnect' | 'silence' = 'disconnect'): void {
    if (how !== 'disconnect' && how !== 'silence') throw new RangeError(`how must be 'disconnect' or 'silence', got ${String(how)}`);
    for (const c of this.#connections) {
      if (c.centralLink !== link && c.peripheralLink !== link) continue;
      if (how === 'disconnect') c.drop('PQBLE_ERR_DISCONNECTED', 'the link was dropped (fault injection)');
      else c.silence();
      return;
    }
  }

  /** Totals over every link since the radio was created. */
  stats(): RadioStats {
    return toRadioStats(this.#counters);
  }

  /** Closes every device and link and cancels the radio's timers (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const device of [...this.#devices.values()]) await device.close();
    for (const c of [...this.#connections]) c.drop('PQBLE_ERR_DISCONNECTED', 'the simulated radio was closed');
  }

  #randomDeviceId(): string {
    let hex = '';
    for (let i = 0; i < 6; i++) {
      let b = Math.floor(this.#idPrng() * 256);
      if (i === 0) b |= 0xc0; // random static address: the two top bits are 1
      hex += b.toString(16).padStart(2, '0');
    }
    return hex;
  }

  /** The other open connections that share a device with `conn`. */
  *#sharing(conn: SimulatedConnection): Iterable<SimulatedConnection> {
    const { centralDeviceId: a, peripheralDeviceId: b } = conn.info;
    for (const c of this.#connections) {
      if (c !== conn && (c.involves(a) || c.involves(b))) yield c;
    }
  }

  #startConnection(central: SimulatedDevice, peripheral: SimulatedDevice, handlers: Parameters<DeviceHost['startConnection']>[2]): SimulatedConnection {
    const id = this.#nextConnectionId++;
    const known = this.#gattCaches.get(central.deviceId);
    const gattCached = this.options.gattCaching && known !== undefined && known.has(peripheral.deviceId);
    const conn = new SimulatedConnection({
      id,
      ctx: this.#ctx,
      centralDeviceId: central.deviceId,
      peripheralDeviceId: peripheral.deviceId,
      attMtu: Math.min(central.attMtu, peripheral.attMtu),
      maxLlPayloadBytes: maxLlPayloadBytes(this.options.dataLengthExtension),
      prng: mulberry32(deriveSeed(this.options.seed, 1000 + id)),
      connectRequestedAtUs: Math.round(handlers.requestedAtMs * 1000),
      gattCached,
      exposeTiming: this.options.packetSizing === 'airtime',
      announce: (link) => peripheral.acceptIncoming(link),
      ready: (link) => {
        if (this.options.gattCaching) {
          const set = this.#gattCaches.get(central.deviceId) ?? new Set<string>();
          set.add(peripheral.deviceId);
          this.#gattCaches.set(central.deviceId, set);
        }
        handlers.ready(link);
      },
      failed: (err) => handlers.failed(err),
      closed: (c) => {
        this.#connections.delete(c);
        // A device below its link cap advertises (and accepts) again.
        this.#devices.get(c.info.peripheralDeviceId)?.linksChanged();
        this.#devices.get(c.info.centralDeviceId)?.linksChanged();
      },
    });
    if (conn.active) this.#connections.add(conn);
    return conn;
  }
}
