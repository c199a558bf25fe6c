/**
 * The radio model's formulas (docs/radio-model.md "Packets on air" and "Throughput"):
 * on-air time and size of one link-layer (LL) data PDU on each PHY, how an ATT value is cut
 * into LL PDUs, and the steady-state throughput the model predicts for a one-way stream.
 * Pure functions, no state: the simulated link uses them, and so can benchmarks and docs.
 *
 * Sources: Bluetooth Core Specification 5.x, Vol 6 Part B §2.1 (packet formats) and §4.1
 * (T_IFS = 150 µs); Vol 3 Part A (L2CAP basic header, 4 bytes) and Part F (ATT).
 *
 * @module
 */

/** The PHY a simulated connection uses: LE Coded S=8 (125 kbit/s), LE 1M or LE 2M. */
export type Phy = 'coded' | '1m' | '2m';

/** Every PHY, in order of speed. */
export const PHYS: readonly Phy[] = ['coded', '1m', '2m'];

/** Inter frame space between two packets of a connection event, in µs. */
export const T_IFS_US = 150;

/** LL data PDU header: 2 bytes. */
export const LL_HEADER_BYTES = 2;
/** CRC: 3 bytes. */
export const LL_CRC_BYTES = 3;
/** Access address: 4 bytes. */
export const LL_ACCESS_ADDRESS_BYTES = 4;
/** Message integrity check of an encrypted LL PDU: 4 bytes (not used: pqble links are not LL-encrypted). */
export const LL_MIC_BYTES = 4;
/** L2CAP basic header (length + channel id): 4 bytes. */
export const L2CAP_HEADER_BYTES = 4;
/** ATT header of a Write Command or Handle Value Notification (opcode + handle): 3 bytes. */
export const ATT_HEADER_BYTES = 3;

/** Largest LL data PDU payload with Data Length Extension (BLE 4.2+). */
export const LL_MAX_PAYLOAD_DLE = 251;
/** Largest LL data PDU payload without Data Length Extension. */
export const LL_MAX_PAYLOAD_LEGACY = 27;

function checkPayload(payloadBytes: number): void {
  if (!Number.isInteger(payloadBytes) || payloadBytes < 0 || payloadBytes > 255) {
    throw new RangeError(`LL payload must be an integer in 0..255, got ${payloadBytes}`);
  }
}

function checkPhy(phy: Phy): void {
  if (phy !== 'coded' && phy !== '1m' && phy !== '2m') throw new RangeError(`phy must be 'coded', '1m' or '2m', got ${String(phy)}`);
}

/**
 * On-air time of one LL data PDU with `payloadBytes` of payload (0 = an empty PDU), in µs.
 *
 * - 1M: (1 preamble + 4 AA + 2 header + payload + 3 CRC) × 8 µs
 * - 2M: (2 preamble + 4 AA + 2 header + payload + 3 CRC) × 4 µs
 * - coded S=8: 80 µs preamble + 256 µs AA + 16 µs CI + 24 µs TERM1
 *   + (2 header + payload + 3 CRC) × 8 bits × 8 µs + 24 µs TERM2
 *
 * Add {@link LL_MIC_BYTES} to `payloadBytes` for an encrypted PDU.
 */
export function llPacketAirtimeUs(phy: Phy, payloadBytes: number): number {
  checkPhy(phy);
  checkPayload(payloadBytes);
  const pduBytes = LL_HEADER_BYTES + payloadBytes + LL_CRC_BYTES;
  switch (phy) {
    case '1m':
      return (1 + LL_ACCESS_ADDRESS_BYTES + pduBytes) * 8;
    case '2m':
      return (2 + LL_ACCESS_ADDRESS_BYTES + pduBytes) * 4;
    case 'coded':
      return 80 + 256 + 16 + 24 + pduBytes * 8 * 8 + 24;
  }
}

/**
 * Bytes on air of one LL data PDU: preamble + access address + header + payload + CRC.
 * The preamble counts 1 byte on 1M and coded, 2 bytes on 2M (the coded PHY's CI and TERM
 * fields are not whole bytes and are counted only in airtime).
 */
export function llPacketBytesOnAir(phy: Phy, payloadBytes: number): number {
  checkPhy(phy);
  checkPayload(payloadBytes);
  return (phy === '2m' ? 2 : 1) + LL_ACCESS_ADDRESS_BYTES + LL_HEADER_BYTES + payloadBytes + LL_CRC_BYTES;
}

/** Largest LL payload: 251 bytes with Data Length Extension, else 27. */
export function maxLlPayloadBytes(dataLengthExtension: boolean): number {
  return dataLengthExtension ? LL_MAX_PAYLOAD_DLE : LL_MAX_PAYLOAD_LEGACY;
}

/**
 * The LL payload sizes that carry one ATT value of `valueBytes` (a Write Command or
 * Notification: value + 3-byte ATT header, in an L2CAP PDU with a 4-byte header, cut into
 * LL PDUs of at most `maxLlPayload` bytes).
 */
