// The simulated radio's behaviour (docs/radio-model.md): options, device ids, connection
// setup and MTU negotiation, PHY/interval effects, determinism, fault injection, power,
// flow control, closing, and realtime mode.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sleep } from '../../src/clock.js';
import { isPqbleError, type PqbleError } from '../../src/errors.js';
import type { Link } from '../../src/link/types.js';
import { gattSetupExchanges } from '../../src/radio/establishment.js';
import { MAX_BUFFERED_PACKETS, SimulatedRadio, VirtualClock, type InterceptEvent, type SimulatedRadioOptions } from '../../src/radio/index.js';
import { openPair, streamOneWay } from './helpers.js';
import { fuzz } from '../support/fuzz.js';

function closeReason(link: Link): Promise<PqbleError | undefined> {
  return new Promise((resolve) => link.onClose(resolve));
}

/** Virtual times are float ms: compare to a microsecond. */
function assertMs(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-3, `${actual} ms, expected ${expected} ms`);
}

function code(err: unknown): string | undefined {
  return isPqbleError(err) ? err.code : undefined;
}

function collect(link: Link): Uint8Array[] {
  const got: Uint8Array[] = [];
  link.onPacket((p) => got.push(p));
  return got;
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !predicate(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(predicate(), 'condition never held');
}

describe('options', () => {
  it('rejects unknown keys with TypeError and bad values with TypeError/RangeError', () => {
    assert.throws(() => new SimulatedRadio({ phy: '1m', conectionIntervalMs: 30 } as SimulatedRadioOptions), TypeError);
    assert.throws(() => new SimulatedRadio({ phy: '3m' as never }), RangeError);
    assert.throws(() => new SimulatedRadio({ phy: 1 as never }), TypeError);
    assert.throws(() => new SimulatedRadio({ connectionIntervalMs: 5 }), RangeError);
    assert.throws(() => new SimulatedRadio({ connectionIntervalMs: 4001 }), RangeError);
    assert.throws(() => new SimulatedRadio({ attMtu: 22 }), RangeError);
    assert.throws(() => new SimulatedRadio({ attMtu: 518 }), RangeError);
    assert.throws(() => new SimulatedRadio({ attMtu: 100.5 }), RangeError);
    assert.throws(() => new SimulatedRadio({ txQueuePackets: 0 }), RangeError);
    assert.throws(() => new SimulatedRadio({ supervisionTimeoutMs: 50 }), RangeError);
    assert.throws(() => new SimulatedRadio({ seed: -1 }), RangeError);
    assert.throws(() => new SimulatedRadio({ realtime: 'yes' as never }), TypeError);
    assert.throws(() => new SimulatedRadio({ dataLengthExtension: 1 as never }), TypeError);
    assert.throws(() => new SimulatedRadio({ connectTimeoutMs: Number.NaN }), TypeError);
    const radio = new SimulatedRadio();
    assert.deepEqual(radio.options, {
      seed: 1,
      realtime: false,
      phy: 'coded',
      connectionIntervalMs: 30,
      attMtu: 247,
      dataLengthExtension: true,
      connectTimeoutMs: 5000,
      supervisionTimeoutMs: 4000,
      txQueuePackets: 64,
      advertisingIntervalMs: 20,
      scanIntervalMs: 60,
      scanWindowMs: 60,
      transmitWindowOffsetMs: 0,
      transmitWindowSizeMs: 1.25,
      gattCaching: false,
      maxConnectionsPerDevice: 20,
      packetSizing: 'airtime',
    });
    assert.throws(() => new SimulatedRadio({ advertisingIntervalMs: 19 }), RangeError);
    assert.throws(() => new SimulatedRadio({ scanIntervalMs: 100, scanWindowMs: 101 }), RangeError);
    assert.throws(() => new SimulatedRadio({ transmitWindowSizeMs: 1 }), RangeError);
    assert.throws(() => new SimulatedRadio({ transmitWindowOffsetMs: 31 }), RangeError);
    assert.throws(() => new SimulatedRadio({ gattCaching: 1 as never }), TypeError);
    assert.throws(() => new SimulatedRadio({ maxConnectionsPerDevice: 0 }), RangeError);
    assert.throws(() => new SimulatedRadio({ packetSizing: 'big' as never }), RangeError);
    assert.ok(radio.clock instanceof VirtualClock);
    assert.throws(() => radio.createDevice({ advertisingIntervalMs: 10 }), RangeError);
    assert.throws(() => radio.createDevice({ mtu: 100 } as never), TypeError);
    assert.throws(() => radio.createDevice({ attMtu: 600 }), RangeError);
    assert.throws(() => radio.createDevice({ deviceId: 'xyz' }), RangeError);
    assert.throws(() => radio.createDevice({ name: 'x'.repeat(249) }), RangeError);
    assert.throws(() => radio.setFaults({ packetLoss: 0.1 } as never), TypeError);
    assert.throws(() => radio.setFaults({ packetLossRate: 1.5 }), RangeError);
    assert.throws(() => radio.setFaults({ disconnectAfterBytes: 0 }), RangeError);
    assert.throws(() => radio.setFaults({ intercept: 'drop' as never }), TypeError);
  });

  it('rejects bad connect() arguments', async () => {
    const radio = new SimulatedRadio();
    const a = radio.createDevice();
    await assert.rejects(a.connect('nope'), RangeError);
    await assert.rejects(a.connect(42 as never), TypeError);
    await assert.rejects(a.connect(a.deviceId), RangeError);
    await assert.rejects(a.connect('aa:bb:cc:dd:ee:ff', { timeout: 5 } as never), TypeError);
    await assert.rejects(a.connect('aa:bb:cc:dd:ee:ff', { timeoutMs: -5 }), RangeError);
    await radio.close();
  });
});

describe('devices', () => {
  it('get random static ids from the seed, reproducibly', async () => {
    const ids = (seed: number): string[] => {
      const radio = new SimulatedRadio({ seed });
      const out = Array.from({ length: 20 }, () => radio.createDevice().deviceId);
      void radio.close();
      return out;
    };
    const a = ids(5);
    assert.deepEqual(ids(5), a);
    assert.notDeepEqual(ids(6), a);
    assert.equal(new Set(a).size, a.length);
    for (const id of a) {
      assert.match(id, /^[0-9a-f]{12}$/);
      assert.equal(parseInt(id.slice(0, 2), 16) & 0xc0, 0xc0, 'random static address');
    }
    const radio = new SimulatedRadio();
    const d = radio.createDevice({ deviceId: 'AA:BB:CC:DD:EE:01', name: 'lamp' });
    assert.equal(d.deviceId, 'aabbccddee01');
    assert.equal(d.name, 'lamp');
    assert.equal(radio.getDevice('aa-bb-cc-dd-ee-01'), d);
    assert.throws(() => radio.createDevice({ deviceId: 'aabbccddee01' }), RangeError);
    assert.equal(radio.createDevice().name.startsWith('sim-'), true);
    await radio.close();
  });
});

describe('connection setup', () => {
  it('negotiates attMtu = min of both devices (23..517)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 23, max: 517 }), fc.integer({ min: 23, max: 517 }), fc.boolean(), async (cm, pm, dle) => {
        const { radio, c, p } = await openPair({ phy: '2m', dataLengthExtension: dle }, { central: cm, peripheral: pm });
        try {
          const mtu = Math.min(cm, pm);
          assert.equal(c.attMtu, mtu);
          assert.equal(p.attMtu, mtu);
          assert.equal(c.maxPayloadBytes, mtu - 3);
          const got = collect(p);
          const big = new Uint8Array(mtu - 3).fill(9);
          await c.send(big);
          await until(() => got.length === 1);
          assert.deepEqual(got[0], big);
        } finally {
          await radio.close();
        }
      }),
      fuzz(25),
    );
  });

  it('takes an advertising delay, the first connection events, the MTU exchange, GATT discovery and the CCCD write', async () => {
    for (const connectionIntervalMs of [7.5, 30, 100]) {
      const radio = new SimulatedRadio({ connectionIntervalMs, phy: '1m' });
      const a = radio.createDevice();
      const b = radio.createDevice();
      b.onIncoming(() => {});
      const t0 = radio.clock.now();
      const link = await a.connect(b.deviceId);
      const took = radio.clock.now() - t0;
      // 2 LL events, then 8 ATT exchanges (MTU, 3 service reads, 2 characteristic reads,
      // descriptors, CCCD write) at one PDU per side per event: anchor of event 17.
      const events = 2 + 2 * gattSetupExchanges(247, false).length - 1;
      assert.ok(took >= events * connectionIntervalMs + 1.25, `${took} ms at ${connectionIntervalMs} ms`);
      assert.ok(took <= 20 + 10 + 1.25 + 1.25 + events * connectionIntervalMs + 2, `${took} ms at ${connectionIntervalMs} ms`);
      assert.equal(link.stats().connectionEstablishmentMs, took);
      assert.ok(link.stats().bytesOnAirSent > 0, 'the establishment PDUs went on air');
      await radio.close();
    }
  });

  it('waits for a known device to advertise, else times out; not found is immediate', async () => {
    const radio = new SimulatedRadio();
    const a = radio.createDevice();
    const b = radio.createDevice();
    const t0 = radio.clock.now();
    await assert.rejects(a.connect(b.deviceId, { timeoutMs: 700 }), (err) => code(err) === 'PQBLE_ERR_TIMEOUT');
    assertMs(radio.clock.now() - t0, 700);
    await assert.rejects(a.connect(b.deviceId), (err) => code(err) === 'PQBLE_ERR_TIMEOUT');
    assertMs(radio.clock.now() - t0, 700 + 5000);
    // b starts advertising while a waits.
    const pending = a.connect(b.deviceId);
    await sleep(radio.clock, 1000);
    b.onIncoming(() => {});
    const link = await pending;
    assert.equal(link.peerDeviceId, b.deviceId);
    const t1 = radio.clock.now();
    await assert.rejects(a.connect('00000000a5a5'), (err) => code(err) === 'PQBLE_ERR_DEVICE_NOT_FOUND');
    assert.equal(radio.clock.now(), t1);
    await radio.close();
  });

  it('fails connect() when the peripheral powers off during setup, before the connect timeout', async () => {
    const radio = new SimulatedRadio({ supervisionTimeoutMs: 1000 });
    const a = radio.createDevice();
    const b = radio.createDevice();
    b.onIncoming(() => {});
    radio.clock.setTimer(40, () => b.powerOff(), { ref: true });
    const t0 = radio.clock.now();
    await assert.rejects(a.connect(b.deviceId), (err) => code(err) === 'PQBLE_ERR_TIMEOUT');
    assert.ok(radio.clock.now() - t0 < 1100);
    assert.equal(radio.stats().linksOpen, 0);
    await radio.close();
  });

  it('aborts during setup without leaving a link behind', async () => {
    const radio = new SimulatedRadio();
    const a = radio.createDevice();
    const b = radio.createDevice();
    const accepted: Link[] = [];
    b.onIncoming((l) => accepted.push(l));
    const ac = new AbortController();
    radio.clock.setTimer(40, () => ac.abort(), { ref: true }); // after CONNECT_IND, before the MTU exchange
    await assert.rejects(a.connect(b.deviceId, { signal: ac.signal }), (err) => code(err) === 'PQBLE_ERR_ABORTED');
    await radio.virtualClock!.runUntilIdle();
    assert.equal(accepted.length, 0);
    assert.equal(radio.stats().linksOpen, 0);
    assert.equal(radio.virtualClock!.pendingRefTimers, 0);
    await radio.close();
  });
});

