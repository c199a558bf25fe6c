/**
 * BENCHMARK BASELINE, not shipped: the first release's resumption protocol (version 1), removed from the package in 0.2
 * (docs/api.md "Removed in 0.2") and kept here unchanged but for import paths, so that bench/resume-cpu.ts
 * measures today's code against what it replaced.
 *
 * Session resumption protocol (docs/resumption.md; docs/security.md "Properties" 4-6):
 * one round trip, a 32-byte token (16-byte ticket id + 16-byte binder) plus a 16-byte
 * initiator nonce, a 16-byte responder nonce and a 16-byte confirmation MAC, fresh traffic
 * keys from both nonces, and a forward ratchet of the resumption secret.
 *
 * ```
 * request  = 0x10 || version(0x01) || ticketId(16) || binder(16) || Ni(16)   50 bytes
 * accept   = 0x11 || Nr(16) || confirm(16)                                    33 bytes
 * reject   = 0x12 || reason(1)                                                 2 bytes
 *
 * ticketId   = HKDF-Expand(rs, "pqble v1 ticket id", 16)
 * binderKey  = HKDF-Expand(rs, "pqble v1 binder key", 32)
 * binder     = HMAC(binderKey, "pqble v1 resume binder" || ticketId)[0..16]
 * th         = SHA-256(request || 0x11 || Nr)
 * prk        = HKDF-Extract(salt = th, ikm = rs)
 * i2r, r2i   = HKDF-Expand(prk, "pqble v1 resume i2r key" / "pqble v1 resume r2i key", 32)
 * confirmKey = HKDF-Expand(prk, "pqble v1 resume confirm key", 32)
 * nextSecret = HKDF-Expand(prk, "pqble v1 next resumption secret", 32)
 * sessionId  = HKDF-Expand(prk, "pqble v1 resume session id", 16)
 * confirm    = HMAC(confirmKey, "pqble v1 resume confirm" || th)[0..16]
 * ```
 *
 * Pure and synchronous: no I/O, no timers, no state. Finding the secret for a ticket id,
 * replacing it by `nextSecret` and wiping the old one is the session cache's job.
 *
 * @module
 */

import { checkBytes, concatBytes, equalBytes, utf8ToBytes, wipe } from '../../src/bytes.js';
import { checkCrypto, type CryptoProvider } from '../../src/crypto/index.js';
import { HandshakeError, ResumptionError } from '../../src/errors.js';
import { RESUMPTION_SECRET_BYTES, SESSION_ID_BYTES } from '../../src/handshake/key-schedule.js';
import { checkOptionKeys } from '../../src/util/options.js';
import { MessageType, PROTOCOL_VERSION } from '../../src/wire.js';
import { RESUME_REJECT_BYTES, ResumeRejectedError, decodeResumeReject, type ResumeRejectReason } from '../../src/resumption/reject.js';

// The reject message is shared with resumption version 2 (./reject.ts).
export {
  RESUME_REJECT_BYTES,
  RESUME_REJECT_REASON_CODES,
  ResumeRejectedError,
  decodeResumeReject,
  encodeResumeReject,
  type ResumeRejectReason,
} from '../../src/resumption/reject.js';

// The resumption secret and session id have the sizes the full handshake gives them.
export { RESUMPTION_SECRET_BYTES, SESSION_ID_BYTES } from '../../src/handshake/key-schedule.js';
/** Bytes of a ticket id. */
export const TICKET_ID_BYTES = 16;
/** Bytes of a binder. */
export const BINDER_BYTES = 16;
/** Bytes of a resume token: ticket id || binder. */
export const RESUME_TOKEN_BYTES = TICKET_ID_BYTES + BINDER_BYTES;
/** Bytes of the initiator nonce and of the responder nonce. */
export const RESUME_NONCE_BYTES = 16;
/** Bytes of the confirmation MAC in an accept. */
export const CONFIRM_BYTES = 16;
/** Bytes of a resume request message: type, version, token, initiator nonce. */
export const RESUME_REQUEST_BYTES = 2 + RESUME_TOKEN_BYTES + RESUME_NONCE_BYTES;
/** Bytes of a resume accept message: type, responder nonce, confirm. */
export const RESUME_ACCEPT_BYTES = 1 + RESUME_NONCE_BYTES + CONFIRM_BYTES;
const KEY_BYTES = 32;

