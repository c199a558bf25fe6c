/**
 * Resumption version 2 (docs/resumption.md): the initiator's state machine and the
 * responder's accept, pure and synchronous (no I/O, no timers). One round trip for the
 * initiator; direction-separated secrets bound to both identities; a binder from the
 * initiator, a confirmation from the responder and a finished MAC from the initiator
 * (key confirmation, so a replayed request never yields a connection on the responder); an
 * optional fresh X25519 exchange from both sides (mode `psk-dhe`, as TLS 1.3 `psk_dhe_ke`).
 *
 * ```
 * initiator                                                    responder
 *   request = 0x10|0x02|mode|ticketId|Ni|[ei]|binder  ──────▶   look up rs by ticketId,
 *                                                               acceptResumeV2: binder ok,
 *                                                               store nextSecret durably
 *           ◀──────  accept = 0x11|Nr|[er]|confirm
 *   readReply: confirm ok, store nextSecret,
 *   finished = 0x13|mac8                               ──────▶  ResumeFinishedCheck.verify
 *   (records may follow at once)                                 -> the connection is up
 * ```
 *
 * Finding, storing and ratcheting the secrets is the session keeper's job; moving the
 * messages is the transport's.
 *
 * @module
 */

import { checkBytes, concatBytes, equalBytes, wipe } from '../bytes.js';
import { checkCrypto, type CryptoProvider } from '../crypto/index.js';
import { ResumptionError } from '../errors.js';
import { RESUMPTION_SECRET_BYTES } from '../handshake/key-schedule.js';
import { checkOptions, optFunction } from '../util/options.js';
import { MessageType } from '../wire.js';
import { decodeResumeReject, RESUME_REJECT_BYTES, type ResumeRejectReason } from './reject.js';
import {
  RESUME_MODE_CODES,
  RESUME_V2_FIELD_BYTES as F,
  RESUME_VERSION,
  decodeResumeFinished,
  malformed,
  splitAccept,
  splitRequest,
  type ResumeMode,
} from './resume-messages.js';
import {
  binderFor,
  deriveResumeSecrets,
  finishedTranscriptHash,
  resumeContext,
  resumeTranscriptHash,
  ticketIdFor,
  truncatedMac,
  type ResumeSecrets,
} from './resume-schedule.js';

/** The keys one side gets from a successful version 2 resumption, from its own point of view. */
export interface ResumeKeysV2 {
  /** Traffic key this side sends with (initiator: i2r; responder: r2i). 32 bytes. */
  readonly sendKey: Uint8Array;
  /** Traffic key this side receives with (initiator: r2i; responder: i2r). 32 bytes. */
  readonly receiveKey: Uint8Array;
  /** The direction secret replacing the one just used (same direction, forward ratchet). 32 bytes. */
  readonly nextSecret: Uint8Array;
  /** Public id of the resumed session, equal on both sides. 16 bytes. */
  readonly sessionId: Uint8Array;
}

/** A source of random bytes: `random(n)` returns `n` fresh bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** Options of {@link ResumeInitiator}. */
export interface ResumeInitiatorOptions {
  /** The outbound direction secret rs(self -> peer), 32 bytes (copied; the caller's buffer is never modified). */
  readonly secret: Uint8Array;
  /** This side's 32-byte identity fingerprint. */
  readonly initiatorFingerprint: Uint8Array;
  /** The peer's 32-byte identity fingerprint (must differ from this side's). */
  readonly responderFingerprint: Uint8Array;
  /** `'psk'` or `'psk-dhe'`. */
  readonly mode: ResumeMode;
  /** Crypto backend. Default: `nobleCrypto`. */
  readonly crypto?: CryptoProvider;
  /**
   * Random bytes for `Ni` (drawn first, 16 bytes) and, in mode `psk-dhe`, the ephemeral
   * X25519 secret key (drawn second, 32 bytes). Default: `crypto.randomBytes`. Known-answer
   * tests only.
   */
  readonly random?: RandomSource;
}

/** Where a {@link ResumeInitiator} is. */
export type ResumeInitiatorState = 'new' | 'awaiting-reply' | 'accepted' | 'rejected' | 'failed';