describe('timing model', () => {
  async function transferMs(options: SimulatedRadioOptions, bytes: number): Promise<{ ms: number; airtimeMs: number }> {
    const { radio, c, p } = await openPair(options);
    try {
      const before = radio.stats().airtimeMs;
      const r = await streamOneWay(() => radio.clock.now(), c, p, bytes);
      return { ms: r.lastMs - r.startMs, airtimeMs: radio.stats().airtimeMs - before };
    } finally {
      await radio.close();
    }
  }

  it('is slower on coded than 1M than 2M, in time and airtime', async () => {
    const coded = await transferMs({ phy: 'coded' }, 20_000);
    const m1 = await transferMs({ phy: '1m' }, 20_000);
    const m2 = await transferMs({ phy: '2m' }, 20_000);
    assert.ok(coded.ms > 5 * m1.ms && m1.ms > 1.3 * m2.ms, `${coded.ms} ${m1.ms} ${m2.ms}`);
    assert.ok(coded.airtimeMs > 7 * m1.airtimeMs && m1.airtimeMs > 1.8 * m2.airtimeMs);
  });

  it('makes a request/response round trip cost about a connection interval', async () => {
    for (const connectionIntervalMs of [15, 60, 240]) {
      const { radio, c, p } = await openPair({ phy: '2m', connectionIntervalMs });
      p.onPacket((pk) => void p.send(pk));
      const rtts: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = radio.clock.now();
        const back = new Promise<void>((resolve) => {
          const off = c.onPacket(() => {
            off();
            resolve();
          });
        });
        await c.send(Uint8Array.of(i));
        await back;
        rtts.push(radio.clock.now() - t0);
      }
      // Request waits for the next event; the response goes in the following pair or event.
      for (const rtt of rtts) assert.ok(rtt > 0 && rtt <= 2 * connectionIntervalMs + 1, `rtt ${rtt} at ${connectionIntervalMs} ms`);
      await radio.close();
    }
  });

  it('cuts big values into several LL PDUs without DLE', async () => {
    const withDle = await transferMs({ phy: '1m' }, 10_000);
    const without = await transferMs({ phy: '1m', dataLengthExtension: false }, 10_000);
    assert.ok(without.airtimeMs > withDle.airtimeMs * 1.1);
  });

  it('leaves an idle link without timers (nothing keeps the clock running)', async () => {
    const { radio, c, p } = await openPair();
    const got = collect(p);
    await c.send(Uint8Array.of(1));
    await until(() => got.length === 1);
    await radio.virtualClock!.runUntilIdle();
    assert.equal(radio.virtualClock!.pendingTimers, 0);
    assert.equal(c.isOpen, true);
    await radio.close();
  });

  it('adds up per-link counters into the radio totals', async () => {
    const { radio, c, p } = await openPair({ phy: '1m' });
    const gotP = collect(p);
    const gotC = collect(c);
    await Promise.all([c.send(new Uint8Array(200)), p.send(new Uint8Array(50))]);
    await until(() => gotP.length === 1 && gotC.length === 1);
    const s = radio.stats();
    assert.equal(s.bytesOnAirCentralToPeripheral, c.stats().bytesOnAirSent);
    assert.equal(s.bytesOnAirPeripheralToCentral, p.stats().bytesOnAirSent);
    assert.equal(s.attPackets, 2);
    assert.equal(s.attBytes, 250);
    assert.ok(Math.abs(s.airtimeMs - (c.stats().airtimeSentMs + p.stats().airtimeSentMs)) < 1e-9);
    assert.equal(c.stats().bytesOnAirSent, p.stats().bytesOnAirReceived, 'no loss: all received');
    assert.equal(s.linksOpened, 1);
    assert.equal(s.linksOpen, 1);
    await radio.close();
    assert.equal(radio.stats().linksOpen, 0);
  });
});

