/**
 * A bounded FIFO with an async consumer side (inbound data as a bounded async iterator). Producers `push()` synchronously and learn when the queue is full;
 * consumers `shift()` with a timeout and an AbortSignal, or iterate.
 *
 * @module
 */

import { AbortError, type PqbleError } from '../errors.js';

interface Waiter<T> {
  resolve(value: IteratorResult<T>): void;
  reject(err: Error): void;
}

/** A bounded queue whose consumer can await items. */
export class AsyncQueue<T> {
  readonly #items: T[] = [];
  readonly #waiters: Waiter<T>[] = [];
  readonly #capacity: number;
  #ended = false;
  #error: PqbleError | undefined;

  /** @param capacity - the most items held at once */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Adds an item; returns false (and drops it) if the queue is full or ended. */
  push(item: T): boolean {
    if (this.#ended) return false;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: item, done: false });
      return true;
    }
    if (this.#items.length >= this.#capacity) return false;
    this.#items.push(item);
    return true;
  }

  /**
   * Ends the queue. Items already queued are still delivered; then consumers see the end
   * (or `error`, if given). Idempotent: the first call wins.
   */
  end(error?: PqbleError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    for (const waiter of this.#waiters.splice(0)) {
      if (error === undefined) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(error);
    }
  }

  /** Drops all queued items (they are returned). */
  drain(): T[] {
    return this.#items.splice(0);
  }

  /**
   * Waits for the next item. Resolves `{ done: true }` at the end, rejects with the end
   * error, `PQBLE_ERR_ABORTED` on abort, or the timeout error from `timeout` if given.
   */
  next(options: { signal?: AbortSignal | undefined } = {}): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift() as T, done: false });
    if (this.#ended) return this.#error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.#error);
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      const waiter: Waiter<T> = {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** An async iterator over the items; ends with the queue. */
  async *iterate(options: { signal?: AbortSignal | undefined } = {}): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const r = await this.next(options);
      if (r.done === true) return;
      yield r.value;
    }
  }
}
