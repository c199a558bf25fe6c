/**
 * Link establishment in the simulated radio (docs/radio-model.md "Link establishment"):
 * how long a central needs to catch a connectable advertisement and send its connect
 * request, and which ATT request/response exchanges (MTU exchange, GATT discovery of the
 * pqble service or a cached database, CCCD subscription) follow before the first pqble
 * message can go. Pure functions and constants; the connection engine runs the exchanges
 * through its connection events.
 *
 * Sources: Bluetooth Core Specification 5.x, Vol 6 Part B §2.3 (advertising PDUs,
 * CONNECT_IND, AUX_CONNECT_REQ/RSP), §4.4.2.2.1 (advInterval, advDelay), §4.4.4 (initiating),
 * §4.5.3 (transmitWindowDelay, transmitWindowOffset, transmitWindowSize), §5.1.4 and §5.1.9
 * (feature exchange, data length update); Vol 3 Part F §3.4 (ATT PDUs), Vol 3 Part G §4
 * (GATT discovery procedures), §2.5.2 (attribute caching) and §7.3 (Database Hash).
 *
 * @module
 */

import { L2CAP_HEADER_BYTES, llPacketAirtimeUs, T_IFS_US, type Phy } from './airtime.js';
import type { Prng } from './prng.js';

/** advDelay: a pseudo-random 0..10 ms added to every advertising interval (Vol 6 Part B §4.4.2.2.1). */
export const ADV_DELAY_MAX_US = 10_000;
/** T_MAFS: least time between a primary advertising PDU and its AUX_ADV_IND (Vol 6 Part B §4.2.5). */
export const T_MAFS_US = 300;

/**
 * Payload bytes of the advertising and connect-request PDUs the model puts on air:
 * - ADV_IND: AdvA (6) + AdvData (flags 3 + 128-bit service UUID list 18) = 27;
 * - CONNECT_IND / AUX_CONNECT_REQ: InitA (6) + AdvA (6) + LLData (22) = 34;
 * - ADV_EXT_IND: extended header length/AdvMode (1) + flags (1) + ADI (2) + AuxPtr (3) = 7;
 * - AUX_ADV_IND: 1 + flags (1) + AdvA (6) + ADI (2) + AdvData (21) = 31;
 * - AUX_CONNECT_RSP: 1 + flags (1) + AdvA (6) + TargetA (6) = 14.
 */
export const ADVERTISING_PDU_BYTES = Object.freeze({
  advInd: 27,
  connectInd: 34,
  advExtInd: 7,
  auxAdvInd: 31,
  auxConnectRsp: 14,
});

/** LL_FEATURE_REQ/RSP and LL_LENGTH_REQ/RSP: opcode + 8 bytes (Vol 6 Part B §2.4.2). */
export const LL_CONTROL_PROCEDURE_BYTES = 9;

/**
 * transmitWindowDelay (Vol 6 Part B §4.5.3): 1.25 ms after a CONNECT_IND (legacy advertising
 * on LE 1M, used for 1M and 2M connections), 3.75 ms after an AUX_CONNECT_REQ on LE Coded
 * (a coded connection is set up over extended advertising on the coded primary channel).
 */
export function transmitWindowDelayUs(phy: Phy): number {
  return phy === 'coded' ? 3750 : 1250;
}

/** When an advertising event sends its PDUs on the scanner's channel, and how long the connect request takes. */
export interface ConnectRequestTiming {
  /** Airtime from the start of the advertising PDU the scanner hears to the end of the connect request (and response on LE Coded), µs. */
  readonly exchangeUs: number;
  /** Airtime that the advertiser spends (its advertising PDUs of that event, and the AUX_CONNECT_RSP), µs. */
  readonly advertiserAirUs: number;
  /** Airtime that the initiator spends (the connect request), µs. */
  readonly initiatorAirUs: number;
}