describe('determinism', () => {
  async function run(seed: number): Promise<{ stats: unknown; times: number[]; linkStats: unknown }> {
    const { radio, c, p } = await openPair({ seed, phy: '1m' });
    radio.setFaults({ packetLossRate: 0.15 });
    const times: number[] = [];
    p.onPacket(() => times.push(radio.clock.now()));
    c.onPacket(() => times.push(radio.clock.now()));
    await Promise.all([
      streamOneWay(() => radio.clock.now(), c, p, 15_000),
      (async () => {
        for (let i = 0; i < 20; i++) await p.send(new Uint8Array(30 + i));
      })(),
    ]);
    await until(() => times.length >= 62 + 20);
    const out = { stats: radio.stats(), times, linkStats: [c.stats(), p.stats()] };
    await radio.close();
    return out;
  }

  it('replays the same run from the same seed, and a different one from another seed', async () => {
    const a = await run(11);
    const b = await run(11);
    assert.deepEqual(b, a);
    const c = await run(12);
    assert.notDeepEqual(c.times, a.times);
  });
});

describe('fault injection', () => {
  it('packet loss costs airtime and time, but every packet arrives in order', async () => {
    const clean = await openPair({ phy: '1m', seed: 2 });
    const lossy = await openPair({ phy: '1m', seed: 2 });
    lossy.radio.setFaults({ packetLossRate: 0.3 });
    const payload = Array.from({ length: 80 }, (_, i) => new Uint8Array(150).fill(i));
    const results: { ms: number; airtimeMs: number; got: Uint8Array[] }[] = [];
    for (const { radio, c, p } of [clean, lossy]) {
      const got = collect(p);
      const t0 = radio.clock.now();
      for (const pk of payload) await c.send(pk);
      await until(() => got.length === payload.length);
      results.push({ ms: radio.clock.now() - t0, airtimeMs: radio.stats().airtimeMs, got });
    }
    assert.deepEqual(results[1].got, payload);
    assert.ok(results[1].ms > results[0].ms * 1.2, `${results[1].ms} vs ${results[0].ms}`);
    assert.ok(results[1].airtimeMs > results[0].airtimeMs * 1.1);
    const s = lossy.radio.stats();
    assert.ok(s.lostPackets > 0 && s.retransmissions > 0);
    assert.equal(clean.radio.stats().retransmissions, 0);
    assert.equal(lossy.c.isOpen, true);
    await clean.radio.close();
    await lossy.radio.close();
  });

  it('total loss ends in a supervision timeout on both sides', async () => {
    const { radio, c, p } = await openPair({ phy: '1m', supervisionTimeoutMs: 1000 });
    const rc = closeReason(c);
    const rp = closeReason(p);
    radio.setFaults({ packetLossRate: 1 });
    const t0 = radio.clock.now();
    await c.send(Uint8Array.of(1));
    assert.equal(code(await rc), 'PQBLE_ERR_SUPERVISION_TIMEOUT');
    assert.equal(code(await rp), 'PQBLE_ERR_SUPERVISION_TIMEOUT');
    // Counted from the last packet heard (the MTU exchange, just before t0), checked at each event.
    const took = radio.clock.now() - t0;
    assert.ok(took >= 1000 - 2 * 30 && took <= 1000 + 30 + 1, `${took}`);
    await assert.rejects(c.send(Uint8Array.of(2)), (err) => code(err) === 'PQBLE_ERR_SUPERVISION_TIMEOUT');
    await radio.close();
  });

  it('disconnectAfterBytes drops the link once that many bytes crossed, counted from setFaults()', async () => {
    const { radio, c, p } = await openPair({ phy: '2m' });
    const got = collect(p);
    await c.send(new Uint8Array(244));
    await until(() => got.length === 1);
    radio.setFaults({ disconnectAfterBytes: 1000 });
    const rc = closeReason(c);
    const rp = closeReason(p);
    const sends = Array.from({ length: 10 }, () => c.send(new Uint8Array(244)).catch((e: unknown) => e));
    assert.equal(code(await rc), 'PQBLE_ERR_DISCONNECTED');
    assert.equal(code(await rp), 'PQBLE_ERR_DISCONNECTED');
    await Promise.all(sends);
    assert.equal(got.length, 1 + 5, '4 x 244 < 1000 <= 5 x 244');
    await radio.close();
  });

  it('intercept sees every packet with its direction and index, can drop or tamper', async () => {
    const { radio, c, p } = await openPair({ phy: '1m' });
    const seen: Omit<InterceptEvent, 'packet' | 'link'>[] = [];
    radio.setFaults({
      intercept: (e) => {
        seen.push({ from: e.from, index: e.index });
        assert.equal(e.link.centralDeviceId, c.localDeviceId);
        assert.equal(e.link.attMtu, 247);
        if (e.from === 'central' && e.index === 1) return 'drop';
        if (e.from === 'peripheral') e.packet[0] ^= 0xff;
        return 'deliver';
      },
    });
    const atP = collect(p);
    const atC = collect(c);
    for (let i = 0; i < 3; i++) await c.send(Uint8Array.of(i));
    await p.send(Uint8Array.of(0x0f));
    await until(() => atP.length === 2 && atC.length === 1);
    assert.deepEqual(atP, [Uint8Array.of(0), Uint8Array.of(2)]);
    assert.deepEqual(atC, [Uint8Array.of(0xf0)]);
    assert.deepEqual(
      seen.filter((s) => s.from === 'central').map((s) => s.index),
      [0, 1, 2],
    );
    assert.deepEqual(
      seen.filter((s) => s.from === 'peripheral'),
      [{ from: 'peripheral', index: 0 }],
    );
    await radio.close();
  });

  it("intercept 'disconnect' drops the link before delivering the packet", async () => {
    const { radio, c, p } = await openPair();
    radio.setFaults({ intercept: (e) => (e.index === 3 ? 'disconnect' : 'deliver') });
    const got = collect(p);
    const rc = closeReason(c);
    const rp = closeReason(p);
    for (let i = 0; i < 6; i++) void c.send(Uint8Array.of(i)).catch(() => {});
    assert.equal(code(await rc), 'PQBLE_ERR_DISCONNECTED');
    assert.equal(code(await rp), 'PQBLE_ERR_DISCONNECTED');
    assert.deepEqual(got, [Uint8Array.of(0), Uint8Array.of(1), Uint8Array.of(2)]);
    await radio.close();
  });

  it("intercept 'silence' ends in a supervision timeout on both sides, nothing delivered after", async () => {
    const { radio, c, p } = await openPair({ supervisionTimeoutMs: 2000 });
    const atC = collect(c);
    const atP = collect(p);
    const rc = closeReason(c);
    const rp = closeReason(p);
    await p.send(Uint8Array.of(1));
    await until(() => atC.length === 1);
    let silencedAt = -1;
    radio.setFaults({
      intercept: (e) => {
        if (e.from !== 'peripheral') return 'deliver';
        silencedAt = radio.clock.now();
        return 'silence';
      },
    });
    await p.send(Uint8Array.of(2)); // reaches the central's radio, which goes silent instead
    await until(() => silencedAt >= 0);
    await c.send(Uint8Array.of(3)); // accepted, never delivered
    assert.equal(code(await rc), 'PQBLE_ERR_SUPERVISION_TIMEOUT');
    assert.equal(code(await rp), 'PQBLE_ERR_SUPERVISION_TIMEOUT');
    assertMs(radio.clock.now() - silencedAt, 2000);
    assert.deepEqual(atC, [Uint8Array.of(1)]);
    assert.deepEqual(atP, []);
    await radio.close();
  });

  it('a throwing intercept drops the link with PQBLE_ERR_INTERNAL', async () => {
    const { radio, c, p } = await openPair();
    radio.setFaults({
      intercept: () => {
        throw new Error('bug in test');
      },
    });
    const rc = closeReason(c);
    await p.send(Uint8Array.of(1));
    assert.equal(code(await rc), 'PQBLE_ERR_INTERNAL');
    await radio.close();
  });

  it('dropLink() disconnects or silences one link', async () => {
    const { radio, central, peripheral, c, p } = await openPair();
    const rc = closeReason(c);
    radio.dropLink(p, 'disconnect');
    assert.equal(code(await rc), 'PQBLE_ERR_DISCONNECTED');
    peripheral.onIncoming(() => {});
    const c2 = await central.connect(peripheral.deviceId);
    const t0 = radio.clock.now();
    const rc2 = closeReason(c2);
    radio.dropLink(c2, 'silence');
    assert.equal(code(await rc2), 'PQBLE_ERR_SUPERVISION_TIMEOUT');
    assertMs(radio.clock.now() - t0, 4000);
    assert.throws(() => radio.dropLink(c2, 'explode' as never), RangeError);
    await radio.close();
  });
});

