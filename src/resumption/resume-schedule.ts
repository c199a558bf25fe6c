/**
 * The key schedule of resumption version 2 (docs/resumption.md "Key schedule"): direction
 * secrets, ticket ids, binder keys, the transcript hash and the keys of a resumed session.
 * HKDF-SHA-256 throughout, with the HkdfLabel encoding of the full handshake
 * (docs/protocol.md "Key schedule") under the prefix `"pqble v2 "`:
 *
 * ```
 * ExpandV2(secret, label, context, L) = HKDF-Expand(secret,
 *     u16(L) || u8(9 + len(label)) || "pqble v2 " || label || u8(len(context)) || context, L)
 *
 * ctx        = fpI || fpR                                             64 bytes
 * rs         = ExpandV2(rms, "resumption secret", ctx, 32)            one per direction
 * ticketId   = ExpandV2(rs, "ticket id", ctx, 16)
 * binderKey  = ExpandV2(rs, "binder key", ctx, 32)
 * th1        = SHA-256("pqble v2 resume" || ctx || request || acceptPrefix)
 * prk        = HKDF-Extract(salt = th1, ikm = rs  [|| X25519 shared secret])
 * i2r, r2i, rConfirmKey, iConfirmKey, nextSecret (32 each), sessionId (16)
 *            = ExpandV2(prk, "resume i2r key" / "resume r2i key" / "resume responder confirm" /
 *                       "resume initiator confirm" / "next resumption secret" / "resume session id", "", L)
 * ```
 *
 * Pure functions of their inputs, exported for known-answer tests; intermediates are wiped.
 *
 * @module
 */

import { checkBytes, concatBytes, utf8ToBytes, wipe } from '../bytes.js';
import { checkCrypto, type CryptoProvider } from '../crypto/index.js';
import { RESUMPTION_SECRET_BYTES } from '../handshake/key-schedule.js';
import { FINGERPRINT_BYTES, SESSION_ID_BYTES, TICKET_ID_BYTES } from '../ids.js';

/** Prefix of every resumption version 2 HKDF label. */
const RESUME_LABEL_PREFIX = 'pqble v2 ';

/** Bytes of a version 2 ticket id. */
export const RESUME_TICKET_ID_BYTES = TICKET_ID_BYTES;

const KEY_BYTES = 32;
const EMPTY = new Uint8Array(0);
const TRANSCRIPT_LABEL = utf8ToBytes('pqble v2 resume');

/** The secrets of one resumed session, from {@link deriveResumeSecrets}. */
export interface ResumeSecrets {
  /** Traffic key initiator -> responder, 32 bytes. */
  readonly i2r: Uint8Array;
  /** Traffic key responder -> initiator, 32 bytes. */
  readonly r2i: Uint8Array;
  /** Key of the responder's confirmation MAC (in the accept), 32 bytes. */
  readonly rConfirmKey: Uint8Array;
  /** Key of the initiator's finished MAC, 32 bytes. */
  readonly iConfirmKey: Uint8Array;
  /** The direction secret replacing the one used (forward ratchet), 32 bytes. */
  readonly nextSecret: Uint8Array;
  /** Public id of the resumed session, 16 bytes. */
  readonly sessionId: Uint8Array;
}

/**
 * The HKDF `info` of {@link expandV2}: `u16(length) || u8(len(label')) || label' ||
 * u8(len(context)) || context` with `label' = "pqble v2 " || label`.
 * @throws RangeError if `length` is not 1..8160 or the label or context is longer than 255 bytes
 */
function resumeLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  if (typeof label !== 'string') throw new TypeError('label must be a string');
  checkBytes(context, 'context');
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new RangeError(`length must be an integer in 1..8160, got ${length}`);
  const full = utf8ToBytes(RESUME_LABEL_PREFIX + label);
  if (full.length > 255) throw new RangeError('label is too long');
  if (context.length > 255) throw new RangeError('context is too long');
  return concatBytes(Uint8Array.of(length >>> 8, length & 0xff, full.length), full, Uint8Array.of(context.length), context);
}

/** `HKDF-Expand(secret, resumeLabel(label, context, length), length)`. */
function expandV2(secret: Uint8Array, label: string, context: Uint8Array, length: number, crypto: CryptoProvider): Uint8Array {
  return crypto.hkdfExpand(secret, resumeLabel(label, context, length), length);
}

