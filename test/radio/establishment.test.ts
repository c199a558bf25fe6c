// Link establishment, loss and crowding in the simulated radio (docs/radio-model.md
// "Link establishment", "Loss, retransmission, supervision", "Devices sharing a radio").
// Virtual-clock figures only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Link } from '../../src/link/types.js';
import {
  SimulatedRadio,
  connectRequestDelayUs,
  connectRequestTiming,
  gattSetupExchanges,
  mulberry32,
  transmitWindowDelayUs,
  type SimulatedRadioOptions,
} from '../../src/radio/index.js';
import { openPair, streamOneWay } from './helpers.js';

/** Mean establishment time over `runs` seeds, for radio options `o`. */
async function meanEstablishmentMs(o: SimulatedRadioOptions, runs = 12): Promise<number> {
  let sum = 0;
  for (let seed = 1; seed <= runs; seed++) {
    const { radio, c } = await openPair({ ...o, seed, connectTimeoutMs: 60_000 });
    sum += c.stats().connectionEstablishmentMs ?? Number.NaN;
    await radio.close();
  }
  return sum / runs;
}

describe('link establishment', () => {
  it('grows with the advertising interval', async () => {
    const means: number[] = [];
    for (const advertisingIntervalMs of [20, 100, 500, 1000]) means.push(await meanEstablishmentMs({ advertisingIntervalMs }));
    for (let i = 1; i < means.length; i++) assert.ok(means[i] > means[i - 1], `means ${means.join(', ')}`);
    // On average about half an interval more per step: 1000 ms vs 20 ms differ by hundreds of ms.
    assert.ok(means[3] - means[0] > 250, `means ${means.join(', ')}`);
  });

  it('grows when the scan window covers less of the scan interval', async () => {
    const continuous = await meanEstablishmentMs({ advertisingIntervalMs: 100, scanIntervalMs: 100, scanWindowMs: 100 });
    const sparse = await meanEstablishmentMs({ advertisingIntervalMs: 100, scanIntervalMs: 100, scanWindowMs: 10 });
    assert.ok(sparse > continuous, `${sparse} vs ${continuous}`);
  });

  it('a cached GATT database is faster than discovery: the second connection reads the Database Hash only', async () => {
    for (const phy of ['coded', '1m'] as const) {
      const radio = new SimulatedRadio({ phy, gattCaching: true, seed: 5 });
      const a = radio.createDevice();
      const b = radio.createDevice();
      b.onIncoming(() => {});
      const first = await a.connect(b.deviceId);
      const discovered = first.stats().connectionEstablishmentMs ?? 0;
      const firstBytes = first.stats().bytesOnAirSent;
      await first.close();
      const second = await a.connect(b.deviceId);
      const cached = second.stats().connectionEstablishmentMs ?? 0;
      const exchangesSaved = gattSetupExchanges(247, false).length - gattSetupExchanges(247, true).length;
      // Each ATT exchange saved is two connection events (request, then response at the next event).
      assert.ok(discovered - cached > (2 * exchangesSaved - 1) * 30, `${phy}: discovery ${discovered} ms, cached ${cached} ms`);
      assert.ok(second.stats().bytesOnAirSent < firstBytes);
      await radio.close();
    }
    // Without gattCaching every connection discovers.
    const radio = new SimulatedRadio({ seed: 5 });
    const a = radio.createDevice();
    const b = radio.createDevice();
    b.onIncoming(() => {});
    const one = (await a.connect(b.deviceId)).stats().connectionEstablishmentMs ?? 0;
    const two = (await a.connect(b.deviceId)).stats().connectionEstablishmentMs ?? 0;
    assert.ok(Math.abs(one - two) < 30, `${one} vs ${two}`);
    await radio.close();
  });

  it('counts the advertising and connect request: at least the exchange plus the transmit window delay plus 17 events', async () => {
    const { radio, c } = await openPair({ phy: 'coded' });
    const ms = c.stats().connectionEstablishmentMs ?? 0;
    const min = (connectRequestTiming('coded').exchangeUs + transmitWindowDelayUs('coded')) / 1000 + 17 * 30;
    assert.ok(ms >= min && ms <= min + 20 + 10 + 1.25, `${ms} ms, minimum ${min}`);
    await radio.close();
  });

  it('connectRequestDelayUs: continuous scanning catches the first advertising event; deterministic from the seed', () => {
    const p = { phy: '1m' as const, advertisingIntervalMs: 100, scanIntervalMs: 60, scanWindowMs: 60 };
    const exchange = connectRequestTiming('1m').exchangeUs;
    for (let seed = 0; seed < 50; seed++) {
      const d = connectRequestDelayUs(p, mulberry32(seed));
      assert.ok(d >= exchange && d < 100_000 + exchange, `${d}`);
      assert.equal(d, connectRequestDelayUs(p, mulberry32(seed)));
    }
    // A sparse scan may miss events, but the PDUs it catches lie inside a window.
    const sparse = { ...p, scanIntervalMs: 100, scanWindowMs: 5 };
    for (let seed = 0; seed < 50; seed++) {
      const d = connectRequestDelayUs(sparse, mulberry32(seed));
      assert.ok((d - exchange) % 100_000 <= 5000 - exchange, `${d}`);
    }
  });

  it('the link cap: a central at maxConnectionsPerDevice gets PQBLE_ERR_CONNECTION_LIMIT; a full peripheral stops advertising', async () => {
    const radio = new SimulatedRadio({ maxConnectionsPerDevice: 2 });
    const hub = radio.createDevice();
    const peers = [radio.createDevice(), radio.createDevice(), radio.createDevice()];
    for (const p of peers) p.onIncoming(() => {});
    await hub.connect(peers[0].deviceId);
    const second = await hub.connect(peers[1].deviceId);
    await assert.rejects(hub.connect(peers[2].deviceId), (err: unknown) => (err as { code?: string }).code === 'PQBLE_ERR_CONNECTION_LIMIT');
    // A peripheral holding two links does not advertise: a third central waits, and gets in once a link closes.
    const others = [radio.createDevice(), radio.createDevice()];
    await others[0].connect(peers[1].deviceId);
    assert.equal(peers[1].isAdvertising, false);
    const waiting = others[1].connect(peers[1].deviceId, { timeoutMs: 10_000 });
    radio.clock.setTimer(2000, () => void second.close(), { ref: true });
    const link = await waiting;
    assert.ok(radio.clock.now() >= 2000);
    assert.equal(link.isOpen, true);
    await radio.close();
  });
});

