/**
 * The product's story on the simulated radio (README "What it does"; issue: `pqble demo`):
 * a hub (central) and a sensor (peripheral) meet, reconnect, restart from their cache files,
 * and finally the sensor loses its cache. Each step reports bytes on air, round trips,
 * simulated airtime and time to the first application message.
 *
 * Used by `npm start`, `pqble demo` and the benchmark.
 *
 * @module
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { generateIdentity, saveIdentity, loadIdentity, type Identity } from '../identity/index.js';
import { silentLogger } from '../logger.js';
import { SimulatedRadio, type Phy } from '../radio/index.js';
import { BleTransport, type BleTransportOptions, type ConnectionType } from '../transport/index.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** PHY of the simulated radio. Default `'coded'` (125 kbit/s). */
  readonly phy?: Phy;
  /** Connection interval in ms. Default 30. */
  readonly connectionIntervalMs?: number;
  /** Pace the radio on the wall clock instead of the virtual clock. Default false. */
  readonly realtime?: boolean;
  /** Called when a step starts and ends (for progress displays). */
  readonly onProgress?: (event: { step: string; phase: 'start' | 'end'; index: number; total: number }) => void;
  /** Folder for the two sides' key and cache files. Default: a fresh temp folder, removed afterwards. */
  readonly dir?: string;
}

/** Figures of one demo step. */
export interface DemoStep extends ConnectFigures {
  /** Short name of the step. */
  readonly step: string;
  /** What happened, in a sentence. */
  readonly description: string;
}

/** The whole demo's result. */
export interface DemoReport {
  readonly phy: Phy;
  readonly connectionIntervalMs: number;
  readonly realtime: boolean;
  readonly hubFingerprint: string;
  readonly sensorFingerprint: string;
  readonly steps: DemoStep[];
  /** Messages exchanged after each connect, both ways. */
  readonly messagesPerStep: number;
}

const STEPS = ['first connect', 'reconnect', 'both restarted', 'sensor lost its cache'] as const;
const HUB_ID = 'c0ffee000001';
const SENSOR_ID = '5e4502000002';

interface Side {
  transport: BleTransport;
  identity: Identity;
}

