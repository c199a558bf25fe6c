/**
 * The fleet benchmark's run (docs/fleet.md "The fleet benchmark"): real `BleTransport`s on
 * one `SimulatedRadio`. N gateway transports share one hub identity and one fleet store (one
 * store client per gateway, as separate processes would have); M device transports each keep
 * their own memory store. Every device makes a first contact (a full handshake) with a
 * random gateway, then is connected K more times, each time by a gateway other than its
 * last one (roaming; gateways are centrals calling `connectToDevice`, devices accept). In a
 * share of reconnects a second gateway connects to the same device at the same moment (a
 * race); in a share, the gateway's resume request is captured on air and replayed to the
 * device afterwards from another radio device, and must be refused.
 *
 * @module
 */

import type { Clock } from '../../src/clock.js';
import { isPqbleError } from '../../src/errors.js';
import { Reassembler } from '../../src/framing/index.js';
import { generateIdentity } from '../../src/identity/index.js';
import type { Link } from '../../src/link/types.js';
import { silentLogger } from '../../src/logger.js';
import { SimulatedRadio } from '../../src/radio/index.js';
import { decodeResumeReject } from '../../src/resumption/reject.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { SessionStore } from '../../src/session/store.js';
import { BleTransport, type BleConnection } from '../../src/transport/index.js';
import { MessageType } from '../../src/wire.js';
import { FleetStoreStats, ObservedStore } from './observed-store.js';

