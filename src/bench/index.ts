/**
 * The benchmark (`npm run bench`, `pqble bench`; docs/benchmarks.md). Every figure comes from
 * one run on the simulated radio (coded PHY, 30 ms interval unless told otherwise) and is
 * printed side by side with its baseline: full handshake vs resumption vs resumption from
 * disk, pqble vs TLS 1.3 ticket resumption over the same radio model, and the session cache
 * alone at 100,000 entries. Times on the radio are simulated (deterministic); CPU times are
 * measured on this machine and are only meaningful as ratios within one run.
 *
 * @module
 */

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../bytes.js';
import { defaultCrypto, nobleCrypto, type CryptoProvider } from '../crypto/index.js';
import { measureConnection, type ConnectFigures } from '../demo/scenario.js';
import { generateIdentity, type Identity } from '../identity/index.js';
import type { Link } from '../link/types.js';
import { silentLogger } from '../logger.js';
import { PHYS, SimulatedRadio, type Phy } from '../radio/index.js';
import { SessionCache, FileSessionStore, type CachedSession } from '../session/index.js';
import { BleTransport } from '../transport/index.js';
import { pqTlsAvailable, runTlsBaseline } from './tls/index.js';
import type { BenchReport, CacheFigures, GoodputFigures, PhyFigures, ScenarioFigures, ScenarioKind } from './types.js';

export type * from './types.js';
// --- link rows (src/bench/link.ts) ---
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

const CENTRAL_ID = 'c0ffee000001';
const PERIPHERAL_ID = '5e4502000002';

/** The two sides of a pair: their identities and the crypto backend both run on. */
interface Sides {
  readonly central: Identity;
  readonly peripheral: Identity;
  readonly crypto: CryptoProvider;
}

/** Fresh identities for both sides, made with `crypto`. */
function newSides(crypto: CryptoProvider): Sides {
  return { central: generateIdentity({ crypto }), peripheral: generateIdentity({ crypto }), crypto };
}

interface Pair {
  radio: SimulatedRadio;
  central: BleTransport;
  peripheral: BleTransport;
  close(): Promise<void>;
}

async function makePair(
  phy: Phy,
  connectionIntervalMs: number,
  ids: Sides,
  extra: { dir?: string; pinned?: boolean; resumptionMode?: 'psk' | 'psk-dhe' } = {},
): Promise<Pair> {
  const { crypto } = ids;
  const radio = new SimulatedRadio({ phy, connectionIntervalMs, seed: 11 });
  const centralDevice = radio.createDevice({ deviceId: CENTRAL_ID, name: 'central' });
  const peripheralDevice = radio.createDevice({ deviceId: PERIPHERAL_ID, name: 'peripheral' });
  const persist = (name: string): { sessionPersistPath?: string } => (extra.dir === undefined ? {} : { sessionPersistPath: join(extra.dir, `${name}.sessions`) });
  const pins = (key: Uint8Array): { knownPeers?: Uint8Array[] } => (extra.pinned === true ? { knownPeers: [key] } : {});
  const central = await BleTransport.create({
    identity: ids.central,
    crypto,
    link: centralDevice,
    logger: silentLogger,
    ...(extra.resumptionMode === undefined ? {} : { resumptionMode: extra.resumptionMode }),
    ...persist('central'),
    ...pins(ids.peripheral.publicKey),
  });
  const peripheral = await BleTransport.create({
    identity: ids.peripheral,
    crypto,
    link: peripheralDevice,
    logger: silentLogger,
    ...persist('peripheral'),
    ...pins(ids.central.publicKey),
  });
  return {
    radio,
    central,
    peripheral,
    async close() {
      await central.close();
      await peripheral.close();
      await radio.close();
    },
  };
}

function scenario(name: string, kind: ScenarioKind, f: ConnectFigures): ScenarioFigures {
  return {
    name,
    group: 'pqble',
    kind,
    bytesOnAirToPeripheral: f.bytesOnAirToPeripheral,
    bytesOnAirToCentral: f.bytesOnAirToCentral,
    payloadBytes: f.setupPayloadBytes,
    roundTrips: f.roundTrips,
    timeToFirstMessageMs: f.timeToFirstMessageMs,
    cpuMsCentral: f.cpuMsCentral,
    cpuMsPeripheral: f.cpuMsPeripheral,
  };
}

