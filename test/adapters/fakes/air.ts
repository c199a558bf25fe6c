/**
 * Faithful in-memory fakes of `@stoprocent/noble` 2.8 and `@stoprocent/bleno` 0.12 (the
 * objects, methods, events and callback conventions their HCI bindings have on Linux), wired
 * together through a {@link FakeAir} so that a fake central and a fake peripheral talk to
 * each other. Used by test/adapters/*.test.ts; no Bluetooth hardware involved.
 *
 * What is modelled after the real libraries (read from their lib/ sources):
 * - noble: `state` starts the bindings on first read; adding a `stateChange` listener
 *   starts them on the next tick; scanning filtered by service UUID, `discover` events with
 *   a persistent Peripheral object (rssi, advertisement merged); noble stops scanning before
 *   it connects (`scanStop`); `connect` then an MTU exchange queued ahead of discovery
 *   (`mtu` event); `cancelConnect()` makes `connectAsync()` reject; characteristic `write()`
 *   keeps ONE pending callback per characteristic (onceExclusive) and calls it once the
 *   value was queued to the controller; `subscribeAsync()` resolves on the CCCD write
 *   response, which notifications may overtake; `data` events carry Buffers and
 *   `isNotification`; `disconnect` events carry an HCI reason number; async operations
 *   reject with `Disconnected <reason>` when the link drops.
 * - bleno: the first `stateChange` listener starts the bindings synchronously (so state may
 *   change before that listener is attached); Characteristic objects dispatch
 *   `writeRequest`/`subscribe`/`unsubscribe` events to their `onXxx` handlers; `accept`
 *   (address, handle) and `disconnect` (address, handle); `mtuChange` (mtu) WITHOUT a
 *   handle; notifications truncated to the connection's MTU - 3; several centrals at once;
 *   `stop()` resets `initialized` and `state`.
 *
 * @module
 */

import { EventEmitter } from 'node:events';

/** HCI disconnect reasons (Bluetooth Core Vol 1 Part F). */
export const HCI_REASON = {
  connectionTimeout: 0x08,
  remoteUserTerminated: 0x13,
  localHostTerminated: 0x16,
} as const;

/** Adapter states of both libraries. */
export type FakeAdapterState = 'poweredOn' | 'poweredOff' | 'unauthorized' | 'unsupported' | 'unknown' | 'resetting';

function compact(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}

