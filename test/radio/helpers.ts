// Shared helpers of the radio tests (not a test file).
import type { Link } from '../../src/link/types.js';
import { SimulatedRadio, type SimulatedDevice, type SimulatedRadioOptions } from '../../src/radio/index.js';

/** A radio with two devices and one open link between them. */
export interface Pair {
  radio: SimulatedRadio;
  central: SimulatedDevice;
  peripheral: SimulatedDevice;
  c: Link;
  p: Link;
}

/** Creates a radio, two devices, and connects them. */
export async function openPair(options: SimulatedRadioOptions = {}, mtus: { central?: number; peripheral?: number } = {}): Promise<Pair> {
  const radio = new SimulatedRadio(options);
  const central = radio.createDevice(mtus.central === undefined ? { name: 'central' } : { name: 'central', attMtu: mtus.central });
  const peripheral = radio.createDevice(mtus.peripheral === undefined ? { name: 'peripheral' } : { name: 'peripheral', attMtu: mtus.peripheral });
  let incoming: Link | undefined;
  peripheral.onIncoming((link) => {
    incoming = link;
  });
  const c = await central.connect(peripheral.deviceId);
  if (incoming === undefined) throw new Error('no incoming link');
  return { radio, central, peripheral, c, p: incoming };
}

/** Timing of a one-way stream. */
export interface StreamResult {
  /** Clock time when the first send() was called. */
  startMs: number;
  /** Clock time when the first value arrived. */
  firstMs: number;
  /** Clock time when the last value arrived. */
  lastMs: number;
  /** Size of the first value. */
  firstBytes: number;
  /** The values as received, concatenated length. */
  receivedBytes: number;
}

/** Sends `totalBytes` from `from` to `to` in values of at most maxPayloadBytes, as fast as flow control allows. */
export async function streamOneWay(clockNow: () => number, from: Link, to: Link, totalBytes: number): Promise<StreamResult> {
  let firstMs = -1;
  let lastMs = -1;
  let firstBytes = 0;
  let received = 0;
  const done = new Promise<void>((resolve) => {
    const off = to.onPacket((packet) => {
      if (firstMs < 0) {
        firstMs = clockNow();
        firstBytes = packet.length;
      }
      received += packet.length;
      lastMs = clockNow();
      if (received >= totalBytes) {
        off();
        resolve();
      }
    });
  });
  const startMs = clockNow();
  let sent = 0;
  while (sent < totalBytes) {
    const n = Math.min(from.maxPayloadBytes, totalBytes - sent);
    await from.send(new Uint8Array(n).fill(sent & 0xff));
    sent += n;
  }
  await done;
  return { startMs, firstMs, lastMs, firstBytes, receivedBytes: received };
}

/** Steady-state application throughput of a stream, in bit/s: bytes after the first value over the time they took. */
export function steadyStateBps(r: StreamResult): number {
  return ((r.receivedBytes - r.firstBytes) * 8 * 1000) / (r.lastMs - r.firstMs);
}
