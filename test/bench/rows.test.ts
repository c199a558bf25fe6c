// Bench row shapes and invariants (bench/; docs/benchmarks.md): pqble's rows, the side CPU
// meter, the energy model and the TLS hello parser. Shapes and relations, never timings.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nobleCrypto } from '../../src/crypto/index.js';
import { NRF52840_DCDC_3V, radioEnergyMicrojoules } from '../../bench/energy.js';
import { pqbleScenarios } from '../../bench/pqble.js';
import { bestRawPacketBytes, measureGoodput } from '../../bench/index.js';
import { SideCpuMeter, meterEndpoint, meterLink } from '../../bench/side-cpu.js';
import { SimulatedRadio } from '../../src/radio/index.js';
import { runSweep } from '../../bench/sweep.js';
import { renderSweepChart } from '../../bench/cli/bench-sweep.js';
import { parseHellos } from '../../bench/tls/wire.js';
import type { ScenarioFigures } from '../../bench/types.js';
import type { Link } from '../../src/link/types.js';

describe('pqble bench rows', () => {
  let rows: ScenarioFigures[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pqble-bench-rows-'));
  before(async () => {
    rows = await pqbleScenarios({ phy: 'coded', connectionIntervalMs: 30 }, 5, dir, nobleCrypto, NRF52840_DCDC_3V);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const row = (kind: string): ScenarioFigures => {
    const r = rows.find((s) => s.kind === kind);
    assert.ok(r !== undefined, kind);
    return r;
  };

  it('has the cold first connection as a row of its own, and warm medians of >= 5 samples elsewhere', () => {
    assert.deepEqual(
      rows.map((r) => r.kind),
      ['full-cold', 'full', 'resumed', 'resumed-psk', 'resumed-from-disk', 'fallback', 'full-pinned'],
    );
    assert.equal(row('full-cold').cpuSamples, 1);
    for (const r of rows.filter((s) => s.kind !== 'full-cold')) assert.ok(r.cpuSamples >= 5, `${r.kind}: ${r.cpuSamples}`);
  });

  it('every row carries CPU per side (whole stack, > 0), connectionEstablishmentMs and energy per side', () => {
    for (const r of rows) {
      assert.ok(r.cpuMsCentral > 0 && r.cpuMsPeripheral > 0, `${r.kind} cpu`);
      assert.equal(typeof r.connectionEstablishmentMs, 'number');
      assert.ok(r.connectionEstablishmentMs >= 0);
      assert.ok(r.radioEnergyMicrojoules.central > 0 && r.radioEnergyMicrojoules.peripheral > 0, `${r.kind} energy`);
    }
  });

  it('every row carries a non-zero link establishment (GATT discovered) and the whole reconnect = its parts', () => {
    for (const r of rows) {
      assert.ok(r.connectionEstablishmentMs > 0, `${r.kind}: establishment ${r.connectionEstablishmentMs}`);
      assert.equal(r.gattDatabase, 'discovered');
      // reconnectMs is read off the clock from the connectToDevice() call, not summed
      assert.ok(
        Math.abs(r.reconnectMs - (r.connectionEstablishmentMs + r.timeToFirstMessageMs)) < 1e-6,
        `${r.kind}: ${r.reconnectMs} vs ${r.connectionEstablishmentMs} + ${r.timeToFirstMessageMs}`,
      );
    }
  });

  it('the resumed rows also show the reconnect with a cached GATT database: shorter establishment, same setup', () => {
    for (const kind of ['resumed', 'resumed-psk']) {
      const r = row(kind);
      const cached = r.cachedGatt;
      assert.ok(cached !== undefined, kind);
      assert.ok(
        cached.connectionEstablishmentMs > 0 && cached.connectionEstablishmentMs < r.connectionEstablishmentMs,
        `${kind}: ${cached.connectionEstablishmentMs} < ${r.connectionEstablishmentMs}`,
      );
      assert.ok(Math.abs(cached.reconnectMs - (cached.connectionEstablishmentMs + cached.timeToFirstMessageMs)) < 1e-6);
      assert.ok(Math.abs(cached.timeToFirstMessageMs - r.timeToFirstMessageMs) < 1, `${kind}: ${cached.timeToFirstMessageMs} ~ ${r.timeToFirstMessageMs}`);
    }
    for (const r of rows.filter((s) => s.kind !== 'resumed' && s.kind !== 'resumed-psk')) assert.equal(r.cachedGatt, undefined, r.kind);
  });

  it('energy is TX and RX airtime times the nRF52840 currents at 3 V', () => {
    for (const r of rows) {
      const c = 3 * (4.8 * r.airtimeToPeripheralMs + 4.6 * r.airtimeToCentralMs);
      const p = 3 * (4.8 * r.airtimeToCentralMs + 4.6 * r.airtimeToPeripheralMs);
      assert.ok(Math.abs(r.radioEnergyMicrojoules.central - c) < 1e-6, `${r.kind} central`);
      assert.ok(Math.abs(r.radioEnergyMicrojoules.peripheral - p) < 1e-6, `${r.kind} peripheral`);
    }
    const ratio = (r: ScenarioFigures): number =>
      (r.radioEnergyMicrojoules.central + r.radioEnergyMicrojoules.peripheral) / (r.airtimeToPeripheralMs + r.airtimeToCentralMs);
    // every ms of airtime is one side's TX and the other's RX: both sides' energy is 3 V × (4.8 + 4.6) mA per ms
    for (const r of rows) assert.ok(Math.abs(ratio(r) - 28.2) < 1e-9, `${r.kind} ${ratio(r)}`);
    assert.ok(row('full').radioEnergyMicrojoules.central > 20 * row('resumed').radioEnergyMicrojoules.central);
  });

  it('psk resumption moves fewer bytes and less energy than psk-dhe; bytes are those of the protocol', () => {
    assert.equal(row('resumed-psk').payloadBytes, 99);
    assert.equal(row('resumed').payloadBytes, 163);
    assert.equal(row('resumed-from-disk').payloadBytes, 163);
    assert.ok(row('resumed-psk').radioEnergyMicrojoules.central < row('resumed').radioEnergyMicrojoules.central);
    assert.equal(row('full').payloadBytes, row('full-cold').payloadBytes);
    assert.ok(row('full-pinned').payloadBytes < row('full').payloadBytes);
    assert.ok(row('fallback').roundTrips > row('full').roundTrips);
  });
});

describe('side CPU meter', () => {
  /** Burns `ms` of process CPU time. */
  const spin = (ms: number): void => {
    const start = process.cpuUsage();
    for (;;) {
      const d = process.cpuUsage(start);
      if (d.user + d.system >= ms * 1000) return;
    }
  };
  it('attributes CPU to the side whose turn it is, and radio turns to neither', () => {
    const meter = new SideCpuMeter();
    meter.reset();
    meter.enter('central');
    spin(20);
    meter.turn();
    spin(5);
    meter.enter('peripheral');
    spin(10);
    const t = meter.totals();
    assert.ok(t.centralMs > t.peripheralMs, JSON.stringify(t));
    assert.ok(t.peripheralMs > t.radioMs, JSON.stringify(t));
    assert.ok(t.centralMs >= 20 && t.peripheralMs >= 10 && t.radioMs >= 5, JSON.stringify(t));
    meter.reset();
    const z = meter.totals();
    assert.ok(z.centralMs === 0 && z.peripheralMs === 0);
  });
});

describe('radio energy', () => {
  it('is V × (I_TX × t_TX + I_RX × t_RX) and rejects bad airtime', () => {
    assert.equal(radioEnergyMicrojoules({ txMs: 0, rxMs: 0 }), 0);
    assert.ok(Math.abs(radioEnergyMicrojoules({ txMs: 10, rxMs: 0 }) - 144) < 1e-9);
    assert.ok(Math.abs(radioEnergyMicrojoules({ txMs: 0, rxMs: 10 }) - 138) < 1e-9);
    assert.equal(radioEnergyMicrojoules({ txMs: 2, rxMs: 0 }, { name: 'x', supplyVolts: 1, txMilliamps: 1, rxMilliamps: 1 }), 2);
    assert.throws(() => radioEnergyMicrojoules({ txMs: -1, rxMs: 0 }), RangeError);
    assert.throws(() => radioEnergyMicrojoules({ txMs: 0, rxMs: Number.NaN }), RangeError);
  });
});

describe('TLS hello parser', () => {
  const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
  // A ClientHello record: psk_key_exchange_modes [psk_dhe_ke, psk_ke], key_share with one 4-byte entry.
  const body = (exts: string): string =>
    `0303${'00'.repeat(32)}00 0002 1301 0100 ${(exts.replace(/\s/g, '').length / 2).toString(16).padStart(4, '0')} ${exts}`;
  const record = (type: number, msg: string): Uint8Array => {
    const m = msg.replace(/\s/g, '');
    const hs = `${type.toString(16).padStart(2, '0')}${(m.length / 2).toString(16).padStart(6, '0')}${m}`;
    return hex(`16 0301 ${(hs.length / 2).toString(16).padStart(4, '0')} ${hs}`);
  };
  const clientHello = record(1, body('002d 0003 02 01 00   0033 000a 0008 001d 0004 01020304'));
  const serverBody = (exts: string): string => `0303${'00'.repeat(32)}00 1301 00 ${(exts.replace(/\s/g, '').length / 2).toString(16).padStart(4, '0')} ${exts}`;

  it('reads the offered modes, the client key_share size and what the server chose', () => {
    const ke = parseHellos(clientHello, record(2, serverBody('0029 0002 0000')));
    assert.deepEqual(ke, { offeredPskModes: ['psk_dhe_ke', 'psk_ke'], clientKeyShareBytes: 14, serverKeyShare: false, serverAcceptedPsk: true });
    const dhe = parseHellos(clientHello, record(2, serverBody('0033 0008 001d 0004 01020304  0029 0002 0000')));
    assert.equal(dhe?.serverKeyShare, true);
  });

  it('returns undefined for truncated or foreign bytes, never throws', () => {
    assert.equal(parseHellos(new Uint8Array(0), new Uint8Array(0)), undefined);
    for (let cut = 0; cut < clientHello.length; cut += 7) assert.equal(parseHellos(clientHello.subarray(0, cut), clientHello), undefined);
    for (let i = 0; i < 200; i++) parseHellos(nobleCrypto.randomBytes(i), nobleCrypto.randomBytes(200 - i));
  });
});

describe('operating point sweep', () => {
  it('runs the grid on the public radio options; a smaller MTU or a longer interval never speeds a setup up on the same PHY', async () => {
    const report = await runSweep({ phys: ['1m'], connectionIntervalsMs: [15, 100], attMtus: [23, 247], crypto: nobleCrypto });
    assert.equal(report.points.length, 4);
    const at = (i: number, m: number) => report.points.find((p) => p.connectionIntervalMs === i && p.attMtu === m)!;
    assert.ok(at(15, 23).fullHandshake.timeToFirstMessageMs > at(15, 247).fullHandshake.timeToFirstMessageMs);
    assert.ok(at(100, 247).resumed.timeToFirstMessageMs > at(15, 247).resumed.timeToFirstMessageMs);
    for (const p of report.points) assert.ok(p.resumed.radioEnergyMicrojoules < p.fullHandshake.radioEnergyMicrojoules);
    await assert.rejects(runSweep({ attMtus: [22] }), RangeError);
    // fixed vs airtime-aware packets: never slower; on LE Coded at 30 ms and MTU 247 one 251-byte PDU fills an event
    const coded = await runSweep({ phys: ['coded'], connectionIntervalsMs: [30], attMtus: [247], crypto: nobleCrypto });
    const [c] = coded.points;
    assert.ok(
      c.fullHandshake.timeToFirstMessageMs < 0.8 * c.fullHandshakeFixedPackets.timeToFirstMessageMs,
      `${c.fullHandshake.timeToFirstMessageMs} vs ${c.fullHandshakeFixedPackets.timeToFirstMessageMs}`,
    );
    for (const p of [...report.points, c]) {
      assert.ok(p.fullHandshake.timeToFirstMessageMs <= p.fullHandshakeFixedPackets.timeToFirstMessageMs);
      assert.ok(p.fullHandshake.connectionEstablishmentMs > 0);
      assert.ok(Math.abs(p.fullHandshake.reconnectMs - p.fullHandshake.connectionEstablishmentMs - p.fullHandshake.timeToFirstMessageMs) < 1e-6);
    }
    const svg = renderSweepChart(coded);
    assert.match(svg, /MTU 247 · full-size/);
    assert.match(svg, /full-size packets/);
    await assert.rejects(runSweep({ phyz: [] } as never), TypeError);
  });
});

describe('metered links', () => {
  it('pass through every member they do not wrap, also ones the Link interface may gain (radio timing)', async () => {
    const radio = new SimulatedRadio({ phy: '1m' });
    try {
      const meter = new SideCpuMeter();
      const a = meterEndpoint(radio.createDevice({ deviceId: 'aa0000000001' }), 'central', meter);
      const b = meterEndpoint(radio.createDevice({ deviceId: 'bb0000000002' }), 'peripheral', meter);
      const accepted = new Promise<Link>((resolve) => b.onIncoming(resolve));
      const link = await a.connect('bb0000000002');
      const peer = await accepted;
      assert.equal(a.deviceId, 'aa0000000001');
      assert.equal(link.peerDeviceId, 'bb0000000002');
      assert.equal(link.maxPayloadBytes, link.attMtu - 3);
      assert.equal(link.isOpen, true);
      assert.equal(link.role, 'central');
      assert.equal(peer.role, 'peripheral');
      // a member the wrapper does not know about (here the radio's timing) is the link's own
      assert.ok(link.timing !== undefined, 'the simulated radio tells its timing');
      assert.deepEqual(meterLink(link, 'central', meter).timing, link.timing);
      const got = new Promise<Uint8Array>((resolve) => peer.onPacket(resolve));
      await link.send(Uint8Array.of(1, 2, 3));
      assert.deepEqual(await got, Uint8Array.of(1, 2, 3));
      assert.equal(link.stats().bytesSent, 3);
      assert.equal(peer.stats().bytesReceived, 3);
      await link.close();
      assert.equal(link.isOpen, false);
    } finally {
      await radio.close();
    }
  });
});

describe('goodput against the link capacity', () => {
  it('the capacity uses the best packet size for the link, so the secure link never exceeds 100 % (LE Coded 30 ms, MTU 247 and 23)', async () => {
    const big = await measureGoodput({ phy: 'coded', connectionIntervalMs: 30, attMtu: 247 }, 10_240, 2, nobleCrypto);
    // one 244-byte value fills a 30 ms LE Coded event; 200-byte values fit two
    assert.equal(big.linkPacketBytes, bestRawPacketBytes({ phy: 'coded', connectionIntervalMs: 30, maxLlPayloadBytes: 251 }, 244, 20_480));
    assert.ok(big.linkPacketBytes < 244, `${big.linkPacketBytes}`);
    assert.ok(big.percentOfLinkCapacity > 50 && big.percentOfLinkCapacity <= 100, `${big.percentOfLinkCapacity}`);
    assert.ok(big.framingOnlyPercent.compact <= 100);
    const small = await measureGoodput({ phy: 'coded', connectionIntervalMs: 30, attMtu: 23 }, 10_240, 1, nobleCrypto);
    assert.equal(small.attMtu, 23);
    assert.ok(small.percentOfLinkCapacity <= 100, `${small.percentOfLinkCapacity}`);
    // 2-byte compact continuation headers against the 4-byte version-0 ones in 20-byte packets
    assert.ok(small.framingOnlyPercent.compact > small.framingOnlyPercent.sequence16 + 5, JSON.stringify(small.framingOnlyPercent));
  });
});
