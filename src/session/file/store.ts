/**
 * The embedded, per-entry session store (docs/store.md): a {@link SessionStore} in one
 * append-only journal file with online compaction, entries sealed one by one (or, for bulk
 * puts and compaction, in blocks of up to 32), one owner per file. The index lives in typed
 * arrays (clear fingerprints and ticket ids never reach the disk); a secret is unsealed
 * when an entry is used, not at load.
 *
 * This file holds the seam; the state is core.ts, the changes writes.ts, the writer
 * commit.ts, opening open-store.ts and load.ts, compaction compaction.ts.
 * It stays over 400 lines on purpose: it is the whole `SessionStore` seam (thirteen methods, each
 * a check and a delegation, with the contract's TSDoc), plus the bulk put's slicing loop.
 *
 * @module
 */

import { checkBytes, equalBytes } from '../../bytes.js';
import type { CryptoProvider } from '../../crypto/index.js';
import { nodeCrypto } from '../../crypto/node.js';
import { StoreError } from '../../errors.js';
import { consoleLogger, type Logger } from '../../logger.js';
import { checkOptionKeys, optBoolean, optFunction, optInteger } from '../../util/options.js';
import type { InboundSlot, RatchetUpdate, SessionStore, SessionStoreCounters, SessionTouch, StoreCallOptions, StoredSession } from '../store.js';
import {
  MAX_STORE_TIMEOUT_MS,
  TICKET_ID_BYTES,
  asError,
  checkCallOptions,
  checkedStoreCall,
  checkConsumeInboundArgs,
  checkReplaceOutboundArgs,
  checkTouches,
  checkValueName,
  copyOf,
  copyStoredSession,
  copyValue,
  runStoreCall,
  storeClosed,
  wipeStoredSession,
  type CheckedCallOptions,
  type ConsumeInboundArgs,
  type ReplaceOutboundArgs,
} from '../store-checks.js';
import { parseDeviceId, parseFingerprint } from '../../ids.js';
import { checkTimeMs, MAX_TIME_MS } from '../validate.js';
import { GroupCommit } from './commit.js';
import { compactStore, type CompactionState } from './compaction.js';
import { blockCache, dropBlockCache, StoreCore } from './core.js';
import { CONSUMED_RECORD_BYTES, FILE_HEADER_BYTES, REC, SEGMENT_RECORD_BYTES, STORE_FILE_VERSION, blockRecordBytes, valueRecordBytes } from './format.js';
import { SLICE_MS, yieldToLoop } from './journal.js';
import type { StoreLock } from './lock.js';
import { openReadOnly, openWritable } from './open-store.js';
import {
  DEFAULT_COMPACT_MIN_BYTES,
  DEFAULT_FILE_STORE_TIMEOUT_MS,
  DEFAULT_MAX_STORE_FILE_BYTES,
  FILE_STORE_OPTION_KEYS,
  checkPath,
  checkPositive,
  type FileSessionStoreOptions,
} from './options.js';
import { latin1 } from './row-index.js';
import { STORE_KEY_BYTES } from './storage-key.js';
import { BULK_CHUNK, StoreWrites } from './writes.js';
import { BulkChunk } from './bulk-input.js';

export { DEFAULT_COMPACT_MIN_BYTES, DEFAULT_FILE_STORE_TIMEOUT_MS, DEFAULT_MAX_STORE_FILE_BYTES, type FileSessionStoreOptions };

/** Chunks of a bulk put queued or being written at once (64 x 512 sessions). */
const BULK_IN_FLIGHT = 64;

/** Most rows a bulk put of an array sizes the tables for up front (beyond, they double as usual). */
const BULK_RESERVE_MAX = 1 << 20;

/** Live bytes of an entry once compacted (in full blocks). */
const COMPACTED_ENTRY_BYTES = blockRecordBytes(32) / 32;

