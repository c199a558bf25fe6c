/**
 * Unit tests of the adapter building blocks: the GATT UUIDs (src/adapters/gatt.ts), BLE
 * address <-> device id mapping and the install hint (src/adapters/peer-address.ts, radio-unavailable.ts), and the
 * AdapterLink queue/listener semantics (src/adapters/link-core.ts) with a scripted driver.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID, compactUuid, sameUuid } from '../../src/adapters/gatt.js';
import { AdapterLink, MAX_BUFFERED_INBOUND_PACKETS, clampAttMtu, type LinkDriver } from '../../src/adapters/link-core.js';
import { deviceIdForBlePeer, deviceIdFromAddress, randomStaticDeviceId } from '../../src/adapters/peer-address.js';
import { isMissingNativeBinding, isMissingPackage, radioUnavailable } from '../../src/adapters/radio-unavailable.js';
import { silenceStoppedSocket } from '../../src/adapters/shared-library.js';
import { LinkError } from '../../src/errors.js';
import { isDeviceId } from '../../src/ids.js';
import { delay, rejectsWithCode, waitFor } from './helpers.js';
import { fuzz } from '../support/fuzz.js';

describe('GATT UUIDs', () => {
  it('are three distinct random (version 4) 128-bit UUIDs', () => {
    const all = [PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID, PQBLE_RX_CHARACTERISTIC_UUID];
    for (const uuid of all) assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(all).size, 3);
  });

  it('compactUuid() gives the lowercase dash-free form noble and bleno use; sameUuid() ignores form', () => {
    assert.equal(compactUuid('228C848E-05AE-4AB7-8EC7-E5641A5C5FA1'), '228c848e05ae4ab78ec7e5641a5c5fa1');
    assert.ok(sameUuid(PQBLE_SERVICE_UUID, compactUuid(PQBLE_SERVICE_UUID).toUpperCase()));
    assert.ok(!sameUuid(PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID));
    assert.throws(() => compactUuid(5 as never), TypeError);
  });
});

describe('device ids of BLE peers', () => {
  it('maps every spelling of a 6-byte address to the same device id', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (bytes) => {
        const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0'));
        const id = hex.join('');
        assert.equal(deviceIdForBlePeer(hex.join(':')), id);
        assert.equal(deviceIdForBlePeer(hex.join('-').toUpperCase()), id);
        assert.equal(deviceIdForBlePeer(id.toUpperCase()), id);
        assert.equal(deviceIdFromAddress(hex.join(':')), id);
      }),
      fuzz(200),
    );
  });

  it('maps a macOS peripheral UUID to the first 6 bytes of SHA-256 of its compact lowercase form', () => {
    const uuid = '5C2F0E5B-6C3A-4C47-9E0E-2D2B8B4A1F11';
    const expected = createHash('sha256').update('5c2f0e5b6c3a4c479e0e2d2b8b4a1f11').digest('hex').slice(0, 12);
    assert.equal(deviceIdForBlePeer(uuid), expected);
    assert.equal(deviceIdForBlePeer(uuid.toLowerCase()), expected, 'case does not matter');
    assert.equal(deviceIdForBlePeer(uuid.replace(/-/g, '')), expected, 'dashes do not matter');
  });

  it('always yields a valid device id for any non-empty identifier, and is stable', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => s.trim().length > 0),
        (s) => {
          const id = deviceIdForBlePeer(s);
          assert.ok(isDeviceId(id));
          assert.equal(deviceIdForBlePeer(s), id);
        },
      ),
      fuzz(200),
    );
  });

  it('rejects non-strings and empty identifiers; "unknown" addresses are not addresses', () => {
    assert.throws(() => deviceIdForBlePeer(undefined as never), TypeError);
    assert.throws(() => deviceIdForBlePeer('  '), RangeError);
    assert.equal(deviceIdFromAddress('unknown'), undefined);
    assert.equal(deviceIdFromAddress(''), undefined);
    assert.equal(deviceIdFromAddress(null), undefined);
  });

  it('random static ids have the two top bits set', () => {
    for (let i = 0; i < 50; i++) {
      const id = randomStaticDeviceId();
      assert.ok(isDeviceId(id));
      assert.equal(parseInt(id.slice(0, 2), 16) & 0xc0, 0xc0);
    }
  });
});

describe('radio-unavailable errors', () => {
  it('add the install hint only when the cause is a loading failure', () => {
    const loading = radioUnavailable('could not load', '@stoprocent/noble', new Error("Cannot find module '@stoprocent/bluetooth-hci-socket'"));
    assert.equal(loading.code, 'PQBLE_ERR_RADIO_UNAVAILABLE');
    assert.match(loading.message, /npm install-scripts approve @stoprocent\/noble/);
    const plain = radioUnavailable('the adapter is poweredOff', '@stoprocent/noble', new Error('Address family not supported by protocol'));
    assert.doesNotMatch(plain.message, /install-scripts/);
    assert.ok(isMissingNativeBinding(Object.assign(new Error('x'), { code: 'ERR_DLOPEN_FAILED' })));
    assert.ok(!isMissingNativeBinding(new Error('Timeout waiting for Noble to be powered on')));
  });

  it('name the package to install when the package itself is missing (not a module inside it)', () => {
    const missing = (message: string, code: string): Error => Object.assign(new Error(message), { code });
    const notInstalled = missing(
      "Cannot find package '@stoprocent/noble' imported from /app/node_modules/pqble/dist/adapters/noble.js",
      'ERR_MODULE_NOT_FOUND',
    );
    assert.ok(isMissingPackage(notInstalled, '@stoprocent/noble'));
    assert.ok(isMissingPackage(missing("Cannot find module '@stoprocent/bleno'", 'MODULE_NOT_FOUND'), '@stoprocent/bleno'));
    const err = radioUnavailable('could not load @stoprocent/noble', '@stoprocent/noble', notInstalled);
    assert.equal(err.code, 'PQBLE_ERR_RADIO_UNAVAILABLE');
    assert.equal(err.cause, notInstalled);
    assert.ok(err.message.includes('run `npm install @stoprocent/noble`'), err.message);
    assert.doesNotMatch(err.message, /rebuild/);
    // A module missing inside an installed package is a broken or unbuilt install: rebuild.
    const inner = missing("Cannot find module '@stoprocent/bluetooth-hci-socket'", 'MODULE_NOT_FOUND');
    assert.ok(!isMissingPackage(inner, '@stoprocent/noble'));
    assert.match(radioUnavailable('x', '@stoprocent/noble', inner).message, /npm rebuild @stoprocent\/noble @stoprocent\/bluetooth-hci-socket/);
    assert.ok(!isMissingPackage(new Error("Cannot find package '@stoprocent/noble'"), '@stoprocent/noble'), 'needs the module-not-found code');
    assert.ok(!isMissingPackage('Cannot find package', '@stoprocent/noble'));
  });
});

/** A driver whose writes complete when the test says so. */
function scriptedDriver(): LinkDriver & { written: Uint8Array[]; complete(): void; fail(err: Error): void; disconnects: number } {
  const pending: { resolve(): void; reject(err: Error): void }[] = [];
  const driver = {
    written: [] as Uint8Array[],
    disconnects: 0,
    write(value: Uint8Array): Promise<void> {
      driver.written.push(value);
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
    disconnect(): Promise<void> {
      driver.disconnects++;
      return Promise.resolve();
    },
    complete(): void {
      pending.shift()?.resolve();
    },
    fail(err: Error): void {
      pending.shift()?.reject(err);
    },
  };
  return driver;
}

function makeLink(driver: LinkDriver, maxQueuedPackets = 2): AdapterLink {
  return new AdapterLink({ localDeviceId: 'c00000000001', peerDeviceId: 'c00000000002', role: 'central', attMtu: 23, maxQueuedPackets, driver });
}

describe('AdapterLink', () => {
  it('hands one value at a time to the library, in order', async () => {
    const driver = scriptedDriver();
    const link = makeLink(driver, 8);
    for (let i = 0; i < 5; i++) await link.send(Uint8Array.of(i));
    await delay(1);
    assert.equal(driver.written.length, 1);
    for (let i = 1; i < 5; i++) {
      driver.complete();
      await waitFor(() => driver.written.length === i + 1, 'the next write');
    }
    assert.deepEqual(
      driver.written.map((v) => v[0]),
      [0, 1, 2, 3, 4],
    );
    assert.equal(link.stats().packetsSent, 5);
  });

  it('a waiting send() aborted before it got room rejects with PQBLE_ERR_ABORTED and its value is never written', async () => {
    const driver = scriptedDriver();
    const link = makeLink(driver, 1);
    await link.send(Uint8Array.of(0)); // handed to the library
    await delay(1);
    await link.send(Uint8Array.of(1)); // fills the queue
    const ac = new AbortController();
    const waiting = link.send(Uint8Array.of(2), { signal: ac.signal });
    assert.equal(link.waitingSends, 1);
    ac.abort();
    await rejectsWithCode(waiting, 'PQBLE_ERR_ABORTED');
    assert.equal(link.waitingSends, 0);
    driver.complete();
    await waitFor(() => driver.written.length === 2, 'the queued write');
    driver.complete();
    await delay(5);
    assert.deepEqual(
      driver.written.map((v) => v[0]),
      [0, 1],
    );
  });

  it('a send() aborted in the same tick as it got room stands: it resolves and its value is written', async () => {
    const driver = scriptedDriver();
    const ac = new AbortController();
    // Abort from inside the library's write of value 1: the pump admitted value 2 into the
    // queue just before, synchronously, so the abort comes after the admission.
    const write = driver.write.bind(driver);
    driver.write = (value: Uint8Array) => {
      if (value[0] === 1) ac.abort();
      return write(value);
    };
    const link = makeLink(driver, 1);
    await link.send(Uint8Array.of(0));
    await delay(1);
    await link.send(Uint8Array.of(1));
    const admitted = link.send(Uint8Array.of(2), { signal: ac.signal });
    driver.complete(); // value 0 done: the pump takes 1 and admits 2
    await admitted;
    driver.complete();
    await waitFor(() => driver.written.length === 3, 'the admitted write');
    assert.deepEqual(
      driver.written.map((v) => v[0]),
      [0, 1, 2],
    );
  });

  it('a failed library write closes the link with PQBLE_ERR_DISCONNECTED and rejects waiting sends', async () => {
    const driver = scriptedDriver();
    const link = makeLink(driver, 1);
    await link.send(Uint8Array.of(1));
    await delay(1);
    await link.send(Uint8Array.of(2));
    const waiting = link.send(Uint8Array.of(3));
    assert.equal(link.waitingSends, 1);
    const reasons: (string | undefined)[] = [];
    link.onClose((r) => reasons.push(r?.code));
    driver.fail(new Error('ATT error'));
    await rejectsWithCode(waiting, 'PQBLE_ERR_DISCONNECTED');
    await delay(1);
    assert.deepEqual(reasons, ['PQBLE_ERR_DISCONNECTED']);
    assert.equal(link.isOpen, false);
  });

  it('keeps the first close reason; a local close() after a drop does not disconnect again', async () => {
    const driver = scriptedDriver();
    const link = makeLink(driver);
    const reason = new LinkError('PQBLE_ERR_SUPERVISION_TIMEOUT', 'lost');
    link.closeWith(reason);
    link.closeWith(new LinkError('PQBLE_ERR_DISCONNECTED', 'again'));
    await link.close();
    assert.equal(driver.disconnects, 0);
    const late = await new Promise((resolve) => link.onClose(resolve));
    assert.equal(late, reason);
    await rejectsWithCode(link.send(Uint8Array.of(1)), 'PQBLE_ERR_SUPERVISION_TIMEOUT');
  });

  it(`buffers ${MAX_BUFFERED_INBOUND_PACKETS} inbound values before the first listener and delivers them in order`, async () => {
    const link = makeLink(scriptedDriver());
    for (let i = 0; i < MAX_BUFFERED_INBOUND_PACKETS; i++) link.deliver(Uint8Array.of(i & 0xff, i >> 8));
    const got: Uint8Array[] = [];
    link.onPacket((v) => got.push(v));
    link.deliver(Uint8Array.of(0xff, 0xff));
    await delay(1);
    assert.equal(link.isOpen, true);
    assert.equal(got.length, MAX_BUFFERED_INBOUND_PACKETS + 1);
    assert.deepEqual(got[0], Uint8Array.of(0, 0));
    assert.deepEqual(got.at(-1), Uint8Array.of(0xff, 0xff), 'a value arriving during the flush comes after the buffered ones');
    assert.equal(link.stats().packetsReceived, MAX_BUFFERED_INBOUND_PACKETS + 1);
  });

  it(`one value more than ${MAX_BUFFERED_INBOUND_PACKETS} with no listener closes the link with PQBLE_ERR_QUEUE_FULL and drops the connection`, async () => {
    const driver = scriptedDriver();
    const link = makeLink(driver);
    const reason = new Promise<string | undefined>((resolve) => link.onClose((r) => resolve(r?.code)));
    for (let i = 0; i <= MAX_BUFFERED_INBOUND_PACKETS; i++) link.deliver(Uint8Array.of(i & 0xff));
    assert.equal(await reason, 'PQBLE_ERR_QUEUE_FULL');
    assert.equal(link.isOpen, false);
    await link.close();
    assert.equal(driver.disconnects, 1, 'the library was asked to drop the connection once');
    const got: Uint8Array[] = [];
    link.onPacket((v) => got.push(v));
    link.deliver(Uint8Array.of(1));
    await delay(1);
    assert.deepEqual(got, [], 'nothing is delivered after the failure');
  });

  it('clamps reported MTUs to 23..517 and reports only real changes', () => {
    assert.equal(clampAttMtu(10), 23);
    assert.equal(clampAttMtu(9000), 517);
    assert.equal(clampAttMtu(Number.NaN), 23);
    assert.equal(clampAttMtu('247'), 23);
    const link = makeLink(scriptedDriver());
    const seen: number[] = [];
    link.onMtuChange((m) => seen.push(m));
    link.setMtu(23);
    link.setMtu(247);
    link.setMtu(247);
    assert.deepEqual(seen, [247]);
    assert.equal(link.maxPayloadBytes, 244);
  });

  it('checks listener arguments', () => {
    const link = makeLink(scriptedDriver());
    assert.throws(() => link.onPacket(null as never), TypeError);
    assert.throws(() => link.onClose('x' as never), TypeError);
    assert.throws(() => link.onMtuChange(undefined as never), TypeError);
  });
});

describe('silenceStoppedSocket', () => {
  it('gives a stopped HCI socket and its serial port an error listener, so a late EBADF cannot crash the process', () => {
    const serial = new EventEmitter();
    const socket = Object.assign(new EventEmitter(), { _serialDevice: serial });
    const lib = { _bindings: { _hci: { _socket: socket } } };
    assert.throws(() => serial.emit('error', new Error('EBADF')), /EBADF/, 'without a listener the event throws');
    silenceStoppedSocket(lib);
    assert.equal(serial.emit('error', new Error('EBADF')), true);
    assert.equal(socket.emit('error', new Error('EBADF')), true);
    // Libraries without those fields are left alone.
    for (const other of [{}, { _bindings: null }, { _bindings: { _hci: { _socket: 3 } } }]) silenceStoppedSocket(other);
  });
});
