/**
 * Shapes of the benchmark report (`npm run bench`, `pqble bench --json`; docs/cli.md and
 * docs/benchmarks.md). Every figure in one report comes from one run on the simulated radio.
 *
 * @module
 */

import type { Phy } from '../src/radio/index.js';
import type { RadioCurrentProfile, RadioEnergy } from './energy.js';

export type { RadioCurrentProfile, RadioEnergy } from './energy.js';
// --- link rows (bench/link.ts): establishment, packet sizes, loss, crowding ---
import type { LinkBenchReport } from './link.js';
// --- end link rows ---

/** Who is measured. */
export type ScenarioGroup = 'pqble' | 'tls13' | 'tls13-pq';

/**
 * Which kind of connection setup:
 * - `full-cold`: the first full handshake of a fresh process (one sample, JIT and library warm-up included);
 * - `full`: warm full handshakes (identities unknown); `full-pinned`: with pinned keys;
 * - pqble: `resumed` (the default psk-dhe mode), `resumed-psk`, `resumed-from-disk` (both sides restarted), `fallback`;
 * - TLS 1.3: `resumed-psk_dhe_ke` and `resumed-psk_ke`, ticket resumption in each PSK key exchange mode (RFC 8446 §4.2.9).
 */
export type ScenarioKind =
  'full-cold' | 'full' | 'full-pinned' | 'resumed' | 'resumed-psk' | 'resumed-from-disk' | 'fallback' | 'resumed-psk_dhe_ke' | 'resumed-psk_ke';

/** What the TLS rows' first flight showed on the wire (parsed from the ClientHello and ServerHello bytes). */
export interface TlsHelloFacts {
  /** The ClientHello's `psk_key_exchange_modes`, in its order. */
  readonly offeredPskModes: readonly ('psk_ke' | 'psk_dhe_ke')[];
  /** Bytes of the ClientHello's `key_share` extension (type and length included). */
  readonly clientKeyShareBytes: number;
  /** True if the ServerHello carries a `key_share` (a fresh key exchange: psk_dhe_ke or a full handshake). */
  readonly serverKeyShare: boolean;
  /** True if the ServerHello carries `pre_shared_key` (the ticket was accepted). */
  readonly serverAcceptedPsk: boolean;
}

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
  /**
   * CPU ms of each side's whole setup (its whole stack, from its connect / accept call to
   * both sides established; docs/benchmarks.md "How CPU is measured"): the median of
   * {@link ScenarioFigures.cpuSamples} warm samples, or the one cold sample of `full-cold`.
   */
  readonly cpuMsCentral: number;
  /** See {@link ScenarioFigures.cpuMsCentral}. */
  readonly cpuMsPeripheral: number;
  /** How many setups the CPU figures are the median of (1 for `full-cold`, else at least 5). */
  readonly cpuSamples: number;
  /**
   * Simulated ms the radio needed to establish the BLE link before the setup (advertising,
   * connect request, first connection events, MTU exchange, GATT discovery or a cached
   * database's check, CCCD write), from the link's counters; 0 if the link does not report it.
   */
  readonly connectionEstablishmentMs: number;
  /**
   * The whole reconnect: simulated ms from the central's connect call (`connectToDevice()`;
   * TLS: the link's `connect()`) until the peer held the first application message, so
   * about `connectionEstablishmentMs + timeToFirstMessageMs`.
   */
  readonly reconnectMs: number;
  /** The GATT assumption of `connectionEstablishmentMs`: `'discovered'` (every connection discovers the database; every row) or `'cached'`. */
  readonly gattDatabase: 'discovered' | 'cached';
  /** pqble resumed rows: the same resumption with a cached GATT database (the radio's `gattCaching`). */
  readonly cachedGatt?: CachedGattFigures;
  /** Airtime of the setup's LL PDUs central -> peripheral, ms (empty PDUs included). */
  readonly airtimeToPeripheralMs: number;
  /** Airtime of the setup's LL PDUs peripheral -> central, ms. */
  readonly airtimeToCentralMs: number;
  /** Radio energy of the setup per side, µJ: TX and RX airtime × the report's `energyProfile`. */
  readonly radioEnergyMicrojoules: RadioEnergy;
  /** TLS rows: what the ClientHello offered and the ServerHello chose. */
  readonly tlsHello?: TlsHelloFacts;
}

/** A resumption measured once more with the central caching the peripheral's GATT database. */
export interface CachedGattFigures {
  /** Link establishment with a cached database (one Database Hash read instead of discovery), ms. */
  readonly connectionEstablishmentMs: number;
  /** From `connectToDevice()` until the peer held the first application message, ms. */
  readonly reconnectMs: number;
  /** From the link being ready until the peer held the first application message, ms. */
  readonly timeToFirstMessageMs: number;
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
  /** ATT MTU of the link. */
  readonly attMtu: number;
  /** Application bytes per second achieved. */
  readonly goodputBytesPerSecond: number;
  /**
   * Payload capacity of the link: raw ATT values (no security, no framing) one way, bytes per
   * second, with the faster of full-size packets and the best packet size for the link's PHY
   * and interval ({@link GoodputFigures.linkPacketBytes}).
   */
  readonly linkPayloadBytesPerSecond: number;
  /** The packet size (ATT value bytes) of the capacity figure. */
  readonly linkPacketBytes: number;
  /** goodput / capacity, in percent (at most 100). */
  readonly percentOfLinkCapacity: number;
  /** The framing alone (messages fragmented, no record, no crypto) with each continuation header, percent of the same capacity. */
  readonly framingOnlyPercent: { readonly compact: number; readonly sequence16: number };
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
  /** The radio current profile every `radioEnergyMicrojoules` is computed with. */
  readonly energyProfile: RadioCurrentProfile;
  readonly scenarios: readonly ScenarioFigures[];
  readonly phys: readonly PhyFigures[];
  readonly goodput: GoodputFigures | undefined;
  /** The same goodput at ATT MTU 23 (the BLE minimum), where the framing's headers weigh most. */
  readonly goodputSmallMtu?: GoodputFigures | undefined;
  readonly cache: CacheFigures | undefined;
  /** Ratios derived from the scenarios above (same run). */
  readonly ratios: Readonly<Record<string, number>>;
  /** Why something was not measured (e.g. no Node with ML-KEM TLS available). */
  readonly notes: readonly string[];
  // --- link rows (bench/link.ts) ---
  /** Reconnect from `connectToDevice()` with link establishment, fixed vs airtime-aware packets, loss, crowding. */
  readonly link?: LinkBenchReport;
  // --- end link rows ---
}
