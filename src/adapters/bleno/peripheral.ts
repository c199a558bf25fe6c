/**
 * The peripheral adapter on `@stoprocent/bleno` (docs/hardware.md; the link seam of
 * src/link/types.ts): {@link createBlenoPeripheral} and the peripheral it makes. It
 * publishes the pqble GATT service, advertises it (./advertiser.ts), and gives one
 * {@link Link} per central once that central has subscribed to RX notifications. Inbound
 * values arrive as writes to TX; outbound values leave as notifications on RX.
 *
 * bleno 0.12 on Linux serves several centrals at once (one HCI handle each); on macOS the
 * OS multiplexes centrals and names them by UUID.
 *
 * @module
 */

import { setImmediate as nextImmediate } from 'node:timers/promises';
import { systemClock, type Clock } from '../../clock.js';
import { LinkError, PqbleError, throwIfAborted } from '../../errors.js';
import type { Link, LinkEndpoint } from '../../link/types.js';
import { checkOptionKeys, optInteger, optSignal } from '../../util/options.js';
import { waitForPoweredOn } from '../adapter-state.js';
import { ATT_HEADER_BYTES, PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID, compactUuid } from '../gatt.js';
import { AdapterLink, MAX_BUFFERED_INBOUND_PACKETS, emitAll } from '../link-core.js';
import { deviceIdForBlePeer, deviceIdFromAddress, randomStaticDeviceId } from '../peer-address.js';
import { radioUnavailable } from '../radio-unavailable.js';
import { ADVERTISED_NAME_RE, BlenoAdvertiser } from './advertiser.js';
import { BLENO_PACKAGE, callbackToPromise, isBlenoLike, sharedBleno, type BlenoCharacteristicLike, type BlenoConnectionHandle, type BlenoLike, type BlenoPrimaryServiceLike } from './library.js';

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

/** A pqble peripheral on bleno: a {@link LinkEndpoint} that accepts (it never connects out). */
export interface BlenoPeripheral extends LinkEndpoint {
  /** The advertised name. */
  readonly name: string;
  /** Open links, one per subscribed central. */
  links(): Link[];
}

interface Connection {
  readonly key: string;
  readonly handle: BlenoConnectionHandle;
  readonly peerDeviceId: string;
  readonly acceptedSeq: number;
  attMtu: number;
  mtuKnown: boolean;
  notify: ((data: Buffer) => void) | undefined;
  link: AdapterLink | undefined;
  readonly early: Uint8Array[];
  refused: boolean;
  readonly disconnected: Promise<void>;
  markDisconnected: () => void;
}

const OPTION_KEYS = ['bleno', 'name', 'poweredOnTimeoutMs', 'maxQueuedNotifications', 'maxConnections', 'signal'] as const;
const RESULT_SUCCESS = 0x00;
const RESULT_INVALID_OFFSET = 0x07;

class BlenoPeripheralImpl<C> implements BlenoPeripheral {
  readonly deviceId: string;
  readonly clock: Clock = systemClock;
  readonly bleno: BlenoLike<C>;
  readonly name: string;
  readonly #maxQueued: number;
  readonly #maxConnections: number;
  readonly #connections = new Map<string, Connection>();
  readonly #incoming = new Set<(link: Link) => void>();
  readonly #unclaimed: AdapterLink[] = [];
  readonly #advertiser: BlenoAdvertiser<C>;
  #acceptSeq = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The published pqble service object (its characteristics call back into this peripheral). */
  readonly service: BlenoPrimaryServiceLike;

  readonly #release: () => void;

