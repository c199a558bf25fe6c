/**
 * `BleConnection` (docs/api.md "BleConnection"): an established, encrypted connection to
 * one authenticated peer. Messages of any size up to `maxMessageBytes` go through the record
 * layer and the fragmenter; inbound messages arrive through a bounded async iterator.
 *
 * Backpressure: BLE gives a receiver no way to slow the sender down below the link layer,
 * so the inbound queue is bounded (`maxQueuedMessages`) and a peer that overruns an
 * application that is not reading gets the connection closed with `PQBLE_ERR_QUEUE_FULL`,
 * rather than pqble buffering without limit. Outbound, `send()` resolves once the last packet
 * was accepted by the radio, so an awaiting sender is paced by the link.
 *
 * @module
 */

import { bytesToHex } from '../bytes.js';
import type { PqbleError } from '../errors.js';
import { ClosedError, FramingError, LinkError, RecordError, isPqbleError, throwIfAborted } from '../errors.js';
import type { LinkStats } from '../link/types.js';
import type { RecordOpener, RecordSealer } from '../record/index.js';
import { AsyncQueue } from '../util/async-queue.js';
import { MessageType } from '../wire.js';
import type { Channel } from './channel.js';
import type { ConnectionType, Established } from './setup.js';

/** Counters of one connection. */
export interface ConnectionStats {
  /** How the connection was set up. */
  readonly connectionType: ConnectionType;
  /** True if a resumption was refused and the full handshake ran on the same link. */
  readonly fellBack: boolean;
  /** True if the full handshake ran in pinned mode (fingerprints instead of public keys). */
  readonly pinned: boolean;
  /** The resumption mode of a resumed connection (`'psk'` or `'psk-dhe'`), else `undefined`. */
  readonly resumptionMode: 'psk' | 'psk-dhe' | undefined;
  /** Time from the link being up to the connection being established, on the radio's clock (ms). */
  readonly setupMs: number;
  /** CPU milliseconds this side spent in setup cryptography. */
  readonly setupCpuMs: number;
  /** Round trips the initiator waited for during setup (0 on the responder). */
  readonly setupRoundTrips: number;
  /** Bytes on air during setup (this side sent / received, from the link being ready: link establishment is in `link`), link-layer overhead included. */
  readonly setupBytesOnAirSent: number;
  /** See {@link ConnectionStats.setupBytesOnAirSent}. */
  readonly setupBytesOnAirReceived: number;
  /** Airtime of the setup, both directions, on the radio's model (ms; 0 if the radio does not know). */
  readonly setupAirtimeMs: number;
  /** ATT payload bytes during setup (framing included, link-layer overhead excluded). */
  readonly setupBytesSent: number;
  /** See {@link ConnectionStats.setupBytesSent}. */
  readonly setupBytesReceived: number;
  /** Application messages sent / received. */
  readonly messagesSent: number;
  /** See {@link ConnectionStats.messagesSent}. */
  readonly messagesReceived: number;
  /** Application payload bytes sent / received. */
  readonly bytesSent: number;
  /** See {@link ConnectionStats.bytesSent}. */
  readonly bytesReceived: number;
  /** The link's own counters (bytes on air and airtime, whole connection). */
  readonly link: LinkStats;
}

/** Options of {@link BleConnection.send}. */
export interface SendOptions {
  /** Cancels waiting for this message's turn; once its first packet is out it completes. */
  readonly signal?: AbortSignal | undefined;
}

/** Options of {@link BleConnection.messages} and {@link BleConnection.receive}. */
export interface ReceiveOptions {
  /** Cancels the wait. */
  readonly signal?: AbortSignal | undefined;
}

/** Internal wiring handed over by the transport. */
export interface ConnectionInit {
  readonly channel: Channel;
  readonly established: Established;
  readonly role: 'initiator' | 'responder';
  readonly maxMessageBytes: number;
  readonly maxQueuedMessages: number;
  readonly setupMs: number;
  readonly setupLink: LinkStats;
  readonly onActivity: () => void;
  readonly onClosed: (connection: BleConnection, reason: PqbleError | undefined) => void;
}

