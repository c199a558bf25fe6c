/**
 * pqble's own rows of the benchmark (docs/benchmarks.md "What each row measures"): a central
 * and a peripheral {@link BleTransport} on one simulated radio, each setup measured from the
 * central's `connectToDevice()` (and the peripheral's `accept()`) until both sides hold the
 * connection, with per-side CPU from {@link SideCpuMeter} and per-side airtime and radio
 * energy from the two links' counters.
 *
 * @module
 */

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex } from '../src/bytes.js';
import type { CryptoProvider } from '../src/crypto/index.js';
import { generateIdentity, type Identity } from '../src/identity/index.js';
import type { LinkStats } from '../src/link/types.js';
import { silentLogger } from '../src/logger.js';
import { SimulatedRadio, type Phy } from '../src/radio/index.js';
import { BleTransport } from '../src/transport/index.js';
import { NRF52840_DCDC_3V, radioEnergyMicrojoules, type RadioCurrentProfile } from './energy.js';
import { SideCpuMeter, meterClockTurns, meterEndpoint } from './side-cpu.js';
import type { CachedGattFigures, ScenarioFigures, ScenarioKind } from './types.js';

/** Device ids of the two simulated devices. */
export const CENTRAL_ID = 'c0ffee000001';
/** See {@link CENTRAL_ID}. */
export const PERIPHERAL_ID = '5e4502000002';

/** The two sides' identities and the crypto backend both run on. */
export interface Sides {
  readonly central: Identity;
  readonly peripheral: Identity;
  readonly crypto: CryptoProvider;
}

/** Fresh identities for both sides, made with `crypto`. */
export function newSides(crypto: CryptoProvider): Sides {
  return { central: generateIdentity({ crypto }), peripheral: generateIdentity({ crypto }), crypto };
}

/** The radio's operating point: PHY, connection interval and ATT MTU. */
export interface OperatingPoint {
  readonly phy: Phy;
  readonly connectionIntervalMs: number;
  /** ATT MTU both devices offer. Default: the radio's (247). */
  readonly attMtu?: number;
  /** The radio's `gattCaching`: the central keeps the peripheral's GATT database between connections. Default false (discovery every time). */
  readonly gattCaching?: boolean;
  /** The radio's `packetSizing`. Default the radio's (`'airtime'`). */
  readonly packetSizing?: 'airtime' | 'fixed';
}

/** What a pair is built with, beyond its identities. */
export interface PairExtras {
  /** Persist both sides' sessions in this folder. */
  readonly dir?: string;
  /** Provision each side with the other's public key (pinned mode). */
  readonly pinned?: boolean;
  readonly resumptionMode?: 'psk' | 'psk-dhe';
}

/** Two transports on one simulated radio, with a CPU meter on both sides. */
export interface Pair {
  readonly radio: SimulatedRadio;
  readonly central: BleTransport;
  readonly peripheral: BleTransport;
  readonly meter: SideCpuMeter;
  close(): Promise<void>;
}

/** Builds a central and a peripheral transport on a fresh simulated radio at `point`. */
export async function makePair(point: OperatingPoint, ids: Sides, extra: PairExtras = {}): Promise<Pair> {
  const { crypto } = ids;
  const radio = new SimulatedRadio({
    phy: point.phy,
    connectionIntervalMs: point.connectionIntervalMs,
    seed: 11,
    ...(point.attMtu === undefined ? {} : { attMtu: point.attMtu }),
    ...(point.gattCaching === undefined ? {} : { gattCaching: point.gattCaching }),
    ...(point.packetSizing === undefined ? {} : { packetSizing: point.packetSizing }),
  });
  const meter = new SideCpuMeter();
  const restoreClock = meterClockTurns(radio.clock, meter);
  const centralDevice = meterEndpoint(radio.createDevice({ deviceId: CENTRAL_ID, name: 'central' }), 'central', meter);
  const peripheralDevice = meterEndpoint(radio.createDevice({ deviceId: PERIPHERAL_ID, name: 'peripheral' }), 'peripheral', meter);
  const persist = (name: string): { sessionPersistPath?: string } =>
    extra.dir === undefined ? {} : { sessionPersistPath: join(extra.dir, `${name}.sessions`) };
  const pins = (key: Uint8Array): { knownPeers?: Uint8Array[] } => (extra.pinned === true ? { knownPeers: [key] } : {});
  const mode = extra.resumptionMode === undefined ? {} : { resumptionMode: extra.resumptionMode };
  const central = await BleTransport.create({
    identity: ids.central,
    crypto,
    link: centralDevice,
    logger: silentLogger,
    ...mode,
    ...persist('central'),
    ...pins(ids.peripheral.publicKey),
  });
  const peripheral = await BleTransport.create({
    identity: ids.peripheral,
    crypto,
    link: peripheralDevice,
    logger: silentLogger,
    ...mode,
    ...persist('peripheral'),
    ...pins(ids.central.publicKey),
  });
  return {
    radio,
    central,
    peripheral,
    meter,
    async close() {
      await central.close();
      await peripheral.close();
      await radio.close();
      restoreClock();
    },
  };
}