function randomAddress(): string {
  const bytes = Array.from({ length: 6 }, () => Math.floor(Math.random() * 256));
  bytes[0] |= 0xc0;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Runs `fn` after pending I/O, in call order (models radio latency without real time). */
function later(fn: () => void, delayMs = 0): void {
  if (delayMs > 0) setTimeout(fn, delayMs);
  else setImmediate(fn);
}

/** Like noble's and bleno's `onceExclusive`: at most one pending listener per event. */
class ExclusiveEmitter extends EventEmitter {
  readonly #exclusive = new Map<string, (...args: unknown[]) => void>();

  onceExclusive(event: string, callback: (...args: never[]) => void): void {
    const prev = this.#exclusive.get(event);
    if (prev !== undefined) this.removeListener(event, prev);
    const wrapped = (...args: unknown[]): void => {
      this.#exclusive.delete(event);
      (callback as (...a: unknown[]) => void)(...args);
    };
    this.#exclusive.set(event, wrapped);
    this.once(event, wrapped);
  }
}

// ---- bleno side -----------------------------------------------------------------------

/** Options of the fake bleno Characteristic (as bleno's). */
export interface FakeCharacteristicOptions {
  uuid: string;
  properties?: readonly string[] | null;
  onWriteRequest?: (handle: number | string, data: Buffer, offset: number, withoutResponse: boolean, callback: (result: number) => void) => void;
  onSubscribe?: (handle: number | string, maxValueSize: number, updateValueCallback: (data?: Buffer) => void) => void;
  onUnsubscribe?: (handle: number | string) => void;
}

/** bleno's Characteristic: an EventEmitter dispatching GATT events to its `onXxx` handlers. */
export class FakeBlenoCharacteristic extends ExclusiveEmitter {
  readonly uuid: string;
  readonly properties: readonly string[];

  constructor(options: FakeCharacteristicOptions) {
    super();
    this.uuid = compact(options.uuid);
    this.properties = options.properties ?? [];
    const onWrite = options.onWriteRequest ?? ((_h, _d, _o, _w, callback: (result: number) => void) => callback(0x0e));
    this.on('writeRequest', onWrite);
    this.on('subscribe', options.onSubscribe ?? (() => undefined));
    this.on('unsubscribe', options.onUnsubscribe ?? (() => undefined));
  }
}

/** bleno's PrimaryService. */
export class FakeBlenoPrimaryService extends EventEmitter {
  readonly uuid: string;
  readonly characteristics: readonly FakeBlenoCharacteristic[];

  constructor(options: { uuid: string; characteristics?: readonly FakeBlenoCharacteristic[] | null }) {
    super();
    this.uuid = compact(options.uuid);
    this.characteristics = options.characteristics ?? [];
  }
}

/** Options of {@link FakeAir.createBleno}. */
export interface FakeBlenoOptions {
  /** The adapter address. Default: random static. */
  address?: string;
  /** State reached when started. Default `'poweredOn'`. */
  initialState?: FakeAdapterState;
  /** Report the state synchronously while starting (like bleno on Linux). Default true. */
  syncInit?: boolean;
  /** Largest ATT MTU it accepts (bleno's `maxMtu`). Default 256. */
  maxMtu?: number;
  /** Make `startAdvertising` fail with this error. */
  advertisingError?: Error;
  /** Whether `disconnect(handle)` is honoured (macOS ignores it). Default true. */
  canDisconnect?: boolean;
}

/** A fake of bleno's Bleno object on the HCI bindings. */
export class FakeBleno extends ExclusiveEmitter {
  readonly Characteristic = FakeBlenoCharacteristic;
  readonly PrimaryService = FakeBlenoPrimaryService;
  readonly air: FakeAir;
  initialized = false;
  state: FakeAdapterState = 'unknown';
  address = 'unknown';
  mtu = 20;
  platform = 'unknown';
  readonly #address: string;
  readonly #options: FakeBlenoOptions;
  services: readonly FakeBlenoPrimaryService[] = [];
  advertising = false;
  advertisedName = '';
  advertisedUuids: readonly string[] = [];
  stopCalls = 0;

  constructor(air: FakeAir, options: FakeBlenoOptions = {}) {
    super();
    this.air = air;
    this.#options = options;
    this.#address = (options.address ?? randomAddress()).toLowerCase();
    this.on('newListener', (event: string) => {
      if (event === 'stateChange' && !this.initialized) {
        this.initialized = true;
        this.#init();
      }
    });
  }

  /** The maximum ATT MTU this peripheral accepts. */
  get maxMtu(): number {
    return this.#options.maxMtu ?? 256;
  }

  /** Whether `disconnect(handle)` works. */
  get canDisconnect(): boolean {
    return this.#options.canDisconnect ?? true;
  }

  #init(): void {
    this.platform = 'linux';
    this.address = this.#address;
    const target = this.#options.initialState ?? 'poweredOn';
    if (this.#options.syncInit ?? true) this.setState(target);
    else later(() => this.setState(target));
  }

  /** Changes the adapter state (test control); leaving poweredOn drops every connection. */
  setState(state: FakeAdapterState): void {
    if (this.state === 'poweredOn' && state !== 'poweredOn') {
      this.advertising = false;
      for (const conn of this.air.connectionsOf(this)) this.air.drop(conn, HCI_REASON.connectionTimeout);
    }
    this.state = state;
    this.emit('stateChange', state);
  }

  setServices(services: readonly FakeBlenoPrimaryService[], callback?: (error?: Error | null) => void): void {
    if (typeof callback === 'function') this.onceExclusive('servicesSet', callback);
    this.services = services;
    this.emit('servicesSet');
  }

  startAdvertising(name: string, serviceUuids?: readonly string[], callback?: (error?: Error | null) => void): void {
    if (this.state !== 'poweredOn') {
      const error = new Error(`Could not start advertising, state is ${this.state} (not poweredOn)`);
      if (typeof callback === 'function') callback(error);
      else throw error;
      return;
    }
    if (typeof callback === 'function') this.onceExclusive('advertisingStart', callback);
    const error = this.#options.advertisingError;
    later(() => {
      if (error === undefined) {
        this.advertising = true;
        this.advertisedName = name;
        this.advertisedUuids = (serviceUuids ?? []).map(compact);
      }
      this.emit('advertisingStart', error);
    });
  }

  stopAdvertising(callback?: () => void): void {
    if (typeof callback === 'function') this.onceExclusive('advertisingStop', callback);
    later(() => {
      this.advertising = false;
      this.emit('advertisingStop');
    });
  }

  disconnect(handle: number | string | null = null): void {
    if (!this.canDisconnect) return;
    for (const conn of this.air.connectionsOf(this)) {
      if (handle === null || conn.handle === handle) this.air.drop(conn, HCI_REASON.remoteUserTerminated, 'peripheral');
    }
  }

  stop(): void {
    this.stopCalls++;
    this.advertising = false;
    for (const conn of this.air.connectionsOf(this)) this.air.drop(conn, HCI_REASON.remoteUserTerminated, 'peripheral');
    this.initialized = false;
    this.state = 'unknown';
  }

  /** The GATT characteristic with `uuid`, if published. */
  characteristic(uuid: string): FakeBlenoCharacteristic | undefined {
    for (const service of this.services) for (const c of service.characteristics) if (c.uuid === compact(uuid)) return c;
    return undefined;
  }
}

// ---- noble side -----------------------------------------------------------------------

/** noble's Characteristic, bound to one connection. */
export class FakeNobleCharacteristic extends ExclusiveEmitter {
  readonly uuid: string;
  readonly properties: readonly string[];
  readonly #conn: FakeConnection;
  isNotifying = false;

  constructor(conn: FakeConnection, uuid: string, properties: readonly string[]) {
    super();
    this.#conn = conn;
    this.uuid = uuid;
    this.properties = properties;
    this.on('notify', (state: boolean, error?: Error) => {
      if (error === undefined) this.isNotifying = state;
    });
  }

  write(data: Buffer, withoutResponse: boolean, callback?: (error: Error | undefined) => void): void {
    if (!(data instanceof Uint8Array)) throw new Error('data must be a Buffer or Uint8Array or Uint16Array or Uint32Array');
    if (typeof callback === 'function') this.onceExclusive('write', callback);
    this.#conn.air.centralWrite(this.#conn, this, Buffer.from(data), withoutResponse);
  }

  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void> {
    return this.#conn.withDisconnectHandler(
      () =>
        new Promise<void>((resolve, reject) => {
          this.write(data, withoutResponse, (error) => (error === undefined ? resolve() : reject(error)));
        }),
    );
  }

  subscribe(callback?: (error: Error | undefined) => void): void {
    if (this.isNotifying) {
      callback?.(undefined);
      return;
    }
    if (typeof callback === 'function') this.onceExclusive('notify', (_state: boolean, error?: Error) => callback(error));
    this.#conn.air.centralSubscribe(this.#conn, this, true);
  }

  subscribeAsync(): Promise<void> {
    return this.#conn.withDisconnectHandler(
      () =>
        new Promise<void>((resolve, reject) => {
          this.subscribe((error) => (error === undefined ? resolve() : reject(error)));
        }),
    );
  }

  unsubscribeAsync(): Promise<void> {
    return this.#conn.withDisconnectHandler(
      () =>
        new Promise<void>((resolve, reject) => {
          if (!this.isNotifying) {
            resolve();
            return;
          }
          this.onceExclusive('notify', (_state: boolean, error?: Error) => (error === undefined ? resolve() : reject(error)));
          this.#conn.air.centralSubscribe(this.#conn, this, false);
        }),
    );
  }
}

