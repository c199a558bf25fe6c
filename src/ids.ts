/**
 * The ids pqble passes around, each with one branded type, one parser and its size as a named
 * constant (docs/protocol.md "Identities and fingerprints", docs/store.md "The store
 * contract"). A value is parsed once, where it enters the public API; inner layers take the
 * branded type and do not check it again. The brands exist only for the compiler: at run
 * time a `DeviceId` is a plain string, a `TicketId` a plain `Uint8Array`.
 *
 * | type          | size     | internal form                              |
 * | ------------- | -------- | ------------------------------------------ |
 * | `DeviceId`    | 6 bytes  | 12 lowercase hex digits (`aabbccddeeff`)   |
 * | `Fingerprint` | 32 bytes | 64 lowercase hex digits                    |
 * | `SessionId`   | 16 bytes | 32 lowercase hex digits                    |
 * | `TicketId`    | 16 bytes | a `Uint8Array` of 16 bytes                 |
 *
 * @module
 */

import { bytesToHex, hexToBytes } from './bytes.js';
import { SIZES } from './crypto/types.js';

declare const brand: unique symbol;

/** A value of type `T` known to have passed the parser of `B`. */
type Branded<T, B extends string> = T & { readonly [brand]: B };

/** A BLE device id: the 6-byte address as 12 lowercase hex digits. Only a hint: addresses rotate. */
export type DeviceId = Branded<string, 'DeviceId'>;
/** A peer's identity fingerprint (SHA-256, 32 bytes) as 64 lowercase hex digits. */
export type Fingerprint = Branded<string, 'Fingerprint'>;
/** A session id (16 bytes, from the handshake's key schedule) as 32 lowercase hex digits. */
export type SessionId = Branded<string, 'SessionId'>;
/** A resumption ticket id: 16 bytes. */
export type TicketId = Branded<Uint8Array, 'TicketId'>;

/** Bytes of a device id (a BLE address). */
export const DEVICE_ID_BYTES = 6;
/** Bytes of an identity fingerprint (SHA-256). */
export const FINGERPRINT_BYTES = 32;
/** Bytes of a session id. */
export const SESSION_ID_BYTES = 16;
/** Bytes of a resumption ticket id (the first half of the 32-byte resume token). */
export const TICKET_ID_BYTES = 16;
/** Bytes of an ML-DSA-65 identity public key (FIPS 204). */
export const IDENTITY_PUBLIC_KEY_BYTES: 1952 = SIZES.sigPublicKey;

const DEVICE_ID_RE = /^[0-9a-f]{12}$/;
const FINGERPRINT_RE = /^[0-9a-f]{64}$/;
const ID16_RE = /^[0-9a-f]{32}$/;
const HEX_ANY_CASE_RE = /^[0-9a-fA-F]*$/;

/** At most this many characters of a rejected input are quoted in an error message. */
const QUOTE_CHARS = 40;

function quote(value: string): string {
  return JSON.stringify(value.length > QUOTE_CHARS ? `${value.slice(0, QUOTE_CHARS)}...` : value);
}

/**
 * Parses a device id: `AA:BB:CC:DD:EE:FF`, `aa-bb-...` or 12 hex digits in any case.
 * @param label - names the value in error messages
 * @returns the id as 12 lowercase hex digits
 * @throws TypeError if `value` is not a string; RangeError if it is not 6 bytes of hex
 */
export function parseDeviceId(value: unknown, label = 'deviceId'): DeviceId {
  if (typeof value !== 'string') throw new TypeError(`${label} must be a string, got ${typeof value}`);
  if (DEVICE_ID_RE.test(value)) return value as DeviceId;
  const id = value.replace(/[:-]/g, '').toLowerCase();
  if (!DEVICE_ID_RE.test(id)) throw new RangeError(`${label} must be 6 bytes of hex (like aa:bb:cc:dd:ee:ff), got ${quote(value)}`);
  return id as DeviceId;
}

/** True if `value` is a device id in its parsed form (12 lowercase hex digits). */
export function isDeviceId(value: unknown): value is DeviceId {
  return typeof value === 'string' && DEVICE_ID_RE.test(value);
}

/**
 * Formats a device id as `aa:bb:cc:dd:ee:ff`.
 * @throws TypeError / RangeError as {@link parseDeviceId}
 */
