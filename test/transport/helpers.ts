/**
 * Shared set-up for the transport's end-to-end tests: two (or more) devices on one simulated
 * radio with a virtual clock, identities generated once per test file (ML-DSA keygen is slow).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFragmentHeader } from '../../src/framing/index.js';
import { generateIdentity, type Identity } from '../../src/identity/index.js';
import type { Logger } from '../../src/logger.js';
import { SimulatedRadio, VirtualClock, type SimulatedRadioOptions } from '../../src/radio/index.js';
import { BleTransport, type BleTransportOptions } from '../../src/transport/index.js';

export const CENTRAL_ID = 'aa0000000001';
export const PERIPHERAL_ID = 'bb0000000002';
export const OTHER_ID = 'cc0000000003';

const identities: Identity[] = [];
/** The i-th test identity (cached: ML-DSA key generation costs a few ms each). */
export function identity(i: number): Identity {
  while (identities.length <= i) identities.push(generateIdentity());
  return identities[i];
}

/** A logger that records warnings. */
export class CapturingLogger implements Logger {
  readonly warnings: string[] = [];
  warn(message: string, fields?: Record<string, unknown>): void {
    this.warnings.push(fields === undefined ? message : `${message} ${JSON.stringify(fields)}`);
  }
}

type TransportExtra = Omit<Partial<BleTransportOptions>, 'identity' | 'link'>;

/** Two transports on one radio: `central` (identity 0) and `peripheral` (identity 1). */
export interface Pair {
  readonly radio: SimulatedRadio;
  /** The radio's virtual clock (tests never run in real time). */
  readonly clock: VirtualClock;
  central: BleTransport;
  peripheral: BleTransport;
  readonly logger: CapturingLogger;
  /**
   * Closes and re-creates one side with the same identity and device (a process restart);
   * `whileDown` runs between the two (to damage or delete its files).
   */
  restart(side: 'central' | 'peripheral', extra?: TransportExtra, whileDown?: () => Promise<void>): Promise<BleTransport>;
  close(): Promise<void>;
}

export async function makePair(options: { radio?: SimulatedRadioOptions; central?: TransportExtra; peripheral?: TransportExtra } = {}): Promise<Pair> {
  const radio = new SimulatedRadio({ seed: 5, ...options.radio });
  const logger = new CapturingLogger();
  const devices = {
    central: radio.createDevice({ deviceId: CENTRAL_ID, name: 'central' }),
    peripheral: radio.createDevice({ deviceId: PERIPHERAL_ID, name: 'peripheral' }),
  };
  const extras = { central: options.central ?? {}, peripheral: options.peripheral ?? {} };
  const create = (side: 'central' | 'peripheral', extra: TransportExtra): Promise<BleTransport> =>
    BleTransport.create({ identity: identity(side === 'central' ? 0 : 1), link: devices[side], logger, ...extra });
  if (!(radio.clock instanceof VirtualClock)) throw new Error('tests need the virtual clock');
  const pair: Pair = {
    radio,
    clock: radio.clock,
    logger,
    central: await create('central', extras.central),
    peripheral: await create('peripheral', extras.peripheral),
    async restart(side, extra, whileDown) {
      await pair[side].close();
      await whileDown?.();
      pair[side] = await create(side, extra ?? extras[side]);
      return pair[side];
    },
    async close() {
      await pair.central.close();
      await pair.peripheral.close();
      await radio.close();
    },
  };
  return pair;
}

/** Connects central -> peripheral and returns both ends. */
export async function connectPair(pair: Pair, options: { peerFingerprint?: string } = {}) {
  const accepted = pair.peripheral.accept();
  const central = await pair.central.connectToDevice(PERIPHERAL_ID, options);
  const peripheral = await accepted;
  return { central, peripheral };
}

/** A temporary folder, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pqble-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * The message type a packet on the radio starts: the byte after the header of a single packet
 * or a first fragment (docs/framing.md); `undefined` for a later fragment, whose bytes after
 * its compact 2-byte header are payload, or for a packet that does not decode.
 */
export function startedMessageType(packet: Uint8Array): number | undefined {
  try {
    const { header, payloadOffset } = decodeFragmentHeader(packet);
    return header.start ? packet[payloadOffset] : undefined;
  } catch {
    return undefined;
  }
}
