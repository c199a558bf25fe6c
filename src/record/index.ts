/**
 * Secure record layer (docs/record.md: AEAD records with explicit
 * nonce/sequence management and a hard stop before a counter could wrap).
 *
 * One record is one whole message (the framing layer below fragments it):
 *
 * ```
 * [0x20 MessageType.Record] [ChaCha20-Poly1305(content || innerType)] [16-byte tag]
 * ```
 *
 * Each direction has its own 32-byte traffic key. From it the layer derives an AEAD key and a
 * 12-byte IV (HKDF-Expand, labels "pqble v1 record key" / "pqble v1 record iv"); record `n`
 * uses nonce `IV XOR (0x00000000 || u64be(n))`, AAD = the outer type byte. Sequence numbers are
 * implicit (the link is reliable and in order), so a replayed, reordered, dropped or tampered
 * record fails authentication, and after any failure the opener refuses everything.
 *
 * Pure and synchronous: no I/O, no timers.
 *
 * @module
 */

import { checkBytes, utf8ToBytes, wipe } from '../bytes.js';
import { checkCrypto, SIZES, type CryptoProvider } from '../crypto/index.js';
import { ClosedError, FramingError, RecordError, type RecordErrorCode } from '../errors.js';
import { checkInteger, checkOptionKeys } from '../util/options.js';
import { MessageType } from '../wire.js';

/** Bytes a record adds to its content: 1 outer type + 1 inner type + 16 tag = 18. */
export const RECORD_OVERHEAD_BYTES = 1 + 1 + SIZES.aeadTag;

/** Default {@link RecordLayerOptions.maxRecords}: 2**32 records per direction and key. */
const DEFAULT_MAX_RECORDS = 2 ** 32;

/** Default {@link RecordLayerOptions.maxPlaintextBytes}: 65536 - {@link RECORD_OVERHEAD_BYTES} = 65518. */
export const DEFAULT_MAX_PLAINTEXT_BYTES = 65536 - RECORD_OVERHEAD_BYTES;

/** Largest accepted {@link RecordLayerOptions.maxPlaintextBytes} (16 MiB). */
const MAX_PLAINTEXT_BYTES_LIMIT = 2 ** 24;

/**
 * Inner content type of a record: `'data'` carries one application message, `'close'` is the
 * orderly close-notify (empty content, the last record a side sends).
 */
export type RecordContentType = 'data' | 'close';

/** A decrypted record. */
export interface OpenedRecord {
  /** The inner content type. */
  readonly type: RecordContentType;
  /** The content (a fresh buffer owned by the caller). */
  readonly content: Uint8Array;
}

/** Options of {@link RecordSealer} and {@link RecordOpener}. */
export interface RecordLayerOptions {
  /**
   * Records this key may seal (or open); the next one throws `PQBLE_ERR_RECORD_LIMIT`.
   * Integer in 1..2**32. Default: 2**32 ({@link DEFAULT_MAX_RECORDS}), far below the 2**64
   * nonce space. Lower it in tests.
   */
  readonly maxRecords?: number;
  /**
   * Largest content of one record. Integer in 0..2**24. Default: 65518
   * ({@link DEFAULT_MAX_PLAINTEXT_BYTES}), so a whole record fits in 65536 bytes.
   */
  readonly maxPlaintextBytes?: number;
  /** Crypto backend. Default: `nobleCrypto`. */
  readonly crypto?: CryptoProvider;
}

const OPTION_KEYS = ['maxRecords', 'maxPlaintextBytes', 'crypto'] as const;

/** Inner content type bytes (the last plaintext byte of a record). */
const INNER_TYPE_BYTE: Readonly<Record<RecordContentType, number>> = { data: 0x01, close: 0x02 };
// 0x03 is reserved for a future 'ticket' content type; any byte other than 0x01/0x02 is refused.

const LABEL_RECORD_KEY = utf8ToBytes('pqble v1 record key');
const LABEL_RECORD_IV = utf8ToBytes('pqble v1 record iv');
const AAD = Uint8Array.of(MessageType.Record);
const TWO_POW_32 = 2 ** 32;

interface ResolvedOptions {
  readonly maxRecords: number;
  readonly maxPlaintextBytes: number;
  readonly crypto: CryptoProvider;
}

function resolveOptions(options: RecordLayerOptions | undefined): ResolvedOptions {
  checkOptionKeys(options, OPTION_KEYS, 'RecordLayerOptions');
  const maxRecords = options?.maxRecords === undefined ? DEFAULT_MAX_RECORDS : checkInteger(options.maxRecords, 'maxRecords', 1, DEFAULT_MAX_RECORDS);
  const maxPlaintextBytes =
    options?.maxPlaintextBytes === undefined
      ? DEFAULT_MAX_PLAINTEXT_BYTES
      : checkInteger(options.maxPlaintextBytes, 'maxPlaintextBytes', 0, MAX_PLAINTEXT_BYTES_LIMIT);
  return { maxRecords, maxPlaintextBytes, crypto: checkCrypto(options?.crypto) };
}

