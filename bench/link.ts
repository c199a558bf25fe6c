/**
 * Link benchmark rows (docs/benchmarks.md "Link establishment, loss and crowding";
 * docs/radio-model.md): the reconnect measured from the `connectToDevice()` call with link
 * establishment included (GATT discovery or a cached database), fixed vs airtime-aware packet
 * sizes, packet loss of 1 % and 5 %, and N devices sharing one central. Every figure is
 * simulated time on the virtual clock of one run (deterministic from the seeds below).
 *
 * @module
 */

import type { Clock } from '../src/clock.js';
import { defaultCrypto, type CryptoProvider } from '../src/crypto/index.js';
import { generateIdentity, type Identity } from '../src/identity/index.js';
import { silentLogger } from '../src/logger.js';
import { airtimePacketPolicy, fragmentMessage } from '../src/framing/index.js';
import { HANDSHAKE_MESSAGE_BYTES } from '../src/handshake/index.js';
import type { Link } from '../src/link/types.js';
import { PHYS, SimulatedRadio, type Phy, type SimulatedRadioOptions } from '../src/radio/index.js';
import { BleTransport, type ConnectionType } from '../src/transport/index.js';

/** One measured connection, from the central's `connectToDevice()` call. */
export interface ReconnectRow {
  /** What was measured, e.g. `"resumed, cached GATT"`. */
  readonly name: string;
  /** `'resumed'` or `'full-handshake'`. */
  readonly connectionType: ConnectionType;
  /** From `connectToDevice()` until the link was ready for the first pqble message (simulated ms). */
  readonly connectionEstablishmentMs: number;
  /** From `connectToDevice()` until the peripheral received the first application message (simulated ms). */
  readonly reconnectMs: number;
  /** Of which the pqble setup (handshake or resumption) and first message, after the link was ready. */
  readonly setupMs: number;
  /** Airtime of the whole connection on the radio, both directions (ms). */
  readonly airtimeMs: number;
  /** LL PDUs sent again on the radio during the measurement. */
  readonly retransmissions: number;
}

/** Full handshake with fixed vs airtime-aware packet sizes. */
export interface FragmentationRow {
  readonly phy: Phy;
  readonly connectionIntervalMs: number;
  readonly attMtu: number;
  /** Time to first message of a full handshake with every packet as large as the MTU allows (ms). */
  readonly fixedMs: number;
  /** The same with airtime-aware packet sizes (ms). */
  readonly airtimeAwareMs: number;
}

/** One point of the PHY x interval x MTU sweep: the three full-handshake flights over a bare link. */
export interface SweepPoint {
  readonly phy: Phy;
  readonly connectionIntervalMs: number;
  readonly attMtu: number;
  /** Time for the flights (1,219, 6,398 and 5,278 bytes, each sent when the previous one arrived) with full-size packets (ms). */
  readonly fixedMs: number;
  /** The same with airtime-aware packet sizes (ms). */
  readonly airtimeAwareMs: number;
}

/** N peripherals reconnecting (resuming) to one central at the same moment. */
export interface CrowdRow {
  readonly devices: number;
  /** From the common start until the last peripheral received its first application message (ms). */
  readonly allReconnectedMs: number;
  /** Mean of the per-device reconnect times (ms). */
  readonly meanReconnectMs: number;
  /** Connection events missed because the central's radio served another link. */
  readonly skippedEvents: number;
}

/** The link benchmark's figures. */
export interface LinkBenchReport {
  readonly phy: Phy;
  readonly connectionIntervalMs: number;
  readonly reconnect: readonly ReconnectRow[];
  readonly fragmentation: readonly FragmentationRow[];
  /** PHY x interval x MTU: the handshake's flights over a bare link, fixed vs airtime-aware packets. */
  readonly sweep: readonly SweepPoint[];
  /** Full and resumed reconnects at 0 %, 1 % and 5 % packet loss. */
  readonly loss: readonly (ReconnectRow & { readonly packetLossRate: number })[];
  readonly crowding: readonly CrowdRow[];
}

/** Options of {@link runLinkBench}. */
export interface LinkBenchOptions {
  /** PHY. Default `'coded'`. */
  readonly phy?: Phy;
  /** Connection interval, ms. Default 30. */
  readonly connectionIntervalMs?: number;
  /** Crypto backend. Default `defaultCrypto()`. */
  readonly crypto?: CryptoProvider;
}

const HUB_ID = 'c0ffee000001';

function sensorId(i: number): string {
  return `5e45020000${(i + 2).toString(16).padStart(2, '0')}`;
}