/** What {@link ResumeInitiator.readReply} returns. */
export type ResumeReplyV2 =
  | {
      readonly kind: 'accept';
      /** The 9-byte finished message to send to the responder right away (before any record). */
      readonly finished: Uint8Array;
      readonly keys: ResumeKeysV2;
    }
  | { readonly kind: 'reject'; readonly reason: ResumeRejectReason };

/** Options of {@link acceptResumeV2}. */
export interface AcceptResumeV2Options {
  /** The inbound direction secret rs(peer -> self) found under the request's ticket id, 32 bytes (not modified). */
  readonly secret: Uint8Array;
  /** The peer's (initiator's) 32-byte fingerprint, from the cached entry. */
  readonly initiatorFingerprint: Uint8Array;
  /** This side's (responder's) 32-byte fingerprint. */
  readonly responderFingerprint: Uint8Array;
  /** The request message as received (not modified). */
  readonly request: Uint8Array;
  /** Crypto backend. Default: `nobleCrypto`. */
  readonly crypto?: CryptoProvider;
  /**
   * Random bytes for `Nr` (drawn first, 16 bytes) and, in mode `psk-dhe`, the ephemeral
   * X25519 secret key (drawn second, 32 bytes). Default: `crypto.randomBytes`. Known-answer
   * tests only.
   */
  readonly random?: RandomSource;
}

/** Where a {@link ResumeFinishedCheck} is. */
export type ResumeFinishedState = 'awaiting-finished' | 'verified' | 'failed';

/**
 * The responder's check of the initiator's finished message. One try: the first call to
 * {@link ResumeFinishedCheck.verify} decides, every later call throws
 * `PQBLE_ERR_RESUME_UNEXPECTED`.
 */
export interface ResumeFinishedCheck {
  /** Where the check is. */
  readonly state: ResumeFinishedState;
  /**
   * Checks the finished message (constant-time). Returns only if it is the initiator's
   * MAC over this exchange: the responder may then hand the connection to the application.
   * @throws ResumptionError `PQBLE_ERR_RESUME_MALFORMED` (not `0x13` + 8 bytes),
   *   `PQBLE_ERR_RESUME_AUTH_FAILED` (wrong MAC), `PQBLE_ERR_RESUME_UNEXPECTED` (not the
   *   first call, or destroyed); TypeError if `message` is not a Uint8Array
   */
  verify(message: Uint8Array): void;
  /** Abandons the check (for example on a timeout or a HandshakeInit instead): wipes the expected MAC. */
  destroy(): void;
}

/** What {@link acceptResumeV2} returns. */
export interface AcceptedResumeV2 {
  /** The accept message to send (after `keys.nextSecret` is durable and the old secret unusable). */
  readonly message: Uint8Array;
  /** The request's mode. */
  readonly mode: ResumeMode;
  /** This side's keys. Use the traffic keys only after `finished.verify()` returned. */
  readonly keys: ResumeKeysV2;
  /** The check of the initiator's finished message. */
  readonly finished: ResumeFinishedCheck;
}

function authFailed(message: string): ResumptionError {
  return new ResumptionError('PQBLE_ERR_RESUME_AUTH_FAILED', message);
}

function checkMode(mode: unknown): ResumeMode {
  if (mode !== 'psk' && mode !== 'psk-dhe') throw new TypeError(`mode must be 'psk' or 'psk-dhe', got ${String(mode)}`);
  return mode;
}

function checkRandom(random: unknown, crypto: CryptoProvider): RandomSource {
  return optFunction<RandomSource>(random, 'random') ?? ((n) => crypto.randomBytes(n));
}

function draw(random: RandomSource, length: number, label: string): Uint8Array {
  const bytes = random(length);
  checkBytes(bytes, label, length);
  return bytes;
}

/** X25519 with every failure (a throwing provider, an all-zero shared secret) as AUTH_FAILED. */
function sharedSecret(crypto: CryptoProvider, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = crypto.x25519(secretKey, publicKey);
  } catch (cause) {
    throw new ResumptionError('PQBLE_ERR_RESUME_AUTH_FAILED', 'invalid X25519 public key in the resumption', { cause });
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0 || shared.length !== F.ephemeral) {
    wipe(shared);
    throw authFailed('the X25519 shared secret of the resumption is all zero');
  }
  return shared;
}

function wipeSecrets(s: ResumeSecrets | undefined): void {
  if (s !== undefined) wipe(s.i2r, s.r2i, s.rConfirmKey, s.iConfirmKey, s.nextSecret, s.sessionId);
}