/** Checks both fingerprints and returns `ctx = fpI || fpR`. */
export function resumeContext(initiatorFingerprint: Uint8Array, responderFingerprint: Uint8Array): Uint8Array {
  checkBytes(initiatorFingerprint, 'initiatorFingerprint', FINGERPRINT_BYTES);
  checkBytes(responderFingerprint, 'responderFingerprint', FINGERPRINT_BYTES);
  let diff = 0;
  for (let i = 0; i < FINGERPRINT_BYTES; i++) diff |= initiatorFingerprint[i] ^ responderFingerprint[i];
  if (diff === 0)
    throw new RangeError(
      'initiatorFingerprint and responderFingerprint must differ: a resumption between one identity and itself cannot be direction-separated',
    );
  return concatBytes(initiatorFingerprint, responderFingerprint);
}

function checkSecret(secret: unknown, label: string): asserts secret is Uint8Array {
  checkBytes(secret, label, RESUMPTION_SECRET_BYTES);
}

/**
 * The direction secret for "initiator I resumes with responder R":
 * `ExpandV2(rms, "resumption secret", fpI || fpR, 32)`. Each side of a full handshake stores
 * two: outbound = rs(self -> peer) and inbound = rs(peer -> self), so a device's own request
 * never verifies against its inbound secret, and crossed connections use independent secrets.
 * @param rms - the full handshake's 32-byte resumption master secret (`HandshakeResult.resumptionSecret`; not modified)
 * @param initiatorFingerprint - 32-byte fingerprint of the side that will send the request
 * @param responderFingerprint - 32-byte fingerprint of the side that will accept it (must differ)
 * @param crypto - crypto backend; default `nobleCrypto`
 * @returns a fresh 32-byte secret
 * @throws TypeError / RangeError for bad arguments or equal fingerprints
 */
export function deriveDirectionSecret(
  rms: Uint8Array,
  initiatorFingerprint: Uint8Array,
  responderFingerprint: Uint8Array,
  crypto?: CryptoProvider,
): Uint8Array {
  checkSecret(rms, 'rms');
  const ctx = resumeContext(initiatorFingerprint, responderFingerprint);
  return expandV2(rms, 'resumption secret', ctx, RESUMPTION_SECRET_BYTES, checkCrypto(crypto));
}

/** Both direction secrets of one side, from {@link deriveDirectionSecrets}. */
export interface DirectionSecrets {
  /** rs(self -> peer): this side resumes with it as initiator (the `secret` of `ResumeInitiator`). */
  readonly outbound: Uint8Array;
  /** rs(peer -> self): this side accepts the peer's requests with it (the `secret` of `acceptResumeV2`). */
  readonly inbound: Uint8Array;
}

/**
 * The two direction secrets a side stores after a full handshake:
 * `outbound = deriveDirectionSecret(rms, own, peer)`, `inbound = deriveDirectionSecret(rms, peer, own)`.
 * @param rms - the 32-byte resumption master secret (not modified; the caller wipes it)
 * @param ownFingerprint - this side's 32-byte fingerprint
 * @param peerFingerprint - the peer's 32-byte fingerprint (must differ)
 * @param crypto - crypto backend; default `nobleCrypto`
 * @returns two fresh 32-byte secrets
 * @throws TypeError / RangeError for bad arguments or equal fingerprints
 */
export function deriveDirectionSecrets(rms: Uint8Array, ownFingerprint: Uint8Array, peerFingerprint: Uint8Array, crypto?: CryptoProvider): DirectionSecrets {
  const outbound = deriveDirectionSecret(rms, ownFingerprint, peerFingerprint, crypto);
  return { outbound, inbound: deriveDirectionSecret(rms, peerFingerprint, ownFingerprint, crypto) };
}

/**
 * The ticket id of a direction secret: `ExpandV2(rs, "ticket id", fpI || fpR, 16)`. The
 * responder indexes its inbound secrets by it; it changes with every ratchet step.
 * @param rs - a 32-byte direction secret (not modified)
 * @param initiatorFingerprint - 32 bytes
 * @param responderFingerprint - 32 bytes (must differ)
 * @param crypto - crypto backend; default `nobleCrypto`
 * @returns a fresh 16-byte ticket id
 * @throws TypeError / RangeError for bad arguments
 */