/** An established, encrypted connection to one authenticated peer. */
export class BleConnection {
  /** `'resumed'` (32-byte token, 1 RTT) or `'full-handshake'` (ML-KEM + ML-DSA). */
  readonly connectionType: ConnectionType;
  /** Whether this side connected out (`initiator`, central) or accepted (`responder`). */
  readonly role: 'initiator' | 'responder';
  /** The peer's identity fingerprint (64 hex digits): who the peer is. */
  readonly peerFingerprint: string;
  /** The peer's BLE device id (12 hex digits): only a hint, addresses rotate. */
  readonly peerDeviceId: string;
  /** The session's public id (32 hex digits); renewed on every resumption. */
  readonly sessionId: string;
  /** The peer's ML-DSA-65 public key, when this connection ran a full handshake. */
  readonly peerPublicKey: Uint8Array | undefined;

  readonly #channel: Channel;
  readonly #sealer: RecordSealer;
  readonly #opener: RecordOpener;
  readonly #inbox: AsyncQueue<Uint8Array>;
  readonly #maxMessageBytes: number;
  readonly #init: ConnectionInit;
  readonly #closeListeners: ((reason: PqbleError | undefined) => void)[] = [];
  #closed = false;
  #closeReason: PqbleError | undefined;
  #messagesSent = 0;
  #messagesReceived = 0;
  #bytesSent = 0;
  #bytesReceived = 0;

  /** @internal Connections are created by `BleTransport`. */
  constructor(init: ConnectionInit) {
    const { channel, established } = init;
    this.#init = init;
    this.#channel = channel;
    this.#sealer = established.sealer;
    this.#opener = established.opener;
    this.#maxMessageBytes = init.maxMessageBytes;
    this.#inbox = new AsyncQueue(init.maxQueuedMessages);
    this.connectionType = established.connectionType;
    this.role = init.role;
    this.peerFingerprint = established.peerFingerprintHex;
    this.peerDeviceId = channel.link.peerDeviceId;
    this.sessionId = bytesToHex(established.sessionId);
    this.peerPublicKey = established.peerPublicKey;
    channel.onClose((reason) => {
      this.#finish(reason);
      // Only now is nothing left in the send chain that could still need the sealer.
      this.#sealer.destroy();
      this.#opener.destroy();
    });
    channel.establish((message) => this.#onMessage(message));
  }

  /** False once the connection closed (either side, or the link was lost). */
  get isOpen(): boolean {
    return !this.#closed;
  }

  /** Why the connection closed: `undefined` while open or after an orderly close. */
  get closeReason(): PqbleError | undefined {
    return this.#closeReason;
  }

  /** Largest message `send()` accepts. */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  /**
   * Sends one message (1 byte up to `maxMessageBytes`), encrypted and fragmented.
   * Resolves when its last packet was accepted by the radio. Rejects with
   * `PQBLE_ERR_CLOSED` / `PQBLE_ERR_DISCONNECTED` if the connection is or becomes closed,
   * `PQBLE_ERR_ABORTED`, or `PQBLE_ERR_MESSAGE_TOO_LARGE`. The caller's buffer is not kept.
   */
  async send(data: Uint8Array, options: SendOptions = {}): Promise<void> {
    if (!(data instanceof Uint8Array)) throw new TypeError('message must be a Uint8Array');
    if (data.length === 0) throw new RangeError('message must not be empty');
    if (data.length > this.#maxMessageBytes) {
      throw new FramingError('PQBLE_ERR_MESSAGE_TOO_LARGE', `message of ${data.length} bytes exceeds maxMessageBytes (${this.#maxMessageBytes})`);
    }
    throwIfAborted(options.signal);
    if (this.#closed) throw this.#closedError();
    const copy = data.slice();
    this.#init.onActivity();
    await this.#channel.send(() => {
      throwIfAborted(options.signal);
      return this.#sealer.seal(copy, 'data');
    });
    this.#messagesSent++;
    this.#bytesSent += copy.length;
  }