/**
 * The initiator of a version 2 resumption: `request()` once, then `readReply()` once.
 *
 * ```
 * new --request()--> awaiting-reply --readReply(accept)--> accepted
 *                                   --readReply(reject)--> rejected
 *   any throw, a call in the wrong state, destroy() --> failed (secrets wiped)
 * ```
 *
 * Every method throws only `ResumptionError` (`PQBLE_ERR_RESUME_MALFORMED`, `_AUTH_FAILED`,
 * `_UNEXPECTED`), except TypeError / RangeError for bad arguments.
 */
export class ResumeInitiator {
  readonly #crypto: CryptoProvider;
  readonly #random: RandomSource;
  readonly #mode: ResumeMode;
  #secret: Uint8Array | undefined;
  #ctx: Uint8Array | undefined;
  #ephemeralSecret: Uint8Array | undefined;
  #request: Uint8Array | undefined;
  #state: ResumeInitiatorState = 'new';

  /**
   * @param options - see {@link ResumeInitiatorOptions}
   * @throws TypeError / RangeError for a missing or malformed option, equal fingerprints, or an unknown option key
   */
  constructor(options: ResumeInitiatorOptions) {
    if (options === undefined) throw new TypeError('ResumeInitiator options must be an object');
    checkOptions(options, 'ResumeInitiator options', ['secret', 'initiatorFingerprint', 'responderFingerprint', 'mode', 'crypto', 'random']);
    checkBytes(options.secret, 'options.secret', RESUMPTION_SECRET_BYTES);
    this.#mode = checkMode(options.mode);
    this.#crypto = checkCrypto(options.crypto, 'options.crypto');
    this.#random = checkRandom(options.random, this.#crypto);
    this.#ctx = resumeContext(options.initiatorFingerprint, options.responderFingerprint);
    this.#secret = options.secret.slice();
  }

  /** The mode this initiator requests. */
  get mode(): ResumeMode {
    return this.#mode;
  }

  /** Where the state machine is. */
  get state(): ResumeInitiatorState {
    return this.#state;
  }

