/**
 * The fleet benchmark's simulation (docs/fleet.md "The fleet benchmark"): N gateways that
 * share one hub identity and one session store, M devices that roam between them and
 * reconnect K times each, in both directions, with gateways racing for the same device and
 * a replayed request at another gateway. It drives the store seam directly with the real
 * resumption messages (src/resumption): the transport and the radio are not in the loop, so
 * the figures are those of the store and the protocol's single use, not of airtime.
 *
 * @module
 */

import { bytesToHex, randomBytes } from '../../bytes.js';
import { isPqbleError } from '../../errors.js';
import { acceptResume, completeResume, createResumeToken, decodeResumeRequest, deriveTicketId, encodeResumeReject, encodeResumeRequest } from '../../resumption/index.js';
import type { SessionStore, StoredSession } from '../../session/store.js';
import { FleetStoreStats, ObservedStore } from './observed-store.js';

/** Options of {@link runFleetBench}. */
export interface FleetBenchOptions {
  /** The gateways' stores: one per gateway, all on the same fleet. */
  readonly stores: readonly SessionStore[];
  /** Devices (default 200). */
  readonly devices?: number;
  /** Reconnects per device after its first contact (default 5). */
  readonly reconnects?: number;
  /** Share of reconnects where a second gateway races for the same device (default 0.2). */
  readonly raceShare?: number;
  /** Share of device-started resumptions replayed at a third gateway (default 0.1). */
  readonly replayShare?: number;
  /** Devices reconnecting at the same time (default 8); all gateways share this process's event loop, so higher values add queueing to the latencies. */
  readonly concurrency?: number;
  /** Called after each device finished. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link runFleetBench} measured. */
export interface FleetBenchReport {
  readonly gateways: number;
  readonly devices: number;
  /** Connects after each device's first contact. */
  readonly reconnects: number;
  /** Reconnects that resumed (either direction). */
  readonly resumed: number;
  /** Reconnects that fell back to a full handshake. */
  readonly fullHandshakes: number;
  /** Tickets (or outbound secrets) accepted more than once: must be 0. */
  readonly doubleUse: number;
  /** Median and 99th percentile of every store call, ms. */
  readonly storeP50Ms: number;
  readonly storeP99Ms: number;
  /** Reconnects where two gateways raced. */
  readonly races: number;
  /** Replayed requests, and how many of them every gateway refused. */
  readonly replays: number;
  readonly replaysRefused: number;
  /** Store calls that rejected (timeouts, Redis unavailable). */
  readonly storeErrors: number;
}

interface Device {
  readonly fingerprint: string;
  readonly deviceId: string;
  /** Secret of the device -> hub direction (the hub's inbound slot). */
  outbound: Uint8Array | undefined;
  /** Secret of the hub -> device direction (the hub's outbound secret). */
  inbound: Uint8Array | undefined;
  lastGateway: number;
}

/** Runs the simulation (see the module header). */
export async function runFleetBench(options: FleetBenchOptions): Promise<FleetBenchReport> {
  if (options.stores.length < 1) throw new RangeError('stores must hold at least one gateway store');
  const deviceCount = options.devices ?? 200;
  const reconnectsEach = options.reconnects ?? 5;
  const raceShare = options.raceShare ?? 0.2;
  const replayShare = options.replayShare ?? 0.1;
  const concurrency = options.concurrency ?? 8;
  let resumed = 0;
  let fullHandshakes = 0;
  let races = 0;
  let replays = 0;
  let replaysRefused = 0;
  let reconnects = 0;

  // Every store call goes through an ObservedStore: timed, errors and single uses counted.
  const stats = new FleetStoreStats();
  const observed = options.stores.map((store) => new ObservedStore(store, stats));
  /** A store call whose coded rejection (already counted) means "no answer". */
  const timed = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (err) {
      if (!isPqbleError(err)) throw err;
      return undefined;
    }
  };
  const pick = (not: readonly number[]): number => {
    if (observed.length <= not.length) return not[0] ?? 0;
    for (;;) {
      const g = Math.floor(Math.random() * observed.length);
      if (!not.includes(g)) return g;
    }
  };

  /** A full handshake at gateway `g`: fresh secrets both sides (the ML-KEM/ML-DSA part is not simulated). */
  const fullHandshake = async (d: Device, g: number): Promise<void> => {
    const now = Date.now();
    d.outbound = randomBytes(32);
    d.inbound = randomBytes(32);
    const entry: StoredSession = {
      peerFingerprint: d.fingerprint,
      deviceId: d.deviceId,
      establishedMs: now,
      lastActiveMs: now,
      outbound: d.inbound.slice(),
      inbound: { secret: d.outbound.slice(), ticketId: deriveTicketId(d.outbound) },
    };
    await timed(() => observed[g].put(entry));
    d.lastGateway = g;
  };