/** Runs the demo and returns its figures. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const phy = options.phy ?? 'coded';
  const connectionIntervalMs = options.connectionIntervalMs ?? 30;
  const realtime = options.realtime ?? false;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'pqble-demo-')));
  const radio = new SimulatedRadio({ phy, connectionIntervalMs, realtime, seed: 7 });
  const hubDevice = radio.createDevice({ deviceId: HUB_ID, name: 'hub' });
  const sensorDevice = radio.createDevice({ deviceId: SENSOR_ID, name: 'sensor' });
  const paths = {
    hubKey: join(dir, 'hub.identity.json'),
    sensorKey: join(dir, 'sensor.identity.json'),
    hubCache: join(dir, 'hub.sessions'),
    sensorCache: join(dir, 'sensor.sessions'),
  };
  await saveIdentity(paths.hubKey, generateIdentity());
  await saveIdentity(paths.sensorKey, generateIdentity());

  const open = async (keyPath: string, cachePath: string, device: BleTransportOptions['link']): Promise<Side> => {
    const identity = await loadIdentity(keyPath);
    const transport = await BleTransport.create({ identity, link: device, sessionPersistPath: cachePath, logger: silentLogger });
    return { transport, identity };
  };

  let hub = await open(paths.hubKey, paths.hubCache, hubDevice);
  let sensor = await open(paths.sensorKey, paths.sensorCache, sensorDevice);
  const steps: DemoStep[] = [];
  const messagesPerStep = 4;
  try {
    const describe: Record<(typeof STEPS)[number], string> = {
      'first connect': 'the devices have never met: full ML-KEM-768 + X25519 / ML-DSA-65 handshake, session cached on both sides',
      reconnect: 'same processes, new radio connection: 32-byte token, one round trip, ticket ratcheted',
      'both restarted': 'both transports closed and created again from their cache files: resumed from disk',
      'sensor lost its cache': 'the sensor restarted without its cache file: "cannot resume", full handshake on the same link',
    };
    for (let i = 0; i < STEPS.length; i++) {
      const step = STEPS[i];
      options.onProgress?.({ step, phase: 'start', index: i, total: STEPS.length });
      if (step === 'both restarted') {
        await hub.transport.close();
        await sensor.transport.close();
        hub = await open(paths.hubKey, paths.hubCache, hubDevice);
        sensor = await open(paths.sensorKey, paths.sensorCache, sensorDevice);
      }
      if (step === 'sensor lost its cache') {
        await sensor.transport.close();
        await rm(paths.sensorCache, { force: true });
        sensor = await open(paths.sensorKey, paths.sensorCache, sensorDevice);
      }
      const figures = await measureConnection(hub.transport, sensor.transport, SENSOR_ID, radio.clock, { messages: messagesPerStep });
      steps.push({ step, description: describe[step], ...figures });
      options.onProgress?.({ step, phase: 'end', index: i, total: STEPS.length });
    }
    return {
      phy,
      connectionIntervalMs,
      realtime,
      hubFingerprint: hub.transport.fingerprint,
      sensorFingerprint: sensor.transport.fingerprint,
      steps,
      messagesPerStep,
    };
  } finally {
    await hub.transport.close();
    await sensor.transport.close();
    await radio.close();
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** Figures of one measured connection setup (both sides' view). */
export interface ConnectFigures {
  /** `'resumed'` or `'full-handshake'`. */
  readonly connectionType: ConnectionType;
  /** True if a resumption was refused and the full handshake followed on the same link. */
  readonly fellBack: boolean;
  /** Setup bytes on air, hub to sensor (link-layer overhead included). */
  readonly bytesOnAirToPeripheral: number;
  /** Setup bytes on air, sensor to hub. */
  readonly bytesOnAirToCentral: number;
  /** Setup payload bytes both ways (our framing included, BLE link-layer overhead excluded). */
  readonly setupPayloadBytes: number;
  /** Round trips the hub waited for. */
  readonly roundTrips: number;
  /** Simulated airtime of the setup, both directions (ms). */
  readonly airtimeMs: number;
  /** Simulated time from the radio link being up to the sensor receiving the first application message (ms). */
  readonly timeToFirstMessageMs: number;
  /** CPU ms of the setup's cryptography, hub / sensor. */
  readonly cpuMsCentral: number;
  /** See {@link ConnectFigures.cpuMsCentral}. */
  readonly cpuMsPeripheral: number;
}

/**
 * Connects `hub` to the peripheral `deviceId` served by `sensor`, sends `messages` messages
 * that the sensor echoes, closes, and returns the setup's figures.
 */
export async function measureConnection(
  hub: BleTransport,
  sensor: BleTransport,
  deviceId: string,
  clock: Clock,
  options: { messages?: number; peerFingerprint?: string } = {},
): Promise<ConnectFigures> {
  const accepted = sensor.accept();
  const conn = await hub.connectToDevice(deviceId, options.peerFingerprint === undefined ? {} : { peerFingerprint: options.peerFingerprint });
  const establishedAt = clock.now();
  const peer = await accepted;
  const setup = conn.stats();
  const peerSetup = peer.stats();
  // Echo server on the sensor: notes when the first application message arrives, answers each.
  let firstMessageAt = 0;
  const echo = (async (): Promise<void> => {
    for await (const m of peer.messages()) {
      if (firstMessageAt === 0) firstMessageAt = clock.now();
      await peer.send(m);
    }
  })();
  const messages = options.messages ?? 1;
  for (let i = 0; i < messages; i++) {
    await conn.send(new TextEncoder().encode(i === 0 ? 'temperature?' : `reading ${i}`));
    await conn.receive();
  }
  await conn.close();
  await echo.catch(() => undefined);
  const linkUpAt = establishedAt - setup.setupMs;
  return {
    connectionType: conn.connectionType,
    fellBack: setup.fellBack,
    bytesOnAirToPeripheral: setup.setupBytesOnAirSent,
    bytesOnAirToCentral: setup.setupBytesOnAirReceived,
    setupPayloadBytes: setup.setupBytesSent + setup.setupBytesReceived,
    roundTrips: setup.setupRoundTrips,
    airtimeMs: setup.setupAirtimeMs,
    timeToFirstMessageMs: firstMessageAt - linkUpAt,
    cpuMsCentral: setup.setupCpuMs,
    cpuMsPeripheral: peerSetup.setupCpuMs,
  };
}
