/**
 * Group commit of the version-2 file store (docs/store.md "Writing: group commit"): changes
 * are applied to the index at once and queued; one writer takes up to
 * {@link MAX_BATCH_OPS} queued changes, encodes their records (yielding to the event loop
 * every few milliseconds), appends them with one write and one `fdatasync`, copies them
 * into the mirror, and resolves them all. A failed write rolls the file back, undoes every
 * change not yet written (newest first) and rejects them.
 *
 * @module
 */

import { StoreError } from '../../errors.js';
import { asError } from '../store-checks.js';
import type { Segment, StoreCore } from './core.js';
import { writeNewSegment } from './encode.js';
import { SLICE_MS, ioError, yieldToLoop } from './journal.js';
import { RecordWriter } from './writer.js';

/** Most changes written (and fsynced) together in one group commit. */
const MAX_BATCH_OPS = 2048;

/** Largest append buffer kept for the next batch (a bulk put's batches are up to a few MiB). */
const SPARE_MAX_BYTES = 8 * 1024 * 1024;

/** A change waiting to be written. */
export interface PendingOp {
  readonly encode: (w: RecordWriter) => void;
  readonly undo: () => void;
  /** Called once the bytes are on disk and mirrored, before `resolve`. */
  readonly written: (() => void) | undefined;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** The writer of one store. */
export class GroupCommit {
  readonly #core: StoreCore;
  #queue: PendingOp[] = [];
  #flushing: Promise<void> | undefined;
  #paused = false;
  /** Set once a failed write could not be rolled back: every later change rejects with it. */
  failed: StoreError | undefined;
  /** A new segment must start before the next append (at open, after a rollback, or a compaction that left none). */
  needSegment = true;
  /** The segment appends go to. */
  segment: Segment | undefined;
  /** The buffer of the last append, reused by the next (it holds only sealed records). */
  #spare: Buffer | undefined;
  /** Called after every batch (the store checks whether to compact). */
  afterBatch: () => void = () => undefined;

  constructor(core: StoreCore) {
    this.#core = core;
  }

  /** True while nothing is queued or being written. */
  get idle(): boolean {
    return this.#flushing === undefined && this.#queue.length === 0;
  }

  /**
   * Queues a change already applied in memory. Durable changes resolve once fsynced; the
   * others resolve at once (a failure is logged).
   */
  enqueue(encode: (w: RecordWriter) => void, undo: () => void, written: (() => void) | undefined, durable: boolean): Promise<void> {
    if (this.#core.readOnly) {
      undo();
      return Promise.reject(new StoreError('PQBLE_ERR_STORE_IO', `the session store ${this.#core.path} was opened read-only`));
    }
    let op!: PendingOp;
    const p = new Promise<void>((resolve, reject) => {
      op = { encode, undo, written, resolve, reject };
    });
    this.#queue.push(op);
    this.kick();
    if (!durable) {
      p.catch((err: unknown) =>
        this.#core.warn(`pqble: session store ${this.#core.path}: a best-effort change was not written (${asError(err).message})`, { path: this.#core.path }),
      );
      return Promise.resolve();
    }
    return p;
  }

  /** Starts the writer if there is work and it is not paused. */
  kick(): void {
    if (this.#flushing !== undefined || this.#paused || this.#queue.length === 0) return;
    this.#flushing = this.#flushLoop().finally(() => {
      this.#flushing = undefined;
      this.kick();
    });
  }

  /** Stops the writer between batches; resolves once no batch is being written. */
  async pause(): Promise<void> {
    this.#paused = true;
    if (this.#flushing !== undefined) await this.#flushing.catch(() => undefined);
  }

  /** Lets the writer go on after {@link pause}. */
  resume(): void {
    this.#paused = false;
    this.kick();
  }

  /** Writes everything queued (close). */
  async drain(): Promise<void> {
    this.#paused = false;
    while (!this.idle) {
      this.kick();
      await this.#flushing?.catch(() => undefined);
    }
  }

  async #flushLoop(): Promise<void> {
    while (this.#queue.length > 0 && !this.#paused) {
      const batch = this.#queue.length <= MAX_BATCH_OPS ? this.#queue : this.#queue.slice(0, MAX_BATCH_OPS);
      this.#queue = batch === this.#queue ? [] : this.#queue.slice(MAX_BATCH_OPS);
      await this.#writeBatch(batch);
      this.afterBatch();
    }
  }

  async #writeBatch(batch: PendingOp[]): Promise<void> {
    if (this.failed !== undefined) {
      this.#failAll(batch, this.failed);
      return;
    }
    const core = this.#core;
    const j = core.journal;
    const w = new RecordWriter(j.size, this.segment ?? { start: 0, salt: new Uint8Array(16), key: new Uint8Array(32) }, 64 * 1024, this.#spare);
    this.#spare = undefined;
    try {
      if (this.needSegment || this.segment === undefined) writeNewSegment(core, w);
      let sliceStart = performance.now();
      for (let i = 0; i < batch.length; i++) {
        batch[i].encode(w);
        if (performance.now() - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        }
      }
      await j.append(w.bytes(), true);
    } catch (err) {
      // Never reuse a nonce: the next append starts a new segment.
      this.needSegment = true;
      const error = err instanceof StoreError ? err : ioError('write', core.path, err);
      if ('rollbackFailed' in error) {
        this.failed = new StoreError('PQBLE_ERR_STORE_IO', `the session store ${core.path} could not roll back a failed write; reopen it`, { cause: error });
      }
      // Undo the batch and everything queued after it (applied on top of it), newest first.
      const later = this.#queue;
      this.#queue = [];
      this.#failAll([...batch, ...later], error);
      return;
    }
    core.mirror.append(w.bytes());
    if (w.buf.length <= SPARE_MAX_BYTES) this.#spare = w.buf;
    if (w.segment !== this.segment) core.segments.push(w.segment);
    this.segment = w.segment;
    this.needSegment = false;
    // Settle in slices: every caller's continuation runs when its promise settles.
    let sliceStart = performance.now();
    for (let i = 0; i < batch.length; i++) {
      batch[i].written?.();
      batch[i].resolve();
      if ((i & 63) === 63 && performance.now() - sliceStart > SLICE_MS) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
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
}
