/**
 * Coded errors. Every failure pqble reports is a {@link PqbleError} with a stable
 * `code` (`PQBLE_ERR_*`); tests and callers branch on `err.code`, never on messages.
 * Messages never contain key material. The table of codes lives in `docs/errors.md`.
 *
 * Input checks on public entry points throw plain `TypeError` (wrong type) or
 * `RangeError` (wrong length or range), as the noble libraries do.
 *
 * @module
 */

/** Every error code pqble can report. */
export type PqbleErrorCode =
  // generic
  | 'PQBLE_ERR_TIMEOUT'
  | 'PQBLE_ERR_ABORTED'
  | 'PQBLE_ERR_CLOSED'
  | 'PQBLE_ERR_INTERNAL'
  // radio / link
  | 'PQBLE_ERR_RADIO_UNAVAILABLE'
  | 'PQBLE_ERR_DEVICE_NOT_FOUND'
  | 'PQBLE_ERR_DISCONNECTED'
  | 'PQBLE_ERR_SUPERVISION_TIMEOUT'
  | 'PQBLE_ERR_LINK_BUSY'
  | 'PQBLE_ERR_CONNECTION_LIMIT'
  // framing
  | 'PQBLE_ERR_FRAME_MALFORMED'
  | 'PQBLE_ERR_FRAME_INCONSISTENT'
  | 'PQBLE_ERR_MESSAGE_TOO_LARGE'
  | 'PQBLE_ERR_REASSEMBLY_LIMIT'
  | 'PQBLE_ERR_REASSEMBLY_TIMEOUT'
  // handshake
  | 'PQBLE_ERR_HANDSHAKE_MALFORMED'
  | 'PQBLE_ERR_HANDSHAKE_UNEXPECTED'
  | 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED'
  | 'PQBLE_ERR_HANDSHAKE_TIMEOUT'
  | 'PQBLE_ERR_PROTOCOL_VERSION'
  | 'PQBLE_ERR_PEER_UNTRUSTED'
  | 'PQBLE_ERR_PEER_UNKNOWN'
  | 'PQBLE_ERR_PEER_ALERT'
  // record layer
  | 'PQBLE_ERR_RECORD_MALFORMED'
  | 'PQBLE_ERR_RECORD_AUTH'
  | 'PQBLE_ERR_RECORD_SEQUENCE'
  | 'PQBLE_ERR_RECORD_LIMIT'
  // resumption
  | 'PQBLE_ERR_RESUME_MALFORMED'
  | 'PQBLE_ERR_RESUME_REJECTED'
  | 'PQBLE_ERR_RESUME_AUTH_FAILED'
  | 'PQBLE_ERR_RESUME_RATE_LIMITED'
  | 'PQBLE_ERR_RESUME_UNEXPECTED' // a resumption state machine was called in the wrong state
  // files
  | 'PQBLE_ERR_CACHE_FILE'
  | 'PQBLE_ERR_KEY_FILE'
  // session stores (src/session/store.ts)
  | 'PQBLE_ERR_STORE_IO' // a read, write or fsync failed (disk full, permissions, I/O error)
  | 'PQBLE_ERR_STORE_LOCKED' // another process owns the store file
  | 'PQBLE_ERR_STORE_TIMEOUT' // a store call did not answer within its timeout
  | 'PQBLE_ERR_STORE_UNAVAILABLE' // the store (for example Redis) cannot be reached
  | 'PQBLE_ERR_STORE_CLOSED' // the store was closed
  // application-facing queues
  | 'PQBLE_ERR_QUEUE_FULL'
  | 'PQBLE_ERR_UNSUPPORTED'; // this runtime lacks a needed capability (e.g. PQ TLS needs Node >= 24)

/** Options accepted by every pqble error constructor. */
export interface PqbleErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/** Base class of every error pqble raises on purpose. */
export class PqbleError extends Error {
  /** Stable machine-readable code. */
  readonly code: PqbleErrorCode;

  constructor(code: PqbleErrorCode, message: string, options: PqbleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A wait ran out of time. */
export class TimeoutError extends PqbleError {
  constructor(message: string, code: 'PQBLE_ERR_TIMEOUT' | 'PQBLE_ERR_HANDSHAKE_TIMEOUT' | 'PQBLE_ERR_REASSEMBLY_TIMEOUT' = 'PQBLE_ERR_TIMEOUT', options?: PqbleErrorOptions) {
    super(code, message, options);
  }
}

/** A wait was cancelled through its AbortSignal. */
export class AbortError extends PqbleError {
  constructor(message = 'the operation was aborted', options?: PqbleErrorOptions) {
    super('PQBLE_ERR_ABORTED', message, options);
  }
}

/** The radio, the link or a connection failed or went away. */
export class LinkError extends PqbleError {}

/** A packet or fragment could not be decoded or reassembled. */
export class FramingError extends PqbleError {}

/** The full handshake failed (malformed message, failed authentication, untrusted peer). */
export class HandshakeError extends PqbleError {}

/** A secure record was malformed, forged, replayed or out of sequence, or a limit was hit. */
export class RecordError extends PqbleError {}

/** A resumption attempt failed. */
export class ResumptionError extends PqbleError {}

/** A session cache file or key file could not be read or written. */
export class FileFormatError extends PqbleError {}

/** A session store call failed: I/O, lock, timeout, unreachable server, closed store. */
export class StoreError extends PqbleError {}

/** True if `err` is a {@link PqbleError}, optionally with the given code. */
export function isPqbleError(err: unknown, code?: PqbleErrorCode): err is PqbleError {
  return err instanceof PqbleError && (code === undefined || err.code === code);
}

/**
 * Throws an {@link AbortError} if `signal` is already aborted.
 * @param signal - the caller's signal, if any
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason });
}
