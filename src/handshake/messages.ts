/**
 * Wire codec of the full handshake (docs/protocol.md "Message layouts"). Three messages,
 * each a whole reassembled message starting with its MessageType byte (src/wire.ts):
 *
 * ```
 * M1 HandshakeInit      0x01 | version | flags | X25519 pub (32) | ML-KEM-768 ek (1184)     = 1219
 * M2 HandshakeResponse  0x02 | X25519 pub (32) | ML-KEM-768 ct (1088) | AEAD(payload) + tag (16)
 *                         full:   payload = responder ML-DSA-65 public key (1952) | signature (3309)  = 6398
 *                         pinned: payload = signature (3309)                                         = 4446
 * M3 HandshakeFinish    0x03 | AEAD(payload) + tag (16)
 *                         full:   payload = initiator public key (1952) | signature (3309)          = 5278
 *                         pinned: payload = initiator fingerprint (32) | signature (3309)           = 3358
 * ```
 *
 * Flags: bit 0 = pinned mode; bits 1..7 reserved (must be 0). Decoders of untrusted bytes
 * throw only `HandshakeError` (`PQBLE_ERR_HANDSHAKE_UNEXPECTED` for a wrong type byte,
 * `PQBLE_ERR_PROTOCOL_VERSION`, `PQBLE_ERR_HANDSHAKE_MALFORMED` for length or layout),
 * and return copies, never views of the input.
 *
 * @module
 */

import { checkBytes, concatBytes } from '../bytes.js';
import { SIZES } from '../crypto/index.js';
import { HandshakeError } from '../errors.js';
import { FINGERPRINT_BYTES } from '../ids.js';
import { MessageType, PROTOCOL_VERSION } from '../wire.js';

/** Flag bit of M1: the initiator has the responder's key pinned; fingerprints travel instead of keys. */
const HANDSHAKE_FLAG_PINNED = 0x01;

/** The two handshake modes: keys sent in full, or fingerprints for keys both sides have pinned. */
export type HandshakeMode = 'full' | 'pinned';

const INIT_HEADER_BYTES = 3;
const RESPONSE_CLEAR_BYTES = 1 + SIZES.x25519Key + SIZES.kemCipherText;

/** Exact byte sizes of the handshake messages (type byte included), per mode. */
export const HANDSHAKE_MESSAGE_BYTES = {
  /** M1 HandshakeInit (same in both modes). */
  init: INIT_HEADER_BYTES + SIZES.x25519Key + SIZES.kemPublicKey,
  /** M2 HandshakeResponse. */
  response: {
    full: RESPONSE_CLEAR_BYTES + SIZES.sigPublicKey + SIZES.signature + SIZES.aeadTag,
    pinned: RESPONSE_CLEAR_BYTES + SIZES.signature + SIZES.aeadTag,
  },
  /** M3 HandshakeFinish. */
  finish: {
    full: 1 + SIZES.sigPublicKey + SIZES.signature + SIZES.aeadTag,
    pinned: 1 + FINGERPRINT_BYTES + SIZES.signature + SIZES.aeadTag,
  },
} as const;

/** A decoded M1. */
export interface HandshakeInit {
  /** The protocol version (always {@link PROTOCOL_VERSION} after a successful decode). */
  readonly version: number;
  /** Pinned mode requested (flag bit 0). */
  readonly pinned: boolean;
  /** The initiator's ephemeral X25519 public key, 32 bytes. */
  readonly x25519PublicKey: Uint8Array;
  /** The initiator's ephemeral ML-KEM-768 encapsulation key, 1184 bytes. */
  readonly kemPublicKey: Uint8Array;
}

/** A decoded M2 (the encrypted part still sealed). */
export interface HandshakeResponse {
  /** The responder's ephemeral X25519 public key, 32 bytes. */
  readonly x25519PublicKey: Uint8Array;
  /** The ML-KEM-768 ciphertext, 1088 bytes. */
  readonly kemCipherText: Uint8Array;
  /** The bytes before the sealed part (type byte, X25519 key, KEM ciphertext): hashed into TH2. */
  readonly clear: Uint8Array;
  /** The sealed payload (ciphertext and 16-byte tag). */
  readonly sealed: Uint8Array;
}

