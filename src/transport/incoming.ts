/**
 * The incoming side of one transport after setup: established incoming connections go to
 * the `onConnection()` listeners and into a bounded queue that `accept()` and `incoming()`
 * read.
 *
 * @module
 */

import { ClosedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { AsyncQueue } from '../util/async-queue.js';
import { checkOptions, optSignal } from '../util/options.js';
import type { BleConnection } from './connection.js';

/** Established incoming connections: the accept queue and the `onConnection()` listeners. */
export class IncomingConnections {
  readonly #queue: AsyncQueue<BleConnection>;
  readonly #listeners: ((connection: BleConnection) => void)[] = [];
  readonly #logger: Logger;

  /** @param capacity - connections queued for `accept()` at most */
  constructor(capacity: number, logger: Logger) {
    this.#queue = new AsyncQueue(capacity);
    this.#logger = logger;
  }

  /**
   * Hands an established incoming connection to the listeners and the queue. With no
   * listener, a connection the full queue cannot take is closed.
   */
  deliver(connection: BleConnection): void {
    const listeners = [...this.#listeners];
    // With listeners, a full accept() queue only means nobody calls accept(): the
    // connection is theirs, not closed.
    if (!this.#queue.push(connection) && listeners.length === 0) {
      connection.close().catch(() => undefined);
      return;
    }
    for (const listener of listeners) {
      try {
        listener(connection);
      } catch (err) {
        this.#logger.warn('pqble: an onConnection listener threw', { error: String(err) });
      }
    }
  }

  /** `BleTransport.accept()`. */
  async accept(options: { signal?: AbortSignal } = {}): Promise<BleConnection> {
    checkOptions(options, 'accept', ['signal']);
    optSignal(options.signal, 'signal');
    for (;;) {
      const r = await this.#queue.next(options);
      if (r.done === true) throw new ClosedError('the transport is closed');
      if (r.value.isOpen) return r.value;
    }
  }

  /** `BleTransport.incoming()`. */
  async *iterate(options: { signal?: AbortSignal } = {}): AsyncGenerator<BleConnection, void, undefined> {
    checkOptions(options, 'incoming', ['signal']);
    optSignal(options.signal, 'signal');
    for await (const c of this.#queue.iterate(options)) if (c.isOpen) yield c;
  }

  /** `BleTransport.onConnection()`. */
  onConnection(listener: (connection: BleConnection) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Ends the queue (readers see the end) and closes the connections nobody accepted. */
  async close(): Promise<void> {
    this.#queue.end();
    for (const c of this.#queue.drain()) await c.close();
  }
}
