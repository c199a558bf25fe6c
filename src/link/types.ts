/**
 * The radio link seam (docs/radio-model.md; docs/hardware.md). One narrow interface that the
 * simulated radio implements, and the noble (central) and bleno (peripheral) adapters
 * implement for real hardware. Everything above it (framing, handshake, records,
 * transport) sees only these types.
 *
 * A {@link Link} models one BLE connection carrying our GATT service: the central writes
 * (write-without-response) to the TX characteristic, the peripheral notifies on the RX
 * characteristic. Each `send()` carries one ATT value of at most `maxPayloadBytes`
 * (= ATT MTU - 3) bytes. Delivery is in order and reliable while the link is open (the BLE
 * link layer retransmits); a link that fails closes, with a coded reason.
 *
 * @module
 */

import type { Clock } from '../clock.js';
import type { PqbleError } from '../errors.js';

/** The GAP role of this side of a link. */
export type LinkRole = 'central' | 'peripheral';

/** Counters of one link, per direction. "On air" includes link-layer and ATT overhead. */
export interface LinkStats {
  /** ATT values sent (packets handed to the radio). */
  readonly packetsSent: number;
  /** ATT values received. */
  readonly packetsReceived: number;
  /** Payload bytes sent (sum of the values' lengths). */
  readonly bytesSent: number;
  /** Payload bytes received. */
  readonly bytesReceived: number;
  /** Bytes on air this side transmitted, link-layer overhead included (0 if unknown). */
  readonly bytesOnAirSent: number;
  /** Bytes on air this side received, link-layer overhead included (0 if unknown). */
  readonly bytesOnAirReceived: number;
  /** Airtime of what this side transmitted, in milliseconds (0 if unknown). */
  readonly airtimeSentMs: number;
  /** Airtime of what this side received, in milliseconds (0 if unknown). */
  readonly airtimeReceivedMs: number;
  /**
   * Link establishment: from the central's `connect()` call until the link was ready for the
   * first pqble message (advertising, connect request, first connection events, MTU exchange,
   * GATT discovery or cache check, CCCD write), in ms. Absent if the link does not know it;
   * 0 on a peripheral's link until the central's `connect()` resolved.
   */
  readonly connectionEstablishmentMs?: number;
}

/**
 * The radio timing of a link, offered by links that know it (the simulated radio) so that
 * the framing can choose packet sizes that fill connection events (docs/framing.md
 * "Packet sizes").
 */
export interface LinkTiming {
  /** The PHY: LE Coded S=8, LE 1M or LE 2M. */
  readonly phy: 'coded' | '1m' | '2m';
  /** Connection interval, ms. */
  readonly connectionIntervalMs: number;
  /** Largest LL data PDU payload: 251 with Data Length Extension, else 27. */
  readonly maxLlPayloadBytes: number;
}

/** Options of {@link Link.send}. */
export interface LinkSendOptions {
  /** Cancels waiting for room in the radio's queue. */
  readonly signal?: AbortSignal | undefined;
}

/** One BLE connection between this device and a peer. */
export interface Link {
  /** This device's 6-byte id as 12 lowercase hex digits. */
  readonly localDeviceId: string;
  /** The peer's 6-byte id as 12 lowercase hex digits (its BLE address; only a hint). */
  readonly peerDeviceId: string;
  /** Our role on this link. */
  readonly role: LinkRole;
  /** Current ATT MTU (23..517). May grow once after connect (MTU exchange). */
  readonly attMtu: number;
  /** Largest value `send()` accepts: `attMtu - 3`. */
  readonly maxPayloadBytes: number;
  /** False once the link closed (either side, or lost). */
  readonly isOpen: boolean;
  /** The link's radio timing, if known (for airtime-aware packet sizes); absent on links that cannot tell. */
  readonly timing?: LinkTiming | undefined;
  /**
   * Queues one packet. Resolves when the radio accepted it (flow control: a full queue
   * makes this wait). Rejects with `PQBLE_ERR_DISCONNECTED` (or the close reason) if the
   * link is or becomes closed, `PQBLE_ERR_ABORTED` on abort, `RangeError` if the packet is
   * empty or larger than `maxPayloadBytes`. The bytes are copied; the caller keeps its buffer.
   */
  send(packet: Uint8Array, options?: LinkSendOptions): Promise<void>;
  /**
   * Subscribes to inbound packets, in order. Packets that arrive before the first listener
   * is attached are buffered (up to 256) and delivered to it. Returns an unsubscribe function.
   */
  onPacket(listener: (packet: Uint8Array) => void): () => void;
  /** Subscribes to ATT MTU changes. Returns an unsubscribe function. */
  onMtuChange(listener: (attMtu: number) => void): () => void;
  /**
   * Subscribes to the close of the link; fires exactly once with the reason (`undefined`
   * for a local, orderly `close()`). A listener added after the close is called on a
   * later tick. Returns an unsubscribe function.
   */
  onClose(listener: (reason: PqbleError | undefined) => void): () => void;
  /** Closes the link (idempotent); resolves once it is closed. */
  close(): Promise<void>;
  /** Counters so far. */
  stats(): LinkStats;
}

/** Options of {@link LinkEndpoint.connect}. */
export interface LinkConnectOptions {
  /** Cancels the attempt. */
  readonly signal?: AbortSignal | undefined;
  /** Fails with `PQBLE_ERR_TIMEOUT` after this many ms. Default: the endpoint's own. */
  readonly timeoutMs?: number | undefined;
}

/** One device's radio: it connects out (central) and/or accepts connections (peripheral). */
export interface LinkEndpoint {
  /** This device's 6-byte id as 12 lowercase hex digits. */
  readonly deviceId: string;
  /** The clock this radio runs on; the transport uses it for all its timers. */
  readonly clock: Clock;
  /**
   * Connects to a peer as central. Rejects with `PQBLE_ERR_DEVICE_NOT_FOUND`,
   * `PQBLE_ERR_TIMEOUT`, `PQBLE_ERR_ABORTED` or `PQBLE_ERR_RADIO_UNAVAILABLE`.
   */
  connect(peerDeviceId: string, options?: LinkConnectOptions): Promise<Link>;
  /**
   * Subscribes to links accepted as peripheral. Returns an unsubscribe function.
   * Endpoints that cannot be peripheral never call the listener.
   */
  onIncoming(listener: (link: Link) => void): () => void;
  /** Closes every link and stops the radio (idempotent). */
  close(): Promise<void>;
}
