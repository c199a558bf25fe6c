/**
 * The benchmark (`npm run bench`, `pqble bench`; docs/benchmarks.md). Every figure comes from
 * one run on the simulated radio (coded PHY, 30 ms interval unless told otherwise) and is
 * printed side by side with its baseline: pqble's full handshake (cold and warm), resumption
 * in both modes, from disk and the fallback, against TLS 1.3 full handshakes and ticket
 * resumption in psk_dhe_ke and psk_ke over the same radio model, plus airtime per PHY,
 * goodput and the session cache alone at 100,000 entries. Every row is measured the same way
 * (./pqble.ts, ./side-cpu.ts, ./energy.ts). Times on the radio are simulated
 * (deterministic); CPU times are measured on this machine and are only meaningful as ratios
 * within one run.
 *
 * @module
 */

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../src/bytes.js';
import { defaultCrypto, nobleCrypto, type CryptoProvider } from '../src/crypto/index.js';
import { MIN_PACKET_BYTES, airtimePacketPolicy, fragmentMessage, type ContinuationHeader } from '../src/framing/index.js';
import type { Link, LinkTiming } from '../src/link/types.js';
import { oneWayTransferUs } from '../src/radio/airtime.js';
import { silentLogger } from '../src/logger.js';
import { PHYS, SimulatedRadio, type Phy } from '../src/radio/index.js';
import type { CachedSession } from '../src/session/types.js';
import { FileSessionStore } from './baseline/file-store-v1.js';
import { SessionCache } from './baseline/session-cache-v1.js';
import { NRF52840_DCDC_3V } from './energy.js';
import { CENTRAL_ID, PERIPHERAL_ID, makePair, measureSetup, newSides, pqbleScenarios } from './pqble.js';
import { pqTlsAvailable, runTlsBaseline } from './tls/index.js';
import type { BenchReport, CacheFigures, GoodputFigures, PhyFigures, ScenarioFigures } from './types.js';

export type * from './types.js';
// --- link rows (bench/link.ts) ---
import { runLinkBench } from './link.js';
export { runLinkBench } from './link.js';
export type * from './link.js';
// --- end link rows ---

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Fewer repetitions and smaller goodput/cache runs (finishes well under a minute). Default false. */
  readonly quick?: boolean;
  /** PHY of the main scenarios. Default `'coded'`. */
  readonly phy?: Phy;
  /** Connection interval of the main scenarios, ms. Default 30. */
  readonly connectionIntervalMs?: number;
  /** Crypto backend of every pqble transport and identity in the run (docs/crypto.md). Default `defaultCrypto()`. */
  readonly crypto?: CryptoProvider;
  /** Skip the TLS baselines. Default false. */
  readonly skipTls?: boolean;
  /** Progress callback (a label, and steps done of total). */
  readonly onProgress?: (progress: { label: string; done: number; total: number }) => void;
}

/** Setup airtime on each PHY. */
async function phyFigures(connectionIntervalMs: number, crypto: CryptoProvider): Promise<PhyFigures[]> {
  const ids = newSides(crypto);
  const out: PhyFigures[] = [];
  for (const phy of PHYS) {
    let pair = await makePair({ phy, connectionIntervalMs }, ids);
    const full = await measureSetup(pair);
    const resumed = await measureSetup(pair);
    await pair.close();
    pair = await makePair({ phy, connectionIntervalMs }, ids, { pinned: true });
    const pinned = await measureSetup(pair, NRF52840_DCDC_3V, bytesToHex(ids.peripheral.fingerprint));
    await pair.close();
    out.push({ phy, fullHandshakeMs: full.airtimeMs, fullHandshakePinnedMs: pinned.airtimeMs, resumedMs: resumed.airtimeMs });
  }
  return out;
}

/**
 * Sends `packets` one way over a fresh bare link at this operating point: ms from the first
 * send to the last arrival (`ms`, with the payload `bytes`), and the steady part from the
 * first packet's arrival to the last (`steadyMs`, carrying `steadyBytes`: all but the first
 * packet), which does not depend on where in a connection interval the first send fell.
 */