/** Figures of one measured setup. */
export interface SetupSample {
  readonly connectionType: 'resumed' | 'full-handshake';
  readonly fellBack: boolean;
  readonly bytesOnAirToPeripheral: number;
  readonly bytesOnAirToCentral: number;
  readonly payloadBytes: number;
  readonly roundTrips: number;
  readonly timeToFirstMessageMs: number;
  readonly cpuMsCentral: number;
  readonly cpuMsPeripheral: number;
  readonly airtimeToPeripheralMs: number;
  readonly airtimeToCentralMs: number;
  /** Both directions' setup airtime, ms. */
  readonly airtimeMs: number;
  readonly energyCentral: number;
  readonly energyPeripheral: number;
  readonly connectionEstablishmentMs: number;
  /** Simulated ms from the `connectToDevice()` call until the peer held the first application message (link establishment included). */
  readonly reconnectMs: number;
}

/** The link-establishment time a radio reports in a link's counters, if it does (else 0). */
export function establishmentMsOf(stats: LinkStats): number {
  const value = (stats as unknown as Readonly<Record<string, unknown>>).connectionEstablishmentMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/**
 * One setup: the central connects to the peripheral (with `peerFingerprint`, pinned mode),
 * both sides' CPU and links are read once both hold the connection, then one message is
 * echoed (for the time to the first message) and the connection closes.
 */
export async function measureSetup(pair: Pair, profile: RadioCurrentProfile = NRF52840_DCDC_3V, peerFingerprint?: string): Promise<SetupSample> {
  const { meter, radio } = pair;
  const clock = radio.clock;
  const accepted = pair.peripheral.accept();
  meter.reset();
  meter.enter('central');
  const calledAt = clock.now();
  const connecting = pair.central.connectToDevice(PERIPHERAL_ID, peerFingerprint === undefined ? {} : { peerFingerprint });
  const [conn, peer] = await Promise.all([connecting, accepted]);
  const cpu = meter.totals();
  const setup = conn.stats();
  const c = setup.link;
  let firstMessageAt = 0;
  const echo = (async (): Promise<void> => {
    for await (const m of peer.messages()) {
      if (firstMessageAt === 0) firstMessageAt = clock.now();
      await peer.send(m);
    }
  })();
  await conn.send(new TextEncoder().encode('temperature?'));
  await conn.receive();
  await conn.close();
  await echo.catch(() => undefined);
  // The link was ready for pqble's first message when the radio's establishment ended (the
  // transport's own setupMs counts from the connectToDevice() call, establishment included).
  const establishmentMs = establishmentMsOf(c);
  const linkUpAt = calledAt + establishmentMs;
  return {
    connectionType: conn.connectionType,
    fellBack: setup.fellBack,
    bytesOnAirToPeripheral: c.bytesOnAirSent,
    bytesOnAirToCentral: c.bytesOnAirReceived,
    payloadBytes: c.bytesSent + c.bytesReceived,
    roundTrips: setup.setupRoundTrips,
    timeToFirstMessageMs: firstMessageAt - linkUpAt,
    cpuMsCentral: cpu.centralMs,
    cpuMsPeripheral: cpu.peripheralMs,
    airtimeToPeripheralMs: c.airtimeSentMs,
    airtimeToCentralMs: c.airtimeReceivedMs,
    airtimeMs: c.airtimeSentMs + c.airtimeReceivedMs,
    energyCentral: radioEnergyMicrojoules({ txMs: c.airtimeSentMs, rxMs: c.airtimeReceivedMs }, profile),
    // What the central received, the peripheral sent, and the other way round.
    energyPeripheral: radioEnergyMicrojoules({ txMs: c.airtimeReceivedMs, rxMs: c.airtimeSentMs }, profile),
    connectionEstablishmentMs: establishmentMs,
    reconnectMs: firstMessageAt - calledAt,
  };
}

/** Median of `values` (the mean of the middle two for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A row from one or more samples of the same setup: bytes and times from the last one, CPU the median of all. */
export function pqbleRow(name: string, kind: ScenarioKind, samples: readonly SetupSample[]): ScenarioFigures {
  const last = samples[samples.length - 1];
  if (last === undefined) throw new RangeError(`${name}: no samples`);
  return {
    name,
    group: 'pqble',
    kind,
    bytesOnAirToPeripheral: last.bytesOnAirToPeripheral,
    bytesOnAirToCentral: last.bytesOnAirToCentral,
    payloadBytes: last.payloadBytes,
    roundTrips: last.roundTrips,
    timeToFirstMessageMs: last.timeToFirstMessageMs,
    cpuMsCentral: median(samples.map((s) => s.cpuMsCentral)),
    cpuMsPeripheral: median(samples.map((s) => s.cpuMsPeripheral)),
    cpuSamples: samples.length,
    connectionEstablishmentMs: last.connectionEstablishmentMs,
    reconnectMs: last.reconnectMs,
    gattDatabase: 'discovered',
    airtimeToPeripheralMs: last.airtimeToPeripheralMs,
    airtimeToCentralMs: last.airtimeToCentralMs,
    radioEnergyMicrojoules: { central: last.energyCentral, peripheral: last.energyPeripheral },
  };
}

/**
 * The same resumption on a radio whose central caches the peripheral's GATT database
 * (`gattCaching`): a full handshake (which discovers it), one resumption to warm up, then the
 * measured one, whose link establishment reads only the Database Hash.
 */
async function cachedGattReconnect(point: OperatingPoint, ids: Sides, extra: PairExtras, profile: RadioCurrentProfile): Promise<CachedGattFigures> {
  const pair = await makePair({ ...point, gattCaching: true }, ids, extra);
  try {
    await measureSetup(pair, profile);
    await measureSetup(pair, profile);
    const s = expect(await measureSetup(pair, profile), 'resumed');
    return { connectionEstablishmentMs: s.connectionEstablishmentMs, reconnectMs: s.reconnectMs, timeToFirstMessageMs: s.timeToFirstMessageMs };
  } finally {
    await pair.close();
  }
}

function expect(sample: SetupSample, kind: ScenarioKind): SetupSample {
  const resumed = kind === 'resumed' || kind === 'resumed-psk' || kind === 'resumed-from-disk';
  if ((sample.connectionType === 'resumed') !== resumed || sample.fellBack !== (kind === 'fallback')) {
    throw new Error(`benchmark: a ${kind} setup came out as ${sample.connectionType}${sample.fellBack ? ' (fell back)' : ''}`);
  }
  return sample;
}

/**
 * pqble's rows: the cold first full handshake of the process, then warm medians of
 * `samples` setups each: full, resumed (psk-dhe), resumed (psk), resumed from disk (both
 * sides restarted before each), fallback (the peripheral lost its cache before each), pinned.
 */
export async function pqbleScenarios(
  point: OperatingPoint,
  samples: number,
  dir: string,
  crypto: CryptoProvider,
  profile: RadioCurrentProfile,
): Promise<ScenarioFigures[]> {
  const ids = newSides(crypto);
  const out: ScenarioFigures[] = [];
  const many = async (kind: ScenarioKind, one: () => Promise<SetupSample>): Promise<SetupSample[]> => {
    const list: SetupSample[] = [];
    for (let i = 0; i < samples; i++) list.push(expect(await one(), kind));
    return list;
  };

  // The process's first connection (cold), on transports that persist to `dir`.
  let pair = await makePair(point, ids, { dir });
  const cold = expect(await measureSetup(pair, profile), 'full');
  out.push(pqbleRow('pqble full handshake, cold (first in the process)', 'full-cold', [cold]));
  await pair.close();

  // Warm full handshakes: a new pair (in-memory caches, the default) for each.
  const full = await many('full', async () => {
    const p = await makePair(point, ids);
    try {
      return await measureSetup(p, profile);
    } finally {
      await p.close();
    }
  });
  out.push(pqbleRow('pqble full handshake', 'full', full));

  // Resumptions in the default psk-dhe mode on one pair: a full handshake and a warm-up first.
  pair = await makePair(point, ids);
  await measureSetup(pair, profile);
  await measureSetup(pair, profile);
  const dhePair = pair;
  const dhe = pqbleRow('pqble resumed (psk-dhe, the default)', 'resumed', await many('resumed', () => measureSetup(dhePair, profile)));
  await pair.close();
  out.push({ ...dhe, cachedGatt: await cachedGattReconnect(point, ids, {}, profile) });

  // psk mode (no fresh key exchange), measured the same way.
  pair = await makePair(point, ids, { resumptionMode: 'psk' });
  await measureSetup(pair, profile);
  await measureSetup(pair, profile);
  const pskPair = pair;
  const psk = pqbleRow('pqble resumed (psk)', 'resumed-psk', await many('resumed-psk', () => measureSetup(pskPair, profile)));
  await pair.close();
  out.push({ ...psk, cachedGatt: await cachedGattReconnect(point, ids, { resumptionMode: 'psk' }, profile) });

  // Both sides restarted before each: new transports (and radio) from the cold pair's cache files.
  const fromDisk = await many('resumed-from-disk', async () => {
    const p = await makePair(point, ids, { dir });
    try {
      return await measureSetup(p, profile);
    } finally {
      await p.close();
    }
  });
  out.push(pqbleRow('pqble resumed from disk (both restarted)', 'resumed-from-disk', fromDisk));

  // The peripheral lost its cache before each: "cannot resume", full handshake on the same link.
  const fallback = await many('fallback', async () => {
    await rm(join(dir, 'peripheral.sessions'), { force: true });
    const p = await makePair(point, ids, { dir });
    try {
      return await measureSetup(p, profile);
    } finally {
      await p.close();
    }
  });
  out.push(pqbleRow('pqble fallback (peer lost its cache)', 'fallback', fallback));

  // Pinned mode: keys provisioned in advance, fingerprints instead of keys on air.
  const pinned = await many('full-pinned', async () => {
    const p = await makePair(point, ids, { pinned: true });
    try {
      return await measureSetup(p, profile, bytesToHex(ids.peripheral.fingerprint));
    } finally {
      await p.close();
    }
  });
  out.push(pqbleRow('pqble full handshake, pinned keys', 'full-pinned', pinned));
  return out;
}