/** A decoded M3 (still sealed). */
export interface HandshakeFinish {
  /** The sealed payload (ciphertext and 16-byte tag). */
  readonly sealed: Uint8Array;
}

/** The plaintext inside M2's or M3's AEAD. */
export interface IdentityPayload {
  /** Full mode: the sender's ML-DSA-65 public key (1952 bytes). */
  readonly publicKey?: Uint8Array;
  /** Pinned M3: the initiator's fingerprint (32 bytes). (Pinned M2 carries neither.) */
  readonly fingerprint?: Uint8Array;
  /** The sender's ML-DSA-65 signature over its transcript hash (3309 bytes). */
  readonly signature: Uint8Array;
}

function malformed(message: string): HandshakeError {
  return new HandshakeError('PQBLE_ERR_HANDSHAKE_MALFORMED', message);
}

function checkType(bytes: Uint8Array, type: number, name: string): void {
  checkBytes(bytes, name);
  if (bytes.length === 0) throw malformed(`${name} is empty`);
  if (bytes[0] !== type)
    throw new HandshakeError(
      'PQBLE_ERR_HANDSHAKE_UNEXPECTED',
      `expected ${name} (type 0x${type.toString(16).padStart(2, '0')}), got type 0x${bytes[0].toString(16).padStart(2, '0')}`,
    );
}

function checkLength(bytes: Uint8Array, expected: number, name: string): void {
  if (bytes.length !== expected) throw malformed(`${name} must be ${expected} bytes, got ${bytes.length}`);
}

/**
 * Encodes M1.
 * @throws TypeError / RangeError for wrong argument types or key lengths
 */
export function encodeHandshakeInit(init: { readonly pinned: boolean; readonly x25519PublicKey: Uint8Array; readonly kemPublicKey: Uint8Array }): Uint8Array {
  if (init === null || typeof init !== 'object') throw new TypeError('init must be an object');
  if (typeof init.pinned !== 'boolean') throw new TypeError('init.pinned must be a boolean');
  checkBytes(init.x25519PublicKey, 'init.x25519PublicKey', SIZES.x25519Key);
  checkBytes(init.kemPublicKey, 'init.kemPublicKey', SIZES.kemPublicKey);
  const header = new Uint8Array([MessageType.HandshakeInit, PROTOCOL_VERSION, init.pinned ? HANDSHAKE_FLAG_PINNED : 0]);
  return concatBytes(header, init.x25519PublicKey, init.kemPublicKey);
}

/**
 * Decodes M1. Checks, in order: type byte, version, length, reserved flag bits.
 * @throws TypeError if `bytes` is not a Uint8Array; HandshakeError otherwise
 */
export function decodeHandshakeInit(bytes: Uint8Array): HandshakeInit {
  checkType(bytes, MessageType.HandshakeInit, 'HandshakeInit');
  if (bytes.length < 2) throw malformed('HandshakeInit is truncated');
  if (bytes[1] !== PROTOCOL_VERSION) {
    throw new HandshakeError('PQBLE_ERR_PROTOCOL_VERSION', `unsupported protocol version ${bytes[1]} (this side speaks ${PROTOCOL_VERSION})`);
  }
  checkLength(bytes, HANDSHAKE_MESSAGE_BYTES.init, 'HandshakeInit');
  const flags = bytes[2];
  if ((flags & ~HANDSHAKE_FLAG_PINNED) !== 0) throw malformed(`HandshakeInit has reserved flag bits set (0x${flags.toString(16)})`);
  const x = INIT_HEADER_BYTES + SIZES.x25519Key;
  return {
    version: bytes[1],
    pinned: (flags & HANDSHAKE_FLAG_PINNED) !== 0,
    x25519PublicKey: bytes.slice(INIT_HEADER_BYTES, x),
    kemPublicKey: bytes.slice(x, HANDSHAKE_MESSAGE_BYTES.init),
  };
}

/**
 * Encodes M2 from its clear fields and the sealed payload.
 * @throws TypeError / RangeError for wrong argument types or lengths
 */