/** noble's Peripheral. */
export class FakeNoblePeripheral extends ExclusiveEmitter {
  readonly id: string;
  readonly address: string;
  readonly addressType = 'random';
  connectable = true;
  scannable = true;
  rssi: number;
  mtu: number | null = null;
  state: 'error' | 'connecting' | 'connected' | 'disconnecting' | 'disconnected' = 'disconnected';
  services: unknown[] | null = null;
  readonly advertisement: { localName?: string; serviceUuids: string[]; serviceData: unknown[]; txPowerLevel?: number; manufacturerData?: Buffer };
  readonly noble: FakeNoble;
  readonly target: FakeBleno;
  connection: FakeConnection | undefined;

  constructor(noble: FakeNoble, target: FakeBleno, rssi: number) {
    super();
    this.noble = noble;
    this.target = target;
    this.address = target.address;
    this.id = target.address.replace(/:/g, '').toLowerCase();
    this.rssi = rssi;
    this.advertisement = { serviceUuids: [], serviceData: [] };
  }

  connect(callback?: (error: Error | undefined) => void): void {
    if (typeof callback === 'function') this.onceExclusive('connect', callback);
    if (this.state === 'connected') {
      this.emit('connect', new Error('Peripheral already connected'));
      return;
    }
    if (this.state === 'connecting') return;
    this.state = 'connecting';
    this.noble.air.centralConnect(this);
  }

