/**
 * The embedded, per-entry session store (docs/store.md): a {@link SessionStore} in one
 * append-only journal file with online compaction, entries sealed one by one, one owner per
 * file. Indexes live in memory (clear fingerprints and ticket ids never reach the disk); a
 * secret is unsealed when an entry is first used, not at load.
 *
 * @module
 */

import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { equalBytes, wipe } from '../../bytes.js';
import type { CryptoProvider } from '../../crypto/index.js';
import { nodeCrypto } from '../../crypto/node.js';
import { StoreError } from '../../errors.js';
import { consoleLogger, type Logger } from '../../logger.js';
import { checkOptionKeys } from '../../util/options.js';
import { errnoCode, syncDir } from '../../util/fs.js';
import type { InboundSlot, RatchetUpdate, SessionStore, SessionTouch, StoreCallOptions, StoredSession } from '../store.js';
import {
  copyOf,
  TICKET_ID_BYTES,
  asError,
  checkCallOptions,
  checkConsumeInboundArgs,
  checkReplaceOutboundArgs,
  type ConsumeInboundArgs,
  type ReplaceOutboundArgs,
  checkTouches,
  checkValueName,
  copyStoredSession,
  copyValue,
  runStoreCall,
  storeClosed,
  wipeStoredSession,
} from '../store-checks.js';
import { checkDeviceId, checkFingerprint, checkTimeMs, MAX_TIME_MS } from '../validate.js';
import { checkBytes } from '../../bytes.js';
import {
  CONSUMED_RECORD_BYTES,
  CONSUME_RECORD_BYTES,
  DELETE_RECORD_BYTES,
  ENTRY_AT,
  ENTRY_SEALED_BYTES,
  ENTRY_RECORD_BYTES,
  FILE_HEADER_BYTES,
  FLAG_INBOUND,
  FLAG_OUTBOUND,
  REC,
  SALT_BYTES,
  SEGMENT_RECORD_BYTES,
  TAG_BYTES,
  TOUCH_RECORD_BYTES,
  classifyFile,
  encodeFileHeader,
  sealCrc,
  valueRecordBytes,
  writeConsumedRecord,
  writeDeleteRecord,
  writeSegmentRecord,
  writeTouchRecord,
  writeValueDeleteRecord,
  writeValueHeader,
  type JournalRecord,
} from './format.js';
import { EntryIndex, latin1, type Plain, type Segment, type Slot } from './entry-index.js';
import { RecordWriter } from './writer.js';
import { JournalFile, SLICE_MS, ioError, scanJournal, yieldToLoop, type SegmentInfo } from './journal.js';
import { acquireStoreLock, type StoreLock } from './lock.js';
import { StoreKeys, openAt, sealAt } from './seal.js';
import { encodeEntryRecord, entryAad, entryRecordBytes, openEntryBody } from './record.js';
import { STORE_KEY_BYTES, readOrCreateStorageKeyFile, readStorageKeyFile } from './storage-key.js';
import { migrateV1File, type V1Entry } from './migrate-v1.js';

/** Most changes written (and fsynced) together in one group commit. */
const MAX_BATCH_OPS = 2048;

/** Default `timeoutMs` of a {@link FileSessionStore} call: 10 s. */
export const DEFAULT_FILE_STORE_TIMEOUT_MS = 10_000;
/** Default {@link FileSessionStoreOptions.maxFileBytes}: 2 GiB. */
export const DEFAULT_MAX_STORE_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** Default {@link FileSessionStoreOptions.compactMinBytes}: 1 MiB. */
export const DEFAULT_COMPACT_MIN_BYTES = 1024 * 1024;

const OPTION_KEYS = ['path', 'storageKey', 'keyPath', 'logger', 'crypto', 'now', 'timeoutMs', 'maxFileBytes', 'compactMinBytes', 'migrateV1', 'readOnly', 'maxEntries'] as const;

/** Entries looked at, oldest inserted first, to choose one to evict (see `maxEntries`). */
const EVICTION_SAMPLE = 32;

/** Options of {@link FileSessionStore.open}. */
export interface FileSessionStoreOptions {
  /** The store file. Its folder is created (mode 0700) if missing. */
  readonly path: string;
  /** The 32-byte storage key (copied). Default: the key in the key file at `keyPath` (created on first open). */
  readonly storageKey?: Uint8Array;
  /** The key file. Default `${path}.key`. */
  readonly keyPath?: string;
  /** Where warnings go (damage set aside, migration, a loose file mode). Default `consoleLogger`. */
  readonly logger?: Logger;
  /** AEAD, HKDF and random bytes. Default `nodeCrypto`. */
  readonly crypto?: CryptoProvider;
  /** Wall clock in ms (`.corrupt-<timestamp>` names). Default `Date.now`. */
  readonly now?: () => number;
  /** Default `timeoutMs` of every call. Default {@link DEFAULT_FILE_STORE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /**
   * Most entries kept: a `put` of a new peer beyond it evicts the least recently active of
   * the 32 oldest entries (an approximate LRU, O(1) at any size). Default unbounded (the
   * transport passes `maxCachedSessions`).
   */
  readonly maxEntries?: number;
  /** A bigger file is not opened (`PQBLE_ERR_STORE_IO`). Default 2 GiB. */
  readonly maxFileBytes?: number;
  /** Compaction starts once the file is bigger than this and than twice its live content. Default 1 MiB. */
  readonly compactMinBytes?: number;
  /**
   * Converts one entry of a version-1 cache file found at `path` (one resumption secret) to
   * the direction-separated model; `undefined` drops it. The transport supplies it (the
   * derivation belongs to the resumption protocol). Without it a version-1 file is set aside
   * as `<path>.v1-<timestamp>` and the store starts empty.
   */
  readonly migrateV1?: (entry: V1Entry) => StoredSession | undefined;
  /**
   * Inspection only (`pqble sessions list`): no lock is taken and the file is never changed
   * (no migration, nothing set aside or cut off, no key file created); every change rejects
   * with `PQBLE_ERR_STORE_IO`. A missing or unusable file or key file rejects the open.
   * Reads what a running owner had written when the file was read. Default `false`.
   */
  readonly readOnly?: boolean;
}

/** A change waiting to be written. */
interface PendingOp {
  readonly encode: (w: RecordWriter) => void;
  readonly undo: () => void;
  /** Resolves when durable (or written, for best-effort ops). */
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  /** Called once the bytes are on disk. */
  readonly written?: () => void;
}

function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}

function checkPath(value: unknown, label: string): string {
  if (typeof value !== 'string') throw new TypeError(`${label} must be a string`);
  if (value.length === 0 || value.includes('\0')) throw new RangeError(`${label} must be a non-empty path without NUL`);
  return value;
}

