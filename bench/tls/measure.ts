/**
 * The TLS 1.3 baseline measurement itself (docs/benchmarks-tls.md "Method"): Node's `tls`
 * module, client on the central and server on the peripheral of a simulated BLE link, a full
 * handshake and then a ticket resumption, each measured for bytes on air, ATT payload bytes,
 * round trips, simulated time to the first application byte, and CPU per side.
 *
 * This module runs in whatever Node executes it; the hybrid post-quantum variant needs
 * Node >= 24 (OpenSSL 3.5) and is started in a child process by `./index.ts` when the
 * current Node is older.
 *
 * @module
 */

import { constants as cryptoConstants } from 'node:crypto';
import { setImmediate as nextImmediate } from 'node:timers/promises';
import tls from 'node:tls';
import type { Clock } from '../../src/clock.js';
import { systemClock, withDeadline } from '../../src/clock.js';
import { AbortError, LinkError, PqbleError, TimeoutError } from '../../src/errors.js';
import type { Link } from '../../src/link/types.js';
import { SimulatedRadio, type Phy } from '../../src/radio/index.js';
import { radioEnergyMicrojoules } from '../energy.js';
import { establishmentMsOf, median } from '../pqble.js';
import { SideCpuMeter, meterClockTurns, meterEndpoint, type SideCpuTotals } from '../side-cpu.js';
import type { ScenarioFigures, ScenarioGroup, ScenarioKind, TlsHelloFacts } from '../types.js';
import { LinkDuplex, type TlsChunkRecord } from './bridge.js';
import { parseHellos } from './wire.js';
import { ECDSA_P256_CERT_PEM, ECDSA_P256_KEY_PEM, FIXTURE_SERVER_NAME, MLDSA65_CERT_PEM, MLDSA65_KEY_PEM } from './fixtures.js';

/** BLE PHY of the simulated link (the radio's {@link Phy}). */
export type TlsBaselinePhy = Phy;

/** Resolved options of one measurement (every field set). */
export interface TlsMeasureSettings {
  readonly phy: TlsBaselinePhy;
  readonly connectionIntervalMs: number;
  readonly postQuantum: boolean;
  /** Measured repetitions per scenario after one warm-up run; figures are medians. */
  readonly samples: number;
  /** ATT MTU both devices offer; undefined: the radio's default (247). */
  readonly attMtu?: number | undefined;
}

/**
 * OpenSSL's `SSL_OP_ALLOW_NO_DHE_KEX`: a TLS 1.3 client also offers `psk_ke`, a server may
 * resume without a key exchange. (`SSL_OP_PREFER_NO_DHE_KEX`, bit 35, cannot be set: Node
 * passes `secureOptions` to OpenSSL as 32 bits.)
 */
const SSL_OP_ALLOW_NO_DHE_KEX: number = cryptoConstants.SSL_OP_ALLOW_NO_DHE_KEX;

/** Default number of measured repetitions per scenario (after one warm-up). */
export const DEFAULT_SAMPLES = 5;

/** Wall-clock safety limit of one TLS run (it normally takes milliseconds). */
const RUN_TIMEOUT_MS = 60_000;

/** Fixed session-ticket keys of the server (48 bytes), so every run's server accepts every ticket. */
const TICKET_KEYS = Buffer.alloc(48, 0x42);

/** The first application message the client sends once the handshake allows it. */
const APP_MESSAGE = Buffer.from([0x01]);

interface Variant {
  readonly group: ScenarioGroup;
  readonly label: string;
  readonly curve: string;
  readonly keyPem: string;
  readonly certPem: string;
  /** The psk_ke server's only group: one the client does not offer, so it cannot pick psk_dhe_ke. */
  readonly pskKeServerCurve: string;
}

const CLASSIC: Variant = {
  group: 'tls13',
  label: 'TLS 1.3',
  curve: 'X25519',
  keyPem: ECDSA_P256_KEY_PEM,
  certPem: ECDSA_P256_CERT_PEM,
  pskKeServerCurve: 'P-256',
};
const HYBRID_PQ: Variant = {
  group: 'tls13-pq',
  label: 'TLS 1.3 hybrid PQ',
  curve: 'X25519MLKEM768',
  keyPem: MLDSA65_KEY_PEM,
  certPem: MLDSA65_CERT_PEM,
  pskKeServerCurve: 'X25519',
};

