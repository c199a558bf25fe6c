/**
 * `@stoprocent/noble` as the central adapter sees it (docs/hardware.md): the subset of its
 * objects pqble uses, and the default instance, imported lazily (importing pqble never loads
 * native code), shared between centrals and stopped once none uses it.
 *
 * @module
 */

import { SharedBleLibrary, silenceStoppedSocket } from '../shared-library.js';

/** The package this adapter runs on. */
export const NOBLE_PACKAGE = '@stoprocent/noble';

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

/** The default noble instance, shared by the centrals that were given none. */
export const sharedNoble = new SharedBleLibrary<NobleLike>(NOBLE_PACKAGE, () => import('@stoprocent/noble'), stopNoble);

/** True if `value` has the methods of a noble object that pqble calls. */
export function isNobleLike(value: unknown): value is NobleLike {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.on === 'function' &&
    typeof v.removeListener === 'function' &&
    typeof v.startScanningAsync === 'function' &&
    typeof v.stopScanningAsync === 'function'
  );
}
