/**
 * The version-1 session cache's field checks and frozen records, kept for the benchmark's
 * version-1 baseline only (bench/baseline/*: not shipped). The shipped code parses ids with
 * `src/ids.ts` and times with `src/session/validate.ts`.
 *
 * @module
 */

import { checkBytes } from '../../src/bytes.js';
import { parseDeviceId, parseFingerprint, parseSessionId, type DeviceId, type Fingerprint } from '../../src/ids.js';
import type { CachedSession } from '../../src/session/types.js';
import { checkTimeMs, RESUMPTION_SECRET_BYTES } from '../../src/session/validate.js';

export { MAX_TIME_MS, RESUMPTION_SECRET_BYTES, checkTimeMs } from '../../src/session/validate.js';
export { checkOptionKeys } from '../../src/util/options.js';
/** True if `value` is 64 lowercase hex digits (a 32-byte identity fingerprint). */
export { isFingerprint } from '../../src/ids.js';
/** True if `value` is 32 lowercase hex digits (a 16-byte session or ticket id). */
export { isSessionId as isId16 } from '../../src/ids.js';

// The version-1 code's names for the one parser of each id in `src/ids.ts`.

/**
 * The fingerprint parser with the store's label.
 * @throws TypeError if not a string (or bytes); RangeError if not 64 hex digits (32 bytes)
 */
export function checkFingerprint(value: unknown, label = 'peerFingerprint'): Fingerprint {
  return parseFingerprint(value, label);
}

/**
 * The session-id parser under the name the session cache
 * uses for its 16-byte ids (session id and ticket id, both 32 hex digits).
 * @throws TypeError if not a string (or bytes); RangeError if not 32 hex digits (16 bytes)
 */
export function checkId16(value: unknown, label: string): string {
  return parseSessionId(value, label);
}

/**
 * The device-id parser with the store's label.
 * @throws TypeError if not a string; RangeError if not 6 bytes of hex
 */
export function checkDeviceId(value: unknown, label = 'deviceId'): DeviceId {
  return parseDeviceId(value, label);
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