/**
 * The advertising PDUs and connect request for a connection on `phy`: legacy ADV_IND and
 * CONNECT_IND on LE 1M for 1M and 2M connections; ADV_EXT_IND, AUX_ADV_IND (T_MAFS later),
 * AUX_CONNECT_REQ and AUX_CONNECT_RSP on LE Coded for coded ones.
 */
export function connectRequestTiming(phy: Phy): ConnectRequestTiming {
  const b = ADVERTISING_PDU_BYTES;
  if (phy !== 'coded') {
    const adv = llPacketAirtimeUs('1m', b.advInd);
    const req = llPacketAirtimeUs('1m', b.connectInd);
    return { exchangeUs: adv + T_IFS_US + req, advertiserAirUs: adv, initiatorAirUs: req };
  }
  const ext = llPacketAirtimeUs('coded', b.advExtInd);
  const aux = llPacketAirtimeUs('coded', b.auxAdvInd);
  const req = llPacketAirtimeUs('coded', b.connectInd);
  const rsp = llPacketAirtimeUs('coded', b.auxConnectRsp);
  return { exchangeUs: ext + T_MAFS_US + aux + T_IFS_US + req + T_IFS_US + rsp, advertiserAirUs: ext + aux + rsp, initiatorAirUs: req };
}

/** Parameters of {@link connectRequestDelayUs}. */
export interface ScanParams {
  /** The PHY of the connection to be made. */
  readonly phy: Phy;
  /** The peripheral's advertising interval, ms (20..10,485.759375). */
  readonly advertisingIntervalMs: number;
  /** The central's scan interval while initiating, ms. */
  readonly scanIntervalMs: number;
  /** The central's scan window, ms (at most the scan interval). */
  readonly scanWindowMs: number;
}

/** Largest number of advertising events {@link connectRequestDelayUs} looks at before it gives up. */
const MAX_ADVERTISING_EVENTS = 100_000;

/**
 * Time from the start of scanning until the connect request has been sent (for LE Coded:
 * until the AUX_CONNECT_RSP has arrived), in µs, drawn with `prng`:
 *
 * 1. the peripheral's advertising schedule is independent of the central's call, so its
 *    first advertising event after the start of scanning is uniform in [0, advInterval);
 *    each further event follows advInterval + advDelay later, advDelay uniform in 0..10 ms;
 * 2. scan windows open at 0, scanInterval, 2 × scanInterval, ... and last scanWindow; the
 *    advertiser sends on all three primary channels in each event, so one PDU of every event
 *    falls on the channel the scanner listens on;
 * 3. the first event whose PDUs (and the connect request T_IFS after them) lie inside a
 *    scan window is caught.
 */
export function connectRequestDelayUs(params: ScanParams, prng: Prng): number {
  const advUs = Math.round(params.advertisingIntervalMs * 1000);
  const scanIntervalUs = Math.round(params.scanIntervalMs * 1000);
  const scanWindowUs = Math.round(params.scanWindowMs * 1000);
  const { exchangeUs } = connectRequestTiming(params.phy);
  let t = Math.floor(prng() * advUs);
  for (let i = 0; i < MAX_ADVERTISING_EVENTS; i++) {
    const inWindow = (t % scanIntervalUs) + exchangeUs <= scanWindowUs;
    if (inWindow || scanWindowUs >= scanIntervalUs) return t + exchangeUs;
    t += advUs + Math.floor(prng() * (ADV_DELAY_MAX_US + 1));
  }
  return t + exchangeUs;
}

/** One ATT request/response exchange of link establishment. */
export interface AttExchange {
  /** What it does, e.g. `'exchange MTU'`. */
  readonly name: string;
  /** Bytes of the request's ATT PDU (opcode and parameters). */
  readonly requestAttBytes: number;
  /** Bytes of the response's ATT PDU. */
  readonly responseAttBytes: number;
}

/** ATT Error Response (opcode, request opcode, handle, error code): 5 bytes. */
const ATT_ERROR_RSP_BYTES = 5;
/** Read By Group Type / Read By Type request with a 16-bit UUID: opcode, start, end, UUID. */
const ATT_READ_BY_TYPE_REQ_BYTES = 7;