const L_TICKET_ID = utf8ToBytes('pqble v1 ticket id');
const L_BINDER_KEY = utf8ToBytes('pqble v1 binder key');
const L_BINDER = utf8ToBytes('pqble v1 resume binder');
const L_I2R = utf8ToBytes('pqble v1 resume i2r key');
const L_R2I = utf8ToBytes('pqble v1 resume r2i key');
const L_CONFIRM_KEY = utf8ToBytes('pqble v1 resume confirm key');
const L_CONFIRM = utf8ToBytes('pqble v1 resume confirm');
const L_NEXT = utf8ToBytes('pqble v1 next resumption secret');
const L_SESSION_ID = utf8ToBytes('pqble v1 resume session id');

/** A resume token: the 16-byte ticket id (lookup key) and the 16-byte binder (proof of the secret). */
export class ResumeToken {
  /** The ticket id under which the responder finds the resumption secret. */
  readonly ticketId: Uint8Array;
  /** MAC proving possession of the resumption secret. */
  readonly binder: Uint8Array;

  /**
   * @param ticketId - 16 bytes (copied)
   * @param binder - 16 bytes (copied)
   * @throws TypeError / RangeError for wrong types or lengths
   */
  constructor(ticketId: Uint8Array, binder: Uint8Array) {
    checkBytes(ticketId, 'ticketId', TICKET_ID_BYTES);
    checkBytes(binder, 'binder', BINDER_BYTES);
    this.ticketId = ticketId.slice();
    this.binder = binder.slice();
  }

  /**
   * Parses the 32-byte form `ticketId || binder`.
   * @throws TypeError unless a Uint8Array; RangeError unless 32 bytes
   */
  static fromBytes(bytes: Uint8Array): ResumeToken {
    checkBytes(bytes, 'resume token', RESUME_TOKEN_BYTES);
    return new ResumeToken(bytes.subarray(0, TICKET_ID_BYTES), bytes.subarray(TICKET_ID_BYTES));
  }

  /** The 32-byte form `ticketId || binder` (a fresh buffer). */
  toBytes(): Uint8Array {
    return concatBytes(this.ticketId, this.binder);
  }
}

/** The keys one side gets from a successful resumption. */
export interface ResumeKeys {
  /** Traffic key this side sends with (initiator: i2r; responder: r2i). 32 bytes. */
  readonly sendKey: Uint8Array;
  /** Traffic key this side receives with (initiator: r2i; responder: i2r). 32 bytes. */
  readonly receiveKey: Uint8Array;
  /** The resumption secret replacing the one just used (forward ratchet). 32 bytes. */
  readonly nextSecret: Uint8Array;
  /** Public id of the resumed session, equal on both sides. 16 bytes. */
  readonly sessionId: Uint8Array;
}

/** Options of {@link encodeResumeRequest}. */
export interface ResumeRequestOptions {
  /** Crypto backend (its CSPRNG draws the initiator nonce). Default: `nobleCrypto`. */
  readonly crypto?: CryptoProvider;
  /** Fixed 16-byte initiator nonce, for known-answer tests only. Default: 16 fresh random bytes. */
  readonly initiatorNonce?: Uint8Array;
}

/** Options of {@link acceptResume}. */
export interface AcceptResumeOptions {
  /** Crypto backend (its CSPRNG draws the responder nonce). Default: `nobleCrypto`. */
  readonly crypto?: CryptoProvider;
  /** Fixed 16-byte responder nonce, for known-answer tests only. Default: 16 fresh random bytes. */
  readonly responderNonce?: Uint8Array;
}

/** Options of {@link completeResume}. */
export interface CompleteResumeOptions {
  /** Crypto backend. Default: `nobleCrypto`. */
  readonly crypto?: CryptoProvider;
}

/** A decoded reply to a resume request. */
export type ResumeReply =
  { readonly kind: 'accept'; readonly nonce: Uint8Array; readonly confirm: Uint8Array } | { readonly kind: 'reject'; readonly reason: ResumeRejectReason };