/** Median of CPU figures over `runs` repetitions of the same kind of setup (noise control). */
function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** pqble's own setup scenarios: full, pinned, resumed, resumed from disk, fallback. */
async function pqbleScenarios(phy: Phy, connectionIntervalMs: number, repeats: number, dir: string, crypto: CryptoProvider): Promise<ScenarioFigures[]> {
  const ids = newSides(crypto);
  const out: ScenarioFigures[] = [];

  // Full (identities unknown), then resumed, on transports that persist to disk.
  let pair = await makePair(phy, connectionIntervalMs, ids, { dir });
  const { radio } = pair;
  const full = await measureConnection(pair.central, pair.peripheral, PERIPHERAL_ID, radio.clock);
  out.push(scenario('pqble full handshake', 'full', full));
  const resumedRuns: ConnectFigures[] = [];
  for (let i = 0; i < repeats; i++) resumedRuns.push(await measureConnection(pair.central, pair.peripheral, PERIPHERAL_ID, radio.clock));
  const resumed = resumedRuns[resumedRuns.length - 1];
  out.push(
    scenario('pqble resumed (psk-dhe, the default)', 'resumed', {
      ...resumed,
      cpuMsCentral: medianOf(resumedRuns.map((r) => r.cpuMsCentral)),
      cpuMsPeripheral: medianOf(resumedRuns.map((r) => r.cpuMsPeripheral)),
    }),
  );
  await pair.close();

  // The same in psk mode (no fresh key exchange), measured the same way.
  const pskPair = await makePair(phy, connectionIntervalMs, ids, { resumptionMode: 'psk' });
  await measureConnection(pskPair.central, pskPair.peripheral, PERIPHERAL_ID, pskPair.radio.clock);
  const pskRuns: ConnectFigures[] = [];
  for (let i = 0; i < repeats; i++) pskRuns.push(await measureConnection(pskPair.central, pskPair.peripheral, PERIPHERAL_ID, pskPair.radio.clock));
  out.push(
    scenario('pqble resumed (psk)', 'resumed-psk', {
      ...pskRuns[pskRuns.length - 1],
      cpuMsCentral: medianOf(pskRuns.map((r) => r.cpuMsCentral)),
      cpuMsPeripheral: medianOf(pskRuns.map((r) => r.cpuMsPeripheral)),
    }),
  );
  await pskPair.close();

  // Both sides restarted: new transports (and radio) from the same cache files.
  pair = await makePair(phy, connectionIntervalMs, ids, { dir });
  out.push(scenario('pqble resumed from disk', 'resumed-from-disk', await measureConnection(pair.central, pair.peripheral, PERIPHERAL_ID, pair.radio.clock)));
  await pair.close();

  // The peripheral lost its cache: "cannot resume", full handshake on the same link.
  await rm(join(dir, 'peripheral.sessions'), { force: true });
  pair = await makePair(phy, connectionIntervalMs, ids, { dir });
  out.push(scenario('pqble fallback (peer lost its cache)', 'fallback', await measureConnection(pair.central, pair.peripheral, PERIPHERAL_ID, pair.radio.clock)));
  await pair.close();

  // Pinned mode: keys provisioned in advance, fingerprints instead of keys on air.
  pair = await makePair(phy, connectionIntervalMs, ids, { pinned: true });
  const pinned = await measureConnection(pair.central, pair.peripheral, PERIPHERAL_ID, pair.radio.clock, {
    peerFingerprint: bytesToHex(ids.peripheral.fingerprint),
  });
  out.push(scenario('pqble full handshake, pinned keys', 'full-pinned', pinned));
  await pair.close();
  return out;
}

/** Setup airtime on each PHY. */
async function phyFigures(connectionIntervalMs: number, crypto: CryptoProvider): Promise<PhyFigures[]> {
  const ids = newSides(crypto);
  const out: PhyFigures[] = [];
  for (const phy of PHYS) {
    let pair = await makePair(phy, connectionIntervalMs, ids);
    const full = await measureConnection(pair.central, pair.peripheral, PERIPHERAL_ID, pair.radio.clock);
    const resumed = await measureConnection(pair.central, pair.peripheral, PERIPHERAL_ID, pair.radio.clock);
    await pair.close();
    pair = await makePair(phy, connectionIntervalMs, ids, { pinned: true });
    const pinned = await measureConnection(pair.central, pair.peripheral, PERIPHERAL_ID, pair.radio.clock, {
      peerFingerprint: bytesToHex(ids.peripheral.fingerprint),
    });
    await pair.close();
    out.push({ phy, fullHandshakeMs: full.airtimeMs, fullHandshakePinnedMs: pinned.airtimeMs, resumedMs: resumed.airtimeMs });
  }
  return out;
}