interface World {
  readonly radio: SimulatedRadio;
  readonly hub: BleTransport;
  readonly sensors: BleTransport[];
  close(): Promise<void>;
}

async function world(radioOptions: SimulatedRadioOptions, ids: { hub: Identity; sensors: Identity[] }, crypto: CryptoProvider): Promise<World> {
  const radio = new SimulatedRadio(radioOptions);
  const hub = await BleTransport.create({ identity: ids.hub, crypto, link: radio.createDevice({ deviceId: HUB_ID }), logger: silentLogger, maxConnections: 8 });
  const sensors: BleTransport[] = [];
  for (let i = 0; i < ids.sensors.length; i++) {
    sensors.push(await BleTransport.create({ identity: ids.sensors[i], crypto, link: radio.createDevice({ deviceId: sensorId(i) }), logger: silentLogger }));
  }
  return {
    radio,
    hub,
    sensors,
    async close() {
      await hub.close();
      for (const s of sensors) await s.close();
      await radio.close();
    },
  };
}

/** Connects the hub to sensor `i`, sends one message, closes; the figures from the connectToDevice() call. */
async function reconnect(w: World, i: number, name: string, clock: Clock): Promise<ReconnectRow> {
  const before = w.radio.stats();
  const accepted = w.sensors[i].accept();
  const t0 = clock.now();
  const conn = await w.hub.connectToDevice(sensorId(i));
  const peer = await accepted;
  const first = (async (): Promise<number> => {
    for await (const m of peer.messages()) {
      void m;
      return clock.now();
    }
    return clock.now();
  })();
  await conn.send(new TextEncoder().encode('temperature?'));
  const arrived = await first;
  const establishment = conn.stats().link.connectionEstablishmentMs ?? 0;
  await conn.close();
  const after = w.radio.stats();
  return {
    name,
    connectionType: conn.connectionType,
    connectionEstablishmentMs: establishment,
    reconnectMs: arrived - t0,
    setupMs: arrived - t0 - establishment,
    airtimeMs: after.airtimeMs - before.airtimeMs,
    retransmissions: after.retransmissions - before.retransmissions,
  };
}

/** The full handshake's flights (central, peripheral, central), framed and sent over a bare link; ms from the first send to the last arrival. */
async function flightsMs(phy: Phy, connectionIntervalMs: number, attMtu: number, packetSizing: 'fixed' | 'airtime'): Promise<number> {
  const radio = new SimulatedRadio({ phy, connectionIntervalMs, attMtu, packetSizing, seed: 4, connectTimeoutMs: 120_000 });
  try {
    const a = radio.createDevice();
    const b = radio.createDevice();
    let incoming: Link | undefined;
    b.onIncoming((l) => (incoming = l));
    const c = await a.connect(b.deviceId);
    if (incoming === undefined) throw new Error('sweep: no incoming link');
    const p = incoming;
    const S = HANDSHAKE_MESSAGE_BYTES;
    const t0 = radio.clock.now();
    for (const [from, to, bytes] of [
      [c, p, S.init],
      [p, c, S.response.full],
      [c, p, S.finish.full],
    ] as const) {
      const timing = from.timing;
      const packets = fragmentMessage(new Uint8Array(bytes), 0, from.maxPayloadBytes, timing === undefined ? {} : { packetSize: airtimePacketPolicy(timing) });
      let n = 0;
      const arrived = new Promise<void>((resolve) => {
        const off = to.onPacket(() => {
          if (++n === packets.length) {
            off();
            resolve();
          }
        });
      });
      for (const packet of packets) await from.send(packet);
      await arrived;
    }
    return radio.clock.now() - t0;
  } finally {
    await radio.close();
  }
}

/** The sweep: every PHY, intervals 7.5..100 ms, ATT MTU 23..517. */
async function sweep(): Promise<SweepPoint[]> {
  const out: SweepPoint[] = [];
  for (const phy of PHYS) {
    for (const connectionIntervalMs of [7.5, 15, 30, 50, 100]) {
      for (const attMtu of [23, 65, 185, 247, 517]) {
        const fixedMs = await flightsMs(phy, connectionIntervalMs, attMtu, 'fixed');
        const airtimeAwareMs = await flightsMs(phy, connectionIntervalMs, attMtu, 'airtime');
        out.push({ phy, connectionIntervalMs, attMtu, fixedMs, airtimeAwareMs });
      }
    }
  }
  return out;
}