export function deriveResumeTicketId(rs: Uint8Array, initiatorFingerprint: Uint8Array, responderFingerprint: Uint8Array, crypto?: CryptoProvider): Uint8Array {
  checkSecret(rs, 'rs');
  const ctx = resumeContext(initiatorFingerprint, responderFingerprint);
  return ticketIdFor(rs, ctx, checkCrypto(crypto));
}

/** `ExpandV2(rs, "ticket id", ctx, 16)` on checked inputs. */
export function ticketIdFor(rs: Uint8Array, ctx: Uint8Array, crypto: CryptoProvider): Uint8Array {
  return expandV2(rs, 'ticket id', ctx, RESUME_TICKET_ID_BYTES, crypto);
}

/** `ExpandV2(rs, "binder key", ctx, 32)` on checked inputs (the caller wipes it). */
export function binderKeyFor(rs: Uint8Array, ctx: Uint8Array, crypto: CryptoProvider): Uint8Array {
  return expandV2(rs, 'binder key', ctx, KEY_BYTES, crypto);
}

/**
 * `HMAC-SHA256(binderKey(rs, ctx), requestBody)` truncated to `length` bytes, where
 * `requestBody` is the request without its binder. Intermediates wiped.
 */
export function binderFor(rs: Uint8Array, ctx: Uint8Array, requestBody: Uint8Array, length: number, crypto: CryptoProvider): Uint8Array {
  let key: Uint8Array | undefined;
  let mac: Uint8Array | undefined;
  try {
    key = binderKeyFor(rs, ctx, crypto);
    mac = crypto.hmac(key, requestBody);
    return mac.slice(0, length);
  } finally {
    wipe(key, mac);
  }
}

/** `th1 = SHA-256("pqble v2 resume" || ctx || request || acceptPrefix)`. */
export function resumeTranscriptHash(ctx: Uint8Array, request: Uint8Array, acceptPrefix: Uint8Array, crypto: CryptoProvider): Uint8Array {
  return crypto.sha256(concatBytes(TRANSCRIPT_LABEL, ctx, request, acceptPrefix));
}

/**
 * `prk = HKDF-Extract(salt = th1, ikm = rs || dhShared)` (`dhShared` only in mode
 * `psk-dhe`) and the six expansions of the module header. `prk` and the concatenated ikm
 * are wiped; the caller owns (and wipes) the outputs.
 */
export function deriveResumeSecrets(rs: Uint8Array, dhShared: Uint8Array | undefined, th1: Uint8Array, crypto: CryptoProvider): ResumeSecrets {
  let ikm: Uint8Array | undefined;
  let prk: Uint8Array | undefined;
  try {
    ikm = dhShared === undefined ? rs.slice() : concatBytes(rs, dhShared);
    prk = crypto.hkdfExtract(th1, ikm);
    return {
      i2r: expandV2(prk, 'resume i2r key', EMPTY, KEY_BYTES, crypto),
      r2i: expandV2(prk, 'resume r2i key', EMPTY, KEY_BYTES, crypto),
      rConfirmKey: expandV2(prk, 'resume responder confirm', EMPTY, KEY_BYTES, crypto),
      iConfirmKey: expandV2(prk, 'resume initiator confirm', EMPTY, KEY_BYTES, crypto),
      nextSecret: expandV2(prk, 'next resumption secret', EMPTY, RESUMPTION_SECRET_BYTES, crypto),
      sessionId: expandV2(prk, 'resume session id', EMPTY, SESSION_ID_BYTES, crypto),
    };
  } finally {
    wipe(ikm, prk);
  }
}

/** `HMAC(key, message)` truncated to `length` bytes (the full MAC is wiped). */
export function truncatedMac(key: Uint8Array, message: Uint8Array, length: number, crypto: CryptoProvider): Uint8Array {
  const mac = crypto.hmac(key, message);
  try {
    return mac.slice(0, length);
  } finally {
    wipe(mac);
  }
}

/** `th2 = SHA-256(th1 || confirm)`, the input of the initiator's finished MAC. */
export function finishedTranscriptHash(th1: Uint8Array, confirm: Uint8Array, crypto: CryptoProvider): Uint8Array {
  return crypto.sha256(concatBytes(th1, confirm));
}
