/**
 * Public types of the simulated radio (docs/radio-model.md "API"): options, fault
 * injection, link descriptions and radio-wide counters.
 *
 * @module
 */

import type { LinkRole } from '../link/types.js';
import type { Phy } from './airtime.js';

/** Options of `new SimulatedRadio()`. Every key is optional; an unknown key is a TypeError. */
export interface SimulatedRadioOptions {
  /** Seed of the deterministic PRNG (loss decisions, advertising delays, device ids). Integer 0..2^32-1. Default 1. */
  readonly seed?: number;
  /** false (default): a {@link VirtualClock}; true: the process's real clock paces every event. */
  readonly realtime?: boolean;
  /** PHY of every connection. Default `'coded'` (LE Coded S=8, 125 kbit/s). */
  readonly phy?: Phy;
  /** Connection interval in ms, 7.5..4000. Default 30. */
  readonly connectionIntervalMs?: number;
  /** ATT MTU each device offers (23..517) unless its own `attMtu` says otherwise; a link uses the smaller of both. Default 247. */
  readonly attMtu?: number;
  /** Data Length Extension: LL payloads up to 251 bytes (true, default) or 27 (false). */
  readonly dataLengthExtension?: boolean;
  /** Default time limit of `connect()` in ms, 1..86,400,000. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Supervision timeout in ms, 100..32000 (the BLE range). Default 4000. */
  readonly supervisionTimeoutMs?: number;
  /** ATT values queued per link per direction before `send()` waits (flow control), 1..65536. Default 64. */
  readonly txQueuePackets?: number;
  /**
   * Advertising interval of every device unless its own says otherwise, ms, 20 ms..10,485.76 s
   * (Core Vol 6 Part B §4.4.2.2.1; an advDelay of 0..10 ms is added to each). Default 20
   * (the fast interval phones' accessory guidelines ask for after a disconnect).
   */
  readonly advertisingIntervalMs?: number;
  /** Scan interval of a central while it initiates a connection, ms, 2.5..10,240. Default 60 (BlueZ's). */
  readonly scanIntervalMs?: number;
  /** Scan window of a central while it initiates a connection, ms, 2.5..`scanIntervalMs`. Default 60 (continuous, BlueZ's). */
  readonly scanWindowMs?: number;
  /** transmitWindowOffset of the connect request, ms, 0..`connectionIntervalMs` (Core Vol 6 Part B §4.5.3). Default 0. */
  readonly transmitWindowOffsetMs?: number;
  /** transmitWindowSize of the connect request, ms, 1.25..min(10, `connectionIntervalMs` - 1.25). Default 1.25. */
  readonly transmitWindowSizeMs?: number;
  /**
   * A central that connected to a peripheral before keeps its GATT database and checks it
   * with one read of the Database Hash instead of discovering it again (Core Vol 3 Part G
   * §2.5.2). Default false: every connection discovers the pqble service.
   */
  readonly gattCaching?: boolean;
  /** Links a device's controller holds at once (as central and peripheral together), 1..64. Default 20 (the most Nordic's S140 SoftDevice holds). */
  readonly maxConnectionsPerDevice?: number;
  /**
   * `'airtime'` (default): links offer their PHY and interval (`Link.timing`) so the framing
   * picks packet sizes that fill connection events; `'fixed'`: they do not, and every packet
   * is as large as the ATT MTU allows.
   */
  readonly packetSizing?: 'airtime' | 'fixed';
}

/** Options of `SimulatedRadio.createDevice()`. An unknown key is a TypeError. */
export interface SimulatedDeviceOptions {
  /** The device's address (any form `parseDeviceId` accepts). Default: 12 hex digits drawn from the radio's seed. */
  readonly deviceId?: string;
  /** The ATT MTU this device offers, 23..517. Default: the radio's `attMtu`. */
  readonly attMtu?: number;
  /** A display name (at most 248 characters). Default `sim-<deviceId>`. */
  readonly name?: string;
  /** This device's advertising interval as a peripheral, ms, 20 ms..10,485.76 s. Default: the radio's `advertisingIntervalMs`. */
  readonly advertisingIntervalMs?: number;
}