/**
 * The embedded per-entry {@link SessionStore} (docs/store.md). Open it with
 * {@link FileSessionStore.open}; one store owns a file (a second open, in this process or
 * another, rejects with `PQBLE_ERR_STORE_LOCKED`).
 *
 * - `put`, `putMany`, `consumeInbound`, `replaceOutbound`, `delete` and `prune` resolve once
 *   their records are fsynced; concurrent calls share one write and one fsync (group commit).
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

  readonly #core: StoreCore;
  readonly #commit: GroupCommit;
  readonly #writes: StoreWrites;
  /** `maxEntries` (Infinity: unbounded). */
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #compactMinBytes: number;
  #lock: StoreLock | undefined;
  #closed = false;
  #compaction: CompactionState | undefined;

  private constructor(options: FileSessionStoreOptions) {
    this.path = checkPath(options.path, 'path');
    this.keyPath = options.keyPath === undefined ? `${this.path}.key` : checkPath(options.keyPath, 'keyPath');
    if (this.keyPath === this.path) throw new RangeError('keyPath must differ from path');
    const logger: Logger = options.logger ?? consoleLogger;
    if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function')
      throw new TypeError('logger must have a warn(message, fields) method');
    const crypto: CryptoProvider = options.crypto ?? nodeCrypto;
    if (typeof crypto !== 'object' || crypto === null || typeof crypto.aeadSeal !== 'function') throw new TypeError('crypto must be a CryptoProvider');
    this.#now = optFunction<() => number>(options.now, 'now') ?? Date.now;
    this.#timeoutMs = optInteger(options.timeoutMs, 'options.timeoutMs', 0, MAX_STORE_TIMEOUT_MS, DEFAULT_FILE_STORE_TIMEOUT_MS);
    const maxEntries = optInteger(options.maxEntries, 'maxEntries', 1, 2 ** 31 - 1, Infinity);
    this.#compactMinBytes = optInteger(options.compactMinBytes, 'compactMinBytes', 1, 2 ** 40, DEFAULT_COMPACT_MIN_BYTES);
    this.#core = new StoreCore(this.path, crypto, logger);
    this.#commit = new GroupCommit(this.#core);
    this.#commit.afterBatch = () => this.#maybeCompact();
    this.#writes = new StoreWrites(this.#core, this.#commit, maxEntries);
    this.#maxEntries = maxEntries;
  }

  /**
   * Opens (or creates) the store at `options.path`: takes the lock, removes temp files of
   * killed writes, reads the journal (setting damage aside), migrates a version-1 file, and
   * rewrites a format-version-2 file as version 3. Secrets are not unsealed here.
   * @throws TypeError / RangeError for malformed options
   * @throws StoreError `PQBLE_ERR_STORE_LOCKED` (another owner), `PQBLE_ERR_STORE_IO` (cannot read or create)
   */
  static async open(options: FileSessionStoreOptions): Promise<FileSessionStore> {
    if (typeof options !== 'object' || options === null) throw new TypeError('FileSessionStore options must be an object');
    checkOptionKeys(options, FILE_STORE_OPTION_KEYS, 'FileSessionStore');
    const store = new FileSessionStore(options);
    let storageKey: Uint8Array | undefined;
    if (options.storageKey !== undefined) {
      checkBytes(options.storageKey, 'storageKey', STORE_KEY_BYTES);
      storageKey = copyOf(options.storageKey);
    }
    const maxFileBytes = options.maxFileBytes === undefined ? DEFAULT_MAX_STORE_FILE_BYTES : checkPositive(options.maxFileBytes, 'maxFileBytes', 2 ** 32);
    optFunction(options.migrateV1, 'migrateV1');
    optBoolean(options.readOnly, 'readOnly', undefined);
    const params = { keyPath: store.keyPath, storageKey, maxFileBytes, migrateV1: options.migrateV1, nowMs: () => store.#nowMs() };
    if (options.readOnly === true) {
      await openReadOnly(store.#core, params);
      return store;
    }
    const opened = await openWritable(store.#core, store.#commit, params);
    store.#lock = opened.lock;
    if (opened.version < STORE_FILE_VERSION) {
      try {
        await store.compact();
      } catch (err) {
        await store.close();
        throw err;
      }
    }
    return store;
  }

  #nowMs(): number {
    const n = this.#now();
    return Number.isFinite(n) && n >= 0 && n <= MAX_TIME_MS ? Math.floor(n) : Date.now();
  }

  #call<T>(what: string, options: StoreCallOptions | undefined, work: () => Promise<T> | T): Promise<T> {
    return checkedStoreCall(
      () => checkCallOptions(options, this.#timeoutMs),
      (checked) =>
        runStoreCall(what, checked, () => {
          if (this.#closed) return Promise.reject(storeClosed(what));
          if (this.#commit.failed !== undefined) return Promise.reject(this.#commit.failed);
          return checkedStoreCall(work, (result) => Promise.resolve(result));
        }),
    );
  }

  /** {@inheritDoc SessionStore.get} */
  get(peerFingerprint: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#call('get', options, () => {
      const row = this.#core.index.findFp(this.#core.fpKeyOf(parseFingerprint(peerFingerprint, 'peerFingerprint')));
      return row < 0 ? undefined : this.#core.sessionOf(row);
    });
  }

  /** {@inheritDoc SessionStore.getByTicket} */
  getByTicket(ticketId: Uint8Array, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#call('getByTicket', options, () => {
      checkBytes(ticketId, 'ticketId', TICKET_ID_BYTES);
      const key = this.#core.ticketKeyOf(ticketId);
      if (this.#core.index.consumed.has(latin1(key))) return undefined;
      const row = this.#core.index.findTicket(key);
      return row < 0 ? undefined : this.#core.sessionOf(row);
    });
  }

  /** {@inheritDoc SessionStore.getByDevice} */
  getByDevice(deviceId: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    return this.#call('getByDevice', options, () => {
      const id = parseDeviceId(deviceId, 'deviceId');
      let best: StoredSession | undefined;
      for (const row of this.#core.index.rowsWithHint(this.#core.keys.deviceHint(Buffer.from(id, 'hex')))) {
        const s = this.#core.sessionOf(row);
        if (s === undefined || s.deviceId !== id) {
          wipeStoredSession(s);
          continue;
        }
        if (best === undefined || s.lastActiveMs >= best.lastActiveMs) {
          wipeStoredSession(best);
          best = s;
        } else wipeStoredSession(s);
      }
      return best;
    });
  }

  /** {@inheritDoc SessionStore.put} */
  put(session: StoredSession, options?: StoreCallOptions): Promise<void> {
    return checkedStoreCall(
      () => copyStoredSession(session),
      (copy) => this.#call('put', options, () => this.#writes.put(copy)).finally(() => wipeStoredSession(copy)),
    );
  }

  /**
   * Puts many sessions (an import, a migration, a restore): each as {@link put} would, but
   * written in entry blocks of 32 under one seal each, {@link BULK_CHUNK} sessions per
   * queued change, so a million entries cost a few thousand AEAD calls and a few hundred
   * fsyncs, and the event loop is yielded to every few milliseconds. Resolves how many were
   * put, once all are durable. The iterable may be async; it is read as the store goes
   * (at most a few chunks are held at once). A malformed session rejects the call
   * (`TypeError`/`RangeError`, naming its position) after the sessions before it were
   * handed to the writer; they may be durable. The call's timeout (default the store's
   * `timeoutMs`, 10 s) covers the whole call: give a large import a larger one. Once it
   * passes (or the signal aborts) the call rejects, no more sessions are read, and the
   * chunks already queued are still written.
   */
  putMany(sessions: Iterable<StoredSession> | AsyncIterable<StoredSession>, options?: StoreCallOptions): Promise<number> {
    return checkedStoreCall(
      () => {
        if (typeof sessions !== 'object' || sessions === null || (!(Symbol.iterator in sessions) && !(Symbol.asyncIterator in sessions))) {
          throw new TypeError('sessions must be an iterable or async iterable of sessions');
        }
        return checkCallOptions(options, this.#timeoutMs);
      },
      (limits) => this.#putMany(sessions, limits, options),
    );
  }

  #putMany(
    sessions: Iterable<StoredSession> | AsyncIterable<StoredSession>,
    limits: CheckedCallOptions,
    options: StoreCallOptions | undefined,
  ): Promise<number> {
    const deadline = performance.now() + limits.timeoutMs;
    return this.#call('putMany', options, async () => {
      const writes: Promise<void>[] = [];
      const failures: unknown[] = [];
      const chunk = new BulkChunk(BULK_CHUNK);
      let count = 0;
      let sliceStart = performance.now();
      // A count known up front (an array) sizes the tables once instead of doubling them as
      // the rows come: at the first chunk that passed its checks (a huge array of bad sessions
      // reserves nothing), for at most maxEntries and BULK_RESERVE_MAX rows.
      let reserveRows = Array.isArray(sessions) ? Math.min(sessions.length, BULK_RESERVE_MAX, this.#maxEntries) : 0;
      const flush = async (): Promise<void> => {
        if (reserveRows > 0) {
          this.#core.index.reserve(this.#core.index.size + reserveRows);
          reserveRows = 0;
        }
        const n = chunk.count;
        // putChunk takes everything out of the chunk (and wipes it) before it returns: the
        // chunk's buffers are reused for the next one.
        const p = this.#writes.putChunk(chunk);
        p.catch((err: unknown) => failures.push(err));
        writes.push(p);
        count += n;
        // A bounded number of chunks in flight (the writer batches what is queued): enough that
        // the sessions keep being checked and indexed while a batch is written and fsynced.
        if (writes.length >= BULK_IN_FLIGHT) await writes.shift()!.catch(() => undefined);
      };
      const step = async (): Promise<void> => {
        if (chunk.count >= BULK_CHUNK) await flush();
        if (performance.now() - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        }
        if (this.#closed) throw storeClosed('putMany');
        // The call has been rejected (timed out or aborted): stop reading the sessions.
        if (limits.signal?.aborted === true || performance.now() > deadline)
          throw new StoreError('PQBLE_ERR_STORE_TIMEOUT', 'putMany stopped: its call timed out or was aborted');
      };
      try {
        if (Array.isArray(sessions)) {
          // An array is read by index: no iterator result per session.
          const list = sessions as readonly unknown[];
          for (let i = 0; i < list.length; i++) {
            chunk.add(list[i], count + chunk.count);
            if (chunk.count >= BULK_CHUNK || (chunk.count & 63) === 0) await step();
          }
        } else if (Symbol.iterator in sessions) {
          // A plain iterable is read without a promise per session.
          for (const s of sessions) {
            chunk.add(s, count + chunk.count);
            if (chunk.count >= BULK_CHUNK || (chunk.count & 63) === 0) await step();
          }
        } else {
          for await (const s of sessions) {
            chunk.add(s, count + chunk.count);
            await step();
          }
        }
        if (chunk.count > 0) await flush();
      } catch (err) {
        chunk.clear();
        await Promise.allSettled(writes);
        throw err;
      }
      await Promise.allSettled(writes);
      if (failures.length > 0) throw asError(failures[0]);
      return count;
    });
  }

  /** {@inheritDoc SessionStore.consumeInbound} */
  consumeInbound(
    peerFingerprint: string,
    ticketId: Uint8Array,
    next: InboundSlot | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean> {
    return checkedStoreCall(
      () => checkConsumeInboundArgs(peerFingerprint, ticketId, next, update),
      (args) => this.#consumeInbound(args, ticketId, options),
    );
  }

  #consumeInbound(args: ConsumeInboundArgs, ticketId: Uint8Array, options: StoreCallOptions | undefined): Promise<boolean> {
    const { fp, next: nextCopy, update: u } = args;
    const core = this.#core;
    const ticketKey = core.ticketKeyOf(ticketId);
    return this.#call('consumeInbound', options, async () => {
      const ix = core.index;
      const old = ix.findFp(core.fpKeyOf(fp));
      const current = old < 0 ? undefined : ix.ticketKey(old);
      const s = old < 0 || current === undefined || !equalBytes(current, ticketKey) || ix.consumed.has(latin1(ticketKey)) ? undefined : core.sessionOf(old);
      if (s === undefined) {
        nextCopy?.secret.fill(0);
        return false;
      }
      const nextState: StoredSession = { ...s, deviceId: u.deviceId, lastActiveMs: Math.max(s.lastActiveMs, u.lastActiveMs), inbound: nextCopy };
      const row = core.newRow(nextState, REC.consume);
      wipeStoredSession(s);
      nextCopy?.secret.fill(0);
      await this.#writes.change(row, ticketKey);
      return true;
    });
  }

  /** {@inheritDoc SessionStore.replaceOutbound} */
  replaceOutbound(
    peerFingerprint: string,
    expected: Uint8Array,
    next: Uint8Array | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean> {
    return checkedStoreCall(
      () => checkReplaceOutboundArgs(peerFingerprint, expected, next, update),
      (args) => this.#replaceOutbound(args, expected, options),
    );
  }

  #replaceOutbound(args: ReplaceOutboundArgs, expected: Uint8Array, options: StoreCallOptions | undefined): Promise<boolean> {
    const { fp, next: nextCopy, update: u } = args;
    const core = this.#core;
    return this.#call('replaceOutbound', options, async () => {
      const old = core.index.findFp(core.fpKeyOf(fp));
      const s = old < 0 ? undefined : core.sessionOf(old);
      if (s?.outbound === undefined || !equalBytes(s.outbound, expected)) {
        wipeStoredSession(s);
        nextCopy?.fill(0);
        return false;
      }
      const nextState: StoredSession = { ...s, deviceId: u.deviceId, lastActiveMs: Math.max(s.lastActiveMs, u.lastActiveMs), outbound: nextCopy };
      const row = core.newRow(nextState, REC.entry);
      wipeStoredSession(s);
      nextCopy?.fill(0);
      await this.#writes.change(row, undefined);
      return true;
    });
  }

  /** {@inheritDoc SessionStore.delete} */
  delete(peerFingerprint: string, options?: StoreCallOptions): Promise<boolean> {
    return this.#call('delete', options, async () => {
      const row = this.#core.index.findFp(this.#core.fpKeyOf(parseFingerprint(peerFingerprint, 'peerFingerprint')));
      if (row < 0) return false;
      await this.#writes.deleteRow(row);
      return true;
    });
  }

  /** {@inheritDoc SessionStore.touch} */
  touch(updates: readonly SessionTouch[], options?: StoreCallOptions): Promise<void> {
    return this.#call('touch', options, () => this.#writes.touch(checkTouches(updates)));
  }

  /** {@inheritDoc SessionStore.prune} */
  prune(establishedBeforeMs: number, options?: StoreCallOptions): Promise<number> {
    return this.#call('prune', options, async () => {
      const before = checkTimeMs(establishedBeforeMs, 'establishedBeforeMs');
      const ix = this.#core.index;
      const gone: Uint8Array[] = [];
      let sliceStart = performance.now();
      for (let r = 0; r < ix.rowLimit; r++) {
        if (ix.isLive(r) && ix.establishedMs(r) <= before) gone.push(ix.fpKey(r).slice());
        if ((r & 1023) === 1023 && performance.now() - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        }
      }
      const writes: Promise<void>[] = [];
      for (const key of gone) {
        const row = ix.findFp(key);
        if (row >= 0 && ix.establishedMs(row) <= before) writes.push(this.#writes.deleteRow(row));
      }
      await Promise.all(writes);
      return writes.length;
    });
  }

  /** {@inheritDoc SessionStore.entries} */
  entries(options?: StoreCallOptions): AsyncIterable<StoredSession> {
    const started = this.#call('entries', options, () => {
      const ix = this.#core.index;
      const keys = new Uint8Array(ix.size * 32);
      let n = 0;
      for (let r = 0; r < ix.rowLimit && n < ix.size; r++) if (ix.isLive(r)) keys.set(ix.fpKey(r), 32 * n++);
      return keys.subarray(0, 32 * n);
    });
    return { [Symbol.asyncIterator]: () => this.#iterate(started) };
  }

  async *#iterate(started: Promise<Uint8Array>): AsyncGenerator<StoredSession> {
    const keys = await started;
    const cache = blockCache();
    try {
      let sliceStart = performance.now();
      for (let o = 0; o < keys.length; o += 32) {
        if (this.#closed) throw storeClosed('entries');
        const row = this.#core.index.findFp(keys.subarray(o, o + 32));
        const s = row < 0 ? undefined : this.#core.sessionOf(row, cache);
        if (s !== undefined) yield s;
        if (performance.now() - sliceStart > SLICE_MS) {
          dropBlockCache(cache);
          await yieldToLoop();
          sliceStart = performance.now();
        }
      }
    } finally {
      dropBlockCache(cache);
    }
  }

  /** {@inheritDoc SessionStore.size} */
  size(options?: StoreCallOptions): Promise<number> {
    return this.#call('size', options, () => this.#core.index.size);
  }

  /** {@inheritDoc SessionStore.getValue} */
  getValue(name: string, options?: StoreCallOptions): Promise<Uint8Array | undefined> {
    return this.#call('getValue', options, () => copyOf(this.#core.values.get(checkValueName(name))));
  }

  /** {@inheritDoc SessionStore.putValue} */
  putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void> {
    return checkedStoreCall(
      () => ({ n: checkValueName(name), copy: copyValue(value) }),
      ({ n, copy }) => this.#call('putValue', options, () => this.#writes.putValue(n, copy)),
    );
  }

  /** {@inheritDoc SessionStore.listValues} */
  listValues(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]> {
    const snapshot = this.#call('listValues', options, () => {
      if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
      return [...this.#core.values].filter(([name]) => name.startsWith(prefix)).map(([name, v]) => [name, v.slice()] as const);
    });
    return {
      async *[Symbol.asyncIterator]() {
        for (const entry of await snapshot) yield entry;
      },
    };
  }

  /** {@inheritDoc SessionStore.counters} */
  get counters(): SessionStoreCounters {
    return { evictions: this.#core.evictions };
  }

  /** Bytes of the store file now. */
  fileBytes(): number {
    return this.#core.journal.size;
  }

  /** Bytes this store holds in memory outside the JavaScript heap: the index's typed arrays and the file's mirror. */
  memoryBytes(): number {
    return this.#core.index.memoryBytes + this.#core.mirror.memoryBytes;
  }

  #liveBytes(): number {
    let v = 0;
    for (const [name, value] of this.#core.values) v += valueRecordBytes(name.length, value.length);
    return (
      FILE_HEADER_BYTES +
      SEGMENT_RECORD_BYTES +
      Math.ceil(this.#core.index.size * COMPACTED_ENTRY_BYTES) +
      this.#core.index.consumed.size * CONSUMED_RECORD_BYTES +
      v
    );
  }

  #maybeCompact(): void {
    if (this.#core.readOnly || this.#compaction !== undefined || this.#closed || this.#commit.failed !== undefined) return;
    const size = this.#core.journal.size;
    if (size < this.#compactMinBytes || size < 2 * this.#liveBytes()) return;
    this.compact().catch((err: unknown) => {
      this.#core.warn(`pqble: session store ${this.path}: compaction failed (${asError(err).message}); the journal stays as it is`, { path: this.path });
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
    if (this.#core.readOnly) return Promise.reject(new StoreError('PQBLE_ERR_STORE_IO', `the session store ${this.path} was opened read-only`));
    if (this.#compaction !== undefined) return this.#compaction.done;
    const state: CompactionState = { cancelled: false, done: Promise.resolve() };
    this.#compaction = state;
    state.done = compactStore(this.#core, this.#commit, state).finally(() => {
      this.#compaction = undefined;
    });
    return state.done;
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
    if (!this.#core.readOnly) await this.#commit.drain();
    await this.#core.journal.handle.close().catch(() => undefined);
    await this.#lock?.release();
    this.#core.wipe();
  }
}