  /** Gateway `g` answers a device's resume request (responder side of the keeper). */
  const respond = async (g: number, d: Device, request: Uint8Array): Promise<Uint8Array> => {
    const token = decodeResumeRequest(request);
    const entry = await timed(() => observed[g].getByTicket(token.ticketId));
    if (entry?.inbound === undefined || entry.peerFingerprint !== d.fingerprint) return encodeResumeReject('unknown-ticket');
    let accept;
    try {
      accept = acceptResume(entry.inbound.secret, request);
    } catch {
      return encodeResumeReject('unknown-ticket');
    }
    const next = accept.keys.nextSecret;
    const ok = await timed(() => observed[g].consumeInbound(d.fingerprint, token.ticketId, { secret: next, ticketId: deriveTicketId(next) }, { deviceId: d.deviceId, lastActiveMs: Date.now() }));
    if (ok !== true) return encodeResumeReject('unknown-ticket');
    return accept.message;
  };

  /** The device starts the resumption at `targets` (two when gateways race). */
  const deviceResumes = async (d: Device, targets: readonly number[]): Promise<boolean> => {
    if (d.outbound === undefined) return false;
    const rs = d.outbound;
    const request = encodeResumeRequest(createResumeToken(rs));
    const replies = await Promise.all(targets.map((g) => respond(g, d, request)));
    let done = false;
    for (const reply of replies) {
      try {
        const keys = completeResume(rs, request, reply);
        if (!done) d.outbound = keys.nextSecret;
        done = true;
      } catch {
        // a reject: the other gateway may have accepted
      }
    }
    if (done && Math.random() < replayShare) {
      replays++;
      const g = pick(targets);
      const reply = await respond(g, d, request);
      if (reply.length === 2) replaysRefused++;
    }
    return done;
  };

  /** Gateways `targets` start the resumption towards the device (they race when two). */
  const gatewaysResume = async (d: Device, targets: readonly number[]): Promise<boolean> => {
    const attempts = await Promise.all(
      targets.map(async (g) => {
        const entry = await timed(() => observed[g].getByDevice(d.deviceId));
        if (entry?.outbound === undefined || entry.peerFingerprint !== d.fingerprint) return false;
        const rs = entry.outbound;
        const request = encodeResumeRequest(createResumeToken(rs));
        // The device answers from its own single-use state.
        let reply: Uint8Array;
        if (d.inbound === undefined) reply = encodeResumeReject('unknown-ticket');
        else {
          try {
            const a = acceptResume(d.inbound, request);
            d.inbound = a.keys.nextSecret;
            reply = a.message;
          } catch {
            reply = encodeResumeReject('unknown-ticket');
          }
        }
        let keys;
        try {
          keys = completeResume(rs, request, reply);
        } catch {
          return false;
        }
        await timed(() => observed[g].replaceOutbound(d.fingerprint, rs, keys.nextSecret, { deviceId: d.deviceId, lastActiveMs: Date.now() }));
        return true;
      }),
    );
    return attempts.some(Boolean);
  };

  const devices: Device[] = Array.from({ length: deviceCount }, () => ({
    fingerprint: bytesToHex(randomBytes(32)),
    deviceId: bytesToHex(randomBytes(6)),
    outbound: undefined,
    inbound: undefined,
    lastGateway: 0,
  }));
  let nextDevice = 0;
  let finished = 0;
  const worker = async (): Promise<void> => {
    while (nextDevice < devices.length) {
      const d = devices[nextDevice++];
      await fullHandshake(d, Math.floor(Math.random() * observed.length));
      for (let k = 0; k < reconnectsEach; k++) {
        reconnects++;
        const g = pick([d.lastGateway]);
        const targets = Math.random() < raceShare && observed.length > 1 ? [g, pick([g])] : [g];
        if (targets.length > 1) races++;
        const ok = k % 2 === 0 ? await deviceResumes(d, targets) : await gatewaysResume(d, targets);
        if (ok) {
          resumed++;
          d.lastGateway = g;
        } else {
          fullHandshakes++;
          await fullHandshake(d, g);
        }
      }
      options.onProgress?.(++finished, devices.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, deviceCount)) }, worker));
  return {
    gateways: observed.length,
    devices: deviceCount,
    reconnects,
    resumed,
    fullHandshakes,
    doubleUse: stats.doubleUse,
    storeP50Ms: stats.percentileMs(50),
    storeP99Ms: stats.percentileMs(99),
    races,
    replays,
    replaysRefused,
    storeErrors: stats.storeErrors,
  };
}