  connectAsync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.connect((error) => (error === undefined || error === null ? resolve() : reject(error)));
    });
  }

  cancelConnect(): void {
    if (this.state === 'connecting') {
      this.noble.cancelConnectCalls++;
      this.state = 'disconnected';
      this.emit('connect', new Error('connection canceled!'));
    }
  }

  disconnect(callback?: () => void): void {
    if (typeof callback === 'function') this.onceExclusive('disconnect', () => callback());
    this.state = 'disconnecting';
    const conn = this.connection;
    if (conn !== undefined) this.noble.air.drop(conn, HCI_REASON.localHostTerminated, 'central');
    else later(() => this.emit('disconnect', 'unknown'));
  }

  disconnectAsync(): Promise<void> {
    return new Promise<void>((resolve) => this.disconnect(resolve));
  }

  discoverSomeServicesAndCharacteristicsAsync(
    serviceUuids: string[],
    characteristicUuids: string[],
  ): Promise<{ services: unknown[]; characteristics: FakeNobleCharacteristic[] }> {
    const conn = this.connection;
    if (conn === undefined) return Promise.reject(new Error('Disconnected unknown'));
    return conn.withDisconnectHandler(() => conn.air.centralDiscover(conn, serviceUuids.map(compact), characteristicUuids.map(compact)));
  }
}

/** Options of {@link FakeAir.createNoble}. */
export interface FakeNobleOptions {
  /** The adapter address. Default: random static. */
  address?: string;
  /** State reached when started. Default `'poweredOn'`. */
  initialState?: FakeAdapterState;
  /** ATT MTU it asks for (noble's desired MTU). Default 256. */
  desiredMtu?: number;
  /** Throw this from the start, as noble does when its native part is missing. */
  startError?: Error;
}

/** A fake of noble's Noble object on the HCI bindings. */
export class FakeNoble extends ExclusiveEmitter {
  readonly air: FakeAir;
  readonly #options: FakeNobleOptions;
  readonly #address: string;
  #state: FakeAdapterState = 'unknown';
  #initialized = false;
  address = 'unknown';
  scanning = false;
  scanServiceUuids: readonly string[] = [];
  allowDuplicates = false;
  readonly peripherals = new Map<string, FakeNoblePeripheral>();
  readonly #discoveredThisScan = new Set<string>();
  stopCalls = 0;
  cancelConnectCalls = 0;
  startScanCalls = 0;

  constructor(air: FakeAir, options: FakeNobleOptions = {}) {
    super();
    this.air = air;
    this.#options = options;
    this.#address = (options.address ?? randomAddress()).toLowerCase();
    this.on('newListener', (event: string) => {
      if (event === 'stateChange' && !this.#initialized) {
        this.#initialized = true;
        process.nextTick(() => this.#init());
      }
    });
  }

  get state(): FakeAdapterState {
    if (!this.#initialized) this.#init();
    return this.#state;
  }

  /** ATT MTU this central asks for. */
  get desiredMtu(): number {
    return this.#options.desiredMtu ?? 256;
  }

  #init(): void {
    this.#initialized = true;
    if (this.#options.startError !== undefined) throw this.#options.startError;
    this.address = this.#address;
    this.emit('addressChange', this.#address);
    const target = this.#options.initialState ?? 'poweredOn';
    later(() => this.setState(target));
  }

  /** Changes the adapter state (test control); leaving poweredOn drops every connection first. */
  setState(state: FakeAdapterState): void {
    if (state !== 'poweredOn' && this.#state === 'poweredOn') {
      for (const conn of this.air.connectionsOf(this)) this.air.drop(conn, 'cleanup');
      this.scanning = false;
    }
    this.#state = state;
    this.emit('stateChange', state);
  }

  startScanning(serviceUuids?: string[], allowDuplicates?: boolean, callback?: (error?: Error | null) => void): void {
    if (this.#state !== 'poweredOn') {
      const error = new Error(`Could not start scanning, state is ${this.#state} (not poweredOn)`);
      if (typeof callback === 'function') callback(error);
      else throw error;
      return;
    }
    this.startScanCalls++;
    if (typeof callback === 'function') this.onceExclusive('scanStart', () => callback(null));
    this.#discoveredThisScan.clear();
    this.allowDuplicates = allowDuplicates === true;
    this.scanServiceUuids = (serviceUuids ?? []).map(compact);
    const wasScanning = this.scanning;
    this.scanning = true;
    later(() => {
      this.emit('scanStart', !this.allowDuplicates);
      if (!wasScanning) this.air.advertiseTo(this);
    });
  }

  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.startScanning(serviceUuids, allowDuplicates, (error) => (error ? reject(error) : resolve()));
    });
  }