/** Time to push `totalBytes` one way as raw max-size link packets: the link's payload capacity. */
async function rawLinkCapacity(phy: Phy, connectionIntervalMs: number, totalBytes: number): Promise<number> {
  const radio = new SimulatedRadio({ phy, connectionIntervalMs, seed: 3 });
  const a = radio.createDevice({ deviceId: CENTRAL_ID });
  const b = radio.createDevice({ deviceId: PERIPHERAL_ID });
  const accepted = new Promise<Link>((resolve) => b.onIncoming(resolve));
  const link = await a.connect(PERIPHERAL_ID);
  const peer = await accepted;
  let received = 0;
  let doneAt = 0;
  const done = new Promise<void>((resolve) => {
    peer.onPacket((p) => {
      received += p.length;
      if (received >= totalBytes) {
        doneAt = radio.clock.now();
        resolve();
      }
    });
  });
  const start = radio.clock.now();
  const packet = new Uint8Array(link.maxPayloadBytes);
  for (let sent = 0; sent < totalBytes; sent += packet.length) await link.send(packet);
  await done;
  await radio.close();
  return (received / (doneAt - start)) * 1000;
}

/** Goodput of `count` messages of `messageBytes` over an established secure connection. */
async function goodput(phy: Phy, connectionIntervalMs: number, messageBytes: number, count: number, crypto: CryptoProvider): Promise<GoodputFigures> {
  const pair = await makePair(phy, connectionIntervalMs, newSides(crypto));
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
  const linkPayloadBytesPerSecond = await rawLinkCapacity(phy, connectionIntervalMs, messageBytes * count);
  return {
    messageBytes,
    messages: count,
    goodputBytesPerSecond,
    linkPayloadBytesPerSecond,
    percentOfLinkCapacity: (goodputBytesPerSecond / linkPayloadBytesPerSecond) * 100,
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
  for (const [group, label] of [
    ['tls13', 'TLS 1.3'],
    ['tls13-pq', 'hybrid PQ TLS 1.3'],
  ] as const) {
    const tls = find(group, 'resumed');
    if (tls === undefined) continue;
    ratios[`${label} resumed / pqble resumed, bytes on air`] = bytes(tls) / bytes(resumed);
    ratios[`${label} resumed / pqble resumed, ATT payload bytes`] = tls.payloadBytes / resumed.payloadBytes;
    ratios[`${label} resumed / pqble resumed, time to first message`] = tls.timeToFirstMessageMs / resumed.timeToFirstMessageMs;
    if (psk !== undefined) ratios[`${label} resumed / pqble resumed (psk), ATT payload bytes`] = tls.payloadBytes / psk.payloadBytes;
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
  try {
    step('pqble: full, resumed, from disk, fallback, pinned');
    const scenarios: ScenarioFigures[] = await pqbleScenarios(phy, connectionIntervalMs, quick ? 5 : 25, dir, crypto);
    step('TLS 1.3 over the same radio');
    if (options.skipTls !== true) {
      try {
        scenarios.push(...(await runTlsBaseline({ phy, connectionIntervalMs })));
      } catch (err) {
        notes.push(`TLS 1.3 baseline failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      step('hybrid post-quantum TLS 1.3');
      const pq = await pqTlsAvailable();
      if (pq.available) {
        try {
          scenarios.push(...(await runTlsBaseline({ phy, connectionIntervalMs, postQuantum: true })));
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
    const goodputFigures = await goodput(phy, connectionIntervalMs, 10_240, quick ? 4 : 16, crypto);
    step('session cache at 100,000 entries');
    const cache = await cacheFigures(100_000, dir);
    // --- link rows (src/bench/link.ts) ---
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
      scenarios,
      phys,
      goodput: goodputFigures,
      cache,
      ratios: ratiosOf(scenarios),
      notes,
      link,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