async function bareTransfer(
  point: { phy: Phy; connectionIntervalMs: number; attMtu: number },
  packets: (link: Link) => Uint8Array[],
): Promise<{ ms: number; bytes: number; steadyMs: number; steadyBytes: number }> {
  const radio = new SimulatedRadio({ phy: point.phy, connectionIntervalMs: point.connectionIntervalMs, attMtu: point.attMtu, seed: 3 });
  try {
    const a = radio.createDevice({ deviceId: CENTRAL_ID });
    const b = radio.createDevice({ deviceId: PERIPHERAL_ID });
    const accepted = new Promise<Link>((resolve) => b.onIncoming(resolve));
    const link = await a.connect(PERIPHERAL_ID);
    const peer = await accepted;
    const list = packets(link);
    let received = 0;
    let bytes = 0;
    let doneAt = 0;
    let firstAt = 0;
    let firstBytes = 0;
    const done = new Promise<void>((resolve) => {
      peer.onPacket((p) => {
        bytes += p.length;
        if (received === 0) {
          firstAt = radio.clock.now();
          firstBytes = p.length;
        }
        if (++received === list.length) {
          doneAt = radio.clock.now();
          resolve();
        }
      });
    });
    const start = radio.clock.now();
    for (const packet of list) await link.send(packet);
    await done;
    return { ms: doneAt - start, bytes, steadyMs: doneAt - firstAt, steadyBytes: bytes - firstBytes };
  } finally {
    await radio.close();
  }
}

/** Raw packets of `size` (the last one shorter) carrying `totalBytes`. */
function rawPackets(totalBytes: number, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let left = totalBytes; left > 0; left -= size) out.push(new Uint8Array(Math.min(size, left)));
  return out;
}

/**
 * The packet size (20..`maxPayloadBytes`) that moves `totalBytes` of raw ATT values soonest on
 * a link with this timing, by the radio model's formula (the largest among equals).
 */
export function bestRawPacketBytes(timing: LinkTiming, maxPayloadBytes: number, totalBytes: number): number {
  let best = maxPayloadBytes;
  let bestUs = Number.POSITIVE_INFINITY;
  for (let size = maxPayloadBytes; size >= MIN_PACKET_BYTES; size--) {
    const us = oneWayTransferUs(
      timing,
      rawPackets(totalBytes, size).map((p) => p.length),
    );
    if (us < bestUs) {
      best = size;
      bestUs = us;
    }
  }
  return best;
}

/**
 * The link's payload capacity: `totalBytes` of raw, unframed ATT values one way, with
 * full-size packets and with the best packet size for the link's PHY and interval
 * ({@link bestRawPacketBytes}); the faster of the two, in bytes per second, counted from the
 * first packet's arrival to the last (so the wait for the first connection event, which the
 * secure link's goodput does pay, is not in the capacity).
 */
async function rawLinkCapacity(
  point: { phy: Phy; connectionIntervalMs: number; attMtu: number },
  totalBytes: number,
): Promise<{ bytesPerSecond: number; packetBytes: number }> {
  let best = { bytesPerSecond: 0, packetBytes: 0 };
  const sizes = new Set<number>();
  await bareTransfer(point, (link) => {
    sizes.add(link.maxPayloadBytes);
    if (link.timing !== undefined) sizes.add(bestRawPacketBytes(link.timing, link.maxPayloadBytes, totalBytes));
    return [new Uint8Array(1)];
  });
  for (const size of sizes) {
    const t = await bareTransfer(point, () => rawPackets(totalBytes, size));
    const bytesPerSecond = (t.steadyBytes / t.steadyMs) * 1000;
    if (bytesPerSecond > best.bytesPerSecond) best = { bytesPerSecond, packetBytes: size };
  }
  return best;
}

/** Bytes per second of `count` messages framed with `continuation` headers (no record, no crypto) over a bare link, packet sizes as the secure channel picks them; timed like the capacity, from the first arrival. */
async function framedRate(
  point: { phy: Phy; connectionIntervalMs: number; attMtu: number },
  messageBytes: number,
  count: number,
  continuation: ContinuationHeader,
): Promise<number> {
  const t = await bareTransfer(point, (link) => {
    const policy = link.timing === undefined ? {} : { packetSize: airtimePacketPolicy(link.timing, continuation) };
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) out.push(...fragmentMessage(new Uint8Array(messageBytes), i % 256, link.maxPayloadBytes, { continuation, ...policy }));
    return out;
  });
  return ((messageBytes * count) / t.steadyMs) * 1000;
}

/**
 * Goodput of `count` messages of `messageBytes` over an established secure connection at this
 * operating point, against the link's raw payload capacity (docs/benchmarks.md "Goodput").
 */