export function encodeHandshakeResponse(x25519PublicKey: Uint8Array, kemCipherText: Uint8Array, sealed: Uint8Array): Uint8Array {
  checkBytes(x25519PublicKey, 'x25519PublicKey', SIZES.x25519Key);
  checkBytes(kemCipherText, 'kemCipherText', SIZES.kemCipherText);
  checkBytes(sealed, 'sealed');
  const { full, pinned } = HANDSHAKE_MESSAGE_BYTES.response;
  const length = RESPONSE_CLEAR_BYTES + sealed.length;
  if (length !== full && length !== pinned) throw new RangeError(`sealed payload has the wrong length (${sealed.length})`);
  return concatBytes(new Uint8Array([MessageType.HandshakeResponse]), x25519PublicKey, kemCipherText, sealed);
}

/**
 * Decodes M2 for the mode the initiator asked for.
 * @throws TypeError if `bytes` is not a Uint8Array; HandshakeError otherwise
 */
export function decodeHandshakeResponse(bytes: Uint8Array, mode: HandshakeMode): HandshakeResponse {
  checkType(bytes, MessageType.HandshakeResponse, 'HandshakeResponse');
  checkLength(bytes, HANDSHAKE_MESSAGE_BYTES.response[mode], `HandshakeResponse (${mode})`);
  return {
    x25519PublicKey: bytes.slice(1, 1 + SIZES.x25519Key),
    kemCipherText: bytes.slice(1 + SIZES.x25519Key, RESPONSE_CLEAR_BYTES),
    clear: bytes.slice(0, RESPONSE_CLEAR_BYTES),
    sealed: bytes.slice(RESPONSE_CLEAR_BYTES),
  };
}

/**
 * Encodes M3 from its sealed payload.
 * @throws TypeError / RangeError for a wrong argument type or length
 */
export function encodeHandshakeFinish(sealed: Uint8Array): Uint8Array {
  checkBytes(sealed, 'sealed');
  const { full, pinned } = HANDSHAKE_MESSAGE_BYTES.finish;
  if (1 + sealed.length !== full && 1 + sealed.length !== pinned) throw new RangeError(`sealed payload has the wrong length (${sealed.length})`);
  return concatBytes(new Uint8Array([MessageType.HandshakeFinish]), sealed);
}

/**
 * Decodes M3 for the mode of this handshake.
 * @throws TypeError if `bytes` is not a Uint8Array; HandshakeError otherwise
 */
export function decodeHandshakeFinish(bytes: Uint8Array, mode: HandshakeMode): HandshakeFinish {
  checkType(bytes, MessageType.HandshakeFinish, 'HandshakeFinish');
  checkLength(bytes, HANDSHAKE_MESSAGE_BYTES.finish[mode], `HandshakeFinish (${mode})`);
  return { sealed: bytes.slice(1) };
}

/**
 * Encodes the plaintext of M2 (`role` responder) or M3 (`role` initiator):
 * full mode `publicKey || signature`; pinned M2 `signature`; pinned M3 `fingerprint || signature`.
 * @throws TypeError / RangeError if the fields do not fit the role and mode
 */
export function encodeIdentityPayload(role: 'initiator' | 'responder', mode: HandshakeMode, payload: IdentityPayload): Uint8Array {
  checkBytes(payload.signature, 'payload.signature', SIZES.signature);
  if (mode === 'full') {
    checkBytes(payload.publicKey, 'payload.publicKey', SIZES.sigPublicKey);
    return concatBytes(payload.publicKey, payload.signature);
  }
  if (role === 'responder') return payload.signature.slice();
  checkBytes(payload.fingerprint, 'payload.fingerprint', FINGERPRINT_BYTES);
  return concatBytes(payload.fingerprint, payload.signature);
}

/**
 * Decodes the plaintext of M2 or M3 (see {@link encodeIdentityPayload}).
 * @throws HandshakeError `PQBLE_ERR_HANDSHAKE_MALFORMED` for a wrong length
 */
export function decodeIdentityPayload(role: 'initiator' | 'responder', mode: HandshakeMode, bytes: Uint8Array): IdentityPayload {
  checkBytes(bytes, 'payload');
  const idBytes = mode === 'full' ? SIZES.sigPublicKey : role === 'responder' ? 0 : FINGERPRINT_BYTES;
  checkLength(bytes, idBytes + SIZES.signature, `${role} identity payload`);
  const signature = bytes.slice(idBytes);
  if (mode === 'full') return { publicKey: bytes.slice(0, idBytes), signature };
  if (role === 'initiator') return { fingerprint: bytes.slice(0, idBytes), signature };
  return { signature };
}