export function llFragmentSizes(valueBytes: number, maxLlPayload: number): number[] {
  if (!Number.isInteger(valueBytes) || valueBytes < 0) throw new RangeError(`valueBytes must be a non-negative integer, got ${valueBytes}`);
  if (!Number.isInteger(maxLlPayload) || maxLlPayload < 27 || maxLlPayload > 251) {
    throw new RangeError(`maxLlPayload must be an integer in 27..251, got ${maxLlPayload}`);
  }
  let rest = valueBytes + ATT_HEADER_BYTES + L2CAP_HEADER_BYTES;
  const sizes: number[] = [];
  while (rest > 0) {
    const n = Math.min(rest, maxLlPayload);
    sizes.push(n);
    rest -= n;
  }
  return sizes;
}

/** Parameters of {@link streamThroughputBps}. */
export interface StreamThroughputParams {
  /** The PHY. */
  readonly phy: Phy;
  /** Connection interval in ms; `Infinity` for one endless connection event. */
  readonly connectionIntervalMs: number;
  /** ATT MTU (23..517); each value carries `attMtu - 3` bytes. */
  readonly attMtu: number;
  /** Data Length Extension on (LL payload up to 251) or off (27). */
  readonly dataLengthExtension: boolean;
  /** Add the 4-byte MIC of LL encryption to every data PDU (default false, as in the simulator). */
  readonly encrypted?: boolean;
}

/**
 * Application throughput (bits of ATT values per second) the model predicts for an endless
 * one-way stream of full-size values (`attMtu - 3` bytes) with no loss: every connection
 * event carries as many (data PDU, T_IFS, empty PDU, T_IFS) pairs as end at least T_IFS
 * before the next anchor (at least one pair per event).
 */
export function streamThroughputBps(params: StreamThroughputParams): number {
  const { phy, connectionIntervalMs, attMtu, dataLengthExtension } = params;
  const mic = params.encrypted === true ? LL_MIC_BYTES : 0;
  const value = attMtu - ATT_HEADER_BYTES;
  const sizes = llFragmentSizes(value, maxLlPayloadBytes(dataLengthExtension));
  const empty = llPacketAirtimeUs(phy, 0);
  const pairs = sizes.map((n) => llPacketAirtimeUs(phy, n + mic) + T_IFS_US + empty + T_IFS_US);
  const valueUs = pairs.reduce((a, b) => a + b, 0);
  if (!Number.isFinite(connectionIntervalMs)) return (value * 8 * 1e6) / valueUs;
  // Fill events pair by pair, cycling through one value's fragments. A pair may start if it
  // (and the T_IFS after it) ends by the next anchor; the first pair of an event always runs.
  const intervalUs = Math.round(connectionIntervalMs * 1000);
  let fragments = 0;
  let events = 0;
  let i = 0;
  const horizonFragments = sizes.length * 2000;
  while (fragments < horizonFragments) {
    let t = 0;
    let first = true;
    for (;;) {
      const pair = pairs[i % pairs.length];
      if (!first && t + pair > intervalUs) break;
      t += pair;
      first = false;
      fragments += 1;
      i += 1;
    }
    // The event ends with its last packet; an event that overran skips the anchors it covered.
    events += Math.max(1, Math.ceil((t - T_IFS_US) / intervalUs));
  }
  const values = fragments / sizes.length;
  return (values * value * 8 * 1e6) / (events * intervalUs);
}

/** The link parameters {@link oneWayTransferUs} needs. */
export interface TransferParams {
  /** The PHY. */
  readonly phy: Phy;
  /** Connection interval in ms. */
  readonly connectionIntervalMs: number;
  /** Largest LL payload (251 with Data Length Extension, else 27). */
  readonly maxLlPayloadBytes: number;
}

/**
 * Time from a connection event's anchor until the last of `valueSizes` (ATT values sent one
 * way, back to back, on an otherwise idle link with no loss) has arrived, in µs, by the
 * event rules of the simulated radio (docs/radio-model.md "Connection events"): each LL PDU
 * is one pair (data, T_IFS, empty, T_IFS); a pair after the first of an event starts only if
 * it ends by the next anchor; the next event starts at the first anchor after the last one ended.
 */
export function oneWayTransferUs(params: TransferParams, valueSizes: readonly number[]): number {
  const { phy, maxLlPayloadBytes: maxLl } = params;
  const intervalUs = Math.round(params.connectionIntervalMs * 1000);
  const tail = T_IFS_US + llPacketAirtimeUs(phy, 0) + T_IFS_US;
  let anchor = 0;
  let t = 0;
  let first = true;
  let lastArrival = 0;
  for (const v of valueSizes) {
    for (const n of llFragmentSizes(v, maxLl)) {
      const air = llPacketAirtimeUs(phy, n);
      if (!first && t + air + tail > anchor + intervalUs) {
        const endUs = t - T_IFS_US;
        anchor += intervalUs * Math.max(1, Math.ceil((endUs - anchor) / intervalUs));
        t = anchor;
        first = true;
      }
      lastArrival = t + air;
      t += air + tail;
      first = false;
    }
  }
  return lastArrival;
}