/**
 * The ATT exchanges from the first ATT PDU until the central may send its first pqble
 * message, against pqble's GATT database (docs/hardware.md "GATT service"):
 *
 * | handles | attribute |
 * |---|---|
 * | 0x0001..0x0005 | GAP service (0x1800): Device Name, Appearance |
 * | 0x0006..0x0009 | GATT service (0x1801): Service Changed and its CCCD |
 * | 0x000A..0x000F | pqble service (128-bit): TX (write without response), RX (notify) and the RX CCCD |
 *
 * Without a cache (`cached` false), as a GATT client that looks for one service does:
 * MTU exchange; primary services by Read By Group Type (the two 16-bit services, the
 * 128-bit one, then Attribute Not Found); characteristics of the pqble service by Read By
 * Type (both in one response from ATT MTU 44, one per response below, then Attribute Not
 * Found); descriptors of RX by Find Information; the CCCD write (Write Request, notifications on).
 *
 * With a cache (`cached` true; a client that connected before): MTU exchange; a Read By
 * Type of the Database Hash characteristic (robust caching: the client checks that its
 * cache is current; an unbonded client cannot trust it otherwise); the CCCD write (an
 * unbonded client's subscription does not persist across connections).
 * @param attMtu - the ATT MTU both sides offered (23..517): the smaller one
 */
export function gattSetupExchanges(attMtu: number, cached: boolean): AttExchange[] {
  const mtu: AttExchange = { name: 'exchange MTU', requestAttBytes: 3, responseAttBytes: 3 };
  const cccd: AttExchange = { name: 'write RX CCCD', requestAttBytes: 5, responseAttBytes: 1 };
  if (cached) {
    // Read By Type Response: opcode, length, one entry (handle 2 + 16-byte hash).
    return [mtu, { name: 'read Database Hash', requestAttBytes: ATT_READ_BY_TYPE_REQ_BYTES, responseAttBytes: 2 + 18 }, cccd];
  }
  const out: AttExchange[] = [mtu];
  // Read By Group Type: opcode, length, entries of (handle, end group handle, UUID).
  out.push({ name: 'discover primary services (16-bit)', requestAttBytes: ATT_READ_BY_TYPE_REQ_BYTES, responseAttBytes: 2 + 2 * 6 });
  out.push({ name: 'discover primary services (128-bit)', requestAttBytes: ATT_READ_BY_TYPE_REQ_BYTES, responseAttBytes: 2 + 20 });
  out.push({ name: 'discover primary services (end)', requestAttBytes: ATT_READ_BY_TYPE_REQ_BYTES, responseAttBytes: ATT_ERROR_RSP_BYTES });
  // Read By Type of 0x2803: entries of (handle 2, properties 1, value handle 2, UUID 16) = 21.
  const perResponse = Math.max(1, Math.floor((attMtu - 2) / 21));
  for (let left = 2; left > 0; left -= perResponse) {
    const n = Math.min(left, perResponse);
    out.push({ name: 'discover characteristics', requestAttBytes: ATT_READ_BY_TYPE_REQ_BYTES, responseAttBytes: 2 + 21 * n });
  }
  out.push({ name: 'discover characteristics (end)', requestAttBytes: ATT_READ_BY_TYPE_REQ_BYTES, responseAttBytes: ATT_ERROR_RSP_BYTES });
  // Find Information: opcode, start, end; response: opcode, format, (handle, 16-bit UUID).
  out.push({ name: 'discover RX descriptors', requestAttBytes: 5, responseAttBytes: 2 + 4 });
  out.push(cccd);
  return out;
}

/** L2CAP bytes (the LL payload before segmentation) of an ATT PDU of `attBytes`. */
export function attPduL2capBytes(attBytes: number): number {
  return attBytes + L2CAP_HEADER_BYTES;
}