  constructor(bleno: BlenoLike<C>, release: () => void, name: string, maxQueued: number, maxConnections: number) {
    this.bleno = bleno;
    this.#release = release;
    this.name = name;
    this.#maxQueued = maxQueued;
    this.#maxConnections = maxConnections;
    this.deviceId = deviceIdFromAddress(bleno.address) ?? randomStaticDeviceId();
    this.#advertiser = new BlenoAdvertiser(bleno, name);
    const tx = new bleno.Characteristic({
      uuid: compactUuid(PQBLE_TX_CHARACTERISTIC_UUID),
      properties: ['writeWithoutResponse', 'write'],
      onWriteRequest: (handle, data, offset, _withoutResponse, callback) => this.#onWrite(handle, data, offset, callback),
    });
    const rx = new bleno.Characteristic({
      uuid: compactUuid(PQBLE_RX_CHARACTERISTIC_UUID),
      properties: ['notify'],
      onSubscribe: (handle, maxValueSize, updateValueCallback) => this.#onSubscribe(handle, maxValueSize, updateValueCallback),
      onUnsubscribe: (handle) => this.#onUnsubscribe(handle),
    });
    this.service = new bleno.PrimaryService({ uuid: compactUuid(PQBLE_SERVICE_UUID), characteristics: [tx, rx] });
    bleno.on('accept', this.#onAccept);
    bleno.on('disconnect', this.#onDisconnect);
    bleno.on('mtuChange', this.#onMtuChange);
    bleno.on('stateChange', this.#onStateChange);
  }

  /** Publishes the service and starts advertising. */
  async start(signal: AbortSignal | undefined): Promise<void> {
    await callbackToPromise((done) => this.bleno.setServices([this.service], done));
    throwIfAborted(signal);
    await this.#advertiser.start();
    throwIfAborted(signal);
  }

  // -- connections --

  #connection(handle: BlenoConnectionHandle, address?: string): Connection | undefined {
    const key = String(handle);
    const existing = this.#connections.get(key);
    if (existing !== undefined || this.#closed) return existing;
    let markDisconnected!: () => void;
    const disconnected = new Promise<void>((resolve) => {
      markDisconnected = resolve;
    });
    let peerDeviceId: string;
    try {
      peerDeviceId = deviceIdFromAddress(address) ?? deviceIdForBlePeer(address ?? key);
    } catch {
      return undefined;
    }
    const conn: Connection = {
      key,
      handle,
      peerDeviceId,
      acceptedSeq: ++this.#acceptSeq,
      attMtu: 23,
      mtuKnown: false,
      notify: undefined,
      link: undefined,
      early: [],
      refused: false,
      disconnected,
      markDisconnected,
    };
    if (this.#servedCount() >= this.#maxConnections) {
      conn.refused = true;
      try {
        this.bleno.disconnect(handle);
      } catch {
        // the OS may not let a peripheral drop a central (macOS); the central is ignored instead
      }
    }
    this.#connections.set(key, conn);
    return conn;
  }

  /** Connections being served (not refused at the connection limit). */
  #servedCount(): number {
    let served = 0;
    for (const c of this.#connections.values()) if (!c.refused) served++;
    return served;
  }

  readonly #onAccept = (address: string, handle: BlenoConnectionHandle): void => {
    this.#connection(handle ?? address, address);
    this.#updateAdvertising();
  };

  /** Advertises while there is room for another central (a central that still gets in at the limit is dropped, see #connection). */
  #updateAdvertising(): void {
    if (!this.#closed) this.#advertiser.update(this.#servedCount() < this.#maxConnections);
  }

  readonly #onDisconnect = (address: string, handle?: BlenoConnectionHandle): void => {
    const key = String(handle ?? address);
    const conn = this.#connections.get(key);
    if (conn === undefined) return;
    this.#connections.delete(key);
    conn.notify = undefined;
    conn.markDisconnected();
    conn.link?.closeWith(new LinkError('PQBLE_ERR_DISCONNECTED', 'the central disconnected'));
    this.#updateAdvertising();
  };

  readonly #onMtuChange = (mtu: number): void => {
    // bleno reports the MTU without saying which central negotiated it. Centrals exchange
    // MTUs right after connecting, so it goes to the newest connection whose MTU is not
    // known yet (or the only connection); the subscribe callback later confirms it.
    const candidates = [...this.#connections.values()].filter((c) => !c.mtuKnown && !c.refused);
    const conn =
      candidates.sort((a, b) => b.acceptedSeq - a.acceptedSeq)[0] ?? (this.#connections.size === 1 ? [...this.#connections.values()][0] : undefined);
    if (conn === undefined || typeof mtu !== 'number' || !Number.isFinite(mtu)) return;
    conn.attMtu = mtu;
    conn.mtuKnown = true;
    conn.link?.setMtu(mtu);
  };

  readonly #onStateChange = (state: string): void => {
    if (state === 'poweredOn') {
      // Back from poweredOff (Bluetooth toggled, controller reset): the controller forgot
      // the advertising set, so advertise again (the GATT database lives in bleno).
      if (!this.#closed) this.#advertiser.poweredOn(this.#servedCount() < this.#maxConnections);
      return;
    }
    this.#advertiser.poweredOff();
    const reason = radioUnavailable(`the Bluetooth adapter went ${state}`, BLENO_PACKAGE);
    for (const conn of this.#connections.values()) {
      conn.notify = undefined;
      conn.markDisconnected();
      conn.link?.closeWith(reason);
    }
    this.#connections.clear();
  };

  #onWrite(handle: BlenoConnectionHandle, data: Buffer, offset: number, callback: (result: number) => void): void {
    const answer = (result: number): void => {
      try {
        callback(result);
      } catch {
        // the connection went away meanwhile
      }
    };
    if (offset !== 0) {
      answer(RESULT_INVALID_OFFSET);
      return;
    }
    const conn = this.#connection(handle);
    if (conn !== undefined && !conn.refused && data instanceof Uint8Array && data.length > 0) {
      const value = new Uint8Array(data);
      if (conn.link !== undefined) conn.link.deliver(value);
      else if (conn.early.length < MAX_BUFFERED_INBOUND_PACKETS) conn.early.push(value);
    }
    answer(RESULT_SUCCESS);
  }

  #onSubscribe(handle: BlenoConnectionHandle, maxValueSize: number, updateValueCallback: (data?: Buffer) => void): void {
    const conn = this.#connection(handle);
    if (conn === undefined || conn.refused) return;
    conn.notify = (data) => updateValueCallback(data);
    if (typeof maxValueSize === 'number' && Number.isFinite(maxValueSize) && maxValueSize > 0) {
      conn.attMtu = maxValueSize + ATT_HEADER_BYTES;
      conn.mtuKnown = true;
    }
    if (conn.link?.isOpen === true) {
      conn.link.setMtu(conn.attMtu);
      return;
    }
    const link = new AdapterLink({
      localDeviceId: this.deviceId,
      peerDeviceId: conn.peerDeviceId,
      role: 'peripheral',
      attMtu: conn.attMtu,
      maxQueuedPackets: this.#maxQueued,
      clock: this.clock,
      driver: {
        write: async (value) => {
          const notify = conn.notify;
          if (notify === undefined) throw new LinkError('PQBLE_ERR_DISCONNECTED', 'the central is not subscribed');
          notify(Buffer.from(value));
          // bleno queues notifications in its HCI layer and reports no completion; yielding
          // to pending I/O between values paces the queue drain (docs/hardware.md).
          await nextImmediate();
        },
        disconnect: async () => {
          // Gone already (its handle may belong to a new central by now): nothing to drop.
          if (this.#connections.get(conn.key) !== conn) return;
          try {
            this.bleno.disconnect(conn.handle);
          } catch {
            return;
          }
          await conn.disconnected;
        },
      },
    });
    conn.link = link;
    for (const value of conn.early.splice(0)) link.deliver(value);
    this.#offer(link);
  }

  #onUnsubscribe(handle: BlenoConnectionHandle): void {
    const conn = this.#connections.get(String(handle));
    if (conn === undefined) return;
    conn.notify = undefined;
    conn.link?.closeWith(new LinkError('PQBLE_ERR_DISCONNECTED', 'the central unsubscribed from notifications'));
  }

  #offer(link: AdapterLink): void {
    if (this.#incoming.size === 0) this.#unclaimed.push(link);
    else emitAll(this.#incoming, link);
  }

  connect(): Promise<Link> {
    return Promise.reject(new LinkError('PQBLE_ERR_RADIO_UNAVAILABLE', 'the bleno adapter is peripheral-only; use the noble adapter to connect out'));
  }

  onIncoming(listener: (link: Link) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    this.#incoming.add(listener);
    if (this.#unclaimed.length > 0) {
      queueMicrotask(() => {
        for (const link of this.#unclaimed.splice(0)) if (link.isOpen) this.#offer(link);
      });
    }
    return () => {
      this.#incoming.delete(listener);
    };
  }

  links(): Link[] {
    const out: Link[] = [];
    for (const conn of this.#connections.values()) if (conn.link?.isOpen === true) out.push(conn.link);
    return out;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#advertiser.stop();
    await Promise.all([...this.#connections.values()].flatMap((conn) => (conn.link === undefined ? [] : [conn.link.close()])));
    this.#unclaimed.length = 0;
    this.#incoming.clear();
    this.bleno.removeListener('accept', this.#onAccept);
    this.bleno.removeListener('disconnect', this.#onDisconnect);
    this.bleno.removeListener('mtuChange', this.#onMtuChange);
    this.bleno.removeListener('stateChange', this.#onStateChange);
    this.#connections.clear();
    this.#release();
  }
}

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