  stopScanning(callback?: () => void): void {
    if (typeof callback === 'function') this.onceExclusive('scanStop', callback);
    this.scanning = false;
    later(() => this.emit('scanStop'));
  }

  stopScanningAsync(): Promise<void> {
    return new Promise<void>((resolve) => this.stopScanning(resolve));
  }

  stop(): void {
    this.stopCalls++;
    this.scanning = false;
    for (const conn of this.air.connectionsOf(this)) this.air.drop(conn, 'cleanup');
  }

  /** Called by the air for each advertisement heard while scanning. */
  hear(target: FakeBleno, rssi: number): void {
    if (!this.scanning || this.#state !== 'poweredOn') return;
    const uuids = target.advertisedUuids;
    if (this.scanServiceUuids.length > 0 && !uuids.some((u) => this.scanServiceUuids.includes(u))) return;
    const id = target.address.replace(/:/g, '');
    let peripheral = this.peripherals.get(id);
    if (peripheral === undefined) {
      peripheral = new FakeNoblePeripheral(this, target, rssi);
      this.peripherals.set(id, peripheral);
    }
    peripheral.rssi = rssi;
    peripheral.advertisement.serviceUuids = [...uuids];
    if (target.advertisedName.length > 0) peripheral.advertisement.localName = target.advertisedName;
    const seen = this.#discoveredThisScan.has(id);
    this.#discoveredThisScan.add(id);
    if (this.allowDuplicates || !seen) this.emit('discover', peripheral);
  }
}

// ---- the air: connections between fakes ------------------------------------------------

/** One fake BLE connection. */
export class FakeConnection {
  readonly air: FakeAir;
  readonly handle: number;
  readonly central: FakeNoble;
  readonly peripheral: FakeNoblePeripheral;
  readonly bleno: FakeBleno;
  mtu = 23;
  open = true;
  readonly characteristics = new Map<string, FakeNobleCharacteristic>();
  /** Values written by the central and held back (controller out of buffers). */
  readonly heldWrites: (() => void)[] = [];
  /** Notifications held back. */
  readonly heldNotifications: (() => void)[] = [];
  readonly subscriptions = new Map<string, boolean>();
  #gatt: Promise<unknown> = Promise.resolve();

  constructor(air: FakeAir, handle: number, peripheral: FakeNoblePeripheral) {
    this.air = air;
    this.handle = handle;
    this.central = peripheral.noble;
    this.peripheral = peripheral;
    this.bleno = peripheral.target;
  }

  /** Runs a GATT procedure after the ones already queued (one ATT request at a time). */
  gatt<T>(procedure: () => Promise<T>): Promise<T> {
    const run = this.#gatt.then(procedure);
    this.#gatt = run.catch(() => undefined);
    return run;
  }

