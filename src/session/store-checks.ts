/**
 * Logic every {@link SessionStore} implementation shares, under the seam (docs/store.md "The
 * store contract"): the labelled input checks and copies of the values handed in, and the
 * call wrapper that honours {@link StoreCallOptions} (an `AbortSignal` and a timeout) the
 * same way in every store. The memory store, the file store and the Redis store use it, so
 * the compliance suite (test/session/store-compliance.ts) sees one behaviour.
 *
 * @module
 */

import { checkBytes } from '../bytes.js';
import { AbortError, StoreError } from '../errors.js';
import {
  MAX_STORE_VALUE_BYTES,
  STORE_VALUE_NAME_RE,
  type InboundSlot,
  type RatchetUpdate,
  type SessionTouch,
  type StoreCallOptions,
  type StoredSession,
} from './store.js';
import { parseDeviceId, parseFingerprint, parseTicketId, TICKET_ID_BYTES } from '../ids.js';
import { checkOptionKeys, checkOptions, optInteger, optSignal, rejectingChecks } from '../util/options.js';
import { checkTimeMs } from './validate.js';

/** Bytes of a direction secret (`outbound`, `inbound.secret`). */
const DIRECTION_SECRET_BYTES = 32;
/** Bytes of an inbound ticket id. */
export { TICKET_ID_BYTES };
/** Largest accepted `timeoutMs` of a store call (one day). */
export const MAX_STORE_TIMEOUT_MS = 86_400_000;
/**
 * How many consumed ticket ids a store remembers (most recent first) so that a `put` that
 * brings back an entry with an already consumed ticket cannot make that ticket usable again
 * (docs/store.md "Single use").
 */
export const CONSUMED_TICKETS_REMEMBERED = 65_536;

const CALL_OPTION_KEYS = ['signal', 'timeoutMs'] as const;
const SESSION_KEYS = ['peerFingerprint', 'deviceId', 'establishedMs', 'lastActiveMs', 'outbound', 'inbound'] as const;

/** A checked copy of an inbound slot (fresh buffers). */
function copyInbound(slot: unknown, label: string): InboundSlot {
  if (typeof slot !== 'object' || slot === null) throw new TypeError(`${label} must be an object`);
  checkOptionKeys(slot, ['secret', 'ticketId'], label);
  const { secret, ticketId } = slot as Record<string, unknown>;
  checkBytes(secret, `${label}.secret`, DIRECTION_SECRET_BYTES);
  return { secret: copyOf(secret), ticketId: copyOf(parseTicketId(ticketId, `${label}.ticketId`)) };
}

/** A checked copy of a secret that may be absent. */
function copyOptionalSecret(value: unknown, label: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  checkBytes(value, label, DIRECTION_SECRET_BYTES);
  return copyOf(value);
}

/**
 * A checked, normalised copy of a session handed to `put` (fingerprint lowercased, device id
 * in its canonical form, fresh secret buffers).
 * @throws TypeError / RangeError for a malformed session
 */
export function copyStoredSession(session: unknown, label = 'session'): StoredSession {
  if (typeof session !== 'object' || session === null) throw new TypeError(`${label} must be an object`);
  checkOptionKeys(session, SESSION_KEYS, label);
  const s = session as Record<string, unknown>;
  return {
    peerFingerprint: parseFingerprint(s.peerFingerprint, `${label}.peerFingerprint`),
    deviceId: parseDeviceId(s.deviceId, `${label}.deviceId`),
    establishedMs: checkTimeMs(s.establishedMs, `${label}.establishedMs`),
    lastActiveMs: checkTimeMs(s.lastActiveMs, `${label}.lastActiveMs`),
    outbound: copyOptionalSecret(s.outbound, `${label}.outbound`),
    inbound: s.inbound === undefined ? undefined : copyInbound(s.inbound, `${label}.inbound`),
  };
}

/** A fresh copy of a stored session (for handing out). */
export function cloneStoredSession(s: StoredSession): StoredSession {
  return {
    peerFingerprint: s.peerFingerprint,
    deviceId: s.deviceId,
    establishedMs: s.establishedMs,
    lastActiveMs: s.lastActiveMs,
    outbound: copyOf(s.outbound),
    inbound: s.inbound === undefined ? undefined : { secret: copyOf(s.inbound.secret), ticketId: copyOf(s.inbound.ticketId) },
  };
}

/** Overwrites the secrets of a session copy the store owns. */
export function wipeStoredSession(s: StoredSession | undefined): void {
  if (s === undefined) return;
  s.outbound?.fill(0);
  s.inbound?.secret.fill(0);
}

/** A checked ratchet update (device id normalised). */
function checkRatchetUpdate(update: unknown, label = 'update'): RatchetUpdate {
  if (typeof update !== 'object' || update === null) throw new TypeError(`${label} must be an object`);
  checkOptionKeys(update, ['deviceId', 'lastActiveMs'], label);
  const u = update as Record<string, unknown>;
  return { deviceId: parseDeviceId(u.deviceId, `${label}.deviceId`), lastActiveMs: checkTimeMs(u.lastActiveMs, `${label}.lastActiveMs`) };
}

/** The checked arguments of `consumeInbound`: the fingerprint normalised, `next` copied. */
export interface ConsumeInboundArgs {
  readonly fp: string;
  readonly next: InboundSlot | undefined;
  readonly update: RatchetUpdate;
}

/**
 * Checks the arguments of `SessionStore.consumeInbound` (every store runs the same checks).
 * @throws TypeError / RangeError for a malformed argument
 */