function checkPositive(value: unknown, label: string, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${label} must be a number`);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new RangeError(`${label} must be a whole number in 1..${max}`);
  return value;
}

/**
 * The embedded per-entry {@link SessionStore} (docs/store.md). Open it with
 * {@link FileSessionStore.open}; one store owns a file (a second open, in this process or
 * another, rejects with `PQBLE_ERR_STORE_LOCKED`).
 *
 * - `put`, `consumeInbound`, `replaceOutbound`, `delete` and `prune` resolve once their
 *   record is fsynced; concurrent calls share one write and one fsync (group commit).
 * - `touch` and `putValue` are written with the next batch without waiting for it.
 * - A write that fails rejects every change not yet written with `PQBLE_ERR_STORE_IO` and
 *   rolls them back (the file is truncated to its last good end); durable entries stay.
 * - Damaged records are skipped and copied to `<path>.corrupt-<timestamp>` with a warning.
 *
 * @example
 * ```ts
 * const store = await FileSessionStore.open({ path: '/var/lib/myapp/pqble-sessions.db' });
 * const hit = await store.getByTicket(ticketId, { timeoutMs: 50 });
 * await store.close();
 * ```
 */
export class FileSessionStore implements SessionStore {
  /** The store file. */
  readonly path: string;
  /** The key file (unused when the storage key was given). */
  readonly keyPath: string;

  readonly #crypto: CryptoProvider;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #maxEntries: number;
  readonly #compactMinBytes: number;
  #keys!: StoreKeys;
  #lock!: StoreLock;
  #journal!: JournalFile;
  #segment!: Segment;
  #segmentStart = 0;
  #readOnly = false;
  /** A new segment must start before the next append (after a rollback or at open). */
  #needSegment = true;

  readonly #index = new EntryIndex();
  readonly #values = new Map<string, Uint8Array>();

  #queue: PendingOp[] = [];
  #flushing: Promise<void> | undefined;
  #paused = false;
  #closed = false;
  #failed: StoreError | undefined;
  #compaction: { dirty: Set<string>; cancelled: boolean; done: Promise<void> } | undefined;

  private constructor(options: FileSessionStoreOptions) {
    this.path = checkPath(options.path, 'path');
    this.keyPath = options.keyPath === undefined ? `${this.path}.key` : checkPath(options.keyPath, 'keyPath');
    if (this.keyPath === this.path) throw new RangeError('keyPath must differ from path');
    const logger = options.logger ?? consoleLogger;
    if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') throw new TypeError('logger must have a warn(message, fields) method');
    this.#logger = logger;
    const crypto = options.crypto ?? nodeCrypto;
    if (typeof crypto !== 'object' || crypto === null || typeof crypto.aeadSeal !== 'function') throw new TypeError('crypto must be a CryptoProvider');
    this.#crypto = crypto;
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') throw new TypeError('now must be a function');
    this.#now = now;
    this.#timeoutMs = checkCallOptions({ timeoutMs: options.timeoutMs ?? DEFAULT_FILE_STORE_TIMEOUT_MS }, 0).timeoutMs;
    this.#maxEntries = options.maxEntries === undefined ? Infinity : checkPositive(options.maxEntries, 'maxEntries', 2 ** 31 - 1);
    this.#compactMinBytes = options.compactMinBytes === undefined ? DEFAULT_COMPACT_MIN_BYTES : checkPositive(options.compactMinBytes, 'compactMinBytes', 2 ** 40);
  }

  /**
   * Opens (or creates) the store at `options.path`: takes the lock, removes temp files of
   * killed writes, reads the journal (setting damage aside), migrates a version-1 file.
   * Secrets are not unsealed here.
   * @throws TypeError / RangeError for malformed options
   * @throws StoreError `PQBLE_ERR_STORE_LOCKED` (another owner), `PQBLE_ERR_STORE_IO` (cannot read or create)
   */
  static async open(options: FileSessionStoreOptions): Promise<FileSessionStore> {
    if (typeof options !== 'object' || options === null) throw new TypeError('FileSessionStore options must be an object');
    checkOptionKeys(options, OPTION_KEYS, 'FileSessionStore');
    const store = new FileSessionStore(options);
    let storageKey: Uint8Array | undefined;
    if (options.storageKey !== undefined) {
      checkBytes(options.storageKey, 'storageKey', STORE_KEY_BYTES);
      storageKey = copyOf(options.storageKey);
    }
    const maxFileBytes = options.maxFileBytes === undefined ? DEFAULT_MAX_STORE_FILE_BYTES : checkPositive(options.maxFileBytes, 'maxFileBytes', 2 ** 32);
    if (options.migrateV1 !== undefined && typeof options.migrateV1 !== 'function') throw new TypeError('migrateV1 must be a function');
    if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') throw new TypeError('readOnly must be a boolean');
    if (options.readOnly === true) await store.#openReadOnly(storageKey, maxFileBytes);
    else await store.#open(storageKey, options.storageKey !== undefined, maxFileBytes, options.migrateV1, options.storageKey);
    return store;
  }

  async #openReadOnly(storageKey: Uint8Array | undefined, maxFileBytes: number): Promise<void> {
    this.#readOnly = true;
    const bytes = await this.#readWhole(maxFileBytes);
    if (bytes === undefined) throw new StoreError('PQBLE_ERR_STORE_IO', `no session store file at ${this.path}`, { cause: Object.assign(new Error('ENOENT'), { code: 'ENOENT' }) });
    const kind = classifyFile(bytes.subarray(0, FILE_HEADER_BYTES));
    if (kind === 'v1-json') throw new StoreError('PQBLE_ERR_STORE_IO', `${this.path} is a version-1 session cache file, not a version-2 store`);
    if (kind !== 'v2') throw new StoreError('PQBLE_ERR_STORE_IO', `${this.path} is not a pqble session store file`);
    const key = storageKey ?? (await readStorageKeyFile(this.keyPath));
    if (key === undefined) throw new StoreError('PQBLE_ERR_STORE_IO', `no storage key file at ${this.keyPath} (the store's entries are sealed under it)`);
    this.#keys = new StoreKeys(this.#crypto, key);
    wipe(key);
    await this.#load(bytes);
  }

  async #open(
    storageKey: Uint8Array | undefined,
    keyGiven: boolean,
    maxFileBytes: number,
    migrate: FileSessionStoreOptions['migrateV1'],
    callerKey: Uint8Array | undefined,
  ): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw ioError('create the folder of', this.path, err);
    }
    this.#lock = await acquireStoreLock(this.path);
    try {
      await this.#removeTempFiles();
      let bytes: Uint8Array | undefined = await this.#readWhole(maxFileBytes);
      let kind = bytes === undefined ? 'empty' : classifyFile(bytes.subarray(0, FILE_HEADER_BYTES));
      let migrated: V1Entry[] | undefined;
      if (kind === 'v1-json') {
        migrated = await migrateV1File(this.path, {
          logger: this.#logger,
          crypto: this.#crypto,
          keyPath: this.keyPath,
          ...(callerKey === undefined ? {} : { storageKey: callerKey }),
        });
        if (migrate === undefined) {
          for (const e of migrated) wipe(e.resumptionSecret);
          migrated = undefined;
          await this.#setAsideWhole('v1', 'it is a version-1 cache file and no migrateV1 conversion was given');
        }
        bytes = undefined;
        kind = 'empty';
      } else if (kind === 'foreign' || (kind === 'short' && bytes !== undefined && bytes.length > 0)) {
        await this.#setAsideWhole('corrupt', kind === 'short' ? 'the file header is incomplete' : 'it is not a pqble session store file (bad header)');
        bytes = undefined;
        kind = 'empty';
      }
      if (storageKey === undefined && !keyGiven) {
        if (kind === 'v2') {
          storageKey = await readStorageKeyFile(this.keyPath, (m) => this.#warnMode(m));
          if (storageKey === undefined) {
            await this.#setAsideWhole('corrupt', `the storage key file ${this.keyPath} is missing, so the sealed entries cannot be opened`);
            bytes = undefined;
            kind = 'empty';
          }
        }
        if (storageKey === undefined) storageKey = (await readOrCreateStorageKeyFile(this.keyPath, this.#crypto, (m) => this.#warnMode(m))).key;
      }
      this.#keys = new StoreKeys(this.#crypto, storageKey!);
      wipe(storageKey);
      if (kind === 'v2' && bytes !== undefined) {
        await this.#load(bytes);
      } else {
        await this.#createFile(migrated === undefined ? [] : migrated.map((e) => migrate!(e)).filter((s): s is StoredSession => s !== undefined));
        for (const e of migrated ?? []) wipe(e.resumptionSecret);
        if (migrated !== undefined) this.#warn(`pqble: migrated the version-1 session cache ${this.path} to the version-2 store (${this.#index.byFp.size} entries)`, { path: this.path });
      }
    } catch (err) {
      await this.#journalHandle()?.close().catch(() => undefined);
      await this.#lock.release();
      if (err instanceof StoreError) throw err;
      throw ioError('open', this.path, err);
    }
  }

  #journalHandle(): FileHandle | undefined {
    return (this.#journal as JournalFile | undefined)?.handle;
  }

  async #readWhole(maxFileBytes: number): Promise<Uint8Array | undefined> {
    try {
      const st = await stat(this.path);
      if (!st.isFile()) throw new StoreError('PQBLE_ERR_STORE_IO', `the session store ${this.path} is not a regular file`);
      if (st.size > maxFileBytes) throw new StoreError('PQBLE_ERR_STORE_IO', `the session store ${this.path} is ${st.size} bytes, over maxFileBytes (${maxFileBytes})`);
      return new Uint8Array(await readFile(this.path));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      if (err instanceof StoreError) throw err;
      throw ioError('read', this.path, err);
    }
  }

  async #removeTempFiles(): Promise<void> {
    const dir = dirname(this.path);
    const base = basename(this.path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith(`${base}.compact-`) || n.startsWith(`${base}.tmp-`)) await unlink(join(dir, n)).catch(() => undefined);
    }
  }

  /** Renames the whole file aside as `<path>.<what>-<timestamp>`. */
  async #setAsideWhole(what: 'corrupt' | 'v1', reason: string): Promise<void> {
    const target = `${this.path}.${what}-${fileStamp(this.#nowMs())}-${nodeRandomBytes(3).toString('hex')}`;
    try {
      await rename(this.path, target);
      this.#warn(`pqble: session store ${this.path}: ${reason}; set it aside as ${target} and started empty`, { path: this.path, movedTo: target, reason });
    } catch (err) {
      // Already gone (the version-1 reader sets a damaged cache file aside itself): nothing
      // is left to move, and the store starts empty as it would have.
      if (errnoCode(err) === 'ENOENT') return;
      throw ioError('set aside', this.path, err);
    }
  }

  /** Writes damaged bytes to `<path>.corrupt-<timestamp>` (mode 0600). */
  async #setAsideBytes(parts: Uint8Array[], reason: string): Promise<void> {
    const target = `${this.path}.corrupt-${fileStamp(this.#nowMs())}-${nodeRandomBytes(3).toString('hex')}`;
    try {
      await writeFile(target, Buffer.concat(parts), { mode: 0o600, flag: 'wx' });
      this.#warn(`pqble: session store ${this.path}: ${reason}; copied the damaged bytes to ${target} and kept every good entry`, { path: this.path, movedTo: target, reason });
    } catch {
      this.#warn(`pqble: session store ${this.path}: ${reason}; kept every good entry (the damaged bytes could not be copied aside)`, { path: this.path, reason });
    }
  }

  #warn(message: string, fields: Record<string, unknown>): void {
    try {
      this.#logger.warn(message, fields);
    } catch {
      // a throwing logger must not break the store
    }
  }

  #warnMode(mode: number): void {
    this.#warn(`pqble: storage key file ${this.keyPath} had mode ${mode.toString(8).padStart(4, '0')}, which lets other users read it; changed it to 0600`, { path: this.keyPath });
  }

  #nowMs(): number {
    const n = this.#now();
    return Number.isFinite(n) && n >= 0 && n <= MAX_TIME_MS ? Math.floor(n) : Date.now();
  }

  // -------------------------------------------------------------------------------------
  // Load

  async #load(bytes: Uint8Array): Promise<void> {
    const segments = new Map<number, Segment>();
    const segmentOf = (info: SegmentInfo): Segment => {
      let s = segments.get(info.start);
      if (s === undefined) {
        const salt = copyOf(info.salt);
        s = { salt, key: this.#keys.segmentKey(salt) };
        segments.set(info.start, s);
      }
      return s;
    };
    const valueSeals: { name: string; segment: Segment; offset: number; aad: Uint8Array; sealed: Uint8Array }[] = [];
    const sink = (rec: JournalRecord, info: SegmentInfo, p: number): void => {
      switch (rec.type) {
        case 'entry': {
          const hasIn = (rec.flags & FLAG_INBOUND) !== 0;
          const slot: Slot = {
            fp: latin1(rec.fpKey),
            ticket: hasIn ? latin1(rec.ticketKey) : undefined,
            clearFp: undefined,
            hint: rec.deviceHint,
            establishedMs: rec.establishedMs,
            lastActiveMs: rec.lastActiveMs,
            flags: rec.flags,
            at: { segment: segmentOf(info), offset: p - info.start, type: rec.aad[0], buf: bytes, pos: p + ENTRY_AT.sealed },
            plain: undefined,
          };
          if (rec.consumedKey !== undefined) this.#index.rememberConsumed(latin1(rec.consumedKey));
          this.#index.set(slot);
          break;
        }
        case 'delete':
          this.#index.remove(latin1(rec.fpKey));
          break;
        case 'touch': {
          const s = this.#index.byFp.get(latin1(rec.fpKey));
          if (s !== undefined && rec.lastActiveMs > s.lastActiveMs) s.lastActiveMs = rec.lastActiveMs;
          break;
        }
        case 'consumed':
          this.#index.rememberConsumed(latin1(rec.ticketKey));
          break;
        case 'value':
          valueSeals.push({ name: rec.name, segment: segmentOf(info), offset: p - info.start, aad: rec.aad, sealed: rec.sealed });
          this.#values.delete(rec.name);
          break;
        case 'valueDelete':
          for (let i = valueSeals.length - 1; i >= 0; i--) if (valueSeals[i].name === rec.name) valueSeals.splice(i, 1);
          this.#values.delete(rec.name);
          break;
        case 'segment':
          break;
      }
    };
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const fastEntry = (b: Uint8Array, p: number, len: number, info: SegmentInfo): void => {
      const type = b[p];
      const flags = type & 0x03;
      const slot: Slot = {
        fp: view.toString('latin1', p + ENTRY_AT.fpKey, p + ENTRY_AT.fpKey + 32),
        ticket: (flags & FLAG_INBOUND) !== 0 ? view.toString('latin1', p + ENTRY_AT.ticketKey, p + ENTRY_AT.ticketKey + 16) : undefined,
        clearFp: undefined,
        hint: view.readUInt32BE(p + ENTRY_AT.deviceHint),
        establishedMs: view.readUIntBE(p + ENTRY_AT.established, 6),
        lastActiveMs: view.readUIntBE(p + ENTRY_AT.lastActive, 6),
        flags,
        at: { segment: segmentOf(info), offset: p - info.start, type, buf: bytes, pos: p + ENTRY_AT.sealed },
        plain: undefined,
      };
      if (len === CONSUME_RECORD_BYTES) this.#index.rememberConsumed(view.toString('latin1', p + ENTRY_RECORD_BYTES - 4, p + ENTRY_RECORD_BYTES + 12));
      this.#index.set(slot);
    };
    const result = await scanJournal(bytes, sink, undefined, fastEntry);
    // Values: the last record of each name wins; unsealed now (there are few).
    const lastOf = new Map<string, (typeof valueSeals)[number]>();
    for (const v of valueSeals) lastOf.set(v.name, v);
    for (const v of lastOf.values()) {
      const plain = openAt(this.#crypto, v.segment.key, v.offset, v.aad, v.sealed);
      if (plain === undefined) this.#warn(`pqble: session store ${this.path}: the value "${v.name}" does not verify; dropped it`, { path: this.path, name: v.name });
      else this.#values.set(v.name, plain);
    }
    const aside: Uint8Array[] = result.damaged.map((r) => bytes.subarray(r.from, r.to));
    if (result.tail?.kind === 'damaged') aside.push(bytes.subarray(result.tail.range.from, result.tail.range.to));
    if (aside.length > 0 && this.#readOnly) {
      this.#warn(`pqble: session store ${this.path}: ${aside.length} damaged place${aside.length === 1 ? '' : 's'} skipped (read-only: nothing set aside)`, { path: this.path });
    } else if (aside.length > 0) {
      const n = aside.reduce((a, b) => a + b.length, 0);
      await this.#setAsideBytes(aside, `${n} damaged bytes in ${aside.length} place${aside.length === 1 ? '' : 's'} were skipped`);
    }
    let fh: FileHandle;
    try {
      fh = await open(this.path, this.#readOnly ? 'r' : 'r+');
    } catch (err) {
      throw ioError('open', this.path, err);
    }
    this.#journal = new JournalFile(this.path, fh, bytes.length);
    if (result.tail !== undefined && !this.#readOnly) {
      if (result.tail.kind === 'torn') {
        this.#warn(`pqble: session store ${this.path}: dropped an incomplete last record (${result.tail.range.to - result.tail.range.from} bytes of a write that did not finish)`, { path: this.path });
      }
      try {
        await fh.truncate(result.validEnd);
        await fh.datasync();
      } catch (err) {
        throw ioError('truncate', this.path, err);
      }
      this.#journal.size = result.validEnd;
    }
    // `bytes` stays: the slots' sealed bodies are views into it (it holds no secret in clear).
    this.#needSegment = true;
  }

  /** A new, empty file (or one holding `initial`, from a migration), written atomically. */
  async #createFile(initial: StoredSession[]): Promise<void> {
    const tmp = `${this.path}.tmp-${process.pid}-${nodeRandomBytes(6).toString('hex')}`;
    let fh: FileHandle | undefined;
    try {
      for (const s of initial) this.#index.set(this.#slotOf(copyStoredSession(s, 'migrateV1 result'), 0));
      fh = await open(tmp, 'wx', 0o600);
      const { size, segment, start } = await this.#writeSnapshot(fh, () => false, true);
      this.#segment = segment;
      this.#segmentStart = start;
      this.#needSegment = false;
      await fh.sync();
      await rename(tmp, this.path);
      await syncDir(dirname(this.path));
      this.#journal = new JournalFile(this.path, fh, size);
      fh = undefined;
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err instanceof StoreError ? err : ioError('create', this.path, err);
    }
  }

  // -------------------------------------------------------------------------------------
  // Indexes

  #slotOf(s: StoredSession, type: number): Slot {
    const flags = (s.outbound !== undefined ? FLAG_OUTBOUND : 0) | (s.inbound !== undefined ? FLAG_INBOUND : 0);
    return {
      fp: this.#fpKeyOf(s.peerFingerprint),
      ticket: s.inbound === undefined ? undefined : latin1(this.#keys.ticketKey(s.inbound.ticketId)),
      clearFp: s.peerFingerprint,
      hint: this.#keys.deviceHint(Buffer.from(s.deviceId, 'hex')),
      establishedMs: s.establishedMs,
      lastActiveMs: s.lastActiveMs,
      flags: flags | (type & 0xf0),
      at: undefined,
      plain: { deviceId: s.deviceId, outbound: s.outbound, inboundSecret: s.inbound?.secret },
    };
  }

  /** The index key of a (checked) fingerprint. */
  #fpKeyOf(fp: string): string {
    return latin1(this.#keys.fpKey(Buffer.from(fp, 'hex')));
  }

  /** The index key of a ticket id. */
  #ticketKeyOf(ticketId: Uint8Array): string {
    return latin1(this.#keys.ticketKey(ticketId));
  }

  /** The clear fingerprint of a slot (unblinded once, then kept). */
  #clearFp(s: Slot): string {
    s.clearFp ??= this.#keys.fingerprintOf(Buffer.from(s.fp, 'latin1')).toString('hex');
    return s.clearFp;
  }

  /** The clear inbound ticket id of a slot. */
  #clearTicket(s: Slot): Uint8Array | undefined {
    return s.ticket === undefined ? undefined : new Uint8Array(this.#keys.ticketIdOf(Buffer.from(s.ticket, 'latin1')));
  }

  /** The entry's secrets: cached, or unsealed now (not cached). `undefined` if its seal does not verify (then it is dropped). */
  #plainOf(s: Slot): Plain | undefined {
    if (s.plain !== undefined) return s.plain;
    const at = s.at!;
    const aad = entryAad(at.type, Buffer.from(s.fp, 'latin1'), s.ticket === undefined ? undefined : Buffer.from(s.ticket, 'latin1'), s.hint, s.establishedMs);
    const p = openEntryBody(this.#crypto, at.segment.key, at.offset, aad, at.buf.subarray(at.pos, at.pos + ENTRY_SEALED_BYTES));
    if (p === undefined) {
      this.#warn(`pqble: session store ${this.path}: an entry does not verify (damaged, or sealed under another storage key); dropped it`, { path: this.path });
      this.#index.remove(s.fp);
      return undefined;
    }
    return { deviceId: Buffer.from(p.deviceId).toString('hex'), outbound: p.outbound, inboundSecret: p.inboundSecret };
  }

  #sessionOf(s: Slot): StoredSession | undefined {
    const p = this.#plainOf(s);
    if (p === undefined) return undefined;
    const ticketId = this.#clearTicket(s);
    const out: StoredSession = {
      peerFingerprint: this.#clearFp(s),
      deviceId: p.deviceId,
      establishedMs: s.establishedMs,
      lastActiveMs: s.lastActiveMs,
      outbound: copyOf(p.outbound),
      inbound: ticketId === undefined || p.inboundSecret === undefined ? undefined : { secret: copyOf(p.inboundSecret), ticketId },
    };
    if (p !== s.plain) wipe(p.outbound, p.inboundSecret);
    return out;
  }

  #liveBytes(): number {
    let v = 0;
    for (const [name, value] of this.#values) v += valueRecordBytes(name.length, value.length);
    return FILE_HEADER_BYTES + SEGMENT_RECORD_BYTES + this.#index.byFp.size * ENTRY_RECORD_BYTES + this.#index.consumed.size * CONSUMED_RECORD_BYTES + v;
  }

  // -------------------------------------------------------------------------------------
  // Encoding

  #writeEntry(w: RecordWriter, s: Slot, consumedTicket: string | undefined, keepLocation: boolean): void {
    const plain = this.#plainOf(s);
    if (plain === undefined) return;
    const o = w.reserve(consumedTicket === undefined ? entryRecordBytes(undefined) : entryRecordBytes(new Uint8Array(16)));
    const segOff = w.segmentOffset(o);
    const fields = {
      fpKey: Buffer.from(s.fp, 'latin1'),
      deviceId: plain.deviceId,
      establishedMs: s.establishedMs,
      lastActiveMs: s.lastActiveMs,
      outbound: plain.outbound,
      inboundSecret: plain.inboundSecret,
      ticketKey: s.ticket === undefined ? undefined : Buffer.from(s.ticket, 'latin1'),
    };
    const consumedKey = consumedTicket === undefined ? undefined : Buffer.from(consumedTicket, 'latin1');
    const sealed = encodeEntryRecord(w.buf, o, this.#crypto, w.segment.key, segOff, fields, s.hint, consumedKey);
    if (keepLocation) s.at = { segment: w.segment, offset: segOff, type: w.buf[o], buf: copyOf(sealed), pos: 0 };
    if (plain !== s.plain) wipe(plain.outbound, plain.inboundSecret);
  }

  #writeValue(w: RecordWriter, name: string, value: Uint8Array | undefined): void {
    if (value === undefined) {
      const o = w.reserve(2 + name.length + 4);
      writeValueDeleteRecord(w.buf, o, name);
      return;
    }
    const o = w.reserve(valueRecordBytes(name.length, value.length));
    const head = writeValueHeader(w.buf, o, name, value.length);
    const sealed = sealAt(this.#crypto, w.segment.key, w.segmentOffset(o), w.buf.subarray(o, o + head), value);
    w.buf.set(sealed, o + head);
    sealCrc(w.buf, o, o + head + value.length + TAG_BYTES);
  }

  #newSegment(w: RecordWriter): void {
    const salt = this.#crypto.randomBytes(SALT_BYTES);
    const o = w.reserve(SEGMENT_RECORD_BYTES);
    writeSegmentRecord(w.buf, o, salt);
    w.segment = { salt, key: this.#keys.segmentKey(salt) };
    w.segmentStart = w.base + o;
  }

  /**
   * Writes a whole file for the current state into `fh` from offset 0 (header, a new
   * segment, every entry, the consumed tickets, the values), in slices with yields.
   * Returns its size. `cancelled()` aborts between slices.
   */
  async #writeSnapshot(fh: FileHandle, cancelled: () => boolean, withExtras: boolean): Promise<{ size: number; segment: Segment; start: number }> {
    const salt = this.#crypto.randomBytes(SALT_BYTES);
    const segment: Segment = { salt, key: this.#keys.segmentKey(salt) };
    let w = new RecordWriter(0, segment, FILE_HEADER_BYTES, 1024 * 1024);
    w.buf.set(encodeFileHeader(), w.reserve(FILE_HEADER_BYTES));
    writeSegmentRecord(w.buf, w.reserve(SEGMENT_RECORD_BYTES), salt);
    let written = 0;
    const flush = async (): Promise<void> => {
      const b = w.bytes();
      let done = 0;
      while (done < b.length) done += (await fh.write(b, done, b.length - done, written + done)).bytesWritten;
      written += b.length;
      w.wipe();
      w = new RecordWriter(written, segment, FILE_HEADER_BYTES, 1024 * 1024);
    };
    let sliceStart = performance.now();
    let n = 0;
    for (const s of this.#index.byFp.values()) {
      this.#writeEntry(w, s, undefined, false);
      if ((++n & 63) === 0 && performance.now() - sliceStart > SLICE_MS) {
        if (w.len > 512 * 1024) await flush();
        else await yieldToLoop();
        if (cancelled()) throw new StoreError('PQBLE_ERR_STORE_CLOSED', 'compaction cancelled');
        sliceStart = performance.now();
      }
    }
    if (withExtras) {
      for (const t of this.#index.consumed) writeConsumedRecord(w.buf, w.reserve(CONSUMED_RECORD_BYTES), Buffer.from(t, 'latin1'));
      for (const [name, value] of this.#values) this.#writeValue(w, name, value);
    }
    await flush();
    return { size: written, segment, start: FILE_HEADER_BYTES };
  }

  // -------------------------------------------------------------------------------------
  // Writing: group commit

  #enqueue(encode: (w: RecordWriter) => void, undo: () => void, durable: boolean): Promise<void> {
    if (this.#readOnly) {
      undo();
      return Promise.reject(new StoreError('PQBLE_ERR_STORE_IO', `the session store ${this.path} was opened read-only`));
    }
    let op!: PendingOp;
    const p = new Promise<void>((resolve, reject) => {
      op = { encode, undo, resolve, reject };
    });
    this.#queue.push(op);
    this.#kick();
    if (!durable) {
      // Best effort: resolves now; a failure is logged.
      p.catch((err: unknown) => this.#warn(`pqble: session store ${this.path}: a best-effort change was not written (${asError(err).message})`, { path: this.path }));
      return Promise.resolve();
    }
    return p;
  }

  #kick(): void {
    if (this.#flushing !== undefined || this.#paused || this.#queue.length === 0) return;
    this.#flushing = this.#flushLoop().finally(() => {
      this.#flushing = undefined;
      this.#kick();
    });
  }

  async #flushLoop(): Promise<void> {
    while (this.#queue.length > 0 && !this.#paused) {
      // Bounded batches (a batch is encoded, written and fsynced as one).
      const batch = this.#queue.length <= MAX_BATCH_OPS ? this.#queue : this.#queue.slice(0, MAX_BATCH_OPS);
      this.#queue = batch === this.#queue ? [] : this.#queue.slice(MAX_BATCH_OPS);
      await this.#writeBatch(batch);
      this.#maybeCompact();
    }
  }

  async #writeBatch(batch: PendingOp[]): Promise<void> {
    if (this.#failed !== undefined) {
      this.#failAll(batch, this.#failed);
      return;
    }
    const j = this.#journal;
    const w = new RecordWriter(j.size, this.#segment, this.#segmentStart);
    try {
      if (this.#needSegment) this.#newSegment(w);
      let sliceStart = performance.now();
      for (let i = 0; i < batch.length; i++) {
        batch[i].encode(w);
        if ((i & 63) === 63 && performance.now() - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        }
      }
      await j.append(w.bytes(), true);
      this.#segment = w.segment;
      this.#segmentStart = w.segmentStart;
      this.#needSegment = false;
    } catch (err) {
      w.wipe();
      // Never reuse a nonce: the next append starts a new segment.
      this.#needSegment = true;
      const error = err instanceof StoreError ? err : ioError('write', this.path, err);
      if ('rollbackFailed' in error) {
        this.#failed = new StoreError('PQBLE_ERR_STORE_IO', `the session store ${this.path} could not roll back a failed write; reopen it`, { cause: error });
      }
      // Undo the batch and everything queued after it (applied on top of it), newest first.
      const later = this.#queue;
      this.#queue = [];
      this.#failAll([...batch, ...later], error);
      return;
    }
    w.wipe();
    // Settle in slices: every caller's continuation runs when its promise settles.
    for (let i = 0; i < batch.length; i++) {
      batch[i].written?.();
      batch[i].resolve();
      if ((i & 255) === 255 && i + 1 < batch.length) await yieldToLoop();
    }
  }

  #failAll(ops: PendingOp[], err: StoreError): void {
    for (let i = ops.length - 1; i >= 0; i--) {
      try {
        ops[i].undo();
      } catch {
        // undo never throws; keep going
      }
    }
    for (const op of ops) op.reject(err);
  }

  // -------------------------------------------------------------------------------------
  // Compaction

  #maybeCompact(): void {
    if (this.#readOnly || this.#compaction !== undefined || this.#closed || this.#failed !== undefined) return;
    const size = this.#journal.size;
    if (size < this.#compactMinBytes || size < 2 * this.#liveBytes()) return;
    void this.compact().catch((err: unknown) => {
      this.#warn(`pqble: session store ${this.path}: compaction failed (${asError(err).message}); the journal stays as it is`, { path: this.path });
    });
  }

  /**
   * Rewrites the journal with only the live state, online: calls keep being served (and
   * written to the old journal) meanwhile; the new file replaces the old one atomically.
   * Runs automatically when the file is over `compactMinBytes` and twice its live content.
   * Resolves when done (at once if one is running: then with that one).
   * @throws StoreError `PQBLE_ERR_STORE_IO` if the new file cannot be written (the old one stays)
   */
  compact(): Promise<void> {
    if (this.#closed) return Promise.reject(storeClosed('compact'));
    if (this.#readOnly) return Promise.reject(new StoreError('PQBLE_ERR_STORE_IO', `the session store ${this.path} was opened read-only`));
    if (this.#compaction !== undefined) return this.#compaction.done;
    const state = { dirty: new Set<string>(), cancelled: false, done: Promise.resolve() };
    this.#compaction = state;
    this.#index.dirty = state.dirty;
    state.done = this.#compact(state).finally(() => {
      this.#compaction = undefined;
      this.#index.dirty = undefined;
    });
    return state.done;
  }

  async #compact(state: { dirty: Set<string>; cancelled: boolean }): Promise<void> {
    const tmp = `${this.path}.compact-${process.pid}-${nodeRandomBytes(6).toString('hex')}`;
    let fh: FileHandle | undefined;
    let paused = false;
    try {
      fh = await open(tmp, 'wx', 0o600);
      // 1. Bulk copy, while calls go on (their entries become dirty).
      const snap = await this.#writeSnapshot(fh, () => state.cancelled, false);
      let size = snap.size;
      const newSegment = snap.segment;
      const newStart = snap.start;
      // 2. Stop the writer between batches and catch up with what changed meanwhile.
      this.#paused = true;
      paused = true;
      if (this.#flushing !== undefined) await this.#flushing;
      if (state.cancelled) throw new StoreError('PQBLE_ERR_STORE_CLOSED', 'compaction cancelled');
      const w = new RecordWriter(size, newSegment, newStart);
      for (const fp of state.dirty) {
        const s = this.#index.byFp.get(fp);
        if (s === undefined) writeDeleteRecord(w.buf, w.reserve(DELETE_RECORD_BYTES), Buffer.from(fp, 'latin1'));
        else this.#writeEntry(w, s, undefined, false);
      }
      for (const t of this.#index.consumed) writeConsumedRecord(w.buf, w.reserve(CONSUMED_RECORD_BYTES), Buffer.from(t, 'latin1'));
      for (const [name, value] of this.#values) this.#writeValue(w, name, value);
      const b = w.bytes();
      let done = 0;
      while (done < b.length) done += (await fh.write(b, done, b.length - done, size + done)).bytesWritten;
      size += b.length;
      w.wipe();
      await fh.sync();
      // 3. Switch.
      await rename(tmp, this.path);
      await syncDir(dirname(this.path));
      const old = this.#journal.replace(fh, size);
      fh = undefined;
      this.#segment = newSegment;
      this.#segmentStart = newStart;
      this.#needSegment = false;
      await old.close().catch(() => undefined);
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      if (state.cancelled) return;
      throw err instanceof StoreError ? err : ioError('compact', this.path, err);
    } finally {
      if (paused) {
        this.#paused = false;
        this.#kick();
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // The seam

  #call<T>(what: string, options: StoreCallOptions | undefined, work: () => Promise<T> | T): Promise<T> {
    let checked;
    try {
      checked = checkCallOptions(options, this.#timeoutMs);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    return runStoreCall(what, checked, () => {
      if (this.#closed) return Promise.reject(storeClosed(what));
      if (this.#failed !== undefined) return Promise.reject(this.#failed);
      try {
        return Promise.resolve(work());
      } catch (err) {
        return Promise.reject(asError(err));
      }
    });
  }

  /** {@inheritDoc SessionStore.get} */
  get(peerFingerprint: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#call('get', options, () => {
      const s = this.#index.byFp.get(this.#fpKeyOf(checkFingerprint(peerFingerprint)));
      return s === undefined ? undefined : this.#sessionOf(s);
    });
  }

  /** {@inheritDoc SessionStore.getByTicket} */
  getByTicket(ticketId: Uint8Array, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#call('getByTicket', options, () => {
      checkBytes(ticketId, 'ticketId', TICKET_ID_BYTES);
      const key = this.#ticketKeyOf(ticketId);
      if (this.#index.consumed.has(key)) return undefined;
      const fp = this.#index.byTicket.get(key);
      const s = fp === undefined ? undefined : this.#index.byFp.get(fp);
      return s === undefined ? undefined : this.#sessionOf(s);
    });
  }

  /** {@inheritDoc SessionStore.getByDevice} */
  getByDevice(deviceId: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#call('getByDevice', options, () => {
      const id = checkDeviceId(deviceId);
      const h = this.#index.byHint.get(this.#keys.deviceHint(Buffer.from(id, 'hex')));
      const fps = h === undefined ? [] : typeof h === 'string' ? [h] : [...h];
      let best: StoredSession | undefined;
      for (const fp of fps) {
        const slot = this.#index.byFp.get(fp);
        const s = slot === undefined ? undefined : this.#sessionOf(slot);
        if (s === undefined || s.deviceId !== id) continue;
        if (best === undefined || s.lastActiveMs >= best.lastActiveMs) best = s;
      }
      return best;
    });
  }

  /** Applies a new slot now and queues its record; durable when the promise resolves. */
  #change(slot: Slot, consumedTicket: string | undefined): Promise<void> {
    const prev = this.#index.set(slot);
    const consumedBefore = consumedTicket !== undefined && this.#index.consumed.has(consumedTicket);
    if (consumedTicket !== undefined) this.#index.rememberConsumed(consumedTicket);
    return this.#enqueue(
      (w) => this.#writeEntry(w, slot, consumedTicket, true),
      () => {
        if (this.#index.byFp.get(slot.fp) === slot) this.#index.restore(slot.fp, prev);
        if (consumedTicket !== undefined && !consumedBefore) this.#index.consumed.delete(consumedTicket);
      },
      true,
    ).then(() => {
      // On disk: the secrets are unsealed again when next used.
      if (slot.at !== undefined && slot.plain !== undefined) {
        const p = slot.plain;
        slot.plain = undefined;
        wipe(p.outbound, p.inboundSecret);
      }
    });
  }

  /**
   * Beyond `maxEntries`: the entry to evict for a new one, the least recently active of the
   * oldest {@link EVICTION_SAMPLE} entries in insertion order (an approximate LRU, like
   * Redis's sampling: O(1) at any size).
   */
  #evictionCandidate(): string | undefined {
    if (this.#index.byFp.size < this.#maxEntries) return undefined;
    let best: { fp: string; lastActiveMs: number } | undefined;
    let n = 0;
    for (const slot of this.#index.byFp.values()) {
      if (best === undefined || slot.lastActiveMs < best.lastActiveMs) best = { fp: slot.fp, lastActiveMs: slot.lastActiveMs };
      if (++n >= EVICTION_SAMPLE) break;
    }
    return best?.fp;
  }

  /** {@inheritDoc SessionStore.put} */
  put(session: StoredSession, options?: StoreCallOptions): Promise<void> {
    let copy: StoredSession;
    try {
      copy = copyStoredSession(session);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    return this.#call('put', options, async () => {
      const slot = this.#slotOf(copy, REC.entry);
      const evicted = this.#index.byFp.has(slot.fp) ? undefined : this.#evictionCandidate();
      const write = this.#change(slot, undefined);
      if (evicted !== undefined) await this.#deleteNow(evicted);
      await write;
    }).catch((err: unknown) => {
      if (this.#index.byFp.get(copy.peerFingerprint)?.plain?.outbound !== copy.outbound) wipeStoredSession(copy);
      throw err;
    });
  }

  /** {@inheritDoc SessionStore.consumeInbound} */
  consumeInbound(peerFingerprint: string, ticketId: Uint8Array, next: InboundSlot | undefined, update: RatchetUpdate, options?: StoreCallOptions): Promise<boolean> {
    let args: ConsumeInboundArgs;
    try {
      args = checkConsumeInboundArgs(peerFingerprint, ticketId, next, update);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    const { fp, next: nextCopy, update: u } = args;
    const ticketHex = this.#ticketKeyOf(ticketId);
    return this.#call('consumeInbound', options, async () => {
      const old = this.#index.byFp.get(this.#fpKeyOf(fp));
      const plain = old === undefined || old.ticket !== ticketHex || this.#index.consumed.has(ticketHex) ? undefined : this.#plainOf(old);
      if (old === undefined || plain === undefined) {
        nextCopy?.secret.fill(0);
        return false;
      }
      const s: StoredSession = {
        peerFingerprint: fp,
        deviceId: u.deviceId,
        establishedMs: old.establishedMs,
        lastActiveMs: Math.max(old.lastActiveMs, u.lastActiveMs),
        outbound: copyOf(plain.outbound),
        inbound: nextCopy,
      };
      if (plain !== old.plain) wipe(plain.outbound, plain.inboundSecret);
      await this.#change(this.#slotOf(s, REC.consume), ticketHex);
      return true;
    });
  }

  /** {@inheritDoc SessionStore.replaceOutbound} */
  replaceOutbound(peerFingerprint: string, expected: Uint8Array, next: Uint8Array | undefined, update: RatchetUpdate, options?: StoreCallOptions): Promise<boolean> {
    let args: ReplaceOutboundArgs;
    try {
      args = checkReplaceOutboundArgs(peerFingerprint, expected, next, update);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    const { fp, next: nextCopy, update: u } = args;
    return this.#call('replaceOutbound', options, async () => {
      const old = this.#index.byFp.get(this.#fpKeyOf(fp));
      const plain = old === undefined || (old.flags & FLAG_OUTBOUND) === 0 ? undefined : this.#plainOf(old);
      if (old === undefined || plain?.outbound === undefined || !equalBytes(plain.outbound, expected)) {
        if (plain !== undefined && plain !== old?.plain) wipe(plain.outbound, plain.inboundSecret);
        nextCopy?.fill(0);
        return false;
      }
      const s: StoredSession = {
        peerFingerprint: fp,
        deviceId: u.deviceId,
        establishedMs: old.establishedMs,
        lastActiveMs: Math.max(old.lastActiveMs, u.lastActiveMs),
        outbound: nextCopy,
        inbound: old.ticket === undefined || plain.inboundSecret === undefined ? undefined : { secret: copyOf(plain.inboundSecret), ticketId: this.#clearTicket(old)! },
      };
      if (plain !== old.plain) wipe(plain.outbound, plain.inboundSecret);
      await this.#change(this.#slotOf(s, REC.entry), undefined);
      return true;
    });
  }

  #deleteNow(fp: string): Promise<void> | undefined {
    const prev = this.#index.remove(fp);
    if (prev === undefined) return undefined;
    return this.#enqueue(
      (w) => writeDeleteRecord(w.buf, w.reserve(DELETE_RECORD_BYTES), Buffer.from(fp, 'latin1')),
      () => {
        if (!this.#index.byFp.has(fp)) this.#index.set(prev);
      },
      true,
    );
  }

  /** {@inheritDoc SessionStore.delete} */
  delete(peerFingerprint: string, options?: StoreCallOptions): Promise<boolean> {
    return this.#call('delete', options, async () => {
      const p = this.#deleteNow(this.#fpKeyOf(checkFingerprint(peerFingerprint)));
      if (p === undefined) return false;
      await p;
      return true;
    });
  }

  /** {@inheritDoc SessionStore.touch} */
  touch(updates: readonly SessionTouch[], options?: StoreCallOptions): Promise<void> {
    return this.#call('touch', options, async () => {
      for (const t of checkTouches(updates)) {
        const s = this.#index.byFp.get(this.#fpKeyOf(t.peerFingerprint));
        if (s === undefined || t.lastActiveMs <= s.lastActiveMs) continue;
        const before = s.lastActiveMs;
        s.lastActiveMs = t.lastActiveMs;
        this.#compaction?.dirty.add(s.fp);
        const fp = s.fp;
        const last = t.lastActiveMs;
        await this.#enqueue(
          (w) => writeTouchRecord(w.buf, w.reserve(TOUCH_RECORD_BYTES), Buffer.from(fp, 'latin1'), last),
          () => {
            if (s.lastActiveMs === last) s.lastActiveMs = before;
          },
          false,
        );
      }
    });
  }

  /** {@inheritDoc SessionStore.prune} */
  prune(establishedBeforeMs: number, options?: StoreCallOptions): Promise<number> {
    return this.#call('prune', options, async () => {
      const before = checkTimeMs(establishedBeforeMs, 'establishedBeforeMs');
      const gone: string[] = [];
      let sliceStart = performance.now();
      let n = 0;
      for (const s of this.#index.byFp.values()) {
        if (s.establishedMs <= before) gone.push(s.fp);
        if ((++n & 1023) === 0 && performance.now() - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        }
      }
      const writes: Promise<void>[] = [];
      let count = 0;
      for (const fp of gone) {
        const s = this.#index.byFp.get(fp);
        if (s === undefined || s.establishedMs > before) continue;
        const p = this.#deleteNow(fp);
        if (p !== undefined) {
          writes.push(p);
          count++;
        }
      }
      await Promise.all(writes);
      return count;
    });
  }

  /** {@inheritDoc SessionStore.entries} */
  entries(options?: StoreCallOptions): AsyncIterable<StoredSession> {
    const started = this.#call('entries', options, () => [...this.#index.byFp.keys()]);
    return { [Symbol.asyncIterator]: () => this.#iterate(started) };
  }

  async *#iterate(started: Promise<string[]>): AsyncGenerator<StoredSession> {
    const fps = await started;
    let sliceStart = performance.now();
    for (let i = 0; i < fps.length; i++) {
      if (this.#closed) throw storeClosed('entries');
      const slot = this.#index.byFp.get(fps[i]);
      const s = slot === undefined ? undefined : this.#sessionOf(slot);
      if (s !== undefined) yield s;
      if ((i & 255) === 255 && performance.now() - sliceStart > SLICE_MS) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
  }

  /** {@inheritDoc SessionStore.size} */
  size(options?: StoreCallOptions): Promise<number> {
    return this.#call('size', options, () => this.#index.byFp.size);
  }

  /** {@inheritDoc SessionStore.getValue} */
  getValue(name: string, options?: StoreCallOptions): Promise<Uint8Array | undefined> {
    return this.#call('getValue', options, () => copyOf(this.#values.get(checkValueName(name))));
  }

  /** {@inheritDoc SessionStore.putValue} */
  putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void> {
    let copy: Uint8Array | undefined;
    let n: string;
    try {
      n = checkValueName(name);
      copy = copyValue(value);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    return this.#call('putValue', options, () => {
      const prev = this.#values.get(n);
      if (copy === undefined) this.#values.delete(n);
      else this.#values.set(n, copy);
      return this.#enqueue(
        (w) => this.#writeValue(w, n, copy),
        () => {
          if (this.#values.get(n) !== copy) return;
          if (prev === undefined) this.#values.delete(n);
          else this.#values.set(n, prev);
        },
        false,
      );
    });
  }

  /** {@inheritDoc SessionStore.listValues} */
  listValues(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]> {
    const snapshot = this.#call('listValues', options, () => {
      if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
      return [...this.#values].filter(([name]) => name.startsWith(prefix)).map(([name, v]) => [name, v.slice()] as const);
    });
    return {
      async *[Symbol.asyncIterator]() {
        for (const entry of await snapshot) yield entry;
      },
    };
  }

  /** Bytes of the store file now. */
  fileBytes(): number {
    return this.#journal.size;
  }

  /**
   * Writes what is batched, stops a running compaction (its temp file is removed), closes
   * the file and releases the lock; later calls reject with `PQBLE_ERR_STORE_CLOSED`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#compaction !== undefined) {
      this.#compaction.cancelled = true;
      await this.#compaction.done.catch(() => undefined);
    }
    while (this.#flushing !== undefined || this.#queue.length > 0) {
      this.#kick();
      await this.#flushing?.catch(() => undefined);
    }
    await this.#journal.handle.close().catch(() => undefined);
    await (this.#lock as StoreLock | undefined)?.release();
    for (const s of this.#index.byFp.values()) if (s.plain !== undefined) wipe(s.plain.outbound, s.plain.inboundSecret);
    for (const v of this.#values.values()) wipe(v);
    this.#index.byFp.clear();
    this.#index.byTicket.clear();
    this.#index.byHint.clear();
    this.#values.clear();
    this.#keys.wipe();
  }
}
