/**
 * The noble central adapter (src/adapters/noble/) against the noble/bleno fakes
 * (test/adapters/fakes): radio states, scanning, connect timeouts and aborts, flow control,
 * disconnects in the middle of writes, MTU changes and reconnects. No hardware involved.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID, compactUuid } from '../../src/adapters/gatt.js';
import { createNobleCentral } from '../../src/adapters/noble.js';
import { createBlenoPeripheral } from '../../src/adapters/bleno.js';
import { isPqbleError } from '../../src/errors.js';
import type { Link } from '../../src/link/types.js';
import { FakeAir, HCI_REASON, createFakeBlePair, type FakeAdapterState } from './fakes/index.js';
import { closeReason, connectPair, connectionOf, delay, makeAdapters, rejectsWithCode, waitFor } from './helpers.js';

describe('noble central (fakes): radio availability', () => {
  for (const state of ['unsupported', 'unauthorized'] as const satisfies readonly FakeAdapterState[]) {
    it(`rejects with PQBLE_ERR_RADIO_UNAVAILABLE at once when the adapter is ${state}`, async () => {
      const { noble } = createFakeBlePair({ central: { initialState: state } });
      const start = Date.now();
      await rejectsWithCode(createNobleCentral({ noble, poweredOnTimeoutMs: 5000 }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
      assert.ok(Date.now() - start < 1000, 'did not wait for the timeout');
      assert.equal(noble.listenerCount('stateChange'), 0, 'its stateChange listener is removed');
    });
  }

  it('waits through poweredOff for a later poweredOn (a controller initialising, or Bluetooth toggled on)', async () => {
    const { noble } = createFakeBlePair({ central: { initialState: 'poweredOff' } });
    const later = setTimeout(() => noble.setState('poweredOn'), 40);
    try {
      const central = await createNobleCentral({ noble, poweredOnTimeoutMs: 5000 });
      assert.equal(noble.state, 'poweredOn');
      assert.equal(noble.listenerCount('stateChange'), 1, "only the central's own listener is left");
      await central.close();
    } finally {
      clearTimeout(later);
    }
  });

  it('rejects with PQBLE_ERR_RADIO_UNAVAILABLE after poweredOnTimeoutMs when the state stays poweredOff, naming the state', async () => {
    const { noble } = createFakeBlePair({ central: { initialState: 'poweredOff' } });
    const start = Date.now();
    const err = await rejectsWithCode(createNobleCentral({ noble, poweredOnTimeoutMs: 80 }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    const elapsed = Date.now() - start;
    assert.ok(elapsed >= 70 && elapsed < 1500, `took ${elapsed} ms`);
    assert.match(err.message, /did not power on within 80 ms \(still poweredOff/);
    assert.equal(noble.listenerCount('stateChange'), 0);
  });

  it('rejects with PQBLE_ERR_RADIO_UNAVAILABLE after poweredOnTimeoutMs when the state stays unknown', async () => {
    const { noble } = createFakeBlePair({ central: { initialState: 'unknown' } });
    const start = Date.now();
    await rejectsWithCode(createNobleCentral({ noble, poweredOnTimeoutMs: 80 }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    const elapsed = Date.now() - start;
    assert.ok(elapsed >= 70 && elapsed < 1500, `took ${elapsed} ms`);
  });

  it('reports a missing native part as PQBLE_ERR_RADIO_UNAVAILABLE with the install hint', async () => {
    const startError = new Error('No native build was found for platform=linux arch=x64 runtime=node abi=115 uv=1 libc=glibc node=20.19.0');
    const { noble } = createFakeBlePair({ central: { startError } });
    const err = await rejectsWithCode(createNobleCentral({ noble }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    assert.match(err.message, /npm install-scripts approve @stoprocent\/noble/);
    assert.equal(err.cause, startError);
  });

  it('rejects with PQBLE_ERR_ABORTED when the signal aborts while waiting for power', async () => {
    const { noble } = createFakeBlePair({ central: { initialState: 'unknown' } });
    const ac = new AbortController();
    const pending = createNobleCentral({ noble, poweredOnTimeoutMs: 5000, signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await rejectsWithCode(pending, 'PQBLE_ERR_ABORTED');
    await rejectsWithCode(createNobleCentral({ noble, signal: AbortSignal.abort() }), 'PQBLE_ERR_ABORTED');
  });

  it('checks its options: unknown keys and wrong types are TypeErrors, out-of-range numbers RangeErrors', async () => {
    const { noble } = createFakeBlePair();
    await assert.rejects(createNobleCentral({ noble, scanTimeOutMs: 5 } as never), TypeError);
    await assert.rejects(createNobleCentral({ noble: {} as never }), TypeError);
    await assert.rejects(createNobleCentral({ noble, maxQueuedWrites: 0 }), RangeError);
    await assert.rejects(createNobleCentral({ noble, connectTimeoutMs: 1.5 }), RangeError);
    await assert.rejects(createNobleCentral({ noble, mtuReport: 'bytes' as never }), TypeError);
  });

  it('closes its links and refuses to connect when the adapter powers off', async () => {
    const pair = await makeAdapters();
    try {
      const { c } = await connectPair(pair.central, pair.peripheral);
      const reason = closeReason(c);
      pair.noble.setState('poweredOff');
      assert.ok(['PQBLE_ERR_DISCONNECTED', 'PQBLE_ERR_RADIO_UNAVAILABLE'].includes((await reason) ?? ''));
      await rejectsWithCode(pair.central.connect(pair.peripheral.deviceId), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    } finally {
      await pair.close();
    }
  });

  it('connects again once the adapter is powered on again (Bluetooth toggled)', async () => {
    const pair = await makeAdapters();
    try {
      const first = await connectPair(pair.central, pair.peripheral);
      const reasons = [closeReason(first.c), closeReason(first.p)];
      pair.noble.setState('poweredOff');
      await Promise.all(reasons);
      await delay(20); // the library reports the dropped connection a tick later
      const off = await rejectsWithCode(pair.central.connect(pair.peripheral.deviceId), 'PQBLE_ERR_RADIO_UNAVAILABLE');
      assert.match(off.message, /^the Bluetooth adapter is poweredOff now \(it was on when the central started/);
      await rejectsWithCode(pair.central.scan({ durationMs: 10 }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
      pair.noble.setState('poweredOn');
      const again = await connectPair(pair.central, pair.peripheral);
      assert.equal(again.c.isOpen, true);
      await again.c.close();
    } finally {
      await pair.close();
    }
  });
});

describe('noble central (fakes): scanning', () => {
  it('scan() reports pqble peripherals with device id, RSSI, name and last-seen time; others are filtered out', async () => {
    const pair = await makeAdapters({ peripheralOptions: { name: 'pqble-test' } });
    const other = pair.air.createBleno();
    other.on('stateChange', () => undefined);
    other.startAdvertising('heart-rate', ['180d']);
    pair.air.rssiOf.set(pair.bleno.address, -42);
    try {
      const before = Date.now();
      const devices = await pair.central.scan({ durationMs: 60 });
      const after = Date.now();
      assert.equal(devices.length, 1);
      const [d] = devices;
      assert.equal(d.deviceId, pair.peripheral.deviceId);
      assert.equal(d.rssi, -42);
      assert.equal(d.name, 'pqble-test');
      assert.equal(d.peripheralId, pair.bleno.address.replace(/:/g, ''));
      assert.ok(d.lastSeenMs >= before && d.lastSeenMs <= after, 'lastSeenMs is a wall-clock time within the scan');
      assert.deepEqual(
        pair.central.discovered().map((x) => x.deviceId),
        [pair.peripheral.deviceId],
      );
      assert.equal(pair.noble.scanning, false, 'scanning stops after the scan');
    } finally {
      await pair.close();
    }
  });

  it('lists several peripherals strongest first and updates RSSI while scanning', async () => {
    const air = new FakeAir();
    const noble = air.createNoble();
    const blenos = [air.createBleno(), air.createBleno(), air.createBleno()];
    const peripherals = await Promise.all(blenos.map((bleno, i) => createBlenoPeripheral({ bleno, name: `p${i}` })));
    blenos.forEach((b, i) => air.rssiOf.set(b.address, -80 + i * 10));
    const central = await createNobleCentral({ noble });
    try {
      // Long enough on a loaded machine: the RSSI change happens once all three were seen,
      // and the fake advertises every 10 ms, so later advertisements carry the new value.
      const first = central.scan({ durationMs: 600 });
      for (let i = 0; i < 50 && central.discovered().length < 3; i++) await delay(10);
      air.rssiOf.set(blenos[0].address, -30);
      const devices = await first;
      assert.deepEqual(
        devices.map((d) => d.name),
        ['p0', 'p2', 'p1'],
      );
      assert.equal(devices[0].rssi, -30);
    } finally {
      await central.close();
      await Promise.all(peripherals.map((p) => p.close()));
    }
  });

  it('keeps at most 256 scan results, dropping the least recently seen (a sighting makes it the newest)', async () => {
    const pair = await makeAdapters();
    try {
      const advertise = (i: number, rssi = -70): void => {
        const hex = i.toString(16).padStart(12, '0');
        pair.noble.emit('discover', {
          id: hex,
          address: hex.replace(/(..)(?!$)/g, '$1:'),
          rssi,
          mtu: null,
          advertisement: { localName: `d${i}`, serviceUuids: [compactUuid(PQBLE_SERVICE_UUID)] },
        });
      };
      for (let i = 1; i <= 256; i++) advertise(i);
      advertise(1); // seen again: now the most recent
      for (let i = 257; i <= 300; i++) advertise(i);
      const names = new Set(pair.central.discovered().map((d) => d.name));
      assert.equal(names.size, 256);
      assert.ok(names.has('d1'), 'the device seen again is kept');
      for (let i = 2; i <= 45; i++) assert.ok(!names.has(`d${i}`), `d${i} (among the least recently seen) is dropped`);
      for (let i = 46; i <= 300; i++) assert.ok(names.has(`d${i}`), `d${i} is kept`);
      advertise(400, -10);
      assert.equal(pair.central.discovered()[0].name, 'd400', 'strongest first');
    } finally {
      await pair.close();
    }
  });

  it('discovered() drops devices not seen for staleDeviceMs', async () => {
    const pair = await makeAdapters({ centralOptions: { staleDeviceMs: 40 } });
    try {
      await pair.central.scan({ durationMs: 30 });
      assert.equal(pair.central.discovered().length, 1);
      await delay(80);
      assert.deepEqual(pair.central.discovered(), []);
    } finally {
      await pair.close();
    }
  });

  it('scan() rejects with PQBLE_ERR_ABORTED on abort and stops scanning', async () => {
    const pair = await makeAdapters();
    try {
      const ac = new AbortController();
      const pending = pair.central.scan({ durationMs: 10_000, signal: ac.signal });
      await waitFor(() => pair.noble.scanning, 'scanning to start');
      ac.abort();
      await rejectsWithCode(pending, 'PQBLE_ERR_ABORTED');
      await waitFor(() => !pair.noble.scanning, 'scanning to stop');
      await assert.rejects(pair.central.scan({ durationMs: 0 }), RangeError);
      await assert.rejects(pair.central.scan({ duration: 5 } as never), TypeError);
    } finally {
      await pair.close();
    }
  });
});

describe('noble central (fakes): connecting', () => {
  it('connect() to a device that never advertises rejects with PQBLE_ERR_DEVICE_NOT_FOUND after scanTimeoutMs', async () => {
    const pair = await makeAdapters({ centralOptions: { scanTimeoutMs: 60 } });
    try {
      const start = Date.now();
      await rejectsWithCode(pair.central.connect('c0ffee000001'), 'PQBLE_ERR_DEVICE_NOT_FOUND');
      assert.ok(Date.now() - start >= 50);
      await waitFor(() => !pair.noble.scanning, 'scanning to stop');
      await assert.rejects(pair.central.connect('not-an-id'), RangeError);
      await assert.rejects(pair.central.connect(42 as never), TypeError);
    } finally {
      await pair.close();
    }
  });

  it('connect() aborted while it scans for the device stops scanning', async () => {
    const pair = await makeAdapters({ centralOptions: { scanTimeoutMs: 10_000 } });
    try {
      for (const waitMs of [0, 20]) {
        const ac = new AbortController();
        const pending = pair.central.connect('c0ffee000003', { signal: ac.signal });
        if (waitMs > 0) await delay(waitMs);
        ac.abort();
        await rejectsWithCode(pending, 'PQBLE_ERR_ABORTED');
        await waitFor(() => !pair.noble.scanning, 'scanning to stop');
        await delay(5);
        assert.equal(pair.noble.scanning, false);
      }
    } finally {
      await pair.close();
    }
  });

  it('connect() times out with PQBLE_ERR_TIMEOUT when the connection never completes, and cancels it', async () => {
    const pair = await makeAdapters();
    pair.air.unreachable.add(pair.bleno);
    try {
      const start = Date.now();
      await rejectsWithCode(pair.central.connect(pair.peripheral.deviceId, { timeoutMs: 120 }), 'PQBLE_ERR_TIMEOUT');
      const elapsed = Date.now() - start;
      assert.ok(elapsed >= 100 && elapsed < 2000, `took ${elapsed} ms`);
      assert.equal(pair.noble.cancelConnectCalls, 1, 'the pending LE connection is cancelled');
      // Once reachable again, a new connect() works.
      pair.air.unreachable.clear();
      const { c } = await connectPair(pair.central, pair.peripheral);
      assert.equal(c.isOpen, true);
    } finally {
      await pair.close();
    }
  });

  it('connect() rejects with PQBLE_ERR_ABORTED when aborted in the middle, and cancels the attempt', async () => {
    const pair = await makeAdapters();
    pair.air.unreachable.add(pair.bleno);
    try {
      const ac = new AbortController();
      const pending = pair.central.connect(pair.peripheral.deviceId, { signal: ac.signal });
      await waitFor(() => [...pair.noble.peripherals.values()].some((p) => p.state === 'connecting'), 'the LE connection to start');
      ac.abort();
      await rejectsWithCode(pending, 'PQBLE_ERR_ABORTED');
      assert.equal(pair.noble.cancelConnectCalls, 1);
    } finally {
      await pair.close();
    }
  });

  it('connect() to a device without the pqble GATT service rejects with PQBLE_ERR_DEVICE_NOT_FOUND and disconnects', async () => {
    const air = new FakeAir();
    const noble = air.createNoble();
    const impostor = air.createBleno();
    impostor.on('stateChange', () => undefined);
    impostor.setServices([]);
    impostor.startAdvertising('impostor', [compactUuid(PQBLE_SERVICE_UUID)]);
    const central = await createNobleCentral({ noble, scanTimeoutMs: 500 });
    try {
      await rejectsWithCode(central.connect(impostor.address), 'PQBLE_ERR_DEVICE_NOT_FOUND');
      await waitFor(() => air.connections.size === 0, 'the disconnect');
    } finally {
      await central.close();
    }
  });

  it('a second connect() to a connected device rejects with PQBLE_ERR_LINK_BUSY', async () => {
    const pair = await makeAdapters();
    try {
      await connectPair(pair.central, pair.peripheral);
      await rejectsWithCode(pair.central.connect(pair.peripheral.deviceId), 'PQBLE_ERR_LINK_BUSY');
      assert.equal(pair.central.links().length, 1);
    } finally {
      await pair.close();
    }
  });

  it('keeps notifications that arrive before the subscription is confirmed', async () => {
    const pair = await makeAdapters({ air: { subscribeAckDelayMs: 40 } });
    try {
      const early = [Uint8Array.of(1), Uint8Array.of(2, 2), Uint8Array.of(3, 3, 3)];
      let connectResolved = false;
      let sentBeforeConnectResolved = false;
      pair.peripheral.onIncoming((link) => {
        sentBeforeConnectResolved = !connectResolved;
        for (const p of early) void link.send(p);
      });
      const c = await pair.central.connect(pair.peripheral.deviceId);
      connectResolved = true;
      assert.equal(sentBeforeConnectResolved, true, 'the peripheral sent before the central saw the CCCD write response');
      const got: Uint8Array[] = [];
      c.onPacket((p) => got.push(p));
      await waitFor(() => got.length === early.length, 'the early notifications');
      assert.deepEqual(got, early);
    } finally {
      await pair.close();
    }
  });

  it('takes the ATT MTU from the library and follows later MTU changes', async () => {
    const pair = await makeAdapters({ central: { desiredMtu: 185 } });
    try {
      const { c, p } = await connectPair(pair.central, pair.peripheral);
      assert.equal(c.attMtu, 185);
      assert.equal(c.maxPayloadBytes, 182);
      assert.equal(p.attMtu, 185);
      const seen: number[] = [];
      c.onMtuChange((mtu) => seen.push(mtu));
      pair.air.changeMtu(connectionOf(pair, c), 247);
      await waitFor(() => seen.length === 1, 'the MTU change');
      assert.deepEqual(seen, [247]);
      assert.equal(c.maxPayloadBytes, 244);
      await waitFor(() => p.attMtu === 247, 'the peripheral to follow');
    } finally {
      await pair.close();
    }
  });

  it("mtuReport 'maxWriteLength' (macOS) adds the 3-byte ATT header", async () => {
    const pair = await makeAdapters({ centralOptions: { mtuReport: 'maxWriteLength' }, central: { desiredMtu: 100 } });
    try {
      const { c } = await connectPair(pair.central, pair.peripheral);
      assert.equal(c.attMtu, 103);
    } finally {
      await pair.close();
    }
  });

  it('reconnects after a dropped link', async () => {
    const pair = await makeAdapters();
    try {
      const first = await connectPair(pair.central, pair.peripheral);
      const reason = closeReason(first.c);
      pair.air.drop(connectionOf(pair, first.c), HCI_REASON.connectionTimeout);
      assert.equal(await reason, 'PQBLE_ERR_DISCONNECTED');
      assert.equal(pair.central.links().length, 0);
      const second = await connectPair(pair.central, pair.peripheral);
      assert.notEqual(second.c, first.c);
      const got = new Promise<Uint8Array>((resolve) => second.p.onPacket(resolve));
      await second.c.send(Uint8Array.of(9, 9));
      assert.deepEqual(await got, Uint8Array.of(9, 9));
    } finally {
      await pair.close();
    }
  });

  it('onIncoming() never fires on a central and returns an unsubscribe function', async () => {
    const pair = await makeAdapters();
    try {
      const off = pair.central.onIncoming(() => assert.fail('a central accepted a link'));
      assert.equal(typeof off, 'function');
      off();
    } finally {
      await pair.close();
    }
  });
});

describe('noble central (fakes): flow control and disconnects', () => {
  /** Sends `n` values without awaiting; tracks which settled. */
  function fire(link: Link, n: number): { settled: () => number; results: Promise<PromiseSettledResult<void>[]> } {
    let settled = 0;
    const sends = Array.from({ length: n }, (_, i) =>
      link.send(Uint8Array.of(i & 0xff, i >> 8)).finally(() => {
        settled++;
      }),
    );
    return { settled: () => settled, results: Promise.allSettled(sends) };
  }

  it('holds at most maxQueuedWrites values plus one write in the library; send() waits beyond that', async () => {
    const pair = await makeAdapters({ centralOptions: { maxQueuedWrites: 4 } });
    try {
      const { c, p } = await connectPair(pair.central, pair.peripheral);
      const conn = connectionOf(pair, c);
      pair.air.holdWrites = true;
      const sends = fire(c, 20);
      await delay(20);
      assert.equal(sends.settled(), 5, '4 queued + 1 handed to the library resolve; 15 wait');
      assert.equal(conn.heldWrites.length, 1, 'one write outstanding in the library at a time');
      const got: Uint8Array[] = [];
      p.onPacket((v) => got.push(v));
      pair.air.releaseWrites();
      const results = await sends.results;
      assert.ok(results.every((r) => r.status === 'fulfilled'));
      await waitFor(() => got.length === 20, 'all values');
      assert.deepEqual(
        got.map((v) => v[0]),
        Array.from({ length: 20 }, (_, i) => i),
      );
    } finally {
      await pair.close();
    }
  });

  it('a disconnect in the middle of a write rejects the waiting sends with PQBLE_ERR_DISCONNECTED', async () => {
    const pair = await makeAdapters({ centralOptions: { maxQueuedWrites: 2 } });
    try {
      const { c } = await connectPair(pair.central, pair.peripheral);
      pair.air.holdWrites = true;
      const reason = closeReason(c);
      const sends = fire(c, 10);
      await delay(10);
      assert.equal(sends.settled(), 3);
      pair.air.drop(connectionOf(pair, c), HCI_REASON.connectionTimeout);
      const results = await sends.results;
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(rejected.length, 7);
      for (const r of rejected) assert.ok(isPqbleError(r.reason, 'PQBLE_ERR_DISCONNECTED'));
      assert.equal(await reason, 'PQBLE_ERR_DISCONNECTED');
      await rejectsWithCode(c.send(Uint8Array.of(1)), 'PQBLE_ERR_DISCONNECTED');
    } finally {
      await pair.close();
    }
  });

  it('a waiting send() can be aborted; the values around it still go out in order', async () => {
    const pair = await makeAdapters({ centralOptions: { maxQueuedWrites: 1 } });
    try {
      const { c, p } = await connectPair(pair.central, pair.peripheral);
      pair.air.holdWrites = true;
      await c.send(Uint8Array.of(1));
      await delay(5);
      await c.send(Uint8Array.of(2));
      const ac = new AbortController();
      const aborted = c.send(Uint8Array.of(3), { signal: ac.signal });
      const last = c.send(Uint8Array.of(4));
      ac.abort();
      await rejectsWithCode(aborted, 'PQBLE_ERR_ABORTED');
      const got: number[] = [];
      p.onPacket((v) => got.push(v[0]));
      pair.air.releaseWrites();
      await last;
      await waitFor(() => got.length === 3, 'the values');
      assert.deepEqual(got, [1, 2, 4]);
    } finally {
      await pair.close();
    }
  });

  it('a write the library refuses closes the link with PQBLE_ERR_DISCONNECTED', async () => {
    const pair = await makeAdapters();
    try {
      const { c } = await connectPair(pair.central, pair.peripheral);
      const tx = connectionOf(pair, c).characteristics.get(compactUuid(PQBLE_TX_CHARACTERISTIC_UUID));
      assert.ok(tx !== undefined);
      tx.write = (_data, _withoutResponse, callback) => callback?.(new Error('ATT error 0x0e'));
      const reason = closeReason(c);
      await c.send(Uint8Array.of(1));
      assert.equal(await reason, 'PQBLE_ERR_DISCONNECTED');
    } finally {
      await pair.close();
    }
  });

  it('close() closes its links, stops scanning and removes its listeners; later calls reject with PQBLE_ERR_CLOSED', async () => {
    const pair = await makeAdapters();
    const { c, p } = await connectPair(pair.central, pair.peripheral);
    const peerReason = closeReason(p);
    const scanning = pair.central.scan({ durationMs: 10_000 }).catch((err: unknown) => err);
    await waitFor(() => pair.noble.scanning, 'the scan');
    const pendingConnect = pair.central.connect('c0ffee000002').catch((err: unknown) => err);
    await pair.central.close();
    assert.equal(c.isOpen, false);
    assert.equal(await peerReason, 'PQBLE_ERR_DISCONNECTED');
    const connectErr = await pendingConnect;
    assert.ok(isPqbleError(connectErr, 'PQBLE_ERR_CLOSED'), String(connectErr));
    for (const event of ['discover', 'stateChange', 'scanStop']) assert.equal(pair.noble.listenerCount(event), 0, event);
    await rejectsWithCode(pair.central.connect(pair.peripheral.deviceId), 'PQBLE_ERR_CLOSED');
    await pair.central.close();
    assert.ok(isPqbleError(await scanning, 'PQBLE_ERR_CLOSED'), 'a running scan ends with the central');
    await pair.peripheral.close();
  });

  it('subscribes to RX and writes to TX without response', async () => {
    const pair = await makeAdapters();
    try {
      const { c } = await connectPair(pair.central, pair.peripheral);
      const conn = connectionOf(pair, c);
      assert.equal(conn.subscriptions.get(compactUuid(PQBLE_RX_CHARACTERISTIC_UUID)), true);
      const tx = pair.bleno.characteristic(PQBLE_TX_CHARACTERISTIC_UUID);
      assert.ok(tx !== undefined);
      const seen = new Promise<boolean>((resolve) =>
        tx.once('writeRequest', (_h: unknown, _d: unknown, _o: unknown, withoutResponse: boolean) => resolve(withoutResponse)),
      );
      await c.send(Uint8Array.of(5));
      assert.equal(await seen, true);
    } finally {
      await pair.close();
    }
  });
});