export async function measureGoodput(
  point: { phy: Phy; connectionIntervalMs: number; attMtu: number },
  messageBytes: number,
  count: number,
  crypto: CryptoProvider,
): Promise<GoodputFigures> {
  const pair = await makePair(point, newSides(crypto));
  const { clock } = pair.radio;
  const accepted = pair.peripheral.accept();
  const conn = await pair.central.connectToDevice(PERIPHERAL_ID);
  const peer = await accepted;
  const message = nobleCrypto.randomBytes(messageBytes);
  const start = clock.now();
  const receiving = (async (): Promise<number> => {
    let n = 0;
    for await (const m of peer.messages()) {
      n += m.length;
      if (n >= messageBytes * count) return clock.now();
    }
    return clock.now();
  })();
  for (let i = 0; i < count; i++) await conn.send(message);
  const end = await receiving;
  await pair.close();
  const goodputBytesPerSecond = ((messageBytes * count) / (end - start)) * 1000;
  const capacity = await rawLinkCapacity(point, messageBytes * count);
  const percent = (rate: number): number => (rate / capacity.bytesPerSecond) * 100;
  return {
    messageBytes,
    messages: count,
    attMtu: point.attMtu,
    goodputBytesPerSecond,
    linkPayloadBytesPerSecond: capacity.bytesPerSecond,
    linkPacketBytes: capacity.packetBytes,
    percentOfLinkCapacity: percent(goodputBytesPerSecond),
    framingOnlyPercent: {
      compact: percent(await framedRate(point, messageBytes, count, 'compact')),
      sequence16: percent(await framedRate(point, messageBytes, count, 'sequence16')),
    },
  };
}

function nsPerOp(ops: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / ops;
}

/** The session cache alone at `entries` entries: O(1) operations, and the file store. */
async function cacheFigures(entries: number, dir: string): Promise<CacheFigures> {
  const now = Date.UTC(2026, 10, 24);
  const cache = new SessionCache({ maxEntries: entries, now: () => now });
  const hex = (n: number, bytes: number): string => n.toString(16).padStart(bytes * 2, '0');
  const make = (i: number): CachedSession => ({
    peerFingerprint: hex(i, 32),
    deviceId: hex(i, 6),
    sessionId: hex(i, 16),
    establishedMs: now - 1000,
    lastActiveMs: now - 1000 + (i % 1000),
    resumptionSecret: nobleCrypto.randomBytes(32),
    ticketId: hex(i, 16),
  });
  for (let i = 0; i < entries; i++) cache.set(make(i));
  const keys = Array.from({ length: 100_000 }, (_, i) => hex((i * 7919) % entries, 32));
  const lookupNsPerOp = nsPerOp(keys.length, (i) => cache.get(keys[i]));
  const touchNsPerOp = nsPerOp(keys.length, (i) => cache.touch(keys[i]));
  const fresh = Array.from({ length: 20_000 }, (_, i) => make(entries + i));
  const insertWithEvictionNsPerOp = nsPerOp(fresh.length, (i) => cache.set(fresh[i]));

  const path = join(dir, 'bench-cache.sessions.json');
  const store = new FileSessionStore({ path, logger: silentLogger, storageKey: nobleCrypto.randomBytes(32) });
  let t0 = performance.now();
  await store.save(cache.entries());
  const saveMs = performance.now() - t0;
  const fileBytes = (await stat(path)).size;
  t0 = performance.now();
  const loaded = await store.load();
  const loadMs = performance.now() - t0;
  if (loaded.length !== entries) throw new Error(`cache benchmark: loaded ${loaded.length} of ${entries} entries`);
  return { entries, lookupNsPerOp, touchNsPerOp, insertWithEvictionNsPerOp, saveMs, loadMs, fileBytes, bytesPerEntry: fileBytes / entries };
}

