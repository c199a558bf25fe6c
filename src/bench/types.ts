/**
 * Shapes of the benchmark report (`npm run bench`, `pqble bench --json`; docs/cli.md and
 * docs/benchmarks.md). Every figure in one report comes from one run on the simulated radio.
 *
 * @module
 */

import type { Phy } from '../radio/index.js';
// --- link rows (src/bench/link.ts): establishment, packet sizes, loss, crowding ---
import type { LinkBenchReport } from './link.js';
// --- end link rows ---

/** Who is measured. */
export type ScenarioGroup = 'pqble' | 'tls13' | 'tls13-pq';

/** Which kind of connection setup. */
/** `resumed` is the default mode (psk-dhe for pqble); `resumed-psk` is pqble's resumption without a fresh key exchange. */
export type ScenarioKind = 'full' | 'full-pinned' | 'resumed' | 'resumed-psk' | 'resumed-from-disk' | 'fallback';

/** Figures of one connection-setup scenario, from one run. */
export interface ScenarioFigures {
  /** Display name, e.g. "pqble resumed" or "TLS 1.3 ticket resumption". */
  readonly name: string;
  readonly group: ScenarioGroup;
  readonly kind: ScenarioKind;
  /** Bytes on air central -> peripheral during setup (BLE link-layer overhead included). */
  readonly bytesOnAirToPeripheral: number;
  /** Bytes on air peripheral -> central during setup. */
  readonly bytesOnAirToCentral: number;
  /** Setup bytes both ways as ATT payload (our framing included, link-layer overhead excluded). */
  readonly payloadBytes: number;
  /** Round trips before the initiator may send application data. */
  readonly roundTrips: number;
  /** Simulated ms from the start of the (already connected) link's setup to the peer receiving the first application message. */
  readonly timeToFirstMessageMs: number;
  /** CPU ms spent by each side in the setup. */
  readonly cpuMsCentral: number;
  /** See {@link ScenarioFigures.cpuMsCentral}. */
  readonly cpuMsPeripheral: number;
}

/** Airtime of one full handshake on one PHY. */
export interface PhyFigures {
  readonly phy: Phy;
  readonly fullHandshakeMs: number;
  readonly fullHandshakePinnedMs: number;
  readonly resumedMs: number;
}

/** Goodput of 10 KB messages over the secure link. */
export interface GoodputFigures {
  readonly messageBytes: number;
  readonly messages: number;
  /** Application bytes per second achieved. */
  readonly goodputBytesPerSecond: number;
  /** Payload capacity of the link (ATT payload bytes per second with no security or framing). */
  readonly linkPayloadBytesPerSecond: number;
  /** goodput / capacity, in percent. */
  readonly percentOfLinkCapacity: number;
}

/** The session cache alone at N entries. */
export interface CacheFigures {
  readonly entries: number;
  readonly lookupNsPerOp: number;
  readonly touchNsPerOp: number;
  readonly insertWithEvictionNsPerOp: number;
  readonly saveMs: number;
  readonly loadMs: number;
  readonly fileBytes: number;
  readonly bytesPerEntry: number;
}

/** A whole benchmark run. */
export interface BenchReport {
  /** ISO time of the run. */
  readonly date: string;
  readonly node: string;
  /** Name of the crypto backend pqble ran on (`"noble"` or `"node"`; docs/crypto.md). */
  readonly cryptoBackend: string;
  readonly quick: boolean;
  readonly phy: Phy;
  readonly connectionIntervalMs: number;
  readonly scenarios: readonly ScenarioFigures[];
  readonly phys: readonly PhyFigures[];
  readonly goodput: GoodputFigures | undefined;
  readonly cache: CacheFigures | undefined;
  /** Ratios derived from the scenarios above (same run). */
  readonly ratios: Readonly<Record<string, number>>;
  /** Why something was not measured (e.g. no Node with ML-KEM TLS available). */
  readonly notes: readonly string[];
  // --- link rows (src/bench/link.ts) ---
  /** Reconnect from `connectToDevice()` with link establishment, fixed vs airtime-aware packets, loss, crowding. */
  readonly link?: LinkBenchReport;
  // --- end link rows ---
}