/** A description of one simulated connection, given to fault callbacks. */
export interface SimulatedLinkInfo {
  /** Connection number, 1-based, in order of creation on this radio. */
  readonly id: number;
  /** Device id of the central. */
  readonly centralDeviceId: string;
  /** Device id of the peripheral. */
  readonly peripheralDeviceId: string;
  /** The PHY. */
  readonly phy: Phy;
  /** Negotiated ATT MTU (the smaller of both devices'). */
  readonly attMtu: number;
  /** Connection interval in ms. */
  readonly connectionIntervalMs: number;
  /** Largest LL payload (251 with Data Length Extension, else 27). */
  readonly maxLlPayloadBytes: number;
}

/** What a fault `intercept` callback decides for one packet. */
export type InterceptVerdict = 'deliver' | 'drop' | 'disconnect' | 'silence';

/** The argument of a fault `intercept` callback. */
export interface InterceptEvent {
  /** The link the packet crosses. */
  readonly link: SimulatedLinkInfo;
  /** The sender's role. */
  readonly from: LinkRole;
  /**
   * The ATT value about to be delivered. The callback may modify it in place to tamper with
   * what the receiver gets (it is the radio's own copy, never the sender's buffer).
   */
  readonly packet: Uint8Array;
  /** 0-based count of packets in this direction on this link (dropped ones included). */
  readonly index: number;
}

/**
 * Faults injected into every link (existing and future). `setFaults()` replaces the whole
 * set: a key left out means no such fault. An unknown key is a TypeError.
 */
export interface FaultOptions {
  /**
   * Probability 0..1 that any LL PDU (data, control or empty) is lost. A lost PDU costs its
   * airtime, ends the connection event and is sent again at the next one; a side that hears
   * nothing for `supervisionTimeoutMs` drops the link with `PQBLE_ERR_SUPERVISION_TIMEOUT`.
   */
  readonly packetLossRate?: number;
  /**
   * Drops a link (both sides close with `PQBLE_ERR_DISCONNECTED`) as soon as this many ATT
   * payload bytes crossed it, both directions together, counted from the later of the
   * link's opening and this `setFaults()` call. The packet that reaches the count is delivered.
   */
  readonly disconnectAfterBytes?: number;
  /**
   * Called for every ATT value just before it is delivered:
   * `'deliver'` delivers it; `'drop'` discards it (the sender is not told);
   * `'disconnect'` drops the link without delivering it (both sides: `PQBLE_ERR_DISCONNECTED`);
   * `'silence'` makes the sender go silent: nothing more crosses the link and after
   * `supervisionTimeoutMs` both sides close with `PQBLE_ERR_SUPERVISION_TIMEOUT`.
   * A callback that throws or returns anything else drops the link with `PQBLE_ERR_INTERNAL`.
   */
  readonly intercept?: (event: InterceptEvent) => InterceptVerdict;
}

/** Radio-wide totals over every link since the radio was created. */
export interface RadioStats {
  /** Connections established (MTU exchange started). */
  readonly linksOpened: number;
  /** Connections open now (including ones whose close is in progress). */
  readonly linksOpen: number;
  /** Bytes on air sent by centrals (preamble..CRC of every LL PDU, retransmissions and empty PDUs included). */
  readonly bytesOnAirCentralToPeripheral: number;
  /** Bytes on air sent by peripherals. */
  readonly bytesOnAirPeripheralToCentral: number;
  /** Airtime of everything centrals sent, in ms. */
  readonly airtimeCentralToPeripheralMs: number;
  /** Airtime of everything peripherals sent, in ms. */
  readonly airtimePeripheralToCentralMs: number;
  /** Total airtime, both directions, in ms. */
  readonly airtimeMs: number;
  /** LL PDUs transmitted (data, control and empty; retransmissions and lost ones included). */
  readonly llPackets: number;
  /** Empty LL PDUs transmitted. */
  readonly emptyPackets: number;
  /** Data or control LL PDUs transmitted again (lost, or their acknowledgement was). */
  readonly retransmissions: number;
  /** LL PDUs lost to `packetLossRate`. */
  readonly lostPackets: number;
  /** ATT values (application packets) delivered. */
  readonly attPackets: number;
  /** Bytes of ATT values delivered. */
  readonly attBytes: number;
  /** Connection events missed because a device's radio was serving another of its connections. */
  readonly skippedEvents: number;
}
