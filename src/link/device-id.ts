/**
 * Device ids: a BLE device's 6-byte address, written as 12 lowercase hex digits. BLE
 * addresses rotate, so a device id is only a hint; peers are known by their identity
 * fingerprint (docs/protocol.md "Identities and fingerprints").
 *
 * @module
 */

const DEVICE_ID_RE = /^[0-9a-f]{12}$/;

/**
 * Normalises a device id: accepts `AA:BB:CC:DD:EE:FF`, `aa-bb-...`, or 12 hex digits
 * in any case, and returns 12 lowercase hex digits.
 * @throws TypeError if `value` is not a string; RangeError if it is not 6 bytes of hex
 */
export function parseDeviceId(value: string): string {
  if (typeof value !== 'string') throw new TypeError(`device id must be a string, got ${typeof value}`);
  const id = value.replace(/[:-]/g, '').toLowerCase();
  if (!DEVICE_ID_RE.test(id)) throw new RangeError(`device id must be 6 bytes of hex (like aa:bb:cc:dd:ee:ff), got "${value.slice(0, 40)}"`);
  return id;
}

/** True if `value` is a normalised device id (12 lowercase hex digits). */
export function isDeviceId(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID_RE.test(value);
}

/** Formats a device id as `aa:bb:cc:dd:ee:ff`. */
export function formatDeviceId(id: string): string {
  const norm = parseDeviceId(id);
  return norm.match(/../g)!.join(':');
}

/** The 6 bytes of a device id. */
export function deviceIdToBytes(id: string): Uint8Array {
  const norm = parseDeviceId(id);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(norm.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A device id from 6 bytes. @throws RangeError if `bytes` is not 6 bytes long */
export function deviceIdFromBytes(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('device id bytes must be a Uint8Array');
  if (bytes.length !== 6) throw new RangeError(`device id must be 6 bytes, got ${bytes.length}`);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