describe('one initiator per controller', () => {
  it('connects scan one after another: a slow advertiser holds the next connect until it is caught or given up', async () => {
    const radio = new SimulatedRadio({ seed: 4 });
    const hub = radio.createDevice();
    const slow = radio.createDevice({ advertisingIntervalMs: 10_000_000 }); // caught after up to 10,000 s
    const quick = radio.createDevice();
    const silent = radio.createDevice(); // not advertising: its connect waits without the initiator
    slow.onIncoming(() => {});
    quick.onIncoming(() => {});
    const ac = new AbortController();
    const waiting = hub.connect(silent.deviceId, { timeoutMs: 100_000 });
    const held = hub.connect(slow.deviceId, { signal: ac.signal, timeoutMs: 100_000 });
    await assert.rejects(hub.connect(quick.deviceId, { timeoutMs: 2_000 }), (err: unknown) => (err as { code?: string }).code === 'PQBLE_ERR_TIMEOUT');
    // Give the slow one up: the initiator is free and the quick one connects at once.
    const next = hub.connect(quick.deviceId, { timeoutMs: 2_000 });
    ac.abort();
    await assert.rejects(held, (err: unknown) => (err as { code?: string }).code === 'PQBLE_ERR_ABORTED');
    const t0 = radio.clock.now();
    const link = await next;
    assert.ok(radio.clock.now() - t0 < 600, `${radio.clock.now() - t0} ms`);
    assert.equal(link.isOpen, true);
    // The silent peer starts advertising: its waiting connect gets the initiator and connects.
    silent.onIncoming(() => {});
    assert.equal((await waiting).isOpen, true);
    await radio.close();
  });
});

