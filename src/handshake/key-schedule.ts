/**
 * The full handshake's key schedule (docs/protocol.md "Key schedule"). HKDF-SHA-256 throughout, TLS 1.3-shaped, with every label prefixed
 * `"pqble v1 "`:
 *
 * ```
 * early    = HKDF-Extract(salt = 0^32, ikm = 0^32)
 * hs       = HKDF-Extract(salt = ExpandLabel(early, "derived", SHA-256(""), 32),
 *                         ikm  = ss_X25519 || ss_MLKEM)
 * k_hs_i   = ExpandLabel(hs, "i hs traffic", TH2, 32)      initiator -> responder (M3)
 * k_hs_r   = ExpandLabel(hs, "r hs traffic", TH2, 32)      responder -> initiator (M2)
 * master   = HKDF-Extract(salt = ExpandLabel(hs, "derived", SHA-256(""), 32), ikm = 0^32)
 * k_ap_i   = ExpandLabel(master, "i ap traffic", TH3, 32)
 * k_ap_r   = ExpandLabel(master, "r ap traffic", TH3, 32)
 * res      = ExpandLabel(master, "res master",   TH3, 32)
 * sid      = ExpandLabel(master, "session id",   TH3, 16)
 * ```
 *
 * `ExpandLabel(secret, label, context, L) = HKDF-Expand(secret, u16(L) || u8(len) ||
 * "pqble v1 " || label || u8(len(context)) || context, L)` (the HkdfLabel of RFC 8446 §7.1
 * with our prefix). TH2 = SHA-256(M1 || clear part of M2); TH3 = SHA-256(M1 || M2 || M3).
 *
 * Pure functions of their inputs, exported for known-answer tests. Intermediates are wiped.
 *
 * @module
 */

import { checkBytes, concatBytes, hexToBytes, utf8ToBytes, wipe } from '../bytes.js';
import { SIZES, nobleCrypto, type CryptoProvider } from '../crypto/index.js';
import { SESSION_ID_BYTES } from '../ids.js';

/** Prefix of every HKDF label. */
const LABEL_PREFIX = 'pqble v1 ';

/** Bytes of each traffic key (handshake and application). */
const TRAFFIC_KEY_BYTES = 32;

/** Bytes of the resumption secret handed to the session cache. */
export const RESUMPTION_SECRET_BYTES = 32;

/** Bytes of the public session id. */
export { SESSION_ID_BYTES };

/** The secrets that come out of the handshake-secret stage (before authentication). */
export interface HandshakeSecrets {
  /** Key that seals M3 (initiator -> responder), 32 bytes. */
  readonly initiatorHandshakeKey: Uint8Array;
  /** Key that seals the encrypted part of M2 (responder -> initiator), 32 bytes. */
  readonly responderHandshakeKey: Uint8Array;
  /** The master secret the application secrets are expanded from, 32 bytes. */
  readonly masterSecret: Uint8Array;
}

/** The secrets that come out of a completed handshake. */
export interface ApplicationSecrets {
  /** Application traffic key initiator -> responder, 32 bytes. */
  readonly initiatorToResponderKey: Uint8Array;
  /** Application traffic key responder -> initiator, 32 bytes. */
  readonly responderToInitiatorKey: Uint8Array;
  /** One-way derived resumption secret (label "res master"), 32 bytes. */
  readonly resumptionSecret: Uint8Array;
  /** Public session id, 16 bytes. */
  readonly sessionId: Uint8Array;
}

/** SHA-256 of the empty string. */
const EMPTY_HASH = hexToBytes('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
const ZEROS = new Uint8Array(32);

/**
 * The HKDF `info` for {@link expandLabel}: `u16(length) || u8(len(label')) || label' ||
 * u8(len(context)) || context` with `label' = "pqble v1 " || label`.
 * @throws RangeError if `length` is not 1..255*32, the label is longer than 255 bytes or the context longer than 255 bytes
 */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  if (typeof label !== 'string') throw new TypeError('label must be a string');
  checkBytes(context, 'context');
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new RangeError(`length must be an integer in 1..8160, got ${length}`);
  const fullLabel = utf8ToBytes(LABEL_PREFIX + label);
  if (fullLabel.length > 255) throw new RangeError('label is too long');
  if (context.length > 255) throw new RangeError('context is too long');
  return concatBytes(new Uint8Array([length >>> 8, length & 0xff, fullLabel.length]), fullLabel, new Uint8Array([context.length]), context);
}

