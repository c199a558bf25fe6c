/**
 * A message channel over one {@link Link} (docs/protocol.md "Layers"): fragmentation on the
 * way out, reassembly on the way in, a small mailbox for the setup phase (handshake or
 * resumption messages), then a record handler once the connection is established.
 *
 * Sends are serialised: a message's fragments go out back to back, in the order `send()`
 * was called, so records leave in sequence-number order.
 *
 * @module
 */

import type { Clock, Timer } from '../clock.js';
import { ClosedError, HandshakeError, LinkError, PqbleError, TimeoutError, isPqbleError } from '../errors.js';
import { MessageIdAllocator, Reassembler, airtimePacketPolicy, fragmentMessage, type FragmentOptions } from '../framing/index.js';
import type { Link } from '../link/types.js';
import { AsyncQueue } from '../util/async-queue.js';
import { MessageType } from '../wire.js';
import { decodeAlert, encodeAlert, type AlertReason } from './alert.js';

/** Limits of one channel. */
export interface ChannelLimits {
  /** Largest reassembled message accepted. */
  readonly maxMessageBytes: number;
  /** Incomplete messages older than this are dropped. */
  readonly reassemblyTimeoutMs: number;
}

/** The error a side sees when the peer sent an alert. */
export function alertError(reason: AlertReason): PqbleError {
  switch (reason) {
    case 'untrusted':
      return new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'the peer does not trust this identity');
    case 'busy':
      return new LinkError('PQBLE_ERR_CONNECTION_LIMIT', 'the peer is at its connection limit');
    case 'timeout':
      return new TimeoutError('the peer timed out waiting for us', 'PQBLE_ERR_HANDSHAKE_TIMEOUT');
    default:
      return new HandshakeError('PQBLE_ERR_PEER_ALERT', `the peer gave up: ${reason}`);
  }
}

/** Thrown by {@link Channel.receive} when the peer sent an alert. */
export class PeerAlert extends Error {
  /** The peer's reason. */
  readonly reason: AlertReason;
  constructor(reason: AlertReason) {
    super(`peer alert: ${reason}`);
    this.reason = reason;
  }
}

/** Observes whole messages sent ({@link Channel.send}) and received ({@link Channel.receive}); `packets` is 0 for received ones. */
export type ChannelTrace = (direction: 'sent' | 'received', message: Uint8Array, packets: number) => void;

/** Link + framing + setup mailbox + record dispatch. */
export class Channel {
  readonly link: Link;
  readonly clock: Clock;
  readonly #reassembler: Reassembler;
  readonly #ids = new MessageIdAllocator();
  readonly #mailbox = new AsyncQueue<Uint8Array>(8);
  /** Fragmentation options: the size limit, and airtime-aware packet sizes when the link tells its timing. */
  readonly #fragment: FragmentOptions;
  #sendChain: Promise<void> = Promise.resolve();
  #onMessage: ((message: Uint8Array) => void) | undefined;
  #trace: ChannelTrace | undefined;
  #closeReason: PqbleError | undefined;
  #closed = false;
  #received = 0;
  #receiving = 0;
  #idleMs: number | undefined;
  #idleTimer: Timer | undefined;
  readonly #closeListeners: ((reason: PqbleError | undefined) => void)[] = [];
  readonly #unsubscribe: (() => void)[] = [];

