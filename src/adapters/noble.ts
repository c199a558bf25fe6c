/**
 * `pqble/noble`: the central adapter on `@stoprocent/noble` (docs/hardware.md). The code
 * lives in ./noble/: library.ts (the library's objects, loaded lazily), scanner.ts
 * (discovery) and central.ts (connecting and the link). Importing this module never loads
 * the library or native code.
 *
 * @module
 */

export { PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID } from './gatt.js';
export { deviceIdForBlePeer } from './peer-address.js';
export type { NobleCharacteristicLike, NobleLike, NobleMtuReport, NoblePeripheralLike } from './noble/library.js';
export type { DiscoveredDevice, NobleScanOptions } from './noble/scanner.js';
export { createNobleCentral, type NobleCentral, type NobleCentralOptions } from './noble/central.js';