/**
 * `HKDF-Expand(secret, hkdfLabel(label, context, length), length)`.
 * @param secret - a pseudorandom key (at least 32 bytes)
 * @param label - the label without the `"pqble v1 "` prefix
 * @param context - usually a transcript hash
 * @param length - output bytes
 * @param crypto - primitives (default `nobleCrypto`)
 */
export function expandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number, crypto: CryptoProvider = nobleCrypto): Uint8Array {
  checkBytes(secret, 'secret');
  if (secret.length < SIZES.hash) throw new RangeError(`secret must be at least ${SIZES.hash} bytes, got ${secret.length}`);
  return crypto.hkdfExpand(secret, hkdfLabel(label, context, length), length);
}

/**
 * The handshake-secret stage: combines the two shared secrets (X25519 first, then
 * ML-KEM-768, concatenated: both must be broken to learn the keys) and binds the handshake
 * traffic keys to TH2, the hash of M1 and the clear part of M2 (which carries both
 * ephemeral public values and the KEM ciphertext).
 * @param x25519SharedSecret - 32 bytes
 * @param kemSharedSecret - 32 bytes
 * @param transcriptHash - TH2, 32 bytes
 * @param crypto - primitives (default `nobleCrypto`)
 * @returns fresh buffers the caller must wipe
 */
export function deriveHandshakeSecrets(
  x25519SharedSecret: Uint8Array,
  kemSharedSecret: Uint8Array,
  transcriptHash: Uint8Array,
  crypto: CryptoProvider = nobleCrypto,
): HandshakeSecrets {
  checkBytes(x25519SharedSecret, 'x25519SharedSecret', SIZES.x25519Key);
  checkBytes(kemSharedSecret, 'kemSharedSecret', SIZES.kemSharedSecret);
  checkBytes(transcriptHash, 'transcriptHash', SIZES.hash);
  let early: Uint8Array | undefined;
  let derived0: Uint8Array | undefined;
  let shared: Uint8Array | undefined;
  let hs: Uint8Array | undefined;
  let derived1: Uint8Array | undefined;
  try {
    early = crypto.hkdfExtract(ZEROS, ZEROS);
    derived0 = expandLabel(early, 'derived', EMPTY_HASH, SIZES.hash, crypto);
    shared = concatBytes(x25519SharedSecret, kemSharedSecret);
    hs = crypto.hkdfExtract(derived0, shared);
    const initiatorHandshakeKey = expandLabel(hs, 'i hs traffic', transcriptHash, TRAFFIC_KEY_BYTES, crypto);
    const responderHandshakeKey = expandLabel(hs, 'r hs traffic', transcriptHash, TRAFFIC_KEY_BYTES, crypto);
    derived1 = expandLabel(hs, 'derived', EMPTY_HASH, SIZES.hash, crypto);
    const masterSecret = crypto.hkdfExtract(derived1, ZEROS);
    return { initiatorHandshakeKey, responderHandshakeKey, masterSecret };
  } finally {
    wipe(early, derived0, shared, hs, derived1);
  }
}

/**
 * The application stage: traffic keys, the resumption secret and the session id, all
 * bound to TH3, the hash of the whole transcript (M1 || M2 || M3).
 * @param masterSecret - from {@link deriveHandshakeSecrets}, 32 bytes (not wiped here)
 * @param transcriptHash - TH3, 32 bytes
 * @param crypto - primitives (default `nobleCrypto`)
 * @returns fresh buffers the caller owns
 */
export function deriveApplicationSecrets(masterSecret: Uint8Array, transcriptHash: Uint8Array, crypto: CryptoProvider = nobleCrypto): ApplicationSecrets {
  checkBytes(masterSecret, 'masterSecret', SIZES.hash);
  checkBytes(transcriptHash, 'transcriptHash', SIZES.hash);
  return {
    initiatorToResponderKey: expandLabel(masterSecret, 'i ap traffic', transcriptHash, TRAFFIC_KEY_BYTES, crypto),
    responderToInitiatorKey: expandLabel(masterSecret, 'r ap traffic', transcriptHash, TRAFFIC_KEY_BYTES, crypto),
    resumptionSecret: expandLabel(masterSecret, 'res master', transcriptHash, RESUMPTION_SECRET_BYTES, crypto),
    sessionId: expandLabel(masterSecret, 'session id', transcriptHash, SESSION_ID_BYTES, crypto),
  };
}