/** Options of {@link runFleetBench}. */
export interface FleetBenchOptions {
  /** The gateways' stores: one per gateway, all on the same fleet (same keys and namespace). Not closed here. */
  readonly stores: readonly SessionStore[];
  /** Devices (default 200). */
  readonly devices?: number;
  /** Reconnects per device after its first contact (default 5). */
  readonly reconnects?: number;
  /** Share of reconnects where a second gateway races for the same device (default 0.2). */
  readonly raceShare?: number;
  /** Share of reconnects whose resume request is captured on air and replayed to the device (default 0.1). */
  readonly replayShare?: number;
  /** Devices reconnecting at the same time (default 8); everything shares this process's event loop, so higher values add queueing to the latencies. */
  readonly concurrency?: number;
  /** Every transport's `handshakeTimeoutMs` (default 20 000). */
  readonly handshakeTimeoutMs?: number;
  /** The gateways' `storeTimeoutMs` (default 2 000). */
  readonly storeTimeoutMs?: number;
  /** Seed of the simulated radio (default 1). */
  readonly seed?: number;
  /** Called after each device finished. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link runFleetBench} measured. */
export interface FleetBenchReport {
  readonly gateways: number;
  readonly devices: number;
  /** Connects after each device's first contact. */
  readonly reconnects: number;
  /** Reconnects where a gateway's connection came up with `connectionType === 'resumed'`. */
  readonly resumed: number;
  /** Reconnects that came up, but only by a full handshake. */
  readonly fullHandshakes: number;
  /** Reconnects where no gateway got a connection (each ended in a coded error). */
  readonly failed: number;
  /** Tickets (device stores) and outbound secrets (gateway stores) accepted more than once: must be 0. */
  readonly doubleUse: number;
  /** Median and 99th percentile of every gateway store call, ms. */
  readonly storeP50Ms: number;
  readonly storeP99Ms: number;
  /** Reconnects where two gateways raced. */
  readonly races: number;
  /** Resume requests captured on air and replayed to their device, and how many the device refused with `unknown-ticket`. */
  readonly replays: number;
  readonly replaysRefused: number;
  /** Gateway store calls that rejected (timeouts, Redis unavailable). */
  readonly storeErrors: number;
  /** The longest connect (first contacts and reconnects, every gateway's attempt, from the call until it settled), real ms. */
  readonly slowestConnectMs: number;
  /** The same in the radio's (virtual) time, ms; link establishment plus `handshakeTimeoutMs` bounds it. */
  readonly slowestConnectRadioMs: number;
}

/** A device under test: its transport and the connections it surfaced that are still open. */
interface Device {
  readonly id: string;
  readonly transport: BleTransport;
  readonly surfaced: BleConnection[];
  wake: (() => void) | undefined;
  lastGateway: number;
}

/** How one gateway's connect ended. */
type Outcome = { readonly gateway: number; readonly connection: BleConnection } | { readonly gateway: number; readonly error: unknown };

const ATTACKER_ID = 'ee00000000a1';

function gatewayId(i: number): string {
  return `9a${i.toString(16).padStart(10, '0')}`;
}

function deviceId(i: number): string {
  return `de${i.toString(16).padStart(10, '0')}`;
}

/** Waits `ms` of real time without keeping the process alive. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Sends one captured packet on a raw link; resolves the reply's reject reason, `'accept'`, another kind, or `'closed'`. */
async function replayOnce(link: Link, packet: Uint8Array, timeoutMs: number): Promise<string> {
  const r = new Reassembler();
  let settle: (kind: string) => void = () => undefined;
  const reply = new Promise<string>((resolve) => {
    settle = resolve;
  });
  const offPacket = link.onPacket((p) => {
    let m: Uint8Array | undefined;
    try {
      m = r.push(p);
    } catch {
      settle('malformed');
      return;
    }
    if (m === undefined) return;
    if (m[0] === MessageType.ResumeReject) {
      try {
        settle(decodeResumeReject(m));
      } catch {
        settle('malformed');
      }
    } else settle(m[0] === MessageType.ResumeAccept ? 'accept' : `0x${(m[0] ?? 0).toString(16)}`);
  });
  const offClose = link.onClose(() => settle('closed'));
  const timer = setTimeout(() => settle('timeout'), timeoutMs);
  try {
    await link.send(packet);
    return await reply;
  } finally {
    clearTimeout(timer);
    offPacket();
    offClose();
  }
}

/** Runs the benchmark (see the module header). Every transport and the radio are closed before it returns. */
export async function runFleetBench(options: FleetBenchOptions): Promise<FleetBenchReport> {
  if (options.stores.length < 1) throw new RangeError('stores must hold at least one gateway store');
  const deviceCount = options.devices ?? 200;
  const reconnectsEach = options.reconnects ?? 5;
  const raceShare = options.raceShare ?? 0.2;
  const replayShare = options.replayShare ?? 0.1;
  const concurrency = options.concurrency ?? 8;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 20_000;
  const storeTimeoutMs = options.storeTimeoutMs ?? 2_000;
  let resumed = 0;
  let fullHandshakes = 0;
  let failed = 0;
  let races = 0;
  let replays = 0;
  let replaysRefused = 0;
  let reconnects = 0;
  let slowestConnectMs = 0;
  let slowestConnectRadioMs = 0;

  // Gateway store calls are timed and counted (the Redis figures); the devices' stores are
  // observed too, apart, so that a ticket a device accepted twice counts in doubleUse.
  const stats = new FleetStoreStats();
  const deviceStats = new FleetStoreStats();
  const radio = new SimulatedRadio({ seed: options.seed ?? 1 });
  const hub = generateIdentity();
  const gateways: BleTransport[] = [];
  const devices: Device[] = [];
  let attacker: ReturnType<SimulatedRadio['createDevice']> | undefined;
  // Resume requests captured on air, by device id: a key with `undefined` asks for the next one.
  const captures = new Map<string, Uint8Array | undefined>();
  radio.setFaults({
    intercept: (e) => {
      const id = e.link.peripheralDeviceId;
      // A single-packet message (flags 0x03, message id) whose first byte is a resume request.
      if (e.from === 'central' && captures.has(id) && captures.get(id) === undefined && e.packet[0] === 0x03 && e.packet[2] === MessageType.ResumeRequest) {
        captures.set(id, e.packet.slice());
      }
      return 'deliver';
    },
  });

  try {
    for (let i = 0; i < options.stores.length; i++) {
      gateways.push(
        await BleTransport.create({
          identity: hub,
          link: radio.createDevice({ deviceId: gatewayId(i) }),
          logger: silentLogger,
          sessionStore: new ObservedStore(options.stores[i], stats),
          maxConnections: 1000,
          handshakeTimeoutMs,
          storeTimeoutMs,
          sessionCleanupIntervalMs: null,
          sessionSaveIntervalMs: null,
        }),
      );
    }
    for (let i = 0; i < deviceCount; i++) {
      const id = deviceId(i);
      const transport = await BleTransport.create({
        identity: generateIdentity(),
        link: radio.createDevice({ deviceId: id }),
        logger: silentLogger,
        sessionStore: new ObservedStore(new MemorySessionStore(), deviceStats),
        handshakeTimeoutMs,
        sessionCleanupIntervalMs: null,
        sessionSaveIntervalMs: null,
        // Replays come from one attacker address: the limit would answer 'rate-limited' before
        // the ticket is looked at, and the benchmark counts refusals of the ticket itself.
        resumeAttemptBurst: 1000,
        resumeFailureBudget: 1_000_000,
      });
      const d: Device = { id, transport, surfaced: [], wake: undefined, lastGateway: 0 };
      transport.onConnection((c) => {
        d.surfaced.push(c);
        d.wake?.();
      });
      devices.push(d);
    }
    attacker = radio.createDevice({ deviceId: ATTACKER_ID });
    const clock: Clock = attacker.clock;

    const pick = (not: number): number => {
      if (gateways.length === 1) return 0;
      const g = Math.floor(Math.random() * (gateways.length - 1));
      return g >= not ? g + 1 : g;
    };

    /** One gateway's connect to `d`, timed in both clocks. */
    const connect = async (g: number, d: Device): Promise<Outcome> => {
      const t0 = performance.now();
      const v0 = clock.now();
      try {
        return { gateway: g, connection: await gateways[g].connectToDevice(d.id) };
      } catch (error) {
        if (!isPqbleError(error)) throw error;
        return { gateway: g, error };
      } finally {
        slowestConnectMs = Math.max(slowestConnectMs, performance.now() - t0);
        slowestConnectRadioMs = Math.max(slowestConnectRadioMs, clock.now() - v0);
      }
    };

    /** Connects `d` from every gateway in `targets` at once, lets the device surface its side, closes everything. */
    const contact = async (d: Device, targets: readonly number[]): Promise<Outcome[]> => {
      const outcomes = await Promise.all(targets.map((g) => connect(g, d)));
      const up = outcomes.filter((o) => 'connection' in o).length;
      // The device's side comes up right after the gateway's; wait for it (bounded).
      const deadline = performance.now() + handshakeTimeoutMs;
      while (d.surfaced.length < up && performance.now() < deadline) {
        await Promise.race([new Promise<void>((resolve) => (d.wake = resolve)), sleep(20)]);
        d.wake = undefined;
      }
      for (const o of outcomes) if ('connection' in o) await o.connection.close();
      for (const c of d.surfaced.splice(0)) await c.close();
      return outcomes;
    };

    const replay = async (d: Device): Promise<void> => {
      const packet = captures.get(d.id);
      captures.delete(d.id);
      if (packet === undefined || attacker === undefined) return;
      replays++;
      let link: Link | undefined;
      try {
        link = await attacker.connect(d.id);
        if ((await replayOnce(link, packet, handshakeTimeoutMs)) === 'unknown-ticket') replaysRefused++;
      } catch (err) {
        if (!isPqbleError(err)) throw err;
      } finally {
        await link?.close();
      }
    };

    let nextDevice = 0;
    let finished = 0;
    const worker = async (): Promise<void> => {
      while (nextDevice < devices.length) {
        const d = devices[nextDevice++];
        d.lastGateway = Math.floor(Math.random() * gateways.length);
        await contact(d, [d.lastGateway]);
        for (let k = 0; k < reconnectsEach; k++) {
          reconnects++;
          const g = pick(d.lastGateway);
          const targets = Math.random() < raceShare && gateways.length > 1 ? [g, pick(g)] : [g];
          if (targets.length > 1) races++;
          const replayed = Math.random() < replayShare;
          if (replayed) captures.set(d.id, undefined);
          const outcomes = await contact(d, targets);
          const winner = outcomes.find((o) => 'connection' in o && o.connection.connectionType === 'resumed');
          const up = outcomes.find((o) => 'connection' in o);
          if (winner !== undefined) resumed++;
          else if (up !== undefined) fullHandshakes++;
          else failed++;
          d.lastGateway = (winner ?? up)?.gateway ?? d.lastGateway;
          if (replayed) await replay(d);
          captures.delete(d.id);
        }
        options.onProgress?.(++finished, devices.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, deviceCount)) }, worker));
  } finally {
    for (const t of [...gateways, ...devices.map((d) => d.transport)]) await t.close();
    await radio.close();
  }
  return {
    gateways: gateways.length,
    devices: deviceCount,
    reconnects,
    resumed,
    fullHandshakes,
    failed,
    doubleUse: stats.doubleUse + deviceStats.doubleUse,
    storeP50Ms: stats.percentileMs(50),
    storeP99Ms: stats.percentileMs(99),
    races,
    replays,
    replaysRefused,
    storeErrors: stats.storeErrors,
    slowestConnectMs: Math.round(slowestConnectMs * 1000) / 1000,
    slowestConnectRadioMs: Math.round(slowestConnectRadioMs * 1000) / 1000,
  };
}
