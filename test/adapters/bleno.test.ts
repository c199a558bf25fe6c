/**
 * The bleno peripheral adapter (src/adapters/bleno/) against the noble/bleno fakes
 * (test/adapters/fakes): radio states, the published service and advertisement, several
 * centrals at once with their own MTU, the connection limit, writes before the subscription,
 * macOS-style handles, and close. No hardware involved.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBlenoPeripheral } from '../../src/adapters/bleno.js';
import { PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID, compactUuid } from '../../src/adapters/gatt.js';
import { createNobleCentral } from '../../src/adapters/noble.js';
import { deviceIdForBlePeer } from '../../src/adapters/peer-address.js';
import type { Link } from '../../src/link/types.js';
import { FakeAir, createFakeBlePair, type FakeNoblePeripheral } from './fakes/index.js';
import { closeReason, connectPair, delay, makeAdapters, rejectsWithCode, waitFor } from './helpers.js';

describe('bleno peripheral (fakes): radio availability and options', () => {
  for (const state of ['unsupported', 'unauthorized'] as const) {
    it(`rejects with PQBLE_ERR_RADIO_UNAVAILABLE at once when bleno reports ${state} while starting`, async () => {
      const { bleno } = createFakeBlePair({ peripheral: { initialState: state, syncInit: true } });
      const start = Date.now();
      await rejectsWithCode(createBlenoPeripheral({ bleno, poweredOnTimeoutMs: 5000 }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
      assert.ok(Date.now() - start < 1000);
      assert.equal(bleno.listenerCount('stateChange'), 0);
    });
  }

  it('waits through a poweredOff reported while starting for a later poweredOn (as bleno does on Linux)', async () => {
    const { bleno } = createFakeBlePair({ peripheral: { initialState: 'poweredOff', syncInit: true } });
    const later = setTimeout(() => bleno.setState('poweredOn'), 40);
    try {
      const peripheral = await createBlenoPeripheral({ bleno, poweredOnTimeoutMs: 5000 });
      assert.equal(bleno.advertising, true);
      await peripheral.close();
    } finally {
      clearTimeout(later);
    }
  });

  it('rejects with PQBLE_ERR_RADIO_UNAVAILABLE after poweredOnTimeoutMs when the state stays poweredOff, naming the state', async () => {
    const { bleno } = createFakeBlePair({ peripheral: { initialState: 'poweredOff', syncInit: true } });
    const start = Date.now();
    const err = await rejectsWithCode(createBlenoPeripheral({ bleno, poweredOnTimeoutMs: 60 }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    assert.ok(Date.now() - start >= 50);
    assert.match(err.message, /still poweredOff/);
    assert.equal(bleno.listenerCount('stateChange'), 0);
  });

  it('rejects with PQBLE_ERR_RADIO_UNAVAILABLE after poweredOnTimeoutMs when the state stays unknown', async () => {
    const { bleno } = createFakeBlePair({ peripheral: { initialState: 'unknown' } });
    const start = Date.now();
    await rejectsWithCode(createBlenoPeripheral({ bleno, poweredOnTimeoutMs: 60 }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    assert.ok(Date.now() - start >= 50);
  });

  it('waits for a poweredOn that comes later (asynchronous start)', async () => {
    const { bleno } = createFakeBlePair({ peripheral: { syncInit: false } });
    const peripheral = await createBlenoPeripheral({ bleno });
    assert.equal(bleno.advertising, true);
    await peripheral.close();
  });

  it('rejects with PQBLE_ERR_RADIO_UNAVAILABLE when advertising fails, and leaves no listeners behind', async () => {
    const { bleno } = createFakeBlePair({ peripheral: { advertisingError: new Error('Command Disallowed (0xc)') } });
    await rejectsWithCode(createBlenoPeripheral({ bleno }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    for (const event of ['accept', 'disconnect', 'mtuChange', 'stateChange']) assert.equal(bleno.listenerCount(event), 0, event);
  });

  it('refuses a second peripheral on the same bleno object until the first is closed', async () => {
    const { bleno } = createFakeBlePair();
    const first = await createBlenoPeripheral({ bleno });
    await rejectsWithCode(createBlenoPeripheral({ bleno }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    assert.equal(bleno.advertising, true, 'the first keeps advertising');
    await first.close();
    const second = await createBlenoPeripheral({ bleno });
    await second.close();
  });

  it('checks its options', async () => {
    const { bleno } = createFakeBlePair();
    await assert.rejects(createBlenoPeripheral({ bleno, nmae: 'x' } as never), TypeError);
    await assert.rejects(createBlenoPeripheral({ bleno, name: '' }), RangeError);
    await assert.rejects(createBlenoPeripheral({ bleno, name: 'x'.repeat(30) }), RangeError);
    await assert.rejects(createBlenoPeripheral({ bleno, name: 'caf\u00e9' }), RangeError);
    await assert.rejects(createBlenoPeripheral({ bleno, name: 7 as never }), TypeError);
    await assert.rejects(createBlenoPeripheral({ bleno, maxConnections: 0 }), RangeError);
    await assert.rejects(createBlenoPeripheral({ bleno: { on() {} } as never }), TypeError);
  });

  it('publishes the pqble service (TX write-without-response, RX notify) and advertises its UUID and name', async () => {
    const { bleno } = createFakeBlePair();
    const peripheral = await createBlenoPeripheral({ bleno, name: 'kitchen-hub' });
    try {
      assert.equal(bleno.advertisedName, 'kitchen-hub');
      assert.deepEqual(bleno.advertisedUuids, [compactUuid(PQBLE_SERVICE_UUID)]);
      assert.equal(bleno.services.length, 1);
      assert.equal(bleno.services[0].uuid, compactUuid(PQBLE_SERVICE_UUID));
      assert.ok(bleno.characteristic(PQBLE_TX_CHARACTERISTIC_UUID)?.properties.includes('writeWithoutResponse'));
      assert.deepEqual(bleno.characteristic(PQBLE_RX_CHARACTERISTIC_UUID)?.properties, ['notify']);
      assert.equal(peripheral.deviceId, bleno.address.replace(/:/g, ''));
      await rejectsWithCode(peripheral.connect('aabbccddeeff'), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    } finally {
      await peripheral.close();
    }
  });
});

describe('bleno peripheral (fakes): centrals', () => {
  it('serves several centrals at once, each with its own link, peer id and MTU', async () => {
    const air = new FakeAir();
    const bleno = air.createBleno();
    const peripheral = await createBlenoPeripheral({ bleno });
    const mtus = [100, 185, 247];
    const centrals = await Promise.all(mtus.map((desiredMtu) => createNobleCentral({ noble: air.createNoble({ desiredMtu }), mtuReport: 'attMtu' })));
    const incoming = new Map<string, Link>();
    peripheral.onIncoming((link) => incoming.set(link.peerDeviceId, link));
    try {
      // All connect at the same time: bleno's mtuChange events do not say which central they belong to.
      const links = await Promise.all(centrals.map((c) => c.connect(peripheral.deviceId)));
      await waitFor(() => incoming.size === 3, 'three incoming links');
      assert.equal(peripheral.links().length, 3);
      for (const [i, central] of centrals.entries()) {
        const p = incoming.get(central.deviceId);
        assert.ok(p !== undefined);
        assert.equal(p.attMtu, mtus[i]);
        assert.equal(links[i].attMtu, mtus[i]);
        const up = new Promise<Uint8Array>((resolve) => p.onPacket(resolve));
        const down = new Promise<Uint8Array>((resolve) => links[i].onPacket(resolve));
        await links[i].send(Uint8Array.of(i, 1));
        await p.send(Uint8Array.of(i, 2));
        assert.deepEqual(await up, Uint8Array.of(i, 1));
        assert.deepEqual(await down, Uint8Array.of(i, 2));
      }
      // One central leaving closes only its own link.
      const gone = closeReason(incoming.get(centrals[0].deviceId) as Link);
      await links[0].close();
      assert.equal(await gone, 'PQBLE_ERR_DISCONNECTED');
      assert.equal(peripheral.links().length, 2);
    } finally {
      await Promise.all(centrals.map((c) => c.close()));
      await peripheral.close();
    }
  });

  it('enforces maxConnections: stops advertising at the limit, drops a central that still gets in, resumes when one leaves', async () => {
    const air = new FakeAir();
    const bleno = air.createBleno();
    const peripheral = await createBlenoPeripheral({ bleno, maxConnections: 1 });
    const a = await createNobleCentral({ noble: air.createNoble() });
    const b = await createNobleCentral({ noble: air.createNoble(), scanTimeoutMs: 100 });
    try {
      // b has seen the peripheral advertise before a connects.
      assert.equal((await b.scan({ durationMs: 300 })).length, 1); // long enough for a loaded machine
      const { c } = await connectPair(a, peripheral);
      await waitFor(() => !bleno.advertising, 'advertising to stop at the limit');
      assert.equal((await b.scan({ durationMs: 300 })).length, 0, 'not advertising at the limit');
      // A central that connects anyway (it raced the stop) is dropped at once.
      bleno.advertising = true;
      await rejectsWithCode(b.connect(peripheral.deviceId), 'PQBLE_ERR_DISCONNECTED');
      assert.equal(peripheral.links().length, 1);
      assert.equal(air.connections.size, 1);
      bleno.advertising = false;
      await c.close();
      await waitFor(() => bleno.advertising, 'advertising to resume');
      const { p } = await connectPair(b, peripheral);
      assert.equal(p.peerDeviceId, b.deviceId);
    } finally {
      await a.close();
      await b.close();
      await peripheral.close();
    }
  });

  it('delivers values a central wrote before it subscribed, in order, once the link opens', async () => {
    const air = new FakeAir();
    const bleno = air.createBleno();
    const peripheral = await createBlenoPeripheral({ bleno });
    const noble = air.createNoble();
    noble.on('stateChange', () => undefined);
    await waitFor(() => noble.state === 'poweredOn', 'power');
    const found = new Promise<FakeNoblePeripheral>((resolve) => noble.once('discover', resolve));
    await noble.startScanningAsync([compactUuid(PQBLE_SERVICE_UUID)], false);
    const target = await found;
    await noble.stopScanningAsync();
    await target.connectAsync();
    const { characteristics } = await target.discoverSomeServicesAndCharacteristicsAsync(
      [compactUuid(PQBLE_SERVICE_UUID)],
      [compactUuid(PQBLE_TX_CHARACTERISTIC_UUID), compactUuid(PQBLE_RX_CHARACTERISTIC_UUID)],
    );
    const tx = characteristics.find((c) => c.uuid === compactUuid(PQBLE_TX_CHARACTERISTIC_UUID));
    const rx = characteristics.find((c) => c.uuid === compactUuid(PQBLE_RX_CHARACTERISTIC_UUID));
    assert.ok(tx !== undefined && rx !== undefined);
    const offered: Link[] = [];
    peripheral.onIncoming((link) => offered.push(link));
    try {
      await tx.writeAsync(Buffer.from([1]), true);
      await tx.writeAsync(Buffer.from([2, 2]), true);
      await delay(10);
      assert.equal(offered.length, 0, 'no link before the central subscribed');
      await rx.subscribeAsync();
      await waitFor(() => offered.length === 1, 'the link');
      const [link] = offered;
      const got: Uint8Array[] = [];
      link.onPacket((v) => got.push(v));
      await tx.writeAsync(Buffer.from([3]), true);
      await waitFor(() => got.length === 3, 'the values');
      assert.deepEqual(got, [Uint8Array.of(1), Uint8Array.of(2, 2), Uint8Array.of(3)]);
      // Unsubscribing ends the link: the peripheral can no longer reach this central.
      const reason = closeReason(link);
      await rx.unsubscribeAsync();
      assert.equal(await reason, 'PQBLE_ERR_DISCONNECTED');
    } finally {
      await target.disconnectAsync();
      await peripheral.close();
    }
  });

  it('keeps links that open before anyone listens and hands them to the first listener', async () => {
    const pair = await makeAdapters();
    try {
      const c = await pair.central.connect(pair.peripheral.deviceId);
      await delay(10);
      const p = await new Promise<Link>((resolve) => pair.peripheral.onIncoming(resolve));
      assert.equal(p.peerDeviceId, c.localDeviceId);
      assert.equal(p.isOpen, true);
    } finally {
      await pair.close();
    }
  });

  it('works with macOS-style handles (central UUIDs, disconnect without a handle)', async () => {
    const { bleno } = createFakeBlePair();
    const peripheral = await createBlenoPeripheral({ bleno });
    try {
      const centralUuid = '5C2F0E5B-6C3A-4C47-9E0E-2D2B8B4A1F11';
      const tx = bleno.characteristic(PQBLE_TX_CHARACTERISTIC_UUID);
      const rx = bleno.characteristic(PQBLE_RX_CHARACTERISTIC_UUID);
      assert.ok(tx !== undefined && rx !== undefined);
      const incoming = new Promise<Link>((resolve) => peripheral.onIncoming(resolve));
      bleno.emit('accept', centralUuid, centralUuid);
      const notified: Buffer[] = [];
      rx.emit('subscribe', centralUuid, 182, (data?: Buffer) => {
        if (data !== undefined) notified.push(data);
      });
      const link = await incoming;
      assert.equal(link.peerDeviceId, deviceIdForBlePeer(centralUuid));
      assert.equal(link.attMtu, 185);
      const got = new Promise<Uint8Array>((resolve) => link.onPacket(resolve));
      let answered: number | undefined;
      tx.emit('writeRequest', centralUuid, Buffer.from([7, 7]), 0, false, (result: number) => {
        answered = result;
      });
      assert.deepEqual(await got, Uint8Array.of(7, 7));
      assert.equal(answered, 0);
      tx.emit('writeRequest', centralUuid, Buffer.from([1]), 3, false, (result: number) => {
        answered = result;
      });
      assert.equal(answered, 0x07, 'offset writes are refused with Invalid Offset');
      await link.send(Uint8Array.of(9));
      await waitFor(() => notified.length === 1, 'the notification');
      assert.ok(Buffer.isBuffer(notified[0]));
      assert.deepEqual([...notified[0]], [9]);
      const reason = closeReason(link);
      bleno.emit('disconnect', centralUuid);
      assert.equal(await reason, 'PQBLE_ERR_DISCONNECTED');
    } finally {
      await peripheral.close();
    }
  });

  it('closes its links when the adapter powers off', async () => {
    const pair = await makeAdapters();
    try {
      const { p } = await connectPair(pair.central, pair.peripheral);
      const reason = closeReason(p);
      pair.bleno.setState('poweredOff');
      assert.ok(['PQBLE_ERR_DISCONNECTED', 'PQBLE_ERR_RADIO_UNAVAILABLE'].includes((await reason) ?? ''));
    } finally {
      await pair.close();
    }
  });

  it('advertises again and accepts centrals once the adapter is powered on again (Bluetooth toggled)', async () => {
    const pair = await makeAdapters();
    try {
      const first = await connectPair(pair.central, pair.peripheral);
      const reason = closeReason(first.p);
      pair.bleno.setState('poweredOff');
      await reason;
      assert.equal(pair.bleno.advertising, false);
      pair.bleno.setState('poweredOn');
      await waitFor(() => pair.bleno.advertising, 'advertising again');
      const again = await connectPair(pair.central, pair.peripheral);
      assert.equal(again.p.isOpen, true);
      await again.c.close();
    } finally {
      await pair.close();
    }
  });

  it('close() stops advertising, disconnects every central and removes its listeners', async () => {
    const pair = await makeAdapters();
    const { c, p } = await connectPair(pair.central, pair.peripheral);
    const centralReason = closeReason(c);
    await pair.peripheral.close();
    assert.equal(p.isOpen, false);
    assert.equal(await centralReason, 'PQBLE_ERR_DISCONNECTED');
    assert.equal(pair.bleno.advertising, false);
    for (const event of ['accept', 'disconnect', 'mtuChange', 'stateChange']) assert.equal(pair.bleno.listenerCount(event), 0, event);
    assert.equal(pair.bleno.stopCalls, 0, 'an injected bleno is not stopped');
    await pair.peripheral.close();
    await pair.central.close();
  });
});