/**
 * Whether this Node can run the hybrid post-quantum variant in process: TLS with the
 * X25519MLKEM768 group and an ML-DSA-65 certificate (Node >= 24 with OpenSSL >= 3.5).
 * Returns `undefined` if it can, else the reason it cannot.
 */
export function pqTlsUnsupportedReason(): string | undefined {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) return `Node ${process.versions.node} is older than 24`;
  try {
    tls.createSecureContext({ minVersion: 'TLSv1.3', ecdhCurve: HYBRID_PQ.curve, key: HYBRID_PQ.keyPem, cert: HYBRID_PQ.certPem });
  } catch (err) {
    return `Node ${process.versions.node} (OpenSSL ${process.versions.openssl ?? '?'}) cannot set up X25519MLKEM768 with an ML-DSA-65 certificate: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

/** How a run connects: a full handshake, or a ticket resumption in one PSK key exchange mode. */
export type TlsRunMode = 'full' | 'psk_dhe_ke' | 'psk_ke';

/** What one TLS connection over a fresh simulated link produced. */
interface RunResult {
  readonly bytesOnAirToPeripheral: number;
  readonly bytesOnAirToCentral: number;
  readonly payloadBytes: number;
  readonly roundTrips: number;
  /** Simulated ms from `tls.connect()` to the server receiving the first application byte (NaN if none was sent). */
  readonly timeToFirstMessageMs: number;
  readonly cpuMsClient: number;
  readonly cpuMsServer: number;
  readonly airtimeToPeripheralMs: number;
  readonly airtimeToCentralMs: number;
  readonly energyClient: number;
  readonly energyServer: number;
  readonly connectionEstablishmentMs: number;
  /** Simulated ms from the link's `connect()` call to the server receiving the first application byte (NaN if none was sent). */
  readonly reconnectMs: number;
  readonly reused: boolean;
  readonly hello: TlsHelloFacts | undefined;
  /** The last session (ticket) the client received, if any. */
  readonly session: Buffer | undefined;
}

/** Client->server->client cycles among the chunks written before the client could send data. */
export function countRoundTrips(chunks: readonly TlsChunkRecord[]): number {
  let trips = 0;
  let last: 'client' | 'server' | undefined;
  for (const chunk of chunks) {
    if (chunk.from === 'server' && last === 'client') trips++;
    last = chunk.from;
  }
  return trips;
}

/**
 * Waits until nothing is in flight on the link (every packet sent was received, no write
 * is still being handed to the radio) and nothing changed for a number of event-loop turns,
 * so post-handshake messages (session tickets) are included.
 */
async function settle(central: Link, peripheral: Link, duplexes: readonly LinkDuplex[], signal: AbortSignal | undefined): Promise<void> {
  let stableTurns = 0;
  let last = '';
  const started = performance.now();
  while (stableTurns < 25) {
    if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason });
    if (!central.isOpen || !peripheral.isOpen) throw new LinkError('PQBLE_ERR_DISCONNECTED', 'the link closed during the TLS baseline run');
    if (performance.now() - started > RUN_TIMEOUT_MS) throw new TimeoutError(`the link did not go quiet within ${RUN_TIMEOUT_MS} ms`);
    await nextImmediate();
    const a = central.stats();
    const b = peripheral.stats();
    const busy = a.packetsSent !== b.packetsReceived || b.packetsSent !== a.packetsReceived || duplexes.some((d) => d.pendingWrites > 0);
    const key = `${a.packetsSent}/${a.packetsReceived}/${b.packetsSent}/${b.packetsReceived}`;
    stableTurns = !busy && key === last ? stableTurns + 1 : 0;
    last = key;
  }
}

/** The server's and the client's TLS settings for `mode` (see docs/benchmarks-tls.md "PSK key exchange modes"). */
function contexts(variant: Variant, mode: TlsRunMode): { server: tls.TlsOptions; client: tls.SecureContext } {
  const pskKe = mode === 'psk_ke';
  const secureOptions = pskKe ? { secureOptions: SSL_OP_ALLOW_NO_DHE_KEX } : {};
  return {
    server: {
      key: variant.keyPem,
      cert: variant.certPem,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      // psk_ke: a server that offers the client no common group resumes without a key exchange.
      ecdhCurve: pskKe ? variant.pskKeServerCurve : variant.curve,
      ticketKeys: TICKET_KEYS,
      ...secureOptions,
    },
    client: tls.createSecureContext({ ca: variant.certPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: variant.curve, ...secureOptions }),
  };
}

/**
 * One TLS connection over a freshly connected simulated link.
 * @param sendAppData - true: the client writes one application byte as soon as it may, and
 *   the run ends when the server received it (time figure). false: no application data; the
 *   run ends when the link is quiet (byte, CPU and energy figures of the setup alone).
 */
async function runOnce(
  variant: Variant,
  settings: TlsMeasureSettings,
  mode: TlsRunMode,
  session: Buffer | undefined,
  sendAppData: boolean,
  signal: AbortSignal | undefined,
): Promise<RunResult> {
  const radio = new SimulatedRadio({
    phy: settings.phy,
    connectionIntervalMs: settings.connectionIntervalMs,
    ...(settings.attMtu === undefined ? {} : { attMtu: settings.attMtu }),
  });
  const clock: Clock = radio.clock;
  const meter = new SideCpuMeter();
  const restoreClock = meterClockTurns(clock, meter);
  const sockets: { destroy(): unknown }[] = [];
  try {
    const central = meterEndpoint(radio.createDevice({ name: 'tls-client' }), 'central', meter);
    const peripheral = meterEndpoint(radio.createDevice({ name: 'tls-server' }), 'peripheral', meter);
    const accepted = new Promise<Link>((resolve) => {
      const off = peripheral.onIncoming((link) => {
        off();
        resolve(link);
      });
    });
    const calledAt = clock.now();
    const clientLink = await central.connect(peripheral.deviceId, { signal });
    const serverLink = await accepted;
    const before = clientLink.stats();

    const log: TlsChunkRecord[] = [];
    const clientDuplex = new LinkDuplex({ link: clientLink, side: 'client', clock, log });
    const serverDuplex = new LinkDuplex({ link: serverLink, side: 'server', clock, log });
    sockets.push(clientDuplex, serverDuplex);

    // Built before the clock starts: a long-lived server and client reuse them.
    const { server: serverOptions, client: clientContext } = contexts(variant, mode);
    const server = tls.createServer(serverOptions);

    let t0 = 0;
    let roundTrips = -1;
    let timeToFirstMessageMs = Number.NaN;
    let reconnectMs = Number.NaN;
    let lastSession: Buffer | undefined;
    let clientSecure = false;
    let serverSecure = false;
    let serverReceived = false;
    let client: tls.TLSSocket | undefined;
    let cpu: SideCpuTotals | undefined;

    const done = new Promise<void>((resolve, reject) => {
      const fail = (err: unknown): void => reject(new PqbleError('PQBLE_ERR_INTERNAL', `${variant.label} baseline connection failed`, { cause: err }));
      const check = (): void => {
        if (clientSecure && serverSecure && cpu === undefined) cpu = meter.totals();
        if (sendAppData ? serverReceived : clientSecure && serverSecure) resolve();
      };
      server.on('tlsClientError', fail);
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        sockets.push(socket);
        serverSecure = true;
        socket.on('error', fail);
        socket.once('data', () => {
          timeToFirstMessageMs = clock.now() - t0;
          reconnectMs = clock.now() - calledAt;
          serverReceived = true;
          check();
        });
        check();
      });
      t0 = clock.now();
      meter.reset();
      meter.enter('peripheral');
      server.emit('connection', serverDuplex);
      meter.enter('central');
      const socket = tls.connect({
        socket: clientDuplex,
        secureContext: clientContext,
        // No SNI: a BLE peer has one identity and no virtual hosting. The server's
        // certificate is still checked against the name it carries.
        servername: '',
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(FIXTURE_SERVER_NAME, cert),
        ...(session === undefined ? {} : { session }),
      });
      client = socket;
      sockets.push(socket);
      socket.on('error', fail);
      socket.on('session', (s: Buffer) => {
        lastSession = s;
      });
      socket.once('secureConnect', () => {
        clientSecure = true;
        roundTrips = countRoundTrips(log);
        if (sendAppData) socket.write(APP_MESSAGE);
        check();
      });
    });

    await withDeadline(systemClock, done, { timeoutMs: RUN_TIMEOUT_MS, signal, what: `${variant.label} baseline run` });
    if (!sendAppData) await settle(clientLink, serverLink, [clientDuplex, serverDuplex], signal);
    const reused = client?.isSessionReused() ?? false;
    const c = clientLink.stats();
    const firstClient = log.find((r) => r.from === 'client');
    const firstServer = log.find((r) => r.from === 'server');
    const totals = cpu ?? meter.totals();
    return {
      bytesOnAirToPeripheral: c.bytesOnAirSent - before.bytesOnAirSent,
      bytesOnAirToCentral: c.bytesOnAirReceived - before.bytesOnAirReceived,
      payloadBytes: c.bytesSent - before.bytesSent + (c.bytesReceived - before.bytesReceived),
      roundTrips,
      timeToFirstMessageMs,
      cpuMsClient: totals.centralMs,
      cpuMsServer: totals.peripheralMs,
      airtimeToPeripheralMs: c.airtimeSentMs - before.airtimeSentMs,
      airtimeToCentralMs: c.airtimeReceivedMs - before.airtimeReceivedMs,
      energyClient: radioEnergyMicrojoules({ txMs: c.airtimeSentMs - before.airtimeSentMs, rxMs: c.airtimeReceivedMs - before.airtimeReceivedMs }),
      // What the client received, the server sent, and the other way round.
      energyServer: radioEnergyMicrojoules({ txMs: c.airtimeReceivedMs - before.airtimeReceivedMs, rxMs: c.airtimeSentMs - before.airtimeSentMs }),
      connectionEstablishmentMs: establishmentMsOf(c),
      reconnectMs,
      reused,
      hello: firstClient?.data === undefined || firstServer?.data === undefined ? undefined : parseHellos(firstClient.data, firstServer.data),
      session: lastSession,
    };
  } finally {
    for (const s of sockets) s.destroy();
    await radio.close();
    restoreClock();
  }
}

/** Rounds a CPU figure to microseconds. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

const KIND: Readonly<Record<TlsRunMode, ScenarioKind>> = { full: 'full', psk_dhe_ke: 'resumed-psk_dhe_ke', psk_ke: 'resumed-psk_ke' };

/** Checks that the wire shows what `mode` should: the ticket accepted or not, a key share or not. */
function checkHello(variant: Variant, mode: TlsRunMode, hello: TlsHelloFacts | undefined): TlsHelloFacts {
  const what = `${variant.label} ${mode}`;
  if (hello === undefined) throw new PqbleError('PQBLE_ERR_INTERNAL', `${what}: could not parse the ClientHello / ServerHello`);
  const ok =
    mode === 'full'
      ? hello.serverKeyShare && !hello.serverAcceptedPsk
      : hello.serverAcceptedPsk && hello.offeredPskModes.includes(mode) && hello.serverKeyShare === (mode === 'psk_dhe_ke');
  if (!ok) throw new PqbleError('PQBLE_ERR_INTERNAL', `${what}: the hellos on the wire do not show ${mode} (${JSON.stringify(hello)})`);
  return hello;
}

function row(variant: Variant, mode: TlsRunMode, kind: ScenarioKind, runs: readonly RunResult[], timed: RunResult): ScenarioFigures {
  const last = runs[runs.length - 1];
  const name =
    kind === 'full-cold'
      ? `${variant.label} full handshake, cold (first in the process)`
      : mode === 'full'
        ? `${variant.label} full handshake`
        : `${variant.label} ticket resumption (${mode})`;
  return {
    name,
    group: variant.group,
    kind,
    bytesOnAirToPeripheral: Math.round(median(runs.map((r) => r.bytesOnAirToPeripheral))),
    bytesOnAirToCentral: Math.round(median(runs.map((r) => r.bytesOnAirToCentral))),
    payloadBytes: Math.round(median(runs.map((r) => r.payloadBytes))),
    roundTrips: Math.round(median(runs.map((r) => r.roundTrips))),
    timeToFirstMessageMs: roundMs(timed.timeToFirstMessageMs),
    cpuMsCentral: roundMs(median(runs.map((r) => r.cpuMsClient))),
    cpuMsPeripheral: roundMs(median(runs.map((r) => r.cpuMsServer))),
    cpuSamples: runs.length,
    // The link establishment and the whole reconnect of the timed run (the one that sends data).
    connectionEstablishmentMs: timed.connectionEstablishmentMs,
    reconnectMs: roundMs(timed.reconnectMs),
    gattDatabase: 'discovered',
    airtimeToPeripheralMs: last.airtimeToPeripheralMs,
    airtimeToCentralMs: last.airtimeToCentralMs,
    radioEnergyMicrojoules: { central: last.energyClient, peripheral: last.energyServer },
    tlsHello: checkHello(variant, mode, last.hello),
  };
}

/**
 * Runs one scenario: `samples` setup-only runs after one warm-up (bytes, round trips, CPU:
 * medians; the warm-up of a cold process is reported as `full-cold` when `coldRow`), then
 * one timed run.
 */
async function measureScenario(
  variant: Variant,
  settings: TlsMeasureSettings,
  mode: TlsRunMode,
  session: Buffer | undefined,
  coldRow: boolean,
  signal: AbortSignal | undefined,
): Promise<{ rows: ScenarioFigures[]; session: Buffer | undefined }> {
  const runs: RunResult[] = [];
  let warmUp: RunResult | undefined;
  for (let i = 0; i <= settings.samples; i++) {
    const run = await runOnce(variant, settings, mode, session, false, signal);
    if (run.reused !== (session !== undefined)) {
      throw new PqbleError('PQBLE_ERR_INTERNAL', `${variant.label}: expected ${mode === 'full' ? 'a full handshake' : 'a resumed session'}, got the other`);
    }
    if (i === 0)
      warmUp = run; // run 0 warms up OpenSSL and the JIT
    else runs.push(run);
  }
  const timed = await runOnce(variant, settings, mode, session, true, signal);
  const rows: ScenarioFigures[] = [];
  if (coldRow && warmUp !== undefined) rows.push(row(variant, mode, 'full-cold', [warmUp], timed));
  rows.push(row(variant, mode, KIND[mode], runs, timed));
  return { rows, session: runs.at(-1)?.session };
}

/**
 * Measures the chosen TLS 1.3 variant in this process: `[full-cold, full, resumed-psk_dhe_ke, resumed-psk_ke]`.
 * The hybrid post-quantum variant needs {@link pqTlsUnsupportedReason} to return undefined.
 * @param settings - resolved settings (see {@link TlsMeasureSettings})
 * @param signal - cancels the measurement (`PQBLE_ERR_ABORTED`)
 */
export async function measureTlsHere(settings: TlsMeasureSettings, signal?: AbortSignal): Promise<ScenarioFigures[]> {
  const variant = settings.postQuantum ? HYBRID_PQ : CLASSIC;
  const full = await measureScenario(variant, settings, 'full', undefined, true, signal);
  if (full.session === undefined) throw new PqbleError('PQBLE_ERR_INTERNAL', `${variant.label}: the server issued no session ticket`);
  const dhe = await measureScenario(variant, settings, 'psk_dhe_ke', full.session, false, signal);
  const ke = await measureScenario(variant, settings, 'psk_ke', full.session, false, signal);
  return [...full.rows, ...dhe.rows, ...ke.rows];
}
