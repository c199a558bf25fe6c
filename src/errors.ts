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

/**
 * The class of every error code: each code belongs to exactly one class, and each class's
 * constructor takes only its own codes ({@link LinkErrorCode}, {@link StoreErrorCode}, ...).
 * The table in `docs/errors.md` lists the same pairs (a test checks both ways).
 * `PQBLE_ERR_RESUME_REJECTED` is {@link ResumeRejectedError}, a {@link ResumptionError}
 * exported from the resumption module.
 */
export const ERROR_CLASS_OF_CODE = {
  // generic
  PQBLE_ERR_TIMEOUT: 'TimeoutError',
  PQBLE_ERR_ABORTED: 'AbortError',
  PQBLE_ERR_CLOSED: 'ClosedError',
  PQBLE_ERR_INTERNAL: 'PqbleError',
  PQBLE_ERR_UNSUPPORTED: 'PqbleError', // this runtime lacks a needed capability (e.g. PQ TLS needs Node >= 24)
  // radio / link
  PQBLE_ERR_RADIO_UNAVAILABLE: 'LinkError',
  PQBLE_ERR_DEVICE_NOT_FOUND: 'LinkError',
  PQBLE_ERR_DISCONNECTED: 'LinkError',
  PQBLE_ERR_SUPERVISION_TIMEOUT: 'LinkError',
  PQBLE_ERR_LINK_BUSY: 'LinkError',
  PQBLE_ERR_CONNECTION_LIMIT: 'LinkError',
  PQBLE_ERR_QUEUE_FULL: 'LinkError', // a link's packet buffer or a connection's inbound queue overflowed
  // framing
  PQBLE_ERR_FRAME_MALFORMED: 'FramingError',
  PQBLE_ERR_FRAME_INCONSISTENT: 'FramingError',
  PQBLE_ERR_MESSAGE_TOO_LARGE: 'FramingError', // over maxMessageBytes (sent or announced), or a record over its plaintext limit
  PQBLE_ERR_REASSEMBLY_LIMIT: 'FramingError',
  PQBLE_ERR_REASSEMBLY_TIMEOUT: 'FramingError',
  // setup
  PQBLE_ERR_HANDSHAKE_TIMEOUT: 'TimeoutError',
  PQBLE_ERR_HANDSHAKE_MALFORMED: 'HandshakeError',
  PQBLE_ERR_HANDSHAKE_UNEXPECTED: 'HandshakeError',
  PQBLE_ERR_HANDSHAKE_AUTH_FAILED: 'HandshakeError',
  PQBLE_ERR_PROTOCOL_VERSION: 'HandshakeError', // a handshake or resumption message of another protocol version
  PQBLE_ERR_PEER_UNTRUSTED: 'HandshakeError',
  PQBLE_ERR_PEER_UNKNOWN: 'HandshakeError',
  PQBLE_ERR_PEER_ALERT: 'HandshakeError',
  // record layer
  PQBLE_ERR_RECORD_MALFORMED: 'RecordError',
  PQBLE_ERR_RECORD_AUTH: 'RecordError',
  PQBLE_ERR_RECORD_SEQUENCE: 'RecordError',
  PQBLE_ERR_RECORD_LIMIT: 'RecordError',
  // resumption
  PQBLE_ERR_RESUME_MALFORMED: 'ResumptionError',
  PQBLE_ERR_RESUME_REJECTED: 'ResumeRejectedError',
  PQBLE_ERR_RESUME_AUTH_FAILED: 'ResumptionError',
  PQBLE_ERR_RESUME_RATE_LIMITED: 'ResumptionError',
  PQBLE_ERR_RESUME_UNEXPECTED: 'ResumptionError', // a resumption state machine was called in the wrong state
  // files
  PQBLE_ERR_CACHE_FILE: 'FileFormatError',
  PQBLE_ERR_KEY_FILE: 'FileFormatError',
  // session stores (src/session/store.ts)
  PQBLE_ERR_STORE_IO: 'StoreError', // a read, write or fsync failed (disk full, permissions, I/O error)
  PQBLE_ERR_STORE_LOCKED: 'StoreError', // another process owns the store file
  PQBLE_ERR_STORE_TIMEOUT: 'StoreError', // a store call did not answer within its timeout
  PQBLE_ERR_STORE_UNAVAILABLE: 'StoreError', // the store (for example Redis) cannot be reached
  PQBLE_ERR_STORE_CLOSED: 'StoreError', // the store was closed
} as const;