  constructor(link: Link, clock: Clock, limits: ChannelLimits) {
    this.link = link;
    this.clock = clock;
    const timing = link.timing;
    this.#fragment =
      timing === undefined ? { maxMessageBytes: limits.maxMessageBytes } : { maxMessageBytes: limits.maxMessageBytes, packetSize: airtimePacketPolicy(timing) };
    this.#reassembler = new Reassembler({
      maxMessageBytes: limits.maxMessageBytes,
      timeoutMs: limits.reassemblyTimeoutMs,
      clock,
    });
    this.#unsubscribe.push(
      link.onPacket((packet) => this.#onPacket(packet)),
      link.onClose((reason) => this.#linkClosed(reason)),
    );
  }

  /** True until the link closed or {@link fail} / {@link close} ran. */
  get isOpen(): boolean {
    return !this.#closed;
  }

  /** Whole messages received so far. */
  get messagesReceived(): number {
    return this.#received;
  }

  /** The reason the channel closed (`undefined` if open or closed in order). */
  get closeReason(): PqbleError | undefined {
    return this.#closeReason;
  }

  /** Calls `listener` once when the channel closes. */
  onClose(listener: (reason: PqbleError | undefined) => void): void {
    if (this.#closed) queueMicrotask(() => listener(this.#closeReason));
    else this.#closeListeners.push(listener);
  }

  /**
   * Sends one message. `prepare` runs when it is this message's turn (so records are sealed
   * in the order they leave); its result is fragmented and written packet by packet.
   */
  send(prepare: Uint8Array | (() => Uint8Array)): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.#closed) throw this.#closedError();
      const message = typeof prepare === 'function' ? prepare() : prepare;
      const packets = fragmentMessage(message, this.#ids.next(), this.link.maxPayloadBytes, this.#fragment);
      for (const packet of packets) await this.link.send(packet);
      this.#trace?.('sent', message, packets.length);
    };
    const result = this.#sendChain.then(run);
    this.#sendChain = result.catch(() => undefined);
    return result;
  }

  /**
   * Waits for the next setup-phase message. Rejects with {@link PeerAlert} for an alert,
   * or with the close reason when the link closes. No timeout here: the setup driver runs
   * under one deadline for the whole exchange.
   */
  async receive(): Promise<Uint8Array> {
    this.#receiving++;
    this.#armIdle();
    let r: IteratorResult<Uint8Array>;
    try {
      r = await this.#mailbox.next();
    } finally {
      if (--this.#receiving === 0) {
        this.#idleTimer?.cancel();
        this.#idleTimer = undefined;
      }
    }
    if (r.done === true) throw this.#closedError();
    const message = r.value;
    this.#trace?.('received', message, 0);
    if (message[0] === MessageType.Alert) throw new PeerAlert(decodeAlert(message));
    return message;
  }

  /**
   * While a {@link receive} waits, fail the channel (`PQBLE_ERR_HANDSHAKE_TIMEOUT`, alert
   * `timeout`) if no packet at all arrives for `ms`: a peer that goes quiet in the middle of
   * a setup gives its slot back, while a slow link that keeps sending packets, and time this
   * side spends on its own work (a trust callback, a store call), never count.
   */
  setIdleTimeout(ms: number): void {
    this.#idleMs = ms;
  }

  #armIdle(): void {
    if (this.#idleMs === undefined || this.#closed) return;
    this.#idleTimer?.cancel();
    const ms = this.#idleMs;
    this.#idleTimer = this.clock.setTimer(ms, () => {
      this.#idleTimer = undefined;
      if (this.#receiving > 0) this.fail(new TimeoutError(`the peer sent nothing for ${ms} ms during the setup`, 'PQBLE_ERR_HANDSHAKE_TIMEOUT'), 'timeout');
    });
  }

  /** Observes the messages of {@link send} and {@link receive} from now on (`undefined` stops). The observer must not throw. */
  setTrace(trace: ChannelTrace | undefined): void {
    this.#trace = trace;
  }

  /** Routes every later message (and any still in the mailbox) to `handler`. */
  establish(handler: (message: Uint8Array) => void): void {
    this.#onMessage = handler;
    for (const m of this.#mailbox.drain()) handler(m);
  }

  /** Sends an alert (best effort, not awaited beyond the queue) and closes with `reason`. */
  fail(reason: PqbleError, alert?: AlertReason): void {
    if (this.#closed) return;
    if (alert !== undefined && this.link.isOpen) {
      // Written straight to the link (an alert is a single-packet message), so it does not
      // wait behind a long message in the send chain.
      for (const packet of fragmentMessage(encodeAlert(alert), this.#ids.next(), this.link.maxPayloadBytes, this.#fragment)) {
        this.link.send(packet).catch(() => undefined);
      }
    }
    this.#finish(reason);
    this.link.close().catch(() => undefined);
  }

  /** Closes the link in order. */
  async close(): Promise<void> {
    if (!this.#closed) this.#finish(undefined);
    await this.#sendChain;
    await this.link.close().catch(() => undefined);
  }

  #closedError(): PqbleError {
    return this.#closeReason ?? new ClosedError('the connection is closed');
  }

  #onPacket(packet: Uint8Array): void {
    if (this.#closed) return;
    if (this.#receiving > 0) this.#armIdle();
    let message: Uint8Array | undefined;
    try {
      message = this.#reassembler.push(packet);
    } catch (err) {
      this.fail(isPqbleError(err) ? err : new PqbleError('PQBLE_ERR_INTERNAL', 'reassembly failed', { cause: err }), 'protocol-error');
      return;
    }
    if (message === undefined || message.length === 0) return;
    this.#received++;
    if (this.#onMessage !== undefined) {
      this.#onMessage(message);
      return;
    }
    if (!this.#mailbox.push(message)) {
      this.fail(new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', 'the peer sent too many messages during setup'), 'protocol-error');
    }
  }

  #linkClosed(reason: PqbleError | undefined): void {
    if (this.#closed) return;
    this.#finish(reason ?? new LinkError('PQBLE_ERR_DISCONNECTED', 'the link closed'));
  }

  #finish(reason: PqbleError | undefined): void {
    this.#closed = true;
    this.#idleTimer?.cancel();
    this.#idleTimer = undefined;
    this.#closeReason = reason;
    this.#mailbox.end(reason ?? new ClosedError('the connection is closed'));
    this.#reassembler.reset();
    for (const off of this.#unsubscribe.splice(0)) off();
    for (const listener of this.#closeListeners.splice(0)) {
      try {
        listener(reason);
      } catch {
        // listeners are internal and must not throw; never let one break the others
      }
    }
  }
}