  /**
   * The inbound messages, in order, as an async iterator. It ends when the connection
   * closes in order and throws the coded reason if it was lost. One consumer at a time.
   */
  messages(options: ReceiveOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    return this.#inbox.iterate(options);
  }

  /** Waits for the next inbound message. Rejects with `PQBLE_ERR_CLOSED` at the end. */
  async receive(options: ReceiveOptions = {}): Promise<Uint8Array> {
    const r = await this.#inbox.next(options);
    if (r.done === true) throw this.#closedError();
    return r.value;
  }

  /** Calls `listener` once when the connection closes, with the reason. */
  onClose(listener: (reason: PqbleError | undefined) => void): () => void {
    if (this.#closed) {
      queueMicrotask(() => listener(this.#closeReason));
      return () => undefined;
    }
    this.#closeListeners.push(listener);
    return () => {
      const i = this.#closeListeners.indexOf(listener);
      if (i >= 0) this.#closeListeners.splice(i, 1);
    };
  }

  /**
   * Closes the connection in order: sends a close-notify record after everything already
   * queued, then closes the link. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const notify = this.#channel.send(() => this.#sealer.seal(new Uint8Array(0), 'close')).catch(() => undefined);
    this.#finish(undefined);
    await notify;
    await this.#channel.close();
  }

  /** Counters so far. */
  stats(): ConnectionStats {
    const e = this.#init.established;
    const s = this.#init.setupLink;
    return {
      connectionType: this.connectionType,
      fellBack: e.fellBack,
      pinned: e.pinned,
      resumptionMode: e.resumptionMode,
      setupMs: this.#init.setupMs,
      setupCpuMs: e.cpuMs,
      setupRoundTrips: e.roundTrips,
      setupBytesOnAirSent: s.bytesOnAirSent,
      setupBytesOnAirReceived: s.bytesOnAirReceived,
      setupAirtimeMs: s.airtimeSentMs + s.airtimeReceivedMs,
      setupBytesSent: s.bytesSent,
      setupBytesReceived: s.bytesReceived,
      messagesSent: this.#messagesSent,
      messagesReceived: this.#messagesReceived,
      bytesSent: this.#bytesSent,
      bytesReceived: this.#bytesReceived,
      link: this.#channel.link.stats(),
    };
  }

  #closedError(): PqbleError {
    return this.#closeReason ?? new ClosedError('the connection is closed');
  }

  #onMessage(message: Uint8Array): void {
    if (this.#closed) return;
    if (message[0] !== MessageType.Record) {
      this.#fail(new RecordError('PQBLE_ERR_RECORD_MALFORMED', `unexpected message type 0x${(message[0] ?? 0).toString(16)} on an established connection`));
      return;
    }
    let record: { type: 'data' | 'close'; content: Uint8Array };
    try {
      record = this.#opener.open(message);
    } catch (err) {
      this.#fail(isPqbleError(err) ? err : new RecordError('PQBLE_ERR_RECORD_MALFORMED', 'record rejected', { cause: err }));
      return;
    }
    if (record.type === 'close') {
      this.#finish(undefined);
      this.#channel.close().catch(() => undefined);
      return;
    }
    if (record.content.length === 0) return; // keep-alive / setup confirmation: not an application message
    this.#messagesReceived++;
    this.#bytesReceived += record.content.length;
    this.#init.onActivity();
    if (!this.#inbox.push(record.content)) {
      this.#fail(new LinkError('PQBLE_ERR_QUEUE_FULL', `more than ${this.#init.maxQueuedMessages} unread messages: the application is not reading`));
    }
  }

  #fail(reason: PqbleError): void {
    this.#channel.fail(reason, 'record-failure');
    this.#finish(reason);
  }

  #finish(reason: PqbleError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    this.#inbox.end(reason);
    this.#init.onClosed(this, reason);
    for (const listener of this.#closeListeners.splice(0)) {
      try {
        listener(reason);
      } catch {
        // a throwing application listener must not break the transport
      }
    }
  }
}