describe('loss', () => {
  it('never corrupts data, and costs airtime that grows with the loss rate', async () => {
    const rates = [0, 0.01, 0.05, 0.2];
    const airtime: number[] = [];
    for (const rate of rates) {
      let sum = 0;
      for (let seed = 1; seed <= 4; seed++) {
        const { radio, c, p } = await openPair({ phy: '1m', seed, supervisionTimeoutMs: 32_000 });
        radio.setFaults({ packetLossRate: rate });
        const got: Uint8Array[] = [];
        const all = new Promise<void>((resolve) =>
          p.onPacket((x) => {
            got.push(x);
            if (got.length === 80) resolve();
          }),
        );
        const before = radio.stats().airtimeMs;
        const sent: Uint8Array[] = [];
        for (let i = 0; i < 80; i++) {
          const v = new Uint8Array(244).map((_, j) => (i * 31 + j) & 0xff);
          sent.push(v);
          await c.send(v);
        }
        await all;
        assert.deepEqual(got, sent, `rate ${rate}, seed ${seed}`);
        sum += radio.stats().airtimeMs - before;
        if (rate >= 0.05) assert.ok(radio.stats().retransmissions > 0 && radio.stats().lostPackets > 0);
        await radio.close();
      }
      airtime.push(sum / 4);
    }
    for (let i = 1; i < airtime.length; i++) assert.ok(airtime[i] > airtime[i - 1], `airtime ${airtime.join(', ')}`);
  });
});

describe('devices sharing a radio', () => {
  /** N peripherals on one central, each link saturated with `bytes` one way; returns the elapsed time and one link's airtime. */
  async function crowd(n: number, bytes: number, o: SimulatedRadioOptions = {}): Promise<{ elapsedMs: number; airtimeMs: number; skipped: number }> {
    const radio = new SimulatedRadio({ phy: '1m', seed: 3, ...o });
    const hub = radio.createDevice();
    const links: { c: Link; p: Link }[] = [];
    for (let i = 0; i < n; i++) {
      const dev = radio.createDevice();
      let incoming: Link | undefined;
      dev.onIncoming((l) => (incoming = l));
      const c = await hub.connect(dev.deviceId);
      links.push({ c, p: incoming! });
    }
    const before = radio.stats().airtimeMs;
    const t0 = radio.clock.now();
    const runs = await Promise.all(links.map(({ c, p }) => streamOneWay(() => radio.clock.now(), c, p, bytes)));
    const elapsedMs = Math.max(...runs.map((r) => r.lastMs)) - t0;
    const airtimeMs = (radio.stats().airtimeMs - before) / n;
    const skipped = radio.stats().skippedEvents;
    await radio.close();
    return { elapsedMs, airtimeMs, skipped };
  }

  it('colliding links share airtime: N saturated links take at least N x one link airtime', async () => {
    const one = await crowd(1, 20_000);
    for (const n of [2, 4, 8]) {
      const r = await crowd(n, 20_000);
      assert.ok(r.elapsedMs >= n * one.airtimeMs, `N=${n}: ${r.elapsedMs} ms < ${n} x ${one.airtimeMs} ms`);
      assert.ok(r.elapsedMs > one.elapsedMs * (n / 2), `N=${n}: ${r.elapsedMs} ms vs one link ${one.elapsedMs} ms`);
    }
  });

  it('every link gets its turn: no link starves while the others stream', async () => {
    const radio = new SimulatedRadio({ phy: 'coded', seed: 9 });
    const hub = radio.createDevice();
    const ends: { c: Link; p: Link }[] = [];
    for (let i = 0; i < 4; i++) {
      const dev = radio.createDevice();
      let incoming: Link | undefined;
      dev.onIncoming((l) => (incoming = l));
      ends.push({ c: await hub.connect(dev.deviceId), p: incoming! });
    }
    const t0 = radio.clock.now();
    const runs = await Promise.all(ends.map(({ c, p }) => streamOneWay(() => radio.clock.now(), c, p, 5_000)));
    const finish = runs.map((r) => r.lastMs - t0);
    // Fair sharing: the last link finishes less than twice as late as the first.
    assert.ok(Math.max(...finish) < 2 * Math.min(...finish), `finish times ${finish.join(', ')}`);
    await radio.close();
  });
});