export function formatDeviceId(id: string): string {
  return parseDeviceId(id).match(/../g)!.join(':');
}

/**
 * The 6 bytes of a device id.
 * @throws TypeError / RangeError as {@link parseDeviceId}
 */
export function deviceIdToBytes(id: string): Uint8Array {
  return hexToBytes(parseDeviceId(id));
}

/**
 * A device id from its 6 bytes.
 * @throws TypeError if `bytes` is not a Uint8Array; RangeError if it is not 6 bytes long
 */
export function deviceIdFromBytes(bytes: Uint8Array): DeviceId {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('device id bytes must be a Uint8Array');
  if (bytes.length !== DEVICE_ID_BYTES) throw new RangeError(`device id must be ${DEVICE_ID_BYTES} bytes, got ${bytes.length}`);
  return bytesToHex(bytes) as DeviceId;
}

/**
 * Parses `bytes` bytes given as a Uint8Array or as hex digits (either case) into lowercase hex.
 * Shared by the hex-named ids; not exported.
 */
function parseHexId(value: unknown, label: string, bytes: number, re: RegExp): string {
  if (typeof value === 'string') {
    if (re.test(value)) return value;
    if (value.length !== bytes * 2 || !HEX_ANY_CASE_RE.test(value))
      throw new RangeError(`${label} must be ${bytes * 2} hex digits (${bytes} bytes), got ${quote(value)}`);
    return value.toLowerCase();
  }
  if (value instanceof Uint8Array) {
    if (value.length !== bytes) throw new RangeError(`${label} must be ${bytes} bytes, got ${value.length}`);
    return bytesToHex(value);
  }
  throw new TypeError(`${label} must be a string of hex digits or a Uint8Array, got ${value === null ? 'null' : typeof value}`);
}

/**
 * Parses an identity fingerprint given as 64 hex digits (either case) or as 32 bytes.
 * @param label - names the value in error messages
 * @returns the fingerprint as 64 lowercase hex digits
 * @throws TypeError if `value` is neither a string nor a Uint8Array; RangeError if it is not
 *   64 hex digits or 32 bytes
 */
export function parseFingerprint(value: unknown, label = 'fingerprint'): Fingerprint {
  return parseHexId(value, label, FINGERPRINT_BYTES, FINGERPRINT_RE) as Fingerprint;
}

/** True if `value` is a fingerprint in its parsed form (64 lowercase hex digits). */
export function isFingerprint(value: unknown): value is Fingerprint {
  return typeof value === 'string' && FINGERPRINT_RE.test(value);
}

/** The 32 bytes of a parsed fingerprint (a fresh array). */
export function fingerprintBytes(fp: Fingerprint): Uint8Array {
  return hexToBytes(fp);
}

/**
 * Parses a session id given as 32 hex digits (either case) or as 16 bytes.
 * @param label - names the value in error messages
 * @returns the id as 32 lowercase hex digits
 * @throws TypeError if `value` is neither a string nor a Uint8Array; RangeError if it is not
 *   32 hex digits or 16 bytes
 */
export function parseSessionId(value: unknown, label = 'sessionId'): SessionId {
  return parseHexId(value, label, SESSION_ID_BYTES, ID16_RE) as SessionId;
}

/** True if `value` is a session id in its parsed form (32 lowercase hex digits). */
export function isSessionId(value: unknown): value is SessionId {
  return typeof value === 'string' && ID16_RE.test(value);
}

/**
 * Checks a ticket id: 16 bytes. Ticket ids only travel as bytes (the resume token, the
 * stores' methods), so no hex form is accepted.
 * @param label - names the value in error messages
 * @returns `value` itself, typed (not a copy: a caller that keeps it copies it)
 * @throws TypeError if `value` is not a Uint8Array; RangeError if it is not 16 bytes long
 */
export function parseTicketId(value: unknown, label = 'ticketId'): TicketId {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${label} must be a Uint8Array, got ${value === null ? 'null' : typeof value}`);
  if (value.length !== TICKET_ID_BYTES) throw new RangeError(`${label} must be ${TICKET_ID_BYTES} bytes, got ${value.length}`);
  return value as TicketId;
}