/** The AEAD key and IV of one direction, derived from its traffic key, plus the counter. */
class RecordState {
  readonly options: ResolvedOptions;
  readonly #aeadKey: Uint8Array;
  readonly #iv: Uint8Array;
  sequence = 0;
  destroyed = false;

  constructor(trafficKey: Uint8Array, options: RecordLayerOptions | undefined) {
    checkBytes(trafficKey, 'key', SIZES.aeadKey);
    this.options = resolveOptions(options);
    // HKDF-Expand never keeps a reference to its inputs: the caller's buffer is not retained.
    this.#aeadKey = this.options.crypto.hkdfExpand(trafficKey, LABEL_RECORD_KEY, SIZES.aeadKey);
    this.#iv = this.options.crypto.hkdfExpand(trafficKey, LABEL_RECORD_IV, SIZES.aeadNonce);
  }

  get key(): Uint8Array {
    return this.#aeadKey;
  }

  /** Nonce of record `sequence`: IV XOR (4 zero bytes || u64 big-endian sequence). */
  nonce(): Uint8Array {
    const nonce = this.#iv.slice();
    const high = Math.floor(this.sequence / TWO_POW_32);
    const low = this.sequence >>> 0;
    nonce[4] ^= (high >>> 24) & 0xff;
    nonce[5] ^= (high >>> 16) & 0xff;
    nonce[6] ^= (high >>> 8) & 0xff;
    nonce[7] ^= high & 0xff;
    nonce[8] ^= (low >>> 24) & 0xff;
    nonce[9] ^= (low >>> 16) & 0xff;
    nonce[10] ^= (low >>> 8) & 0xff;
    nonce[11] ^= low & 0xff;
    return nonce;
  }

  destroy(): void {
    wipe(this.#aeadKey, this.#iv);
    this.destroyed = true;
  }
}

/**
 * Seals outgoing records for one direction of one session.
 *
 * @example
 * ```ts
 * const sealer = new RecordSealer(keys.sendKey);
 * link.send(sealer.seal(message));
 * link.send(sealer.seal(new Uint8Array(0), 'close'));
 * sealer.destroy();
 * ```
 */
export class RecordSealer {
  readonly #state: RecordState;
  #closed = false;

  /**
   * @param key - the 32-byte traffic key of this direction (copied: derived keys are kept, never the caller's buffer)
   * @param options - limits and crypto backend, see {@link RecordLayerOptions}
   * @throws TypeError / RangeError for a bad key or bad options
   */
  constructor(key: Uint8Array, options?: RecordLayerOptions) {
    this.#state = new RecordState(key, options);
  }

  /** Records sealed so far, which is also the sequence number of the next record. */
  get sequence(): number {
    return this.#state.sequence;
  }

  /**
   * Encrypts one message into a record.
   * @param content - the message (not modified)
   * @param type - `'data'` (default) or `'close'` (content must be empty; no record may follow)
   * @returns the record: `[0x20] [ciphertext] [tag]`, `content.length + 18` bytes
   * @throws FramingError `PQBLE_ERR_MESSAGE_TOO_LARGE` if content exceeds `maxPlaintextBytes`;
   *   RecordError `PQBLE_ERR_RECORD_LIMIT` after `maxRecords` records, `PQBLE_ERR_RECORD_SEQUENCE`
   *   after a close record; ClosedError `PQBLE_ERR_CLOSED` after {@link RecordSealer.destroy};
   *   TypeError / RangeError for bad arguments
   */
  seal(content: Uint8Array, type: RecordContentType = 'data'): Uint8Array {
    checkBytes(content, 'content');
    if (type !== 'data' && type !== 'close') throw new TypeError(`record type must be 'data' or 'close'`);
    if (type === 'close' && content.length !== 0) throw new RangeError('a close record has empty content');
    const state = this.#state;
    if (state.destroyed) throw new ClosedError('the record sealer was destroyed');
    if (this.#closed) throw new RecordError('PQBLE_ERR_RECORD_SEQUENCE', 'no record may follow a close record');
    if (content.length > state.options.maxPlaintextBytes) {
      throw new FramingError('PQBLE_ERR_MESSAGE_TOO_LARGE', `record content is ${content.length} bytes, the limit is ${state.options.maxPlaintextBytes}`);
    }
    if (state.sequence >= state.options.maxRecords) {
      throw new RecordError('PQBLE_ERR_RECORD_LIMIT', `this key has sealed its limit of ${state.options.maxRecords} records`);
    }
    const plaintext = new Uint8Array(content.length + 1);
    plaintext.set(content);
    plaintext[content.length] = INNER_TYPE_BYTE[type];
    let sealed: Uint8Array;
    try {
      sealed = state.options.crypto.aeadSeal(state.key, state.nonce(), plaintext, AAD);
    } finally {
      wipe(plaintext);
    }
    state.sequence++;
    if (type === 'close') this.#closed = true;
    const record = new Uint8Array(1 + sealed.length);
    record[0] = MessageType.Record;
    record.set(sealed, 1);
    return record;
  }

  /** Wipes the derived key and IV; every later `seal` throws `PQBLE_ERR_CLOSED`. Idempotent. */
  destroy(): void {
    this.#state.destroy();
  }
}

/**
 * Opens incoming records for one direction of one session, in order.
 *
 * Any failure ends the session: after a record fails (forged, replayed, reordered, after a
 * dropped one, malformed), every later `open` throws the same code again. The caller then
 * closes the connection.
 */
export class RecordOpener {
  readonly #state: RecordState;
  #failure: RecordErrorCode | undefined;
  #closed = false;

