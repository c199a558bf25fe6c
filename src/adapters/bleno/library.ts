/**
 * `@stoprocent/bleno` as the peripheral adapter sees it (docs/hardware.md): the subset of
 * its objects pqble uses, and the default instance, imported lazily (importing pqble never
 * loads native code), shared and stopped once no peripheral uses it.
 *
 * @module
 */

import type * as BlenoModule from '@stoprocent/bleno';
import { SharedBleLibrary, silenceStoppedSocket } from '../shared-library.js';

/** The package this adapter runs on. */
export const BLENO_PACKAGE = '@stoprocent/bleno';

/** A central's connection handle: an HCI handle number on Linux, a UUID string on macOS. */
export type BlenoConnectionHandle = number | string;

/** GATT characteristic properties bleno understands. */
export type BlenoProperty = 'read' | 'write' | 'indicate' | 'notify' | 'writeWithoutResponse';

/** Options of bleno's `Characteristic` constructor (the subset pqble uses). */
export interface BlenoCharacteristicOptions {
  /** UUID (dashes allowed). */
  uuid: string;
  /** Properties. */
  properties: BlenoProperty[];
  /** A central wrote a value; `callback(resultCode)` answers a write request. */
  onWriteRequest?: (handle: BlenoConnectionHandle, data: Buffer, offset: number, withoutResponse: boolean, callback: (result: number) => void) => void;
  /** A central enabled notifications; `updateValueCallback(data)` sends one notification. */
  onSubscribe?: (handle: BlenoConnectionHandle, maxValueSize: number, updateValueCallback: (data?: Buffer) => void) => void;
  /** A central disabled notifications. */
  onUnsubscribe?: (handle: BlenoConnectionHandle) => void;
}

/** A bleno characteristic object (opaque to pqble). */
export interface BlenoCharacteristicLike {
  /** UUID without dashes. */
  readonly uuid: string;
}

/** A bleno primary service object (opaque to pqble). */
export interface BlenoPrimaryServiceLike {
  /** UUID without dashes. */
  readonly uuid: string;
}

/**
 * The bleno object (the module's default export, or `withBindings()`): the subset pqble
 * uses. `C` is the library's characteristic class, inferred from the object passed in.
 */
export interface BlenoLike<C = BlenoCharacteristicLike> {
  /** Adapter state. bleno starts when the first `stateChange` listener is added. */
  readonly state: string;
  /** This adapter's address once known (`'unknown'` before, or on macOS). */
  readonly address: string;
  /** bleno's characteristic class. */
  readonly Characteristic: new (options: BlenoCharacteristicOptions) => C;
  /** bleno's primary service class. */
  readonly PrimaryService: new (options: { uuid: string; characteristics: C[] }) => BlenoPrimaryServiceLike;
  /** Adapter state changes. */
  on(event: 'stateChange', listener: (state: string) => void): unknown;
  /** A central connected. */
  on(event: 'accept', listener: (address: string, handle: BlenoConnectionHandle) => void): unknown;
  /** A central disconnected (macOS passes only the central's UUID). */
  on(event: 'disconnect', listener: (address: string, handle?: BlenoConnectionHandle) => void): unknown;
  /** A central negotiated an ATT MTU (bleno does not say which central). */
  on(event: 'mtuChange', listener: (mtu: number) => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'stateChange', listener: (state: string) => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'accept', listener: (address: string, handle: BlenoConnectionHandle) => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'disconnect', listener: (address: string, handle?: BlenoConnectionHandle) => void): unknown;
  /** Removes a listener. */
  removeListener(event: 'mtuChange', listener: (mtu: number) => void): unknown;
  /** Publishes the GATT services. */
  setServices(services: readonly BlenoPrimaryServiceLike[], callback?: (error?: Error | null) => void): void;
  /** Starts advertising `name` and the service UUIDs. */
  startAdvertising(name: string, serviceUuids?: readonly string[], callback?: (error?: Error | null) => void): void;
  /** Stops advertising. */
  stopAdvertising(callback?: () => void): void;
  /** Drops one central (`handle`), or all. */
  disconnect(handle?: BlenoConnectionHandle): void;
  /** Stops the library; only called on an instance the adapter loaded itself. */
  stop?(): void;
}

type RealBleno = BlenoLike<BlenoModule.Characteristic>;

/**
 * Stops a bleno instance so that the process can exit. bleno 0.12's HCI layer polls the
 * adapter from a 1 s timer that `stop()` neither cancels nor survives: the next poll either
 * re-arms forever (adapter present) or throws from the timer because the stopped socket has
 * no `error` listener (no Bluetooth support). So, besides `stop()` in a try/catch, the poll
 * is replaced by a no-op (the pending poll re-arms with it and the chain ends) and the socket
 * gets a no-op `error` listener. Every private field is checked before it is touched.
 */
function stopBleno(lib: object & { stop?(): void }): void {
  try {
    lib.stop?.();
  } catch {
    // bleno that never started cannot stop
  }
  silenceStoppedSocket(lib);
  const bindings = (lib as unknown as { _bindings?: unknown })._bindings;
  const hci = bindings !== null && typeof bindings === 'object' ? (bindings as { _hci?: unknown })._hci : undefined;
  if (hci !== null && typeof hci === 'object' && typeof (hci as { pollIsDevUp?: unknown }).pollIsDevUp === 'function') {
    (hci as { pollIsDevUp: () => void }).pollIsDevUp = () => undefined;
    const socket = (hci as { _socket?: unknown })._socket;
    if (socket !== null && typeof socket === 'object' && typeof (socket as { on?: unknown }).on === 'function') {
      try {
        (socket as { on: (event: string, listener: () => void) => void }).on('error', () => undefined);
      } catch {
        // not an EventEmitter after all
      }
    }
  }
  try {
    (lib as { removeAllListeners?: () => void }).removeAllListeners?.();
  } catch {
    // not an EventEmitter
  }
}

/** The default bleno instance, shared by the peripherals that were given none. */
export const sharedBleno = new SharedBleLibrary<RealBleno>(BLENO_PACKAGE, () => import('@stoprocent/bleno'), stopBleno);

/** Calls a bleno callback-style method as a promise; a synchronous throw rejects. */
export function callbackToPromise(start: (done: (error?: Error | null) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    start((error) => {
      if (error !== undefined && error !== null) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve();
    });
  });
}

/** True if `value` has the methods and classes of a bleno object that pqble uses. */
export function isBlenoLike(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.on === 'function' &&
    typeof v.removeListener === 'function' &&
    typeof v.setServices === 'function' &&
    typeof v.startAdvertising === 'function' &&
    typeof v.Characteristic === 'function' &&
    typeof v.PrimaryService === 'function'
  );
}