/** The mean of several rows of the same kind (retransmissions summed). */
function meanRow(rows: readonly ReconnectRow[], name: string): ReconnectRow {
  const mean = (f: (r: ReconnectRow) => number): number => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  return {
    name,
    connectionType: rows[0].connectionType,
    connectionEstablishmentMs: mean((r) => r.connectionEstablishmentMs),
    reconnectMs: mean((r) => r.reconnectMs),
    setupMs: mean((r) => r.setupMs),
    airtimeMs: mean((r) => r.airtimeMs),
    retransmissions: rows.reduce((a, r) => a + r.retransmissions, 0),
  };
}

/** Runs the link rows. */
export async function runLinkBench(options: LinkBenchOptions = {}): Promise<LinkBenchReport> {
  const phy = options.phy ?? 'coded';
  const connectionIntervalMs = options.connectionIntervalMs ?? 30;
  const crypto = options.crypto ?? defaultCrypto();
  const base = { phy, connectionIntervalMs, seed: 21 } as const;
  const ids = { hub: generateIdentity({ crypto }), sensors: Array.from({ length: 8 }, () => generateIdentity({ crypto })) };
  const one = { hub: ids.hub, sensors: ids.sensors.slice(0, 1) };

  // Reconnect from connectToDevice(): discovery every time vs a cached GATT database.
  const rows: ReconnectRow[] = [];
  for (const gattCaching of [false, true]) {
    const w = await world({ ...base, gattCaching }, one, crypto);
    // The first connection always discovers the GATT database.
    const full = await reconnect(w, 0, 'full handshake (first connection), GATT discovery', w.radio.clock);
    if (!gattCaching) rows.push(full);
    rows.push(await reconnect(w, 0, `resumed, ${gattCaching ? 'cached GATT' : 'GATT discovery'}`, w.radio.clock));
    await w.close();
  }

  // Fixed vs airtime-aware packet sizes (time after the link is ready).
  const fragmentation: FragmentationRow[] = [];
  for (const [p, attMtu] of [
    ['coded', 185],
    ['coded', 247],
    ['coded', 517],
    ['1m', 247],
    ['2m', 247],
  ] as const) {
    const ms: Record<'fixed' | 'airtime', number> = { fixed: 0, airtime: 0 };
    for (const packetSizing of ['fixed', 'airtime'] as const) {
      const w = await world({ ...base, phy: p, attMtu, packetSizing }, one, crypto);
      ms[packetSizing] = (await reconnect(w, 0, 'full', w.radio.clock)).setupMs;
      await w.close();
    }
    fragmentation.push({ phy: p, connectionIntervalMs, attMtu, fixedMs: ms.fixed, airtimeAwareMs: ms.airtime });
  }

  // Loss: the LL retransmits, so loss costs airtime and time, never data.
  const loss: (ReconnectRow & { packetLossRate: number })[] = [];
  for (const packetLossRate of [0, 0.01, 0.05]) {
    const w = await world({ ...base, gattCaching: true, supervisionTimeoutMs: 32_000 }, one, crypto);
    w.radio.setFaults({ packetLossRate });
    const pct = `${packetLossRate * 100} % loss`;
    loss.push({ ...(await reconnect(w, 0, `full handshake, ${pct}`, w.radio.clock)), packetLossRate });
    // Resumptions are short (about 40 LL PDUs): the mean of ten.
    const runs: ReconnectRow[] = [];
    for (let k = 0; k < 10; k++) runs.push(await reconnect(w, 0, `resumed, ${pct}`, w.radio.clock));
    loss.push({ ...meanRow(runs, `resumed, ${pct} (mean of 10)`), packetLossRate });
    await w.close();
  }

  // Crowding: N sensors resume to one hub at once (their sessions from a full handshake each, beforehand).
  const crowding: CrowdRow[] = [];
  for (const devices of [1, 4, 8]) {
    const w = await world({ ...base, gattCaching: true }, { hub: ids.hub, sensors: ids.sensors.slice(0, devices) }, crypto);
    for (let i = 0; i < devices; i++) await reconnect(w, i, 'warm-up', w.radio.clock);
    const skippedBefore = w.radio.stats().skippedEvents;
    const t0 = w.radio.clock.now();
    const results = await Promise.all(w.sensors.map((_, i) => reconnect(w, i, `crowd ${devices}`, w.radio.clock)));
    for (const r of results) if (r.connectionType !== 'resumed') throw new Error(`crowding: a sensor did not resume (${r.connectionType})`);
    const all = w.radio.clock.now() - t0;
    crowding.push({
      devices,
      allReconnectedMs: all,
      meanReconnectMs: results.reduce((a, r) => a + r.reconnectMs, 0) / devices,
      skippedEvents: w.radio.stats().skippedEvents - skippedBefore,
    });
    await w.close();
  }
  return { phy, connectionIntervalMs, reconnect: rows, fragmentation, sweep: await sweep(), loss, crowding };
}