describe('power', () => {
  it('powerOff: own links DISCONNECTED now, peers time out, no connects until powerOn', async () => {
    const { radio, central, peripheral, c, p } = await openPair();
    const rc = closeReason(c);
    const rp = closeReason(p);
    const t0 = radio.clock.now();
    peripheral.powerOff();
    assert.equal(p.isOpen, false);
    assert.equal(code(await rp), 'PQBLE_ERR_DISCONNECTED');
    assert.equal(code(await rc), 'PQBLE_ERR_SUPERVISION_TIMEOUT');
    assertMs(radio.clock.now() - t0, 4000);
    assert.equal(peripheral.isAdvertising, false);
    await assert.rejects(central.connect(peripheral.deviceId, { timeoutMs: 300 }), (err) => code(err) === 'PQBLE_ERR_TIMEOUT');
    await assert.rejects(peripheral.connect(central.deviceId), (err) => code(err) === 'PQBLE_ERR_RADIO_UNAVAILABLE');
    peripheral.powerOn();
    assert.equal(peripheral.isAdvertising, true, 'its incoming listener is still there');
    const again = await central.connect(peripheral.deviceId);
    assert.equal(again.isOpen, true);
    await radio.close();
  });

  it("powerOff fails the device's own pending connects", async () => {
    const radio = new SimulatedRadio();
    const a = radio.createDevice();
    const b = radio.createDevice();
    const pending = a.connect(b.deviceId);
    a.powerOff();
    await assert.rejects(pending, (err) => code(err) === 'PQBLE_ERR_RADIO_UNAVAILABLE');
    await radio.close();
  });
});

