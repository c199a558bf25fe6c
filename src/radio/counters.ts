/**
 * Counters of the simulated radio: the mutable radio-wide and per-link-end tallies the
 * connections keep, and their public form ({@link RadioStats}).
 *
 * @module
 */

import type { RadioStats } from './types.js';

/** Mutable counters of one link end (the source of its `LinkStats`). */
export interface MutableLinkStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  bytesOnAirSent: number;
  bytesOnAirReceived: number;
  airtimeSentUs: number;
  airtimeReceivedUs: number;
}

/** Mutable radio-wide counters (the source of {@link RadioStats}). */
export interface RadioCounters {
  linksOpened: number;
  linksOpen: number;
  bytesOnAirC2P: number;
  bytesOnAirP2C: number;
  airtimeC2PUs: number;
  airtimeP2CUs: number;
  llPackets: number;
  emptyPackets: number;
  retransmissions: number;
  lostPackets: number;
  attPackets: number;
  attBytes: number;
  skippedEvents: number;
}

/** Fresh zeroed link-end counters. */
export function emptyStats(): MutableLinkStats {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    bytesOnAirSent: 0,
    bytesOnAirReceived: 0,
    airtimeSentUs: 0,
    airtimeReceivedUs: 0,
  };
}

/** Radio-wide counters as {@link RadioStats}. */
export function toRadioStats(c: RadioCounters): RadioStats {
  return {
    linksOpened: c.linksOpened,
    linksOpen: c.linksOpen,
    bytesOnAirCentralToPeripheral: c.bytesOnAirC2P,
    bytesOnAirPeripheralToCentral: c.bytesOnAirP2C,
    airtimeCentralToPeripheralMs: c.airtimeC2PUs / 1000,
    airtimePeripheralToCentralMs: c.airtimeP2CUs / 1000,
    airtimeMs: (c.airtimeC2PUs + c.airtimeP2CUs) / 1000,
    llPackets: c.llPackets,
    emptyPackets: c.emptyPackets,
    retransmissions: c.retransmissions,
    lostPackets: c.lostPackets,
    attPackets: c.attPackets,
    attBytes: c.attBytes,
    skippedEvents: c.skippedEvents,
  };
}

/** Fresh zeroed counters. */
export function newCounters(): RadioCounters {
  return {
    linksOpened: 0,
    linksOpen: 0,
    bytesOnAirC2P: 0,
    bytesOnAirP2C: 0,
    airtimeC2PUs: 0,
    airtimeP2CUs: 0,
    llPackets: 0,
    emptyPackets: 0,
    retransmissions: 0,
    lostPackets: 0,
    attPackets: 0,
    attBytes: 0,
    skippedEvents: 0,
  };
}