interface ParsedRequest {
  readonly ticketId: Uint8Array;
  readonly binder: Uint8Array;
  readonly initiatorNonce: Uint8Array;
}

function checkSecret(secret: unknown): asserts secret is Uint8Array {
  checkBytes(secret, 'resumptionSecret', RESUMPTION_SECRET_BYTES);
}

function malformed(message: string): ResumptionError {
  return new ResumptionError('PQBLE_ERR_RESUME_MALFORMED', message);
}

/** Splits a request message; subarrays of `message`, never modified. */
function parseRequest(message: Uint8Array): ParsedRequest {
  if (message.length < 2 || message[0] !== MessageType.ResumeRequest) throw malformed('not a resume request');
  if (message[1] !== PROTOCOL_VERSION) {
    throw new HandshakeError('PQBLE_ERR_PROTOCOL_VERSION', `unsupported resumption protocol version ${message[1]}`);
  }
  if (message.length !== RESUME_REQUEST_BYTES) throw malformed(`a resume request is ${RESUME_REQUEST_BYTES} bytes, got ${message.length}`);
  let at = 2;
  const ticketId = message.subarray(at, (at += TICKET_ID_BYTES));
  const binder = message.subarray(at, (at += BINDER_BYTES));
  const initiatorNonce = message.subarray(at, (at += RESUME_NONCE_BYTES));
  return { ticketId, binder, initiatorNonce };
}

/** ticketId || binder for `secret` (a fresh 32-byte buffer). */
function tokenBytes(secret: Uint8Array, crypto: CryptoProvider): Uint8Array {
  const ticketId = crypto.hkdfExpand(secret, L_TICKET_ID, TICKET_ID_BYTES);
  let binderKey: Uint8Array | undefined;
  let mac: Uint8Array | undefined;
  try {
    binderKey = crypto.hkdfExpand(secret, L_BINDER_KEY, KEY_BYTES);
    mac = crypto.hmac(binderKey, concatBytes(L_BINDER, ticketId));
    return concatBytes(ticketId, mac.subarray(0, BINDER_BYTES));
  } finally {
    wipe(binderKey, mac);
  }
}

/** Whether the request's ticket id and binder are those of `secret` (constant-time compare). */
function tokenMatches(request: ParsedRequest, secret: Uint8Array, crypto: CryptoProvider): boolean {
  const expected = tokenBytes(secret, crypto);
  try {
    return equalBytes(concatBytes(request.ticketId, request.binder), expected);
  } finally {
    wipe(expected);
  }
}

interface Schedule {
  readonly i2r: Uint8Array;
  readonly r2i: Uint8Array;
  readonly nextSecret: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly confirm: Uint8Array;
}

/** The key schedule shared by both sides (module header). */
function schedule(secret: Uint8Array, request: Uint8Array, responderNonce: Uint8Array, crypto: CryptoProvider): Schedule {
  const th = crypto.sha256(concatBytes(request, Uint8Array.of(MessageType.ResumeAccept), responderNonce));
  let prk: Uint8Array | undefined;
  let confirmKey: Uint8Array | undefined;
  let mac: Uint8Array | undefined;
  try {
    prk = crypto.hkdfExtract(th, secret);
    confirmKey = crypto.hkdfExpand(prk, L_CONFIRM_KEY, KEY_BYTES);
    mac = crypto.hmac(confirmKey, concatBytes(L_CONFIRM, th));
    return {
      i2r: crypto.hkdfExpand(prk, L_I2R, KEY_BYTES),
      r2i: crypto.hkdfExpand(prk, L_R2I, KEY_BYTES),
      nextSecret: crypto.hkdfExpand(prk, L_NEXT, RESUMPTION_SECRET_BYTES),
      sessionId: crypto.hkdfExpand(prk, L_SESSION_ID, SESSION_ID_BYTES),
      confirm: mac.slice(0, CONFIRM_BYTES),
    };
  } finally {
    wipe(prk, confirmKey, mac);
  }
}

