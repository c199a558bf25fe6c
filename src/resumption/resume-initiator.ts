/**
 * Resumption version 2 (docs/resumption.md "State machines"), the initiator: a pure,
 * synchronous state machine that builds the request and reads the reply (the accept, with
 * the responder's confirmation, or a reject), and yields the finished message and the keys.
 *
 * @module
 */

import { checkBytes, concatBytes, equalBytes, wipe } from '../bytes.js';
import { checkCrypto, type CryptoProvider } from '../crypto/index.js';
import { ResumptionError } from '../errors.js';
import { RESUMPTION_SECRET_BYTES } from '../handshake/key-schedule.js';
import { checkOptions } from '../util/options.js';
import { MessageType } from '../wire.js';
import { decodeResumeReject, RESUME_REJECT_BYTES, type ResumeRejectReason } from './reject.js';
import { RESUME_MODE_CODES, RESUME_V2_FIELD_BYTES as F, RESUME_VERSION, malformed, splitAccept, type ResumeMode } from './resume-messages.js';
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
import { authFailed, checkMode, checkRandom, draw, sharedSecret, wipeSecrets, type RandomSource, type ResumeKeysV2 } from './resume-common.js';

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
      const body = concatBytes(
        Uint8Array.of(MessageType.ResumeRequest, RESUME_VERSION, RESUME_MODE_CODES[this.#mode]),
        ticketId,
        nonce,
        pub ?? new Uint8Array(0),
      );
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