  /**
   * Builds the request (51 bytes in mode `psk`, 83 in `psk-dhe`) with a fresh `Ni` (and a
   * fresh X25519 key pair). Send it as it is.
   * @returns a fresh buffer
   */
  request(): Uint8Array {
    this.#enter('new', 'request');
    let ephemeralSeed: Uint8Array | undefined;
    let pub: Uint8Array | undefined;
    let ticketId: Uint8Array | undefined;
    let binder: Uint8Array | undefined;
    try {
      const crypto = this.#crypto;
      const secret = this.#secret!;
      const ctx = this.#ctx!;
      const nonce = draw(this.#random, F.nonce, 'random initiator nonce');
      if (this.#mode === 'psk-dhe') {
        ephemeralSeed = draw(this.#random, F.ephemeral, 'random X25519 secret key');
        const pair = crypto.x25519Keygen(ephemeralSeed);
        this.#ephemeralSecret = pair.secretKey.slice();
        if (pair.secretKey !== ephemeralSeed) wipe(pair.secretKey);
        pub = pair.publicKey;
      }
      ticketId = ticketIdFor(secret, ctx, crypto);
      const body = concatBytes(Uint8Array.of(MessageType.ResumeRequest, RESUME_VERSION, RESUME_MODE_CODES[this.#mode]), ticketId, nonce, pub ?? new Uint8Array(0));
      binder = binderFor(secret, ctx, body, F.binder, crypto);
      const request = concatBytes(body, binder);
      this.#request = request;
      this.#state = 'awaiting-reply';
      return request.slice();
    } catch (err) {
      this.#die();
      throw err;
    } finally {
      wipe(ephemeralSeed, ticketId, binder);
    }
  }

  /**
   * Reads the responder's reply. An accept is verified (constant-time) and yields this
   * side's keys and the finished message to send; a reject yields its reason (it is
   * unauthenticated: fall back to the full handshake, keep the cached secret).
   * On an accept, make `keys.nextSecret` durable in place of the secret used before sending
   * `finished` or using the keys.
   * @throws ResumptionError `PQBLE_ERR_RESUME_AUTH_FAILED` (the confirm does not verify, or
   *   an invalid X25519 key), `PQBLE_ERR_RESUME_MALFORMED` (neither a well-formed accept for
   *   this mode nor a reject), `PQBLE_ERR_RESUME_UNEXPECTED` (not awaiting a reply);
   *   TypeError if `reply` is not a Uint8Array
   */
  readReply(reply: Uint8Array): ResumeReplyV2 {
    this.#enter('awaiting-reply', 'readReply');
    let shared: Uint8Array | undefined;
    let secrets: ResumeSecrets | undefined;
    let expected: Uint8Array | undefined;
    let done = false;
    try {
      checkBytes(reply, 'reply');
      if (reply[0] === MessageType.ResumeReject && reply.length === RESUME_REJECT_BYTES) {
        const reason = decodeResumeReject(reply);
        this.#wipeAll();
        this.#state = 'rejected';
        done = true;
        return { kind: 'reject', reason };
      }
      if (reply[0] !== MessageType.ResumeAccept) throw malformed('not a resume accept or reject');
      const crypto = this.#crypto;
      const accept = splitAccept(reply, this.#mode);
      if (accept.responderEphemeral !== undefined) shared = sharedSecret(crypto, this.#ephemeralSecret!, accept.responderEphemeral);
      const ctx = this.#ctx!;
      const th1 = resumeTranscriptHash(ctx, this.#request!, accept.prefix, crypto);
      secrets = deriveResumeSecrets(this.#secret!, shared, th1, crypto);
      expected = truncatedMac(secrets.rConfirmKey, th1, F.confirm, crypto);
      if (!equalBytes(expected, accept.confirm)) throw authFailed('the resume confirmation does not verify');
      const mac = truncatedMac(secrets.iConfirmKey, finishedTranscriptHash(th1, accept.confirm, crypto), F.finishedMac, crypto);
      const finished = concatBytes(Uint8Array.of(MessageType.ResumeFinished), mac);
      wipe(mac, secrets.rConfirmKey, secrets.iConfirmKey);
      const keys: ResumeKeysV2 = { sendKey: secrets.i2r, receiveKey: secrets.r2i, nextSecret: secrets.nextSecret, sessionId: secrets.sessionId };
      this.#wipeAll();
      this.#state = 'accepted';
      done = true;
      return { kind: 'accept', finished, keys };
    } finally {
      wipe(shared, expected);
      if (!done) {
        wipeSecrets(secrets);
        this.#die();
      }
    }
  }

  /** Abandons the resumption: wipes this state machine's copy of the secret and its ephemeral key; later calls fail. Idempotent. */
  destroy(): void {
    if (this.#state === 'new' || this.#state === 'awaiting-reply') this.#die();
  }

  #enter(expected: ResumeInitiatorState, method: string): void {
    if (this.#state === expected) return;
    const was = this.#state;
    this.#die();
    throw new ResumptionError('PQBLE_ERR_RESUME_UNEXPECTED', `${method}() called in state "${was}"`);
  }

  #wipeAll(): void {
    wipe(this.#secret, this.#ephemeralSecret);
    this.#secret = undefined;
    this.#ephemeralSecret = undefined;
    this.#ctx = undefined;
    this.#request = undefined;
  }

  #die(): void {
    this.#wipeAll();
    this.#state = 'failed';
  }
}

class FinishedCheck implements ResumeFinishedCheck {
  #expected: Uint8Array | undefined;
  #state: ResumeFinishedState = 'awaiting-finished';

  constructor(expected: Uint8Array) {
    this.#expected = expected;
  }

  get state(): ResumeFinishedState {
    return this.#state;
  }

  verify(message: Uint8Array): void {
    checkBytes(message, 'message');
    const expected = this.#expected;
    this.#expected = undefined;
    if (expected === undefined || this.#state !== 'awaiting-finished') {
      this.#state = 'failed';
      throw new ResumptionError('PQBLE_ERR_RESUME_UNEXPECTED', 'the finished message was already checked, or the check was destroyed');
    }
    let mac: Uint8Array | undefined;
    try {
      mac = decodeResumeFinished(message);
      if (!equalBytes(mac, expected)) throw authFailed('the resume finished MAC does not verify');
      this.#state = 'verified';
    } finally {
      wipe(expected, mac);
      if (this.#state !== 'verified') this.#state = 'failed';
    }
  }

  destroy(): void {
    wipe(this.#expected);
    this.#expected = undefined;
    if (this.#state === 'awaiting-finished') this.#state = 'failed';
  }
}

/**
 * Responder: verifies a version 2 request against the inbound direction secret (ticket id
 * and binder, constant-time), draws `Nr` (and an X25519 key pair in mode `psk-dhe`), and
 * builds the accept. Before sending `message`, the caller makes `keys.nextSecret` durable in
 * place of `secret` (under `deriveResumeTicketId(keys.nextSecret, fpI, fpR)`) so the request
 * can never be accepted again; it hands the connection to the application only after
 * `finished.verify()` returns.
 * @returns the accept, the mode, this side's keys and the finished check
 * @throws ResumptionError `PQBLE_ERR_RESUME_AUTH_FAILED` (the ticket id or binder is not that
 *   of `secret` and these identities in this direction, or an invalid X25519 key),
 *   `PQBLE_ERR_RESUME_MALFORMED` / `PQBLE_ERR_PROTOCOL_VERSION` for a bad request (as
 *   {@link decodeResumeRequestV2}); TypeError / RangeError for bad options
 */
export function acceptResumeV2(options: AcceptResumeV2Options): AcceptedResumeV2 {
  if (options === undefined) throw new TypeError('acceptResumeV2 options must be an object');
  checkOptions(options, 'acceptResumeV2 options', ['secret', 'initiatorFingerprint', 'responderFingerprint', 'request', 'crypto', 'random']);
  checkBytes(options.secret, 'options.secret', RESUMPTION_SECRET_BYTES);
  checkBytes(options.request, 'options.request');
  const crypto = checkCrypto(options.crypto, 'options.crypto');
  const random = checkRandom(options.random, crypto);
  const ctx = resumeContext(options.initiatorFingerprint, options.responderFingerprint);
  const secret = options.secret;
  const request = options.request.slice();
  const parts = splitRequest(request);

  let ticketId: Uint8Array | undefined;
  let binder: Uint8Array | undefined;
  let ephemeralSeed: Uint8Array | undefined;
  let ephemeralSecret: Uint8Array | undefined;
  let shared: Uint8Array | undefined;
  let secrets: ResumeSecrets | undefined;
  let ok = false;
  try {
    ticketId = ticketIdFor(secret, ctx, crypto);
    binder = binderFor(secret, ctx, parts.body, F.binder, crypto);
    if (!equalBytes(concatBytes(ticketId, binder), concatBytes(parts.ticketId, parts.binder))) {
      throw authFailed('the resume request does not belong to this secret, these identities and this direction');
    }
    const nonce = draw(random, F.nonce, 'random responder nonce');
    let pub: Uint8Array | undefined;
    if (parts.initiatorEphemeral !== undefined) {
      ephemeralSeed = draw(random, F.ephemeral, 'random X25519 secret key');
      const pair = crypto.x25519Keygen(ephemeralSeed);
      ephemeralSecret = pair.secretKey;
      pub = pair.publicKey;
      shared = sharedSecret(crypto, ephemeralSecret, parts.initiatorEphemeral);
    }
    const prefix = concatBytes(Uint8Array.of(MessageType.ResumeAccept), nonce, pub ?? new Uint8Array(0));
    const th1 = resumeTranscriptHash(ctx, request, prefix, crypto);
    secrets = deriveResumeSecrets(secret, shared, th1, crypto);
    const confirm = truncatedMac(secrets.rConfirmKey, th1, F.confirm, crypto);
    const expectedFinished = truncatedMac(secrets.iConfirmKey, finishedTranscriptHash(th1, confirm, crypto), F.finishedMac, crypto);
    const message = concatBytes(prefix, confirm);
    wipe(secrets.rConfirmKey, secrets.iConfirmKey);
    ok = true;
    return {
      message,
      mode: parts.mode,
      keys: { sendKey: secrets.r2i, receiveKey: secrets.i2r, nextSecret: secrets.nextSecret, sessionId: secrets.sessionId },
      finished: new FinishedCheck(expectedFinished),
    };
  } finally {
    wipe(ticketId, binder, ephemeralSeed, ephemeralSecret, shared);
    if (!ok) wipeSecrets(secrets);
  }
}
