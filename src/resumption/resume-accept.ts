/**
 * Resumption version 2 (docs/resumption.md "State machines"), the responder: the pure,
 * synchronous accept of a request, with the keys and the check of the initiator's finished
 * message (resume-finished.ts).
 *
 * @module
 */

import { checkBytes, concatBytes, equalBytes, wipe } from '../bytes.js';
import { checkCrypto, type CryptoProvider } from '../crypto/index.js';
import { RESUMPTION_SECRET_BYTES } from '../handshake/key-schedule.js';
import { checkOptions } from '../util/options.js';
import { MessageType } from '../wire.js';
import { RESUME_V2_FIELD_BYTES as F, splitRequest, type ResumeMode } from './resume-messages.js';
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
import { authFailed, checkRandom, draw, sharedSecret, wipeSecrets, type RandomSource, type ResumeKeysV2 } from './resume-common.js';
import { FinishedCheck, type ResumeFinishedCheck } from './resume-finished.js';

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