describe('flow control and buffering', () => {
  it('send() waits while txQueuePackets values are in flight; abort while waiting', async () => {
    const { radio, c, p } = await openPair({ phy: '1m', txQueuePackets: 4 });
    let accepted = 0;
    let maxInFlight = 0;
    const got: number[] = [];
    p.onPacket((pk) => {
      got.push(pk[0]);
      maxInFlight = Math.max(maxInFlight, accepted - got.length + 1);
    });
    const ac = new AbortController();
    const sends = Array.from({ length: 30 }, (_, i) =>
      c.send(Uint8Array.of(i), i === 10 ? { signal: ac.signal } : {}).then(
        () => {
          accepted += 1;
          return 'ok';
        },
        (err: unknown) => code(err),
      ),
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(accepted, 4, 'only the first 4 accepted at once');
    ac.abort();
    const results = await Promise.all(sends);
    assert.equal(results[10], 'PQBLE_ERR_ABORTED');
    assert.equal(results.filter((r) => r === 'ok').length, 29);
    await until(() => got.length === 29);
    assert.deepEqual(
      got,
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 10),
    );
    assert.ok(maxInFlight <= 4, `in flight ${maxInFlight}`);
    await radio.close();
  });

  it(`fails a link with PQBLE_ERR_QUEUE_FULL if more than ${MAX_BUFFERED_PACKETS} packets wait for a listener`, async () => {
    const { radio, c, p } = await openPair({ phy: '2m', txQueuePackets: 1000 });
    const rc = closeReason(c);
    const rp = closeReason(p);
    for (let i = 0; i <= MAX_BUFFERED_PACKETS; i++) void c.send(Uint8Array.of(1)).catch(() => {});
    assert.equal(code(await rp), 'PQBLE_ERR_QUEUE_FULL');
    assert.equal(code(await rc), 'PQBLE_ERR_DISCONNECTED');
    await radio.close();
  });

  it('buffers again whenever no listener is attached', async () => {
    const { radio, c, p } = await openPair({ phy: '2m' });
    const first: number[] = [];
    const off = p.onPacket((pk) => first.push(pk[0]));
    await c.send(Uint8Array.of(1));
    await until(() => first.length === 1);
    off();
    await c.send(Uint8Array.of(2));
    await until(() => p.stats().packetsReceived === 2);
    const second: number[] = [];
    p.onPacket((pk) => second.push(pk[0]));
    await until(() => second.length === 1);
    assert.deepEqual([first, second], [[1], [2]]);
    await radio.close();
  });
});

