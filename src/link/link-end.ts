/**
 * The inbound half of one link end, shared by every {@link Link} implementation (the
 * simulated radio and the noble/bleno adapters) so that they cannot disagree
 * (docs/radio-model.md "Link ends"; the link compliance suite, test/link/compliance.ts,
 * checks the rules on each):
 *
 * - Packets that arrive while no packet listener is attached wait in a buffer of at most
 *   {@link MAX_BUFFERED_PACKETS}; the next one fails the link with `PQBLE_ERR_QUEUE_FULL`
 *   (the owner closes it). A listener attached later gets the buffered packets, in order, on
 *   a microtask.
 * - With several packet listeners, the first gets the packet and each other its own copy.
 * - Close listeners fire once, on a microtask, with the close reason; one attached after the
 *   close fires on a microtask too. A throwing listener is reported as an uncaught
 *   exception would be, and never stops the others.
 * - The same function may be subscribed twice; each subscription unsubscribes once.
 *
 * @module
 */

import type { PqbleError } from '../errors.js';

/** Packets held for a link end with no packet listener; one more fails the link with `PQBLE_ERR_QUEUE_FULL`. */
export const MAX_BUFFERED_PACKETS = 256;

/** Reports a listener's exception as an uncaught one, later, without stopping the caller (like an EventEmitter's). */
export function reportListenerError(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/** Calls `listener(value)`, reporting a throw. */
function callSafely<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (err) {
    reportListenerError(err);
  }
}

/** Calls every listener (a snapshot of them) with `value`; a throwing one is reported and does not stop the others. */
export function emitAll<T>(listeners: Iterable<(value: T) => void>, value: T): void {
  for (const listener of [...listeners]) callSafely(listener, value);
}

/** What {@link LinkEndCore.deliver} did with a packet. */
export type DeliverOutcome = 'delivered' | 'buffered' | 'overflow';

/** The listeners and the inbound buffer of one link end. */
export class LinkEndCore {
  readonly #packetListeners = new Set<(packet: Uint8Array) => void>();
  readonly #closeListeners = new Set<(reason: PqbleError | undefined) => void>();
  #buffer: Uint8Array[] = [];
  #flushQueued = false;
  #closed = false;
  #reason: PqbleError | undefined;

  /** True once {@link close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Packet listeners attached now. */
  get packetListenerCount(): number {
    return this.#packetListeners.size;
  }

  /** See `Link.onPacket`. */
  onPacket(listener: (packet: Uint8Array) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    // A wrapper, so the same function can be subscribed twice and unsubscribed once.
    const entry = (packet: Uint8Array): void => listener(packet);
    this.#packetListeners.add(entry);
    if (this.#buffer.length > 0) this.#queueFlush();
    return () => {
      this.#packetListeners.delete(entry);
    };
  }

  /** See `Link.onClose`. */
  onClose(listener: (reason: PqbleError | undefined) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const entry = (reason: PqbleError | undefined): void => listener(reason);
    if (this.#closed) {
      let active = true;
      queueMicrotask(() => {
        if (active) callSafely(entry, this.#reason);
      });
      return () => {
        active = false;
      };
    }
    this.#closeListeners.add(entry);
    return () => {
      this.#closeListeners.delete(entry);
    };
  }

  /**
   * One inbound packet: handed to the listeners now, or buffered while there are none.
   * `'overflow'` means the buffer was full: the owner must fail the link with
   * `PQBLE_ERR_QUEUE_FULL` (the buffer is emptied). Ignored after {@link close}.
   */
  deliver(packet: Uint8Array): DeliverOutcome {
    if (this.#closed) return 'buffered';
    if (this.#packetListeners.size > 0 && this.#buffer.length === 0) {
      this.#emit(packet);
      return 'delivered';
    }
    if (this.#packetListeners.size === 0 && this.#buffer.length >= MAX_BUFFERED_PACKETS) {
      this.#buffer = [];
      return 'overflow';
    }
    this.#buffer.push(packet);
    if (this.#packetListeners.size > 0) this.#queueFlush();
    return 'buffered';
  }

  /** Closes this end: drops what is buffered and fires the close listeners once, on a microtask. Idempotent. */
  close(reason: PqbleError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reason = reason;
    this.#buffer = [];
    const listeners = [...this.#closeListeners];
    this.#closeListeners.clear();
    if (listeners.length === 0) return;
    queueMicrotask(() => emitAll(listeners, reason));
  }

  #emit(packet: Uint8Array): void {
    let first = true;
    for (const l of [...this.#packetListeners]) {
      callSafely(l, first ? packet : packet.slice());
      first = false;
    }
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      while (this.#buffer.length > 0 && this.#packetListeners.size > 0) this.#emit(this.#buffer.shift()!);
    });
  }
}
