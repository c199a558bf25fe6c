/**
 * One real BLE connection as a {@link Link} (src/link/types.ts; docs/hardware.md "Flow
 * control"). Shared by the noble (central) and bleno (peripheral) adapters: each supplies a
 * {@link LinkDriver} that hands one ATT value to its library, and feeds inbound values, MTU
 * changes and disconnects in through {@link AdapterLink.deliver}, {@link AdapterLink.setMtu}
 * and {@link AdapterLink.closeWith}.
 *
 * Outbound values wait in a bounded queue; one value at a time is handed to the library and
 * the next goes only once the library took it (the BLE libraries allow one pending write
 * callback per characteristic). `send()` resolves when its value entered the queue and
 * waits while the queue is full; nothing here grows without bound.
 *
 * @module
 */

import { systemClock, type Clock } from '../clock.js';
import { AbortError, LinkError, type PqbleError } from '../errors.js';
import { LinkEndCore, MAX_BUFFERED_PACKETS, emitAll } from '../link/link-end.js';

export { emitAll } from '../link/link-end.js';
import type { Link, LinkRole, LinkSendOptions, LinkStats } from '../link/types.js';
import { raceAbort } from '../util/abort.js';
import { ATT_HEADER_BYTES, ATT_MTU_MAX, ATT_MTU_MIN } from './gatt.js';

/** How an {@link AdapterLink} reaches its BLE library. */
export interface LinkDriver {
  /** Hands one ATT value to the library; resolves once the library took it, rejects if it refused. */
  write(value: Uint8Array): Promise<void>;
  /** Asks the library to drop the connection. Called at most once, on a local `close()`. */
  disconnect(): Promise<void>;
}

/** Options of {@link AdapterLink}. */
export interface AdapterLinkOptions {
  /** This device's id (12 lowercase hex digits). */
  readonly localDeviceId: string;
  /** The peer's id (12 lowercase hex digits). */
  readonly peerDeviceId: string;
  /** Our GAP role on this link. */
  readonly role: LinkRole;
  /** ATT MTU known when the link opens (clamped to 23..517). */
  readonly attMtu: number;
  /** Values held in the outbound queue before `send()` waits. */
  readonly maxQueuedPackets: number;
  /** The library side. */
  readonly driver: LinkDriver;
  /** Clock for the disconnect timeout. Default: {@link systemClock}. */
  readonly clock?: Clock;
  /** How long a local `close()` waits for the library's disconnect. Default 2000 ms. */
  readonly disconnectTimeoutMs?: number;
}

/** Inbound values kept for a link that has no packet listener yet (src/link/link-end.ts); one more fails the link with `PQBLE_ERR_QUEUE_FULL`. */
export const MAX_BUFFERED_INBOUND_PACKETS = MAX_BUFFERED_PACKETS;

interface PendingSend {
  readonly value: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** Clamps a reported ATT MTU to 23..517; anything not a finite number counts as 23. */
export function clampAttMtu(mtu: unknown): number {
  if (typeof mtu !== 'number' || !Number.isFinite(mtu)) return ATT_MTU_MIN;
  return Math.min(ATT_MTU_MAX, Math.max(ATT_MTU_MIN, Math.floor(mtu)));
}

/** Marks `promise`'s rejection as handled (callers still see it) and returns it. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** A {@link Link} over a real BLE library connection. */
export class AdapterLink implements Link {
  /** See {@link Link.localDeviceId}. */
  readonly localDeviceId: string;
  /** See {@link Link.peerDeviceId}. */
  readonly peerDeviceId: string;
  /** See {@link Link.role}. */
  readonly role: LinkRole;
  readonly #driver: LinkDriver;
  readonly #clock: Clock;
  readonly #maxQueued: number;
  readonly #disconnectTimeoutMs: number;
  #attMtu: number;
  #open = true;
  #closeReason: PqbleError | undefined;
  #closing: Promise<void> | undefined;
  readonly #closed: Promise<void>;
  #markClosed!: () => void;
  readonly #queue: Uint8Array[] = [];
  readonly #waiting: PendingSend[] = [];
  #pumping = false;
  /** Inbound buffering and the packet and close listeners (shared with the simulated link). */
  readonly #end = new LinkEndCore();
  readonly #mtuListeners = new Set<(attMtu: number) => void>();
  #packetsSent = 0;
  #packetsReceived = 0;
  #bytesSent = 0;
  #bytesReceived = 0;

