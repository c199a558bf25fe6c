/**
 * The browser demo's scenario (docs/web.md "What the page runs"): a hub (central) and a
 * sensor (peripheral) on the simulated radio meet (full handshake) and reconnect (resumed
 * from the 32-byte token), as the first two steps of `pqble demo` do, with identities and
 * sessions in memory. Every application packet the radio delivers is recorded with its
 * virtual time and the bytes on air so far in each direction, for the page's timeline.
 *
 * Loads no Node.js module: the page bundles it for the browser, and the tests run it in
 * Node to compare with `pqble demo`'s own figures.
 *
 * @module
 */

import { PqbleError } from '../errors.js';
import { measureConnection, type ConnectFigures } from '../demo/measure.js';
import { generateIdentity, type Identity } from '../identity/identity.js';
import type { LinkRole } from '../link/types.js';
import { silentLogger } from '../logger.js';
import type { Phy } from '../radio/airtime.js';
import { SimulatedRadio } from '../radio/radio.js';
import type { SimulatedDevice } from '../radio/device.js';
import type { RadioStats } from '../radio/types.js';
import { BleTransport } from '../transport/index.js';
import { checkOptions, optFunction, optInteger } from '../util/options.js';

/** Options of {@link runWebDemo}. Every key is optional; an unknown key is a TypeError. */
export interface WebDemoOptions {
  /** PHY of the simulated radio. Default `'coded'` (125 kbit/s), as `pqble demo`. */
  readonly phy?: Phy;
  /** Connection interval in ms, 7.5..4000. Default 30, as `pqble demo`. */
  readonly connectionIntervalMs?: number;
  /** Messages the hub sends (and the sensor echoes) after each setup, 1..100. Default 4, as `pqble demo`. */
  readonly messagesPerStep?: number;
  /** Called when a step starts and ends (for a progress line). */
  readonly onProgress?: (event: { readonly step: WebDemoStepName; readonly phase: 'start' | 'end' }) => void;
}

/** The two steps the page draws. */
export type WebDemoStepName = 'first connect' | 'reconnect';

/** The steps in the order they run. */
export const WEB_DEMO_STEPS: readonly WebDemoStepName[] = ['first connect', 'reconnect'];

/** One application packet (ATT value) the radio delivered. */
export interface AirPacket {
  /** Virtual time since the step started (the hub's `connectToDevice` call), ms. */
  readonly timeMs: number;
  /** Who sent it: `'central'` (hub to sensor) or `'peripheral'` (sensor to hub). */
  readonly from: LinkRole;
  /** Size of the ATT value in bytes (our framing included, BLE link-layer overhead excluded). */
  readonly attBytes: number;
  /** Bytes on air hub to sensor since the step started (every LL PDU, empty ones included), up to this packet. */
  readonly bytesOnAirToPeripheral: number;
  /** Bytes on air sensor to hub since the step started, up to this packet. */
  readonly bytesOnAirToCentral: number;
}

/** One step: its setup figures (as `pqble demo` reports them) and its packets over time. */
export interface WebDemoStep {
  /** Which step. */
  readonly step: WebDemoStepName;
  /** Setup figures, the same measurement as `pqble demo`'s table. */
  readonly figures: ConnectFigures;
  /** Every application packet of the step: setup, the messages and their echoes, in delivery order. */
  readonly packets: readonly AirPacket[];
  /**
   * How many of `packets` carried the setup (their ATT bytes add up to
   * `figures.setupPayloadBytes`); the rest are the application messages.
   */
  readonly setupPackets: number;
  /** Virtual time since the step started when the last setup packet arrived, ms. */
  readonly setupDoneMs: number;
  /** Virtual duration of the whole step (setup, messages, close), ms. */
  readonly durationMs: number;
  /** Bytes on air hub to sensor over the whole step (setup, messages, close). */
  readonly totalBytesOnAirToPeripheral: number;
  /** Bytes on air sensor to hub over the whole step. */
  readonly totalBytesOnAirToCentral: number;
}

/** The result of {@link runWebDemo}. */
export interface WebDemoReport {
  /** PHY of the simulated radio. */
  readonly phy: Phy;
  /** Connection interval, ms. */
  readonly connectionIntervalMs: number;
  /** Messages the hub sent (and the sensor echoed) after each setup. */
  readonly messagesPerStep: number;
  /** The hub's identity fingerprint, 64 hex digits. */
  readonly hubFingerprint: string;
  /** The sensor's identity fingerprint, 64 hex digits. */
  readonly sensorFingerprint: string;
  /** `first connect` then `reconnect`. */
  readonly steps: readonly WebDemoStep[];
}

// The device ids and seed of `pqble demo` (src/demo/scenario.ts), so both runs time alike.
const HUB_ID = 'c0ffee000001';
const SENSOR_ID = '5e4502000002';
const SEED = 7;