/**
 * The ticket id of a resumption secret: HKDF-Expand(rs, "pqble v1 ticket id", 16). The
 * responder indexes its cache by it; it changes with every ratchet step.
 * @param resumptionSecret - 32 bytes (not modified)
 * @param crypto - crypto backend; default `nobleCrypto`
 * @throws TypeError / RangeError for a bad secret
 */
export function deriveTicketId(resumptionSecret: Uint8Array, crypto?: CryptoProvider): Uint8Array {
  checkSecret(resumptionSecret);
  return checkCrypto(crypto).hkdfExpand(resumptionSecret, L_TICKET_ID, TICKET_ID_BYTES);
}

/**
 * The initiator's token for a resumption secret (deterministic: ticket id and binder).
 * @param resumptionSecret - 32 bytes (not modified)
 * @param crypto - crypto backend; default `nobleCrypto`
 * @throws TypeError / RangeError for a bad secret
 */
export function createResumeToken(resumptionSecret: Uint8Array, crypto?: CryptoProvider): ResumeToken {
  checkSecret(resumptionSecret);
  const bytes = tokenBytes(resumptionSecret, checkCrypto(crypto));
  return ResumeToken.fromBytes(bytes);
}

/**
 * Builds the resume request: `0x10 || 0x01 || ticketId || binder || Ni` (50 bytes), with a
 * fresh 16-byte initiator nonce `Ni` on every call. Keep the returned bytes: they are the
 * `request` argument of {@link completeResume}.
 * @throws TypeError / RangeError for bad arguments
 */
export function encodeResumeRequest(token: ResumeToken, options?: ResumeRequestOptions): Uint8Array {
  if (!(token instanceof ResumeToken)) throw new TypeError('token must be a ResumeToken');
  checkOptionKeys(options, ['crypto', 'initiatorNonce'], 'ResumeRequestOptions');
  const crypto = checkCrypto(options?.crypto);
  let nonce: Uint8Array;
  if (options?.initiatorNonce === undefined) nonce = crypto.randomBytes(RESUME_NONCE_BYTES);
  else {
    checkBytes(options.initiatorNonce, 'initiatorNonce', RESUME_NONCE_BYTES);
    nonce = options.initiatorNonce;
  }
  checkBytes(nonce, 'random initiator nonce', RESUME_NONCE_BYTES);
  return concatBytes(Uint8Array.of(MessageType.ResumeRequest, PROTOCOL_VERSION), token.ticketId, token.binder, nonce);
}

/**
 * Decodes a resume request from untrusted bytes (the responder then looks up `ticketId`).
 * @returns the token it carries
 * @throws ResumptionError `PQBLE_ERR_RESUME_MALFORMED` for anything but a well-formed request,
 *   `PQBLE_ERR_PROTOCOL_VERSION` for a request of another protocol version (answer `'unsupported'`);
 *   TypeError if `message` is not a Uint8Array
 */
export function decodeResumeRequest(message: Uint8Array): ResumeToken {
  checkBytes(message, 'message');
  const parsed = parseRequest(message);
  return new ResumeToken(parsed.ticketId, parsed.binder);
}

/**
 * Responder: verifies the request's binder against `resumptionSecret` (in constant time),
 * draws the responder nonce and builds the accept. On success the caller must at once
 * replace the secret by `keys.nextSecret` (under `deriveTicketId(keys.nextSecret)`) and wipe
 * the old one, so the same request is never accepted twice; then send `message`.
 * @param resumptionSecret - the secret cached under the request's ticket id (not modified)
 * @param request - the request message as received (not modified)
 * @returns the 33-byte accept message and this side's keys
 * @throws ResumptionError `PQBLE_ERR_RESUME_AUTH_FAILED` if the token does not belong to the
 *   secret, `PQBLE_ERR_RESUME_MALFORMED` / `PQBLE_ERR_PROTOCOL_VERSION` for a bad request;
 *   TypeError / RangeError for bad arguments
 */
