/**
 * Helpers shared by the handshake state machines (docs/protocol.md "What is signed").
 * Internal, except {@link signatureInput}, which the package exports for interoperability tests.
 *
 * @module
 */

import { concatBytes, utf8ToBytes } from '../bytes.js';
import { SIZES } from '../crypto/index.js';
import { HandshakeError, PqbleError, isPqbleError, type HandshakeErrorCode } from '../errors.js';

/** The all-zero AEAD nonce: every handshake key seals exactly one message. */
export const ZERO_NONCE = new Uint8Array(SIZES.aeadNonce);

const SIGNATURE_CONTEXT = {
  initiator: utf8ToBytes('pqble v1 initiator signature'),
  responder: utf8ToBytes('pqble v1 responder signature'),
} as const;

/**
 * The message a side signs: `"pqble v1 <role> signature" || 0x00 || transcriptHash`.
 * The role label stops a signature from one role being replayed as the other's.
 */
export function signatureInput(role: 'initiator' | 'responder', transcriptHash: Uint8Array): Uint8Array {
  return concatBytes(SIGNATURE_CONTEXT[role], new Uint8Array([0]), transcriptHash);
}

/** A HandshakeError with `code`. */
export function handshakeError(code: HandshakeErrorCode, message: string, cause?: unknown): HandshakeError {
  return new HandshakeError(code, message, cause === undefined ? {} : { cause });
}

/**
 * `err` itself if it is a HandshakeError or already a PqbleError `PQBLE_ERR_INTERNAL` (such as
 * "lookupPeerKey threw"), else a PqbleError `PQBLE_ERR_INTERNAL` wrapping it.
 */
export function asHandshakeError(err: unknown): PqbleError {
  if (err instanceof HandshakeError || isPqbleError(err, 'PQBLE_ERR_INTERNAL')) return err;
  return new PqbleError('PQBLE_ERR_INTERNAL', 'the handshake failed unexpectedly', { cause: err });
}

/** Runs `fn` (a call into a primitive on peer-supplied data); maps anything it throws to `code`. */
export function guard<T>(code: HandshakeErrorCode, message: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw handshakeError(code, message, err);
  }
}