/** Every error code pqble can report. */
export type PqbleErrorCode = keyof typeof ERROR_CLASS_OF_CODE;

/** Name of a class that owns error codes. */
export type PqbleErrorClassName = (typeof ERROR_CLASS_OF_CODE)[PqbleErrorCode];

/** The codes whose class is `Name` in {@link ERROR_CLASS_OF_CODE}. */
export type ErrorCodeOf<Name extends PqbleErrorClassName> = { [C in PqbleErrorCode]: (typeof ERROR_CLASS_OF_CODE)[C] extends Name ? C : never }[PqbleErrorCode];

/** Codes of the base class itself: a bug, or a missing capability. */
export type BaseErrorCode = ErrorCodeOf<'PqbleError'>;
/** Codes of {@link TimeoutError}. */
export type TimeoutErrorCode = ErrorCodeOf<'TimeoutError'>;
/** Codes of {@link LinkError}. */
export type LinkErrorCode = ErrorCodeOf<'LinkError'>;
/** Codes of {@link FramingError}. */
export type FramingErrorCode = ErrorCodeOf<'FramingError'>;
/** Codes of {@link HandshakeError}. */
export type HandshakeErrorCode = ErrorCodeOf<'HandshakeError'>;
/** Codes of {@link RecordError}. */
export type RecordErrorCode = ErrorCodeOf<'RecordError'>;
/** Codes of {@link ResumptionError} (its subclass `ResumeRejectedError` has `PQBLE_ERR_RESUME_REJECTED`). */
export type ResumptionErrorCode = ErrorCodeOf<'ResumptionError' | 'ResumeRejectedError'>;
/** Codes of {@link FileFormatError}. */
export type FileFormatErrorCode = ErrorCodeOf<'FileFormatError'>;
/** Codes of {@link StoreError}. */
export type StoreErrorCode = ErrorCodeOf<'StoreError'>;

/** Options accepted by every pqble error constructor. */
export interface PqbleErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * Base class of every error pqble raises on purpose. Construct it directly only for its own
 * codes ({@link BaseErrorCode}: `PQBLE_ERR_INTERNAL`, `PQBLE_ERR_UNSUPPORTED`); every other
 * code has its own subclass ({@link ERROR_CLASS_OF_CODE}), and a test checks every
 * `new PqbleError(...)` in the sources.
 */
export class PqbleError extends Error {
  /** Stable machine-readable code. */
  readonly code: PqbleErrorCode;