  /** noble's `_withDisconnectHandler`: rejects with `Disconnected <reason>` if the link drops first. */
  withDisconnectHandler<T>(operation: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onDisconnect = (reason: number | string): void => reject(new Error(`Disconnected ${String(reason)}`));
      this.peripheral.once('disconnect', onDisconnect);
      operation().then(
        (value) => {
          this.peripheral.removeListener('disconnect', onDisconnect);
          resolve(value);
        },
        (err: unknown) => {
          this.peripheral.removeListener('disconnect', onDisconnect);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}

/** Options of {@link FakeAir}. */
export interface FakeAirOptions {
  /** Advertising interval while someone scans. Default 10 ms. */
  advertisingIntervalMs?: number;
  /** Delay before a connection completes. Default 0 (next turn of the event loop). */
  connectDelayMs?: number;
  /** Delay of the CCCD write response after the peripheral saw the subscription. Default 5 ms. */
  subscribeAckDelayMs?: number;
  /** RSSI reported per peripheral address; default -60 dBm. */
  rssi?: (address: string) => number;
}

/** The medium: which fake peripherals advertise, and the connections between fakes. */
export class FakeAir {
  readonly options: FakeAirOptions;
  readonly blenos: FakeBleno[] = [];
  readonly nobles: FakeNoble[] = [];
  readonly connections = new Set<FakeConnection>();
  #nextHandle = 0x40;
  /** Peripherals whose connections never complete (out of range / not connectable). */
  readonly unreachable = new Set<FakeBleno>();
  /** While true, central writes are held (no controller buffers): callbacks and delivery wait. */
  holdWrites = false;
  /** While true, notifications are held. */
  holdNotifications = false;
  /** Per-central-address RSSI overrides. */
  readonly rssiOf = new Map<string, number>();

  constructor(options: FakeAirOptions = {}) {
    this.options = options;
  }

  createNoble(options?: FakeNobleOptions): FakeNoble {
    const noble = new FakeNoble(this, options);
    this.nobles.push(noble);
    return noble;
  }

  createBleno(options?: FakeBlenoOptions): FakeBleno {
    const bleno = new FakeBleno(this, options);
    this.blenos.push(bleno);
    return bleno;
  }

  connectionsOf(device: FakeNoble | FakeBleno): FakeConnection[] {
    return [...this.connections].filter((c) => c.open && (c.central === device || c.bleno === device));
  }

  /** Starts delivering advertisements to a scanning central until it stops scanning. */
  advertiseTo(noble: FakeNoble): void {
    const tick = (): void => {
      if (!noble.scanning) return;
      for (const bleno of this.blenos) {
        if (bleno.advertising && bleno.state === 'poweredOn') noble.hear(bleno, this.rssiOf.get(bleno.address) ?? this.options.rssi?.(bleno.address) ?? -60);
      }
      setTimeout(tick, this.options.advertisingIntervalMs ?? 10);
    };
    later(tick);
  }

  centralConnect(peripheral: FakeNoblePeripheral): void {
    const noble = peripheral.noble;
    // noble's HCI bindings stop scanning before creating a connection.
    if (noble.scanning) noble.stopScanning();
    const attempt = (): void => {
      if (peripheral.state !== 'connecting') return; // cancelled
      const target = peripheral.target;
      if (this.unreachable.has(target) || !target.advertising || target.state !== 'poweredOn' || noble.state !== 'poweredOn') {
        setTimeout(attempt, 5); // LE Create Connection stays pending until the device is heard
        return;
      }
      const conn = new FakeConnection(this, this.#nextHandle++, peripheral);
      this.connections.add(conn);
      peripheral.connection = conn;
      peripheral.state = 'connected';
      peripheral.mtu = null;
      target.emit('accept', noble.address, conn.handle);
      peripheral.emit('connect', undefined);
      // noble queues the MTU exchange first on the new connection's GATT queue.
      void conn
        .gatt(
          () =>
            new Promise<void>((resolve) => {
              later(() => {
                if (!conn.open) return resolve();
                const mtu = Math.max(23, Math.min(noble.desiredMtu, target.maxMtu));
                conn.mtu = mtu;
                target.mtu = mtu;
                target.emit('mtuChange', mtu);
                later(() => {
                  if (conn.open) {
                    peripheral.mtu = mtu;
                    peripheral.emit('mtu', mtu);
                  }
                  resolve();
                });
              });
            }),
        )
        .catch(() => undefined);
    };
    later(attempt, this.options.connectDelayMs ?? 0);
  }

  centralDiscover(
    conn: FakeConnection,
    serviceUuids: string[],
    characteristicUuids: string[],
  ): Promise<{ services: unknown[]; characteristics: FakeNobleCharacteristic[] }> {
    return conn.gatt(
      () =>
        new Promise((resolve, reject) => {
          later(() => {
            if (!conn.open) return reject(new Error('Disconnected'));
            const services = conn.bleno.services.filter((s) => serviceUuids.length === 0 || serviceUuids.includes(s.uuid));
            if (services.length < serviceUuids.length) return reject(new Error('Could not find all requested services'));
            const characteristics: FakeNobleCharacteristic[] = [];
            for (const service of services) {
              for (const c of service.characteristics) {
                if (characteristicUuids.length > 0 && !characteristicUuids.includes(c.uuid)) continue;
                const ours = new FakeNobleCharacteristic(conn, c.uuid, c.properties);
                conn.characteristics.set(c.uuid, ours);
                characteristics.push(ours);
              }
            }
            resolve({ services, characteristics });
          });
        }),
    );
  }

  centralWrite(conn: FakeConnection, characteristic: FakeNobleCharacteristic, data: Buffer, withoutResponse: boolean): void {
    const send = (): void => {
      if (!conn.open) return;
      const target = conn.bleno.characteristic(characteristic.uuid);
      // The value reaches the peripheral...
      later(() => {
        if (!conn.open || target === undefined) return;
        target.emit('writeRequest', conn.handle, Buffer.from(data), 0, withoutResponse, () => undefined);
      });
      // ...and noble calls back once it was queued to the controller.
      later(() => {
        if (conn.open) characteristic.emit('write', undefined);
      });
    };
    if (this.holdWrites || conn.heldWrites.length > 0) conn.heldWrites.push(send);
    else send();
  }

  /** Releases held writes (test control). */
  releaseWrites(): void {
    this.holdWrites = false;
    for (const conn of this.connections) for (const send of conn.heldWrites.splice(0)) send();
  }

  centralSubscribe(conn: FakeConnection, characteristic: FakeNobleCharacteristic, enable: boolean): void {
    later(() => {
      if (!conn.open) return;
      const target = conn.bleno.characteristic(characteristic.uuid);
      if (target === undefined) return;
      conn.subscriptions.set(characteristic.uuid, enable);
      if (enable) {
        const updateValueCallback = (data?: Buffer): void => {
          if (data === undefined || !conn.open || conn.subscriptions.get(characteristic.uuid) !== true) return;
          const value = Buffer.from(data.subarray(0, conn.mtu - 3));
          const deliver = (): void =>
            later(() => {
              if (conn.open) characteristic.emit('data', value, true);
            });
          if (this.holdNotifications) conn.heldNotifications.push(deliver);
          else deliver();
        };
        target.emit('subscribe', conn.handle, conn.mtu - 3, updateValueCallback);
      } else {
        target.emit('unsubscribe', conn.handle);
      }
      // The CCCD write response comes back later; notifications may overtake it.
      setTimeout(() => {
        if (conn.open) characteristic.emit('notify', enable, undefined);
      }, this.options.subscribeAckDelayMs ?? 5);
    });
  }

  /** Releases held notifications (test control). */
  releaseNotifications(): void {
    this.holdNotifications = false;
    for (const conn of this.connections) for (const deliver of conn.heldNotifications.splice(0)) deliver();
  }

  /** Changes a connection's MTU later on (both sides hear of it). */
  changeMtu(conn: FakeConnection, mtu: number): void {
    conn.mtu = mtu;
    conn.bleno.emit('mtuChange', mtu);
    later(() => {
      conn.peripheral.mtu = mtu;
      conn.peripheral.emit('mtu', mtu);
    });
  }

  /**
   * Drops a connection. `by` says who asked: the central ('central': it sees 0x16 local
   * host, the peripheral 0x13), the peripheral, or nobody (supervision timeout, 0x08 both).
   */
  drop(conn: FakeConnection, reason: number | string = HCI_REASON.connectionTimeout, by?: 'central' | 'peripheral'): void {
    if (!conn.open) return;
    conn.open = false;
    conn.heldWrites.length = 0;
    conn.heldNotifications.length = 0;
    this.connections.delete(conn);
    const centralReason = by === 'central' ? HCI_REASON.localHostTerminated : by === 'peripheral' ? HCI_REASON.remoteUserTerminated : reason;
    later(() => {
      conn.peripheral.state = 'disconnected';
      conn.peripheral.connection = undefined;
      conn.peripheral.mtu = null;
      conn.peripheral.emit('disconnect', centralReason);
      conn.central.emit(`disconnect:${conn.peripheral.id}`, centralReason);
    });
    later(() => conn.bleno.emit('disconnect', conn.central.address, conn.handle));
  }

  /** The open connection between a central address and a peripheral address, if any. */
  findConnection(centralAddress: string, peripheralAddress: string): FakeConnection | undefined {
    const norm = (a: string): string => a.replace(/[:-]/g, '').toLowerCase();
    for (const conn of this.connections) {
      if (conn.open && norm(conn.central.address) === norm(centralAddress) && norm(conn.bleno.address) === norm(peripheralAddress)) return conn;
    }
    return undefined;
  }
}
