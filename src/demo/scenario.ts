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
import { generateIdentity, saveIdentity, loadIdentity, type Identity } from '../identity/index.js';
import { silentLogger } from '../logger.js';
import { SimulatedRadio, type Phy } from '../radio/index.js';
import { BleTransport, type BleTransportOptions } from '../transport/index.js';
import { measureConnection, type ConnectFigures } from './measure.js';

export { measureConnection, type ConnectFigures } from './measure.js';

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