async function open(identity: Identity, device: SimulatedDevice, peer: Identity): Promise<BleTransport> {
  // Trust exactly the other side (an allow-list), never any peer.
  return BleTransport.create({ identity, link: device, trust: { mode: 'allow-list', fingerprints: [peer.fingerprint] }, logger: silentLogger });
}

/** Records the radio's deliveries between `begin()` and `end()`. */
class Recorder {
  readonly #radio: SimulatedRadio;
  #packets: AirPacket[] = [];
  #startMs = 0;
  #base: RadioStats;

  constructor(radio: SimulatedRadio) {
    this.#radio = radio;
    this.#base = radio.stats();
    radio.setFaults({
      intercept: (event) => {
        this.#packets.push({ timeMs: radio.clock.now() - this.#startMs, from: event.from, attBytes: event.packet.length, ...this.#onAir() });
        return 'deliver';
      },
    });
  }

  #onAir(): { bytesOnAirToPeripheral: number; bytesOnAirToCentral: number } {
    const s = this.#radio.stats();
    return {
      bytesOnAirToPeripheral: s.bytesOnAirCentralToPeripheral - this.#base.bytesOnAirCentralToPeripheral,
      bytesOnAirToCentral: s.bytesOnAirPeripheralToCentral - this.#base.bytesOnAirPeripheralToCentral,
    };
  }

  begin(): void {
    this.#packets = [];
    this.#startMs = this.#radio.clock.now();
    this.#base = this.#radio.stats();
  }

  end(): { packets: AirPacket[]; durationMs: number; totalBytesOnAirToPeripheral: number; totalBytesOnAirToCentral: number } {
    const total = this.#onAir();
    return {
      packets: this.#packets,
      durationMs: this.#radio.clock.now() - this.#startMs,
      totalBytesOnAirToPeripheral: total.bytesOnAirToPeripheral,
      totalBytesOnAirToCentral: total.bytesOnAirToCentral,
    };
  }
}

/** Finds where the setup's packets end: their ATT bytes add up to the setup's payload bytes. */
function splitSetup(packets: readonly AirPacket[], setupPayloadBytes: number): { setupPackets: number; setupDoneMs: number } {
  let sum = 0;
  for (let i = 0; i < packets.length; i++) {
    sum += packets[i].attBytes;
    if (sum === setupPayloadBytes) return { setupPackets: i + 1, setupDoneMs: packets[i].timeMs };
    if (sum > setupPayloadBytes) break;
  }
  throw new PqbleError('PQBLE_ERR_INTERNAL', `the recorded packets do not add up to the setup's ${setupPayloadBytes} payload bytes`);
}

function checkDemoOptions(options: WebDemoOptions): void {
  if (options === undefined) throw new TypeError('options must be an object');
  checkOptions(options, 'runWebDemo options', ['phy', 'connectionIntervalMs', 'messagesPerStep', 'onProgress']);
  optInteger(options.messagesPerStep, 'messagesPerStep', 1, 100, undefined);
  optFunction(options.onProgress, 'onProgress');
}

/**
 * Runs the first connect and the resumed reconnect on a fresh simulated radio (virtual
 * clock) and returns their figures and packets. The radio checks `phy` and
 * `connectionIntervalMs`.
 */
export async function runWebDemo(options: WebDemoOptions = {}): Promise<WebDemoReport> {
  checkDemoOptions(options);
  const phy = options.phy ?? 'coded';
  const connectionIntervalMs = options.connectionIntervalMs ?? 30;
  const messagesPerStep = options.messagesPerStep ?? 4;
  const radio = new SimulatedRadio({ phy, connectionIntervalMs, seed: SEED });
  const transports: BleTransport[] = [];
  try {
    const hubDevice = radio.createDevice({ deviceId: HUB_ID, name: 'hub' });
    const sensorDevice = radio.createDevice({ deviceId: SENSOR_ID, name: 'sensor' });
    const hubIdentity = generateIdentity();
    const sensorIdentity = generateIdentity();
    const hub = await open(hubIdentity, hubDevice, sensorIdentity);
    transports.push(hub);
    const sensor = await open(sensorIdentity, sensorDevice, hubIdentity);
    transports.push(sensor);
    const recorder = new Recorder(radio);
    const steps: WebDemoStep[] = [];
    for (const step of WEB_DEMO_STEPS) {
      options.onProgress?.({ step, phase: 'start' });
      recorder.begin();
      const figures = await measureConnection(hub, sensor, SENSOR_ID, radio.clock, { messages: messagesPerStep });
      const recorded = recorder.end();
      steps.push({ step, figures, ...splitSetup(recorded.packets, figures.setupPayloadBytes), ...recorded });
      options.onProgress?.({ step, phase: 'end' });
    }
    return { phy, connectionIntervalMs, messagesPerStep, hubFingerprint: hub.fingerprint, sensorFingerprint: sensor.fingerprint, steps };
  } finally {
    for (const t of transports) await t.close();
    await radio.close();
  }
}