  /** @param options - see {@link AdapterLinkOptions} */
  constructor(options: AdapterLinkOptions) {
    this.localDeviceId = options.localDeviceId;
    this.peerDeviceId = options.peerDeviceId;
    this.role = options.role;
    this.#driver = options.driver;
    this.#clock = options.clock ?? systemClock;
    this.#maxQueued = options.maxQueuedPackets;
    this.#disconnectTimeoutMs = options.disconnectTimeoutMs ?? 2000;
    this.#attMtu = clampAttMtu(options.attMtu);
    this.#closed = new Promise<void>((resolve) => {
      this.#markClosed = resolve;
    });
  }

  /** See {@link Link.attMtu}. */
  get attMtu(): number {
    return this.#attMtu;
  }

  /** See {@link Link.maxPayloadBytes}. */
  get maxPayloadBytes(): number {
    return this.#attMtu - ATT_HEADER_BYTES;
  }

  /** See {@link Link.isOpen}. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Values waiting in the outbound queue (not yet handed to the library). */
  get queuedPackets(): number {
    return this.#queue.length;
  }

  /** `send()` calls waiting for room in the queue. */
  get waitingSends(): number {
    return this.#waiting.length;
  }

  /**
   * See {@link Link.send}. Argument errors reject at once. A rejection caused by the link
   * closing is marked handled before it is returned, so a send nobody awaits cannot crash
   * the process with an unhandled rejection; the close itself is reported by `onClose`.
   */
  send(packet: Uint8Array, options: LinkSendOptions = {}): Promise<void> {
    if (!(packet instanceof Uint8Array)) return Promise.reject(new TypeError('packet must be a Uint8Array'));
    if (options === null || typeof options !== 'object') return Promise.reject(new TypeError('send options must be an object'));
    if (packet.length === 0) return Promise.reject(new RangeError('packet must not be empty'));
    if (packet.length > this.maxPayloadBytes) {
      return Promise.reject(new RangeError(`packet of ${packet.length} bytes exceeds maxPayloadBytes ${this.maxPayloadBytes}`));
    }
    if (!this.#open) return quiet(Promise.reject(this.#sendError()));
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const value = new Uint8Array(packet);
    if (this.#waiting.length === 0 && this.#queue.length < this.#maxQueued) {
      this.#queue.push(value);
      this.#startPump();
      return Promise.resolve();
    }
    let pending: PendingSend | undefined;
    const admitted = new Promise<void>((resolve, reject) => {
      pending = { value, resolve, reject };
      this.#waiting.push(pending);
    });
    return quiet(
      raceAbort(admitted, signal, {
        // Withdraws the value, unless it entered the queue meanwhile (then the send stands).
        onCancel: () => {
          const i = pending === undefined ? -1 : this.#waiting.indexOf(pending);
          if (i < 0) return false;
          this.#waiting.splice(i, 1);
          return true;
        },
      }),
    );
  }

  /** See {@link Link.onPacket}. */
  onPacket(listener: (packet: Uint8Array) => void): () => void {
    return this.#end.onPacket(listener);
  }

  /** See {@link Link.onMtuChange}. */
  onMtuChange(listener: (attMtu: number) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    this.#mtuListeners.add(listener);
    return () => {
      this.#mtuListeners.delete(listener);
    };
  }

  /** See {@link Link.onClose}. */
  onClose(listener: (reason: PqbleError | undefined) => void): () => void {
    return this.#end.onClose(listener);
  }

  /** See {@link Link.close}: closes locally, then asks the library to disconnect (bounded wait). */
  async close(): Promise<void> {
    if (this.#open) {
      this.closeWith(undefined);
      this.#closing = this.#disconnect();
    }
    await this.#closing;
  }

  /** See {@link Link.stats}. On-air bytes and airtime are unknown on real radios (0). */
  stats(): LinkStats {
    return {
      packetsSent: this.#packetsSent,
      packetsReceived: this.#packetsReceived,
      bytesSent: this.#bytesSent,
      bytesReceived: this.#bytesReceived,
      bytesOnAirSent: 0,
      bytesOnAirReceived: 0,
      airtimeSentMs: 0,
      airtimeReceivedMs: 0,
    };
  }

  /**
   * Adapter side: one inbound ATT value (already copied out of the library's Buffer).
   * Ignored once the link is closed or when empty.
   */
  deliver(value: Uint8Array): void {
    if (!this.#open || value.length === 0) return;
    this.#packetsReceived++;
    this.#bytesReceived += value.length;
    // The packet past the buffer's cap fails the link (nothing is dropped silently): this end
    // closes with PQBLE_ERR_QUEUE_FULL and the connection is dropped.
    if (this.#end.deliver(value) === 'overflow') {
      this.closeWith(new LinkError('PQBLE_ERR_QUEUE_FULL', `more than ${MAX_BUFFERED_PACKETS} packets arrived with no packet listener`));
      this.#closing = this.#disconnect();
    }
  }

  /** Adapter side: the library reported a (new) ATT MTU. */
  setMtu(mtu: number): void {
    const next = clampAttMtu(mtu);
    if (!this.#open || next === this.#attMtu) return;
    this.#attMtu = next;
    emitAll(this.#mtuListeners, next);
  }

  /**
   * Adapter side: the link is closed (by the peer, by a lost connection, or locally with
   * `reason` undefined). Pending and later sends reject; close listeners fire once, on a
   * microtask. Idempotent: the first reason wins.
   */
  closeWith(reason: PqbleError | undefined): void {
    if (!this.#open) return;
    this.#open = false;
    this.#closeReason = reason;
    this.#markClosed();
    this.#queue.length = 0;
    const err = this.#sendError();
    for (const pending of this.#waiting.splice(0)) pending.reject(err);
    this.#end.close(reason);
  }

  #sendError(): PqbleError {
    return this.#closeReason ?? new LinkError('PQBLE_ERR_DISCONNECTED', 'the link is closed');
  }

  #admitWaiting(): void {
    while (this.#waiting.length > 0 && this.#queue.length < this.#maxQueued) {
      const pending = this.#waiting.shift() as PendingSend;
      this.#queue.push(pending.value);
      pending.resolve();
    }
  }

  #startPump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#open && this.#queue.length > 0) {
        const value = this.#queue.shift() as Uint8Array;
        this.#admitWaiting();
        // Counted when handed to the library ("handed to the radio", LinkStats).
        this.#packetsSent++;
        this.#bytesSent += value.length;
        try {
          await Promise.race([this.#driver.write(value), this.#closed]);
        } catch (err) {
          this.closeWith(new LinkError('PQBLE_ERR_DISCONNECTED', 'the BLE library failed to send a value', { cause: err }));
          return;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #disconnect(): Promise<void> {
    try {
      await raceAbort(this.#driver.disconnect(), undefined, { clock: this.#clock, timeoutMs: this.#disconnectTimeoutMs, keepAlive: false });
    } catch {
      // The link is closed on our side already; a library that fails (or takes too long) to
      // disconnect cleanly will report the drop through its own events, which are ignored now.
    }
  }
}