function ratiosOf(scenarios: readonly ScenarioFigures[]): Record<string, number> {
  const find = (group: string, kind: string): ScenarioFigures | undefined => scenarios.find((s) => s.group === group && s.kind === kind);
  const bytes = (s: ScenarioFigures): number => s.bytesOnAirToPeripheral + s.bytesOnAirToCentral;
  const ratios: Record<string, number> = {};
  const resumed = find('pqble', 'resumed');
  const full = find('pqble', 'full');
  if (resumed === undefined || full === undefined) return ratios;
  const psk = find('pqble', 'resumed-psk');
  ratios['pqble full / resumed, time to first message'] = full.timeToFirstMessageMs / resumed.timeToFirstMessageMs;
  ratios['pqble full / resumed, bytes on air'] = bytes(full) / bytes(resumed);
  ratios['pqble full / resumed, whole reconnect'] = full.reconnectMs / resumed.reconnectMs;
  if (resumed.cachedGatt !== undefined) ratios['pqble full / resumed with cached GATT, whole reconnect'] = full.reconnectMs / resumed.cachedGatt.reconnectMs;
  // Like for like: pqble's psk-dhe against TLS's psk_dhe_ke, pqble's psk against psk_ke.
  const pairs = [
    [resumed, 'resumed-psk_dhe_ke', 'psk-dhe', 'psk_dhe_ke'],
    [psk, 'resumed-psk_ke', 'psk', 'psk_ke'],
  ] as const;
  for (const [group, label] of [
    ['tls13', 'TLS 1.3'],
    ['tls13-pq', 'hybrid PQ TLS 1.3'],
  ] as const) {
    for (const [ours, kind, ourMode, tlsMode] of pairs) {
      const tls = find(group, kind);
      if (tls === undefined || ours === undefined) continue;
      const what = `${label} ${tlsMode} / pqble ${ourMode}`;
      ratios[`${what}, ATT payload bytes`] = tls.payloadBytes / ours.payloadBytes;
      ratios[`${what}, bytes on air`] = bytes(tls) / bytes(ours);
      ratios[`${what}, time to first message`] = tls.timeToFirstMessageMs / ours.timeToFirstMessageMs;
      ratios[`${what}, whole reconnect`] = tls.reconnectMs / ours.reconnectMs;
      const energy = (s: ScenarioFigures): number => s.radioEnergyMicrojoules.central + s.radioEnergyMicrojoules.peripheral;
      ratios[`${what}, radio energy`] = energy(tls) / energy(ours);
    }
  }
  return ratios;
}

/** Runs the whole benchmark and returns its figures (see `formatBenchReport` in the CLI for the table). */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const quick = options.quick ?? false;
  const phy = options.phy ?? 'coded';
  const connectionIntervalMs = options.connectionIntervalMs ?? 30;
  const notes: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'pqble-bench-'));
  const total = 6;
  let done = 0;
  const step = (label: string): void => options.onProgress?.({ label, done: done++, total });
  const crypto = options.crypto ?? defaultCrypto();
  // Warm CPU samples per row (pqble and TLS alike); the cold first connection is one more row.
  const samples = quick ? 5 : 15;
  try {
    step('pqble: full, resumed, from disk, fallback, pinned');
    const scenarios: ScenarioFigures[] = await pqbleScenarios({ phy, connectionIntervalMs }, samples, dir, crypto, NRF52840_DCDC_3V);
    step('TLS 1.3 over the same radio');
    if (options.skipTls !== true) {
      try {
        scenarios.push(...(await runTlsBaseline({ phy, connectionIntervalMs, samples })));
      } catch (err) {
        notes.push(`TLS 1.3 baseline failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      step('hybrid post-quantum TLS 1.3');
      const pq = await pqTlsAvailable();
      if (pq.available) {
        try {
          scenarios.push(...(await runTlsBaseline({ phy, connectionIntervalMs, postQuantum: true, samples })));
        } catch (err) {
          notes.push(`hybrid PQ TLS 1.3 baseline failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      } else {
        notes.push(`hybrid PQ TLS 1.3 not measured: ${pq.reason ?? 'unavailable'}`);
      }
    } else {
      step('hybrid post-quantum TLS 1.3 (skipped)');
    }
    step('airtime per PHY');
    const phys = await phyFigures(connectionIntervalMs, crypto);
    step('goodput of 10 KB messages');
    const goodputFigures = await measureGoodput({ phy, connectionIntervalMs, attMtu: 247 }, 10_240, quick ? 4 : 16, crypto);
    // ATT MTU 23 (the BLE minimum): where the 2-byte compact continuation header matters most.
    const goodputSmallMtu = await measureGoodput({ phy, connectionIntervalMs, attMtu: 23 }, 10_240, quick ? 2 : 4, crypto);
    step('session cache at 100,000 entries');
    const cache = await cacheFigures(100_000, dir);
    // --- link rows (bench/link.ts) ---
    const link = await runLinkBench({ phy, connectionIntervalMs, crypto });
    // --- end link rows ---
    options.onProgress?.({ label: 'done', done: total, total });
    return {
      date: new Date().toISOString(),
      node: process.version,
      cryptoBackend: crypto.name,
      quick,
      phy,
      connectionIntervalMs,
      energyProfile: NRF52840_DCDC_3V,
      scenarios,
      phys,
      goodput: goodputFigures,
      goodputSmallMtu,
      cache,
      ratios: ratiosOf(scenarios),
      notes,
      link,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