  /**
   * @param code - the code (subclasses pass one of their own)
   * @param message - what happened, never key material
   * @param options - cause, if any
   */
  constructor(code: PqbleErrorCode, message: string, options: PqbleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A wait ran out of time: a generic wait, or the connection setup (`handshakeTimeoutMs`). */
export class TimeoutError extends PqbleError {
  declare readonly code: TimeoutErrorCode;

  /**
   * @param message - what timed out
   * @param code - `PQBLE_ERR_TIMEOUT` (default) or `PQBLE_ERR_HANDSHAKE_TIMEOUT`
   * @param options - cause, if any
   */
  constructor(message: string, code: TimeoutErrorCode = 'PQBLE_ERR_TIMEOUT', options?: PqbleErrorOptions) {
    super(code, message, options);
  }
}

/** A wait was cancelled through its AbortSignal (`PQBLE_ERR_ABORTED`). */
export class AbortError extends PqbleError {
  declare readonly code: 'PQBLE_ERR_ABORTED';

  /**
   * @param message - what was aborted
   * @param options - cause (usually the signal's reason), if any
   */
  constructor(message = 'the operation was aborted', options?: PqbleErrorOptions) {
    super('PQBLE_ERR_ABORTED', message, options);
  }
}

/** An operation on a connection, transport, link or radio that was closed in order (`PQBLE_ERR_CLOSED`). */
export class ClosedError extends PqbleError {
  declare readonly code: 'PQBLE_ERR_CLOSED';

  /**
   * @param message - what is closed
   * @param options - cause, if any
   */
  constructor(message = 'closed', options?: PqbleErrorOptions) {
    super('PQBLE_ERR_CLOSED', message, options);
  }
}

/** The radio, the link or a connection failed or went away, or a queue overflowed. */
export class LinkError extends PqbleError {
  declare readonly code: LinkErrorCode;

  /**
   * @param code - one of {@link LinkErrorCode}
   * @param message - what happened
   * @param options - cause, if any
   */
  constructor(code: LinkErrorCode, message: string, options?: PqbleErrorOptions) {
    super(code, message, options);
  }
}

/** A packet or fragment could not be decoded or reassembled, or a message is over its size limit. */
export class FramingError extends PqbleError {
  declare readonly code: FramingErrorCode;

  /**
   * @param code - one of {@link FramingErrorCode}
   * @param message - what happened
   * @param options - cause, if any
   */
  constructor(code: FramingErrorCode, message: string, options?: PqbleErrorOptions) {
    super(code, message, options);
  }
}

/** The full handshake failed (malformed message, failed authentication, untrusted peer), or the peer speaks another protocol version. */
export class HandshakeError extends PqbleError {
  declare readonly code: HandshakeErrorCode;

  /**
   * @param code - one of {@link HandshakeErrorCode}
   * @param message - what happened
   * @param options - cause, if any
   */
  constructor(code: HandshakeErrorCode, message: string, options?: PqbleErrorOptions) {
    super(code, message, options);
  }
}

/** A secure record was malformed, forged, replayed or out of sequence, or a limit was hit. */
export class RecordError extends PqbleError {
  declare readonly code: RecordErrorCode;

  /**
   * @param code - one of {@link RecordErrorCode}
   * @param message - what happened
   * @param options - cause, if any
   */
  constructor(code: RecordErrorCode, message: string, options?: PqbleErrorOptions) {
    super(code, message, options);
  }
}

/** A resumption attempt failed. */
export class ResumptionError extends PqbleError {
  declare readonly code: ResumptionErrorCode;

  /**
   * @param code - one of {@link ResumptionErrorCode} (`PQBLE_ERR_RESUME_REJECTED` only through `ResumeRejectedError`)
   * @param message - what happened
   * @param options - cause, if any
   */
  constructor(code: ResumptionErrorCode, message: string, options?: PqbleErrorOptions) {
    super(code, message, options);
  }
}

/** A session cache file or key file could not be read or written. */
export class FileFormatError extends PqbleError {
  declare readonly code: FileFormatErrorCode;

  /**
   * @param code - one of {@link FileFormatErrorCode}
   * @param message - what happened
   * @param options - cause, if any
   */
  constructor(code: FileFormatErrorCode, message: string, options?: PqbleErrorOptions) {
    super(code, message, options);
  }
}

/** A session store call failed: I/O, lock, timeout, unreachable server, closed store. */
export class StoreError extends PqbleError {
  declare readonly code: StoreErrorCode;

  /**
   * @param code - one of {@link StoreErrorCode}
   * @param message - what happened
   * @param options - cause, if any
   */
  constructor(code: StoreErrorCode, message: string, options?: PqbleErrorOptions) {
    super(code, message, options);
  }
}

const MAKE: { readonly [N in PqbleErrorClassName]: (code: ErrorCodeOf<N>, message: string, options?: PqbleErrorOptions) => PqbleError } = {
  PqbleError: (code, message, options) => new PqbleError(code, message, options),
  TimeoutError: (code, message, options) => new TimeoutError(message, code, options),
  AbortError: (_code, message, options) => new AbortError(message, options),
  ClosedError: (_code, message, options) => new ClosedError(message, options),
  LinkError: (code, message, options) => new LinkError(code, message, options),
  FramingError: (code, message, options) => new FramingError(code, message, options),
  HandshakeError: (code, message, options) => new HandshakeError(code, message, options),
  RecordError: (code, message, options) => new RecordError(code, message, options),
  ResumptionError: (code, message, options) => new ResumptionError(code, message, options),
  ResumeRejectedError: (code, message, options) => new ResumptionError(code, message, options),
  FileFormatError: (code, message, options) => new FileFormatError(code, message, options),
  StoreError: (code, message, options) => new StoreError(code, message, options),
};

/**
 * A new error of the class that owns `code` ({@link ERROR_CLASS_OF_CODE}), for code that passes
 * a code along (a link's close reason copied into a later send's rejection). For
 * `PQBLE_ERR_RESUME_REJECTED` it is a plain {@link ResumptionError} (no reason is known).
 * @param code - any code
 * @param message - what happened
 * @param options - cause, if any
 */
export function codedError(code: PqbleErrorCode, message: string, options?: PqbleErrorOptions): PqbleError {
  const make = MAKE[ERROR_CLASS_OF_CODE[code]] as (code: PqbleErrorCode, message: string, options?: PqbleErrorOptions) => PqbleError;
  return make(code, message, options);
}

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
