/**
 * The peripheral adapter on `@stoprocent/bleno` (docs/hardware.md; the link seam of
 * src/link/types.ts): the peripheral that createBlenoPeripheral (./create-peripheral.ts) makes. It
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
import { LinkError, throwIfAborted } from '../../errors.js';
import type { Link, LinkEndpoint } from '../../link/types.js';
import { ATT_HEADER_BYTES, PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID, compactUuid } from '../gatt.js';
import { AdapterLink, MAX_BUFFERED_INBOUND_PACKETS, emitAll } from '../link-core.js';
import { deviceIdFromAddress, randomStaticDeviceId } from '../peer-address.js';
import { radioUnavailable } from '../radio-unavailable.js';
import { BlenoAdvertiser } from './advertiser.js';
import { ConnectedCentrals, type ConnectedCentral } from './centrals.js';
import { BLENO_PACKAGE, callbackToPromise, type BlenoConnectionHandle, type BlenoLike, type BlenoPrimaryServiceLike } from './library.js';

/** A pqble peripheral on bleno: a {@link LinkEndpoint} that accepts (it never connects out). */
export interface BlenoPeripheral extends LinkEndpoint {
  /** The advertised name. */
  readonly name: string;
  /** Open links, one per subscribed central. */
  links(): Link[];
}

const RESULT_SUCCESS = 0x00;
const RESULT_INVALID_OFFSET = 0x07;

/** The peripheral {@link createBlenoPeripheral} makes (see the module header). */
export class BlenoPeripheralImpl<C> implements BlenoPeripheral {
  readonly deviceId: string;
  readonly clock: Clock = systemClock;
  readonly bleno: BlenoLike<C>;
  readonly name: string;
  readonly #maxQueued: number;
  readonly #connections: ConnectedCentrals;
  readonly #incoming = new Set<(link: Link) => void>();
  readonly #unclaimed: AdapterLink[] = [];
  readonly #advertiser: BlenoAdvertiser<C>;
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
    this.#connections = new ConnectedCentrals(maxConnections);
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

  /** The record of central `handle`, made on first sight (none once closed). */
  #connection(handle: BlenoConnectionHandle, address?: string): ConnectedCentral | undefined {
    const existing = this.#connections.get(String(handle));
    if (existing !== undefined || this.#closed) return existing;
    return this.#connections.add(handle, address, (h) => this.bleno.disconnect(h));
  }

  readonly #onAccept = (address: string, handle: BlenoConnectionHandle): void => {
    this.#connection(handle ?? address, address);
    this.#updateAdvertising();
  };

  /** Advertises while there is room for another central (a central that still gets in at the limit is dropped, see #connection). */
  #updateAdvertising(): void {
    if (!this.#closed) this.#advertiser.update(this.#connections.hasRoom);
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
    const conn = this.#connections.mtuReportTarget();
    if (conn === undefined || typeof mtu !== 'number' || !Number.isFinite(mtu)) return;
    conn.attMtu = mtu;
    conn.mtuKnown = true;
    conn.link?.setMtu(mtu);
  };

  readonly #onStateChange = (state: string): void => {
    if (state === 'poweredOn') {
      // Back from poweredOff (Bluetooth toggled, controller reset): the controller forgot
      // the advertising set, so advertise again (the GATT database lives in bleno).
      if (!this.#closed) this.#advertiser.poweredOn(this.#connections.hasRoom);
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
