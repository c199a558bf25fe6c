/**
 * Device ids of BLE peers as the noble and bleno adapters see them (docs/hardware.md "Device
 * ids"): a BLE address is the device id itself; an OS identifier that hides the address
 * (macOS) maps to a stable local alias; an adapter that reports no address gets a random
 * static one.
 *
 * @module
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes, utf8ToBytes } from '../bytes.js';
import { deviceIdFromBytes, parseDeviceId } from '../ids.js';

const HEX12_RE = /^[0-9a-f]{12}$/i;
const ADDRESS_RE = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

/**
 * The device id (12 lowercase hex digits) of a BLE peer as a library names it.
 *
 * - A 6-byte address (`aa:bb:cc:dd:ee:ff`, `AA-BB-..`, or 12 hex digits, as noble and bleno
 *   report on Linux and Windows) is the device id itself.
 * - Anything else (macOS reports a CoreBluetooth UUID per peer and hides the address) maps
 *   to the first 6 bytes of SHA-256 of the lowercase, dash-free identifier: a stable local
 *   alias that only this host can resolve back (see docs/hardware.md "Device ids").
 *
 * @throws TypeError if `addressOrId` is not a string; RangeError if it is empty
 */
export function deviceIdForBlePeer(addressOrId: string): string {
  if (typeof addressOrId !== 'string') throw new TypeError('BLE address or id must be a string');
  const trimmed = addressOrId.trim();
  if (trimmed.length === 0) throw new RangeError('BLE address or id must not be empty');
  if (ADDRESS_RE.test(trimmed) || HEX12_RE.test(trimmed)) return parseDeviceId(trimmed);
  const canonical = trimmed.replace(/-/g, '').toLowerCase();
  return deviceIdFromBytes(sha256(utf8ToBytes(canonical)).subarray(0, 6));
}

/** The device id for an address a library reports, or `undefined` if it is no address ('unknown', ''). */
export function deviceIdFromAddress(address: unknown): string | undefined {
  if (typeof address !== 'string') return undefined;
  const trimmed = address.trim();
  return ADDRESS_RE.test(trimmed) || HEX12_RE.test(trimmed) ? parseDeviceId(trimmed) : undefined;
}

/** A random static device id (Bluetooth Core Vol 6 Part B 1.3.2.1: the two top bits set). */
export function randomStaticDeviceId(): string {
  const bytes = randomBytes(6);
  bytes[0] |= 0xc0;
  return deviceIdFromBytes(bytes);
}
