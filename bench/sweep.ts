/**
 * The operating-point sweep (`pqble bench sweep`, `npm run bench:sweep`; docs/benchmarks.md
 * "Operating point sweep"): pqble's full handshake and resumption at every PHY × connection
 * interval × ATT MTU of a grid, on the simulated radio's public options only, so whatever
 * the radio and the transport do with them (fragment sizes, link establishment) shows here.
 * The full handshake is also run with full-size packets (`packetSizing: 'fixed'`) beside the
 * default airtime-aware ones. Radio figures only (simulated time, airtime, energy); CPU is in
 * the main benchmark.
 *
 * @module
 */

import type { CryptoProvider } from '../src/crypto/index.js';
import { defaultCrypto } from '../src/crypto/index.js';
import { PHYS, type Phy } from '../src/radio/index.js';
import { checkOptionKeys } from '../src/util/options.js';
import { NRF52840_DCDC_3V, type RadioCurrentProfile } from './energy.js';
import { makePair, measureSetup, newSides, type SetupSample } from './pqble.js';

/** Connection intervals of the default grid, ms. */
export const SWEEP_INTERVALS_MS: readonly number[] = [7.5, 15, 30, 50, 100];
/** ATT MTUs of the default grid. */
export const SWEEP_ATT_MTUS: readonly number[] = [23, 65, 131, 185, 203, 247, 517];

/** Options of {@link runSweep}. An unknown key is a TypeError. */
export interface SweepOptions {
  /** PHYs. Default every PHY. */
  readonly phys?: readonly Phy[];
  /** Connection intervals, ms (7.5..4000). Default {@link SWEEP_INTERVALS_MS}. */
  readonly connectionIntervalsMs?: readonly number[];
  /** ATT MTUs (23..517). Default {@link SWEEP_ATT_MTUS}. */
  readonly attMtus?: readonly number[];
  /** Crypto backend of both sides. Default `defaultCrypto()`. */
  readonly crypto?: CryptoProvider;
  /** Called after each point. */
  readonly onProgress?: (progress: { done: number; total: number }) => void;
}

/** One setup at one operating point. */
export interface SweepSetup {
  /** Simulated ms from the link being ready to the peer holding the first application message. */
  readonly timeToFirstMessageMs: number;
  /** Link establishment before the setup (GATT discovered), ms. */
  readonly connectionEstablishmentMs: number;
  /** From the `connectToDevice()` call to the peer holding the first application message, ms. */
  readonly reconnectMs: number;
  /** Airtime of the setup, both directions, ms. */
  readonly airtimeMs: number;
  /** Bytes on air, both directions. */
  readonly bytesOnAir: number;
  /** Radio energy of both sides together, µJ. */
  readonly radioEnergyMicrojoules: number;
}

/** The figures of one operating point. */
export interface SweepPoint {
  readonly phy: Phy;
  readonly connectionIntervalMs: number;
  readonly attMtu: number;
  /** Full handshake with the radio's default airtime-aware packet sizes (`packetSizing: 'airtime'`). */
  readonly fullHandshake: SweepSetup;
  /** The same full handshake with every packet as large as the ATT MTU allows (`packetSizing: 'fixed'`). */
  readonly fullHandshakeFixedPackets: SweepSetup;
  /** Resumption in the default psk-dhe mode. */
  readonly resumed: SweepSetup;
}

/** A whole sweep. */
export interface SweepReport {
  readonly date: string;
  readonly node: string;
  readonly cryptoBackend: string;
  readonly energyProfile: RadioCurrentProfile;
  readonly points: readonly SweepPoint[];
}

function setup(s: SetupSample): SweepSetup {
  return {
    timeToFirstMessageMs: s.timeToFirstMessageMs,
    connectionEstablishmentMs: s.connectionEstablishmentMs,
    reconnectMs: s.reconnectMs,
    airtimeMs: s.airtimeMs,
    bytesOnAir: s.bytesOnAirToPeripheral + s.bytesOnAirToCentral,
    radioEnergyMicrojoules: s.energyCentral + s.energyPeripheral,
  };
}

function checkList<T>(value: readonly T[] | undefined, fallback: readonly T[], label: string, check: (v: T) => boolean): readonly T[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0 || value.length > 64) throw new TypeError(`${label} must be an array of 1..64 values`);
  const list: readonly T[] = value;
  for (const v of list) if (!check(v)) throw new RangeError(`${label}: ${String(v)} is out of range`);
  return list;
}

/** Runs the sweep: one full handshake and one resumption at every point of the grid. */
export async function runSweep(options: SweepOptions = {}): Promise<SweepReport> {
  checkOptionKeys(options, ['phys', 'connectionIntervalsMs', 'attMtus', 'crypto', 'onProgress'], 'runSweep options');
  const phys = checkList(options.phys, PHYS, 'phys', (p) => PHYS.includes(p));
  const intervals = checkList(
    options.connectionIntervalsMs,
    SWEEP_INTERVALS_MS,
    'connectionIntervalsMs',
    (v) => typeof v === 'number' && v >= 7.5 && v <= 4000,
  );
  const mtus = checkList(options.attMtus, SWEEP_ATT_MTUS, 'attMtus', (v) => Number.isInteger(v) && v >= 23 && v <= 517);
  const crypto = options.crypto ?? defaultCrypto();
  const ids = newSides(crypto);
  const points: SweepPoint[] = [];
  const total = phys.length * intervals.length * mtus.length;
  for (const phy of phys) {
    for (const connectionIntervalMs of intervals) {
      for (const attMtu of mtus) {
        const pair = await makePair({ phy, connectionIntervalMs, attMtu }, ids);
        try {
          const full = await measureSetup(pair);
          const resumed = await measureSetup(pair);
          if (full.connectionType !== 'full-handshake' || resumed.connectionType !== 'resumed')
            throw new Error(`sweep: unexpected setups at ${phy} ${connectionIntervalMs} ms MTU ${attMtu}`);
          const fixedPair = await makePair({ phy, connectionIntervalMs, attMtu, packetSizing: 'fixed' }, ids);
          try {
            const fixed = await measureSetup(fixedPair);
            if (fixed.connectionType !== 'full-handshake')
              throw new Error(`sweep: unexpected setup at ${phy} ${connectionIntervalMs} ms MTU ${attMtu} (fixed packets)`);
            points.push({ phy, connectionIntervalMs, attMtu, fullHandshake: setup(full), fullHandshakeFixedPackets: setup(fixed), resumed: setup(resumed) });
          } finally {
            await fixedPair.close();
          }
        } finally {
          await pair.close();
        }
        options.onProgress?.({ done: points.length, total });
      }
    }
  }
  return { date: new Date().toISOString(), node: process.version, cryptoBackend: crypto.name, energyProfile: NRF52840_DCDC_3V, points };
}