export function checkConsumeInboundArgs(peerFingerprint: unknown, ticketId: unknown, next: unknown, update: unknown): ConsumeInboundArgs {
  const fp = parseFingerprint(peerFingerprint, 'peerFingerprint');
  parseTicketId(ticketId, 'ticketId');
  const nextCopy = next === undefined ? undefined : copyInbound(next, 'next');
  return { fp, next: nextCopy, update: checkRatchetUpdate(update) };
}

/** The checked arguments of `replaceOutbound`: the fingerprint normalised, `next` copied. */
export interface ReplaceOutboundArgs {
  readonly fp: string;
  readonly next: Uint8Array | undefined;
  readonly update: RatchetUpdate;
}

/**
 * Checks the arguments of `SessionStore.replaceOutbound` (every store runs the same checks).
 * @throws TypeError / RangeError for a malformed argument
 */
export function checkReplaceOutboundArgs(peerFingerprint: unknown, expected: unknown, next: unknown, update: unknown): ReplaceOutboundArgs {
  const fp = parseFingerprint(peerFingerprint, 'peerFingerprint');
  checkBytes(expected, 'expected', DIRECTION_SECRET_BYTES);
  return { fp, next: copyOptionalSecret(next, 'next'), update: checkRatchetUpdate(update) };
}

/** Checked copies of a batch of touches. */
export function checkTouches(updates: unknown): SessionTouch[] {
  if (!Array.isArray(updates)) throw new TypeError('updates must be an array');
  return updates.map((u: unknown, i) => {
    const label = `updates[${i}]`;
    if (typeof u !== 'object' || u === null) throw new TypeError(`${label} must be an object`);
    checkOptionKeys(u, ['peerFingerprint', 'lastActiveMs'], label);
    const t = u as Record<string, unknown>;
    return {
      peerFingerprint: parseFingerprint(t.peerFingerprint, `${label}.peerFingerprint`),
      lastActiveMs: checkTimeMs(t.lastActiveMs, `${label}.lastActiveMs`),
    };
  });
}

/** Checks a value name (1..128 printable ASCII characters). */
export function checkValueName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError('name must be a string');
  if (!STORE_VALUE_NAME_RE.test(name)) throw new RangeError('name must be 1..128 printable ASCII characters without spaces');
  return name;
}

/** A checked copy of a value (at most {@link MAX_STORE_VALUE_BYTES}), or `undefined`. */
export function copyValue(value: unknown): Uint8Array | undefined {
  if (value === undefined) return undefined;
  checkBytes(value, 'value');
  if (value.length > MAX_STORE_VALUE_BYTES) throw new RangeError(`value must be at most ${MAX_STORE_VALUE_BYTES} bytes, got ${value.length}`);
  return copyOf(value);
}

/** Checked {@link StoreCallOptions}. */
export interface CheckedCallOptions {
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number;
}

/**
 * Checks call options; `defaultTimeoutMs` applies when `timeoutMs` is not given.
 * @throws TypeError / RangeError for malformed options
 */
export function checkCallOptions(options: unknown, defaultTimeoutMs: number): CheckedCallOptions {
  const o = checkOptions(options as StoreCallOptions | undefined, 'store call options', CALL_OPTION_KEYS);
  return { signal: optSignal(o.signal, 'options.signal'), timeoutMs: optInteger(o.timeoutMs, 'options.timeoutMs', 0, MAX_STORE_TIMEOUT_MS, defaultTimeoutMs) };
}

/** The error of a call that ran out of time. */
function storeTimeout(what: string, timeoutMs: number): StoreError {
  return new StoreError('PQBLE_ERR_STORE_TIMEOUT', `the session store did not answer ${what} within ${timeoutMs} ms`);
}

/**
 * Runs one store call under its options: rejects with `PQBLE_ERR_ABORTED` if the signal is
 * (or becomes) aborted, with `PQBLE_ERR_STORE_TIMEOUT` once `timeoutMs` has passed (a
 * timeout of 0 has passed before the call starts, so the call has no effect), and otherwise
 * settles as `work()` does. `work` starts only when neither has happened; a call rejected by
 * a signal or a timeout after `work` started may still take effect (docs/store.md "Failure").
 * Never leaves a timer or a listener behind.
 */
export function runStoreCall<T>(what: string, options: CheckedCallOptions, work: () => Promise<T>): Promise<T> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted === true) return Promise.reject(new AbortError(`${what} was aborted`, { cause: signal.reason }));
  if (timeoutMs === 0) return Promise.reject(storeTimeout(what, 0));
  let started: Promise<T>;
  try {
    started = work();
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): void => {
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      if (done) return;
      finish();
      reject(new AbortError(`${what} was aborted`, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      if (done) return;
      finish();
      reject(storeTimeout(what, timeoutMs));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    started.then(
      (v) => {
        if (done) return;
        finish();
        resolve(v);
      },
      (err: unknown) => {
        if (done) return;
        finish();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** The error of a call on a closed store. */
export function storeClosed(what: string): StoreError {
  return new StoreError('PQBLE_ERR_STORE_CLOSED', `${what}: the session store is closed`);
}

/**
 * Runs a store method: `check` validates and copies its arguments, `call` does the work; a
 * `TypeError` / `RangeError` from `check` becomes a rejection (a store method never throws).
 */
export const checkedStoreCall = rejectingChecks;

/** `err` as an Error (for rejections). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** A fresh copy in a plain `Uint8Array` (`Buffer#slice` would share memory). */
export function copyOf(b: Uint8Array): Uint8Array;
export function copyOf(b: Uint8Array | undefined): Uint8Array | undefined;
export function copyOf(b: Uint8Array | undefined): Uint8Array | undefined {
  return b === undefined ? undefined : new Uint8Array(b);
}