  /**
   * @param key - the 32-byte traffic key of this direction (copied: derived keys are kept, never the caller's buffer)
   * @param options - limits and crypto backend, see {@link RecordLayerOptions}
   * @throws TypeError / RangeError for a bad key or bad options
   */
  constructor(key: Uint8Array, options?: RecordLayerOptions) {
    this.#state = new RecordState(key, options);
  }

  /** Records opened so far, which is also the sequence number expected next. */
  get sequence(): number {
    return this.#state.sequence;
  }

  /**
   * Authenticates and decrypts the next record.
   * @param record - one whole record message (not modified)
   * @returns its inner type and content
   * @throws RecordError `PQBLE_ERR_RECORD_MALFORMED` (wrong type byte, too short or too long,
   *   unknown inner type), `PQBLE_ERR_RECORD_AUTH` (forged, replayed, reordered or after a drop),
   *   `PQBLE_ERR_RECORD_LIMIT` after `maxRecords` records, `PQBLE_ERR_RECORD_SEQUENCE` for a
   *   record after a close record; ClosedError `PQBLE_ERR_CLOSED` after {@link RecordOpener.destroy};
   *   TypeError if `record` is not a Uint8Array
   */
  open(record: Uint8Array): OpenedRecord {
    checkBytes(record, 'record');
    const state = this.#state;
    if (state.destroyed) throw new ClosedError('the record opener was destroyed');
    if (this.#failure !== undefined) throw new RecordError(this.#failure, 'an earlier record failed: the session is over');
    if (this.#closed) this.#fail('PQBLE_ERR_RECORD_SEQUENCE', 'a record arrived after the close record');
    if (record.length < RECORD_OVERHEAD_BYTES || record.length > RECORD_OVERHEAD_BYTES + state.options.maxPlaintextBytes) {
      this.#fail(
        'PQBLE_ERR_RECORD_MALFORMED',
        `a record must be ${RECORD_OVERHEAD_BYTES}..${RECORD_OVERHEAD_BYTES + state.options.maxPlaintextBytes} bytes, got ${record.length}`,
      );
    }
    if (record[0] !== MessageType.Record) this.#fail('PQBLE_ERR_RECORD_MALFORMED', 'not a record message');
    if (state.sequence >= state.options.maxRecords) {
      throw new RecordError('PQBLE_ERR_RECORD_LIMIT', `this key has opened its limit of ${state.options.maxRecords} records`);
    }
    const plaintext = state.options.crypto.aeadOpen(state.key, state.nonce(), record.subarray(1), AAD);
    if (plaintext === undefined) this.#fail('PQBLE_ERR_RECORD_AUTH', 'record authentication failed');
    state.sequence++;
    const inner = plaintext[plaintext.length - 1];
    const content = plaintext.slice(0, plaintext.length - 1);
    wipe(plaintext);
    if (inner === INNER_TYPE_BYTE.data) return { type: 'data', content };
    if (inner === INNER_TYPE_BYTE.close && content.length === 0) {
      this.#closed = true;
      return { type: 'close', content };
    }
    return this.#fail('PQBLE_ERR_RECORD_MALFORMED', 'unknown inner content type or a close record with content');
  }

  /** Wipes the derived key and IV; every later `open` throws `PQBLE_ERR_CLOSED`. Idempotent. */
  destroy(): void {
    this.#state.destroy();
  }

  #fail(code: RecordErrorCode, message: string): never {
    this.#failure = code;
    throw new RecordError(code, message);
  }
}
