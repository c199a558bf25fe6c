/**
 * `pqble/bleno`: the peripheral adapter on `@stoprocent/bleno` (docs/hardware.md). The code
 * lives in ./bleno/: library.ts (the library's objects, loaded lazily), advertiser.ts
 * (advertising), create-peripheral.ts (options and start-up) and peripheral.ts (the GATT
 * service, the centrals and their links).
 * Importing this module never loads the library or native code.
 *
 * @module
 */

export { PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID } from './gatt.js';
export { deviceIdForBlePeer } from './peer-address.js';
export type {
  BlenoCharacteristicLike,
  BlenoCharacteristicOptions,
  BlenoConnectionHandle,
  BlenoLike,
  BlenoPrimaryServiceLike,
  BlenoProperty,
} from './bleno/library.js';
export { createBlenoPeripheral, type BlenoPeripheralOptions } from './bleno/create-peripheral.js';
export type { BlenoPeripheral } from './bleno/peripheral.js';
