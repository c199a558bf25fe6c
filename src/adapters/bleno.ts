/**
 * `pqble/bleno`: the peripheral adapter on `@stoprocent/bleno` (docs/hardware.md). The code
 * lives in ./bleno/: library.ts (the library's objects, loaded lazily), advertiser.ts
 * (advertising) and peripheral.ts (the GATT service, the centrals and their links).
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
export { createBlenoPeripheral, type BlenoPeripheral, type BlenoPeripheralOptions } from './bleno/peripheral.js';
