/**
 * The pqble GATT service (docs/hardware.md "GATT service"): one primary service with two
 * characteristics. The central writes (write without response) to TX; the peripheral
 * notifies on RX. Each ATT value is one {@link Link} packet.
 *
 * The UUIDs were generated at random for pqble; they are part of the wire protocol and
 * never change within a protocol version.
 *
 * @module
 */

/** The 128-bit UUID of the pqble primary service; centrals scan for it. */
export const PQBLE_SERVICE_UUID = '228c848e-05ae-4ab7-8ec7-e5641a5c5fa1';

/** TX characteristic (central -> peripheral): write without response (plain write also accepted). */
export const PQBLE_TX_CHARACTERISTIC_UUID = '38f6cfe9-3efc-4380-9853-b32cc10488f6';

/** RX characteristic (peripheral -> central): notify. */
export const PQBLE_RX_CHARACTERISTIC_UUID = '5faff1dc-c54e-4eaf-9676-3df7ee8f59e2';

/** Smallest ATT MTU (Bluetooth Core Vol 3 Part F 3.2.8). */
export const ATT_MTU_MIN = 23;

/** Largest ATT MTU (Bluetooth Core Vol 3 Part F 3.2.9: attribute values are at most 512 bytes). */
export const ATT_MTU_MAX = 517;

/** Bytes of ATT header in a write command or a notification (opcode + handle). */
export const ATT_HEADER_BYTES = 3;

/**
 * A UUID in the compact form noble and bleno use: lowercase hex without dashes.
 * @throws TypeError if `uuid` is not a string
 */
export function compactUuid(uuid: string): string {
  if (typeof uuid !== 'string') throw new TypeError('uuid must be a string');
  return uuid.replace(/-/g, '').toLowerCase();
}

/** True if `a` and `b` name the same UUID (dashes and case ignored). */
export function sameUuid(a: string, b: string): boolean {
  return typeof a === 'string' && typeof b === 'string' && compactUuid(a) === compactUuid(b);
}