describe('closing', () => {
  it('close() still delivers what the closing side already sent, then the peer closes', async () => {
    const { radio, c, p } = await openPair();
    const got = collect(p);
    const rp = closeReason(p);
    for (let i = 0; i < 3; i++) await c.send(Uint8Array.of(i));
    const closing = c.close();
    assert.equal(c.isOpen, false);
    await closing;
    assert.equal(code(await rp), 'PQBLE_ERR_DISCONNECTED');
    assert.deepEqual(got, [Uint8Array.of(0), Uint8Array.of(1), Uint8Array.of(2)]);
    await radio.close();
  });

  it('device.close() closes its links and frees its id', async () => {
    const { radio, central, peripheral, c, p } = await openPair();
    const rc = closeReason(c);
    const rp = closeReason(p);
    await peripheral.close();
    assert.equal(await rp, undefined);
    assert.equal(code(await rc), 'PQBLE_ERR_DISCONNECTED');
    await assert.rejects(central.connect(peripheral.deviceId), (err) => code(err) === 'PQBLE_ERR_DEVICE_NOT_FOUND');
    const reborn = radio.createDevice({ deviceId: peripheral.deviceId });
    reborn.onIncoming(() => {});
    assert.equal((await central.connect(reborn.deviceId)).isOpen, true);
    await assert.rejects(peripheral.connect(central.deviceId), (err) => code(err) === 'PQBLE_ERR_RADIO_UNAVAILABLE');
    await radio.close();
  });

  it('radio.close() closes everything, leaves no timers, and is idempotent', async () => {
    const { radio, central, c, p } = await openPair({ phy: '1m' });
    for (let i = 0; i < 50; i++) void c.send(new Uint8Array(200)).catch(() => {});
    const pending = central.connect('00000000a5a5').catch((e: unknown) => code(e));
    const rc = closeReason(c);
    const rp = closeReason(p);
    await radio.close();
    await radio.close();
    assert.equal(await rc, undefined);
    assert.equal(code(await rp), 'PQBLE_ERR_DISCONNECTED');
    assert.equal(await pending, 'PQBLE_ERR_DEVICE_NOT_FOUND');
    assert.equal(radio.virtualClock!.pendingRefTimers, 0);
    assert.equal(radio.stats().linksOpen, 0);
    assert.throws(
      () => radio.createDevice(),
      (err) => code(err) === 'PQBLE_ERR_RADIO_UNAVAILABLE',
    );
  });
});

describe('realtime mode', () => {
  it('paces events on the wall clock', async () => {
    const wall0 = performance.now();
    const { radio, c, p } = await openPair({ realtime: true, phy: '2m', connectionIntervalMs: 50 });
    try {
      assert.equal(radio.virtualClock, undefined);
      const got = collect(p);
      await c.send(Uint8Array.of(1));
      while (got.length === 0) await new Promise((r) => setTimeout(r, 2));
      const wallMs = performance.now() - wall0;
      // Two intervals of setup, then the next event: at least 100 ms of real time.
      assert.ok(wallMs >= 100 && wallMs < 1000, `${wallMs} ms`);
    } finally {
      await radio.close();
    }
  });
});