export function acceptResume(resumptionSecret: Uint8Array, request: Uint8Array, options?: AcceptResumeOptions): { message: Uint8Array; keys: ResumeKeys } {
  checkSecret(resumptionSecret);
  checkBytes(request, 'request');
  checkOptionKeys(options, ['crypto', 'responderNonce'], 'AcceptResumeOptions');
  const crypto = checkCrypto(options?.crypto);
  if (options?.responderNonce !== undefined) checkBytes(options.responderNonce, 'responderNonce', RESUME_NONCE_BYTES);
  const parsed = parseRequest(request);
  if (!tokenMatches(parsed, resumptionSecret, crypto))
    throw new ResumptionError('PQBLE_ERR_RESUME_AUTH_FAILED', 'the resume token does not match the resumption secret');
  const nonce = options?.responderNonce === undefined ? crypto.randomBytes(RESUME_NONCE_BYTES) : options.responderNonce.slice();
  checkBytes(nonce, 'random responder nonce', RESUME_NONCE_BYTES);
  const s = schedule(resumptionSecret, request, nonce, crypto);
  const message = concatBytes(Uint8Array.of(MessageType.ResumeAccept), nonce, s.confirm);
  return { message, keys: { sendKey: s.r2i, receiveKey: s.i2r, nextSecret: s.nextSecret, sessionId: s.sessionId } };
}

/**
 * Decodes the reply to a resume request from untrusted bytes.
 * @throws ResumptionError `PQBLE_ERR_RESUME_MALFORMED` for anything but a 33-byte accept or a
 *   2-byte reject with a known reason; TypeError if `message` is not a Uint8Array
 */
export function decodeResumeReply(message: Uint8Array): ResumeReply {
  checkBytes(message, 'message');
  if (message[0] === MessageType.ResumeAccept && message.length === RESUME_ACCEPT_BYTES) {
    return {
      kind: 'accept',
      nonce: message.slice(1, 1 + RESUME_NONCE_BYTES),
      confirm: message.slice(1 + RESUME_NONCE_BYTES),
    };
  }
  if (message[0] === MessageType.ResumeReject && message.length === RESUME_REJECT_BYTES) {
    return { kind: 'reject', reason: decodeResumeReject(message) };
  }
  throw malformed('not a resume accept or reject');
}

/**
 * Initiator: checks the responder's reply to the request it sent and derives the keys. On
 * success the caller replaces its secret by `keys.nextSecret` and wipes the old one.
 * @param resumptionSecret - the secret the request was made from (not modified)
 * @param request - the exact request message sent (from {@link encodeResumeRequest})
 * @param reply - the reply received (accept or reject)
 * @throws ResumeRejectedError (`PQBLE_ERR_RESUME_REJECTED`, with `reason`) for a reject,
 *   ResumptionError `PQBLE_ERR_RESUME_AUTH_FAILED` for a wrong confirmation MAC,
 *   `PQBLE_ERR_RESUME_MALFORMED` for a malformed reply; TypeError / RangeError for bad
 *   arguments (including a request not made from this secret)
 */
export function completeResume(resumptionSecret: Uint8Array, request: Uint8Array, reply: Uint8Array, options?: CompleteResumeOptions): ResumeKeys {
  checkSecret(resumptionSecret);
  checkBytes(request, 'request', RESUME_REQUEST_BYTES);
  checkBytes(reply, 'reply');
  checkOptionKeys(options, ['crypto'], 'CompleteResumeOptions');
  const crypto = checkCrypto(options?.crypto);
  let parsed: ParsedRequest;
  try {
    parsed = parseRequest(request);
  } catch (cause) {
    throw new RangeError('request is not a resume request', { cause });
  }
  if (!tokenMatches(parsed, resumptionSecret, crypto)) throw new RangeError('request was not made from this resumption secret');
  const decoded = decodeResumeReply(reply);
  if (decoded.kind === 'reject') throw new ResumeRejectedError(decoded.reason);
  const s = schedule(resumptionSecret, request, decoded.nonce, crypto);
  if (!equalBytes(s.confirm, decoded.confirm)) {
    wipe(s.i2r, s.r2i, s.nextSecret, s.confirm);
    throw new ResumptionError('PQBLE_ERR_RESUME_AUTH_FAILED', 'the resume confirmation does not verify');
  }
  wipe(s.confirm);
  return { sendKey: s.i2r, receiveKey: s.r2i, nextSecret: s.nextSecret, sessionId: s.sessionId };
}
