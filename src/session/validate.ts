/**
 * Field checks shared by the session cache and its stores (docs/cache-file.md "Fields";
 * docs/store.md "The store contract"). Internal to `src/session`.
 *
 * @module
 */

import { checkBytes } from '../bytes.js';
import { parseDeviceId, parseFingerprint, parseSessionId, type DeviceId, type Fingerprint } from '../ids.js';
import type { CachedSession } from './types.js';

/**
 * Largest accepted millisecond timestamp: 9999-12-31T23:59:59.999Z, the last instant an
 * ISO 8601 string with a four-digit year (the cache file's format) can express.
 */
export const MAX_TIME_MS = 253_402_300_799_999;

/** Bytes of a resumption secret. */
export const RESUMPTION_SECRET_BYTES = 32;

/** True if `value` is 64 lowercase hex digits (a 32-byte identity fingerprint). */
export { isFingerprint } from '../ids.js';

/**
 * @deprecated call `isSessionId` of `src/ids.ts`.
 * True if `value` is 32 lowercase hex digits (a 16-byte session or ticket id).
 */
export { isSessionId as isId16 } from '../ids.js';

/** True if `value` is a whole number of milliseconds in [0, {@link MAX_TIME_MS}]. */
function isTimeMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_TIME_MS;
}

// The three checks below only delegate to the one parser of each id in `src/ids.ts`, with the
// labels the stores use. They remain for the modules not yet moved to `src/ids.ts`
// (session/redis/store.ts, session/file/store.ts, session/file/bulk-input.ts and the
// version-1 cache.ts / file-store.ts); new code calls the parsers directly.

/**
 * @deprecated call `parseFingerprint` of `src/ids.ts`.
 * The fingerprint parser with the store's label.
 * @throws TypeError if not a string (or bytes); RangeError if not 64 hex digits (32 bytes)
 */
export function checkFingerprint(value: unknown, label = 'peerFingerprint'): Fingerprint {
  return parseFingerprint(value, label);
}

/**
 * @deprecated call `parseSessionId` of `src/ids.ts`.
 * The session-id parser under the name the session cache
 * uses for its 16-byte ids (session id and ticket id, both 32 hex digits).
 * @throws TypeError if not a string (or bytes); RangeError if not 32 hex digits (16 bytes)
 */
export function checkId16(value: unknown, label: string): string {
  return parseSessionId(value, label);
}

/**
 * @deprecated call `parseDeviceId` of `src/ids.ts`.
 * The device-id parser with the store's label.
 * @throws TypeError if not a string; RangeError if not 6 bytes of hex
 */
export function checkDeviceId(value: unknown, label = 'deviceId'): DeviceId {
  return parseDeviceId(value, label);
}

/**
 * Checks a wall-clock millisecond timestamp.
 * @throws TypeError if not a number; RangeError if not a whole number in [0, 8.64e15]
 */
export function checkTimeMs(value: unknown, label: string): number {
  if (typeof value !== 'number') throw new TypeError(`${label} must be a number, got ${typeof value}`);
  if (!isTimeMs(value)) throw new RangeError(`${label} must be a whole number of milliseconds in [0, ${MAX_TIME_MS}] (year 9999)`);
  return value;
}

/**
 * A frozen session record whose fields were already checked: {@link normaliseSession}
 * copies one without checking every field again. Built only from checked fields.
 */
class CheckedSession implements CachedSession {
  readonly peerFingerprint: string;
  readonly deviceId: string;
  readonly sessionId: string;
  readonly establishedMs: number;
  readonly lastActiveMs: number;
  readonly resumptionSecret: Uint8Array;
  readonly ticketId: string;

  constructor(e: CachedSession) {
    this.peerFingerprint = e.peerFingerprint;
    this.deviceId = e.deviceId;
    this.sessionId = e.sessionId;
    this.establishedMs = e.establishedMs;
    this.lastActiveMs = e.lastActiveMs;
    this.resumptionSecret = e.resumptionSecret;
    this.ticketId = e.ticketId;
    Object.freeze(this);
  }
}

/** True if `entry` is a frozen record built from checked fields (by this module). */
export function isChecked(entry: unknown): entry is CachedSession {
  return entry instanceof CheckedSession && Object.isFrozen(entry);
}

/**
 * A frozen record of fields known to be valid (it keeps `e.resumptionSecret` itself, not a
 * copy). Only for fields that were checked.
 */
export function freezeChecked(e: CachedSession): CachedSession {
  return new CheckedSession(e);
}

/**
 * Checks every field of a session entry and returns a normalised, frozen copy that owns a
 * fresh copy of the resumption secret (the caller's buffer is never kept). Records produced
 * here or by {@link freezeChecked} are frozen, so they are copied without being re-checked.
 * @throws TypeError / RangeError with the field's label
 */
export function normaliseSession(entry: unknown, label = 'session'): CachedSession {
  if (typeof entry !== 'object' || entry === null) throw new TypeError(`${label} must be an object`);
  if (isChecked(entry)) {
    return new CheckedSession({ ...entry, resumptionSecret: entry.resumptionSecret.slice() });
  }
  const e = entry as Record<string, unknown>;
  const peerFingerprint = parseFingerprint(e.peerFingerprint, `${label}.peerFingerprint`);
  const deviceId = parseDeviceId(e.deviceId, `${label}.deviceId`);
  const sessionId = parseSessionId(e.sessionId, `${label}.sessionId`);
  const establishedMs = checkTimeMs(e.establishedMs, `${label}.establishedMs`);
  const lastActiveMs = checkTimeMs(e.lastActiveMs, `${label}.lastActiveMs`);
  const ticketId = parseSessionId(e.ticketId, `${label}.ticketId`);
  const secret = e.resumptionSecret;
  checkBytes(secret, `${label}.resumptionSecret`, RESUMPTION_SECRET_BYTES);
  return freezeChecked({
    peerFingerprint,
    deviceId,
    sessionId,
    establishedMs,
    lastActiveMs,
    resumptionSecret: secret.slice(),
    ticketId,
  });
}

export { checkOptionKeys } from '../util/options.js';
