/**
 * End-to-end: the full handshake and encrypted messages over the simulated radio, the
 * connection limit, concurrency, aborts, trust, and bad peers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex } from '../../src/bytes.js';
import { isPqbleError, type PqbleErrorCode } from '../../src/errors.js';
import { fragmentMessage } from '../../src/framing/index.js';
import type { Link } from '../../src/link/types.js';
import { BleTransport } from '../../src/transport/index.js';
import { CENTRAL_ID, OTHER_ID, PERIPHERAL_ID, connectPair, identity, makePair, text, utf8 } from './helpers.js';

const hasCode = (code: PqbleErrorCode) => (err: unknown) => {
  assert.ok(isPqbleError(err), `expected a PqbleError, got ${String(err)}`);
  assert.equal(err.code, code);
  return true;
};

describe('BleTransport: full handshake and messages', () => {
  it('authenticates both identities and carries messages of every size both ways', async () => {
    const pair = await makePair();
    try {
      const { central, peripheral } = await connectPair(pair);
      assert.equal(central.connectionType, 'full-handshake');
      assert.equal(peripheral.connectionType, 'full-handshake');
      assert.equal(central.peerFingerprint, bytesToHex(identity(1).fingerprint));
      assert.equal(peripheral.peerFingerprint, bytesToHex(identity(0).fingerprint));
      assert.equal(central.sessionId, peripheral.sessionId);
      assert.equal(central.peerDeviceId, PERIPHERAL_ID);
      assert.equal(peripheral.peerDeviceId, CENTRAL_ID);
      for (const size of [1, 100, 243, 244, 245, 10_240, 60_000]) {
        const out = Uint8Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff);
        await central.send(out);
        assert.deepEqual(await peripheral.receive(), out);
        await peripheral.send(out);
        assert.deepEqual(await central.receive(), out);
      }
      const stats = central.stats();
      assert.equal(stats.messagesSent, 7);
      assert.equal(stats.messagesReceived, 7);
      assert.ok(stats.setupRoundTrips === 2, `full handshake round trips: ${stats.setupRoundTrips}`);
      assert.ok(stats.link.bytesOnAirSent > stats.bytesSent, 'bytes on air include overhead');
      assert.ok(stats.setupCpuMs > 0);
      assert.equal(pair.central.cacheStats().fullHandshakes, 1);
      assert.equal(pair.peripheral.cacheStats().fullHandshakes, 1);
      assert.equal(pair.central.cacheStats().size, 1);
      assert.equal(pair.peripheral.cacheStats().size, 1);
    } finally {
      await pair.close();
    }
  });

  it('keeps the caller buffer untouched and rejects empty, oversized and non-byte messages', async () => {
    const pair = await makePair({ central: { maxMessageBytes: 1000 } });
    try {
      const { central, peripheral } = await connectPair(pair);
      const buf = utf8('hello');
      const sending = central.send(buf);
      buf.fill(0);
      await sending;
      assert.equal(text(await peripheral.receive()), 'hello');
      await assert.rejects(central.send(new Uint8Array(0)), RangeError);
      await assert.rejects(central.send('x' as unknown as Uint8Array), TypeError);
      await assert.rejects(central.send(new Uint8Array(1001)), hasCode('PQBLE_ERR_MESSAGE_TOO_LARGE'));
    } finally {
      await pair.close();
    }
  });

  it('messages() ends when the peer closes in order, and send() after close fails with a code', async () => {
    const pair = await makePair();
    try {
      const { central, peripheral } = await connectPair(pair);
      const got: string[] = [];
      const reading = (async () => {
        for await (const m of peripheral.messages()) got.push(text(m));
      })();
      await central.send(utf8('a'));
      await central.send(utf8('b'));
      await central.close();
      await reading;
      assert.deepEqual(got, ['a', 'b']);
      assert.equal(peripheral.isOpen, false);
      assert.equal(peripheral.closeReason, undefined);
      await assert.rejects(central.send(utf8('c')), hasCode('PQBLE_ERR_CLOSED'));
      assert.equal(pair.central.stats().activeConnections, 0);
    } finally {
      await pair.close();
    }
  });

  it('shares one connection between concurrent connectToDevice() calls for the same device', async () => {
    const pair = await makePair();
    try {
      const accepted = pair.peripheral.accept();
      const [a, b, c] = await Promise.all([
        pair.central.connectToDevice(PERIPHERAL_ID),
        pair.central.connectToDevice('BB:00:00:00:00:02'),
        pair.central.connectToDevice(PERIPHERAL_ID),
      ]);
      await accepted;
      assert.equal(a, b);
      assert.equal(b, c);
      assert.equal(pair.central.cacheStats().fullHandshakes, 1);
      assert.equal(pair.central.cacheStats().size, 1);
      assert.equal(pair.peripheral.stats().activeConnections, 1);
      // Connected already: the open connection is returned.
      assert.equal(await pair.central.connectToDevice(PERIPHERAL_ID), a);
    } finally {
      await pair.close();
    }
  });

  it('enforces the connection limit atomically', async () => {
    const pair = await makePair({ central: { maxConnections: 1 } });
    const other = pair.radio.createDevice({ deviceId: OTHER_ID });
    const third = await BleTransport.create({ identity: identity(2), link: other, logger: pair.logger });
    try {
      const first = pair.central.connectToDevice(PERIPHERAL_ID);
      await assert.rejects(pair.central.connectToDevice(OTHER_ID), hasCode('PQBLE_ERR_CONNECTION_LIMIT'));
      const conn = await first;
      await assert.rejects(pair.central.connectToDevice(OTHER_ID), hasCode('PQBLE_ERR_CONNECTION_LIMIT'));
      await conn.close();
      const second = await pair.central.connectToDevice(OTHER_ID);
      assert.equal(second.connectionType, 'full-handshake');
    } finally {
      await third.close();
      await pair.close();
    }
  });

  it('refuses incoming links beyond the limit with a coded error on the initiator', async () => {
    const pair = await makePair({ peripheral: { maxConnections: 1 } });
    const other = pair.radio.createDevice({ deviceId: OTHER_ID });
    const third = await BleTransport.create({ identity: identity(2), link: other, logger: pair.logger });
    try {
      await connectPair(pair);
      await assert.rejects(third.connectToDevice(PERIPHERAL_ID), hasCode('PQBLE_ERR_CONNECTION_LIMIT'));
    } finally {
      await third.close();
      await pair.close();
    }
  });

  it('aborts a connect attempt through its signal, and the next attempt works', async () => {
    const pair = await makePair();
    try {
      const ac = new AbortController();
      const attempt = pair.central.connectToDevice(PERIPHERAL_ID, { signal: ac.signal });
      ac.abort();
      await assert.rejects(attempt, hasCode('PQBLE_ERR_ABORTED'));
      const pre = new AbortController();
      pre.abort();
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID, { signal: pre.signal }), hasCode('PQBLE_ERR_ABORTED'));
      const { central } = await connectPair(pair);
      assert.ok(central.isOpen);
    } finally {
      await pair.close();
    }
  });

  it('rejects an unknown identity under an allow-list policy, on both sides, with a clear code', async () => {
    const pair = await makePair({ peripheral: { trust: { mode: 'allow-list', fingerprints: [identity(2).fingerprint] } } });
    try {
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID), hasCode('PQBLE_ERR_PEER_UNTRUSTED'));
      assert.equal(pair.peripheral.cacheStats().size, 0);
      assert.equal(pair.central.stats().activeConnections, 0);
      assert.equal(pair.peripheral.stats().activeConnections, 0);
    } finally {
      await pair.close();
    }
    const pair2 = await makePair({ central: { trust: { mode: 'allow-list', fingerprints: [bytesToHex(identity(2).fingerprint)] } } });
    try {
      await assert.rejects(pair2.central.connectToDevice(PERIPHERAL_ID), hasCode('PQBLE_ERR_PEER_UNTRUSTED'));
      assert.equal(pair2.central.cacheStats().size, 0);
    } finally {
      await pair2.close();
    }
  });

  it('fails when the device proves a different identity than the one expected', async () => {
    const pair = await makePair();
    try {
      await assert.rejects(
        pair.central.connectToDevice(PERIPHERAL_ID, { peerFingerprint: bytesToHex(identity(2).fingerprint) }),
        hasCode('PQBLE_ERR_PEER_UNTRUSTED'),
      );
      const ok = await pair.central.connectToDevice(PERIPHERAL_ID, { peerFingerprint: identity(1).fingerprint });
      assert.equal(ok.peerFingerprint, bytesToHex(identity(1).fingerprint));
    } finally {
      await pair.close();
    }
  });

  it('runs pinned mode (fingerprints instead of keys) with provisioned keys, and saves bytes', async () => {
    const pinned = await makePair({
      central: { knownPeers: [identity(1).publicKey] },
      peripheral: { knownPeers: [identity(0).publicKey] },
    });
    const plain = await makePair();
    try {
      const a = (await connectPair(pinned, { peerFingerprint: bytesToHex(identity(1).fingerprint) })).central.stats();
      const b = (await connectPair(plain)).central.stats();
      const total = (s: typeof a) => s.setupBytesSent + s.setupBytesReceived;
      assert.ok(total(b) - total(a) > 3500, `pinned saves the two public keys: ${total(a)} vs ${total(b)}`);
      assert.ok(total(a) <= 9 * 1024, `pinned full handshake ${total(a)} B <= 9 KB`);
    } finally {
      await pinned.close();
      await plain.close();
    }
  });

  it('retries in full mode on the same link when a pinned peer no longer knows our key', async () => {
    const pair = await makePair({ central: { knownPeers: [identity(1).publicKey] } });
    try {
      const { central } = await connectPair(pair, { peerFingerprint: bytesToHex(identity(1).fingerprint) });
      assert.equal(central.connectionType, 'full-handshake');
      assert.equal(central.stats().setupRoundTrips, 4);
    } finally {
      await pair.close();
    }
  });

  it('validates options: unknown keys and bad values are errors', async () => {
    const pair = await makePair();
    try {
      const link = pair.radio.createDevice({ deviceId: OTHER_ID });
      await assert.rejects(BleTransport.create({ identity: identity(0), link, maxConection: 3 } as never), TypeError);
      await assert.rejects(BleTransport.create({ identity: identity(0), link, maxConnections: 0 }), RangeError);
      await assert.rejects(BleTransport.create({ link } as never), TypeError);
      await assert.rejects(pair.central.connectToDevice('nonsense'), RangeError);
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID, { timeout: 3 } as never), TypeError);
    } finally {
      await pair.close();
    }
  });

  it('reports an unknown device with a code', async () => {
    const pair = await makePair();
    try {
      await assert.rejects(pair.central.connectToDevice('dd0000000004'), hasCode('PQBLE_ERR_DEVICE_NOT_FOUND'));
    } finally {
      await pair.close();
    }
  });
});

describe('BleTransport: bad peers', () => {
  /** A raw central on the same radio that speaks bytes, not pqble. */
  async function rawLink(pair: Awaited<ReturnType<typeof makePair>>, id = OTHER_ID): Promise<Link> {
    const device = pair.radio.createDevice({ deviceId: id });
    return device.connect(PERIPHERAL_ID);
  }

  const closed = (link: Link) => new Promise<string | undefined>((resolve) => link.onClose((r) => resolve(r?.code)));

  it('closes a link that sends garbage, and keeps serving others', async () => {
    const pair = await makePair();
    try {
      const link = await rawLink(pair);
      const gone = closed(link);
      await link.send(Uint8Array.from([0xff, 0xfe, 0xfd, 1, 2, 3]));
      await gone;
      assert.equal(link.isOpen, false);
      const { central } = await connectPair(pair);
      assert.equal(central.connectionType, 'full-handshake');
    } finally {
      await pair.close();
    }
  });

  it('closes a link with a well-framed but malformed handshake message', async () => {
    const pair = await makePair();
    try {
      const link = await rawLink(pair);
      const gone = closed(link);
      for (const p of fragmentMessage(Uint8Array.from([0x01, 0x01, 0x00, 9, 9, 9]), 1, link.maxPayloadBytes)) await link.send(p);
      await gone;
      assert.equal(pair.peripheral.stats().failedSetups, 1);
      const { central } = await connectPair(pair);
      assert.ok(central.isOpen);
    } finally {
      await pair.close();
    }
  });

  it('times out a peer that stops mid-handshake, on the responder side', async () => {
    const pair = await makePair({ peripheral: { handshakeTimeoutMs: 3000 } });
    try {
      const link = await rawLink(pair);
      const gone = closed(link);
      const started = pair.radio.clock.now();
      await gone; // never sent anything: the responder's setup deadline closes it
      const elapsed = pair.radio.clock.now() - started;
      assert.ok(elapsed >= 3000 && elapsed < 5000, `closed after ${elapsed} ms`);
      assert.equal(pair.peripheral.stats().failedSetups, 1);
    } finally {
      await pair.close();
    }
  });

  it('times out on the initiator when the responder goes silent mid-handshake', async () => {
    const pair = await makePair({ central: { handshakeTimeoutMs: 4000 } });
    try {
      pair.radio.setFaults({ intercept: (e) => (e.from === 'peripheral' ? 'drop' : 'deliver') });
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID), hasCode('PQBLE_ERR_HANDSHAKE_TIMEOUT'));
      pair.radio.setFaults({});
      const { central } = await connectPair(pair);
      assert.ok(central.isOpen);
    } finally {
      await pair.close();
    }
  });

  it('closes a connection whose records are tampered with', async () => {
    const pair = await makePair();
    try {
      const { central, peripheral } = await connectPair(pair);
      pair.radio.setFaults({
        intercept: (e) => {
          if (e.from === 'central') e.packet[e.packet.length - 1] ^= 1;
          return 'deliver';
        },
      });
      await central.send(utf8('tampered'));
      await assert.rejects(peripheral.receive(), hasCode('PQBLE_ERR_RECORD_AUTH'));
      assert.equal(peripheral.isOpen, false);
    } finally {
      await pair.close();
    }
  });

  it('closes with PQBLE_ERR_QUEUE_FULL when the application does not read', async () => {
    const pair = await makePair({ peripheral: { maxQueuedMessages: 3 } });
    try {
      const { central, peripheral } = await connectPair(pair);
      const gone = new Promise((resolve) => peripheral.onClose(resolve));
      for (let i = 0; i < 4; i++) await central.send(utf8(`m${i}`)).catch(() => undefined);
      const reason = await gone;
      assert.ok(isPqbleError(reason, 'PQBLE_ERR_QUEUE_FULL'));
    } finally {
      await pair.close();
    }
  });

  it('rejects pending and later operations when the link is lost', async () => {
    const pair = await makePair();
    try {
      const { central, peripheral } = await connectPair(pair);
      const waiting = peripheral.receive();
      pair.radio.setFaults({ intercept: () => 'disconnect' });
      await central.send(utf8('x')).catch(() => undefined);
      await assert.rejects(waiting, (e: unknown) => isPqbleError(e, 'PQBLE_ERR_DISCONNECTED') || isPqbleError(e, 'PQBLE_ERR_SUPERVISION_TIMEOUT'));
      await assert.rejects(central.send(utf8('y')));
    } finally {
      await pair.close();
    }
  });
});

describe('close() and incoming setups', () => {
  it('close() waits for an incoming setup whose store call is in flight: no store call after it resolved', async () => {
    const { MemorySessionStore } = await import('../../src/session/memory-store.js');
    const inner = new MemorySessionStore();
    let closed = false;
    let putStarted = false;
    let callsAfterClose = 0;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (closed && prop !== 'close') callsAfterClose++;
          if (prop === 'put') {
            putStarted = true;
            await new Promise((r) => setTimeout(r, 100)); // a slow disk
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const pair = await makePair({ peripheral: { sessionStore: store } });
    try {
      const attempt = pair.central.connectToDevice(PERIPHERAL_ID).then(
        () => 'connected',
        (err: unknown) => (isPqbleError(err) ? err.code : String(err)),
      );
      for (let i = 0; i < 400 && !putStarted; i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(putStarted, 'the responder is storing the new session');
      await pair.peripheral.close();
      closed = true;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(callsAfterClose, 0, 'the setup finished its store calls before close() resolved');
      assert.notEqual(await attempt, undefined);
    } finally {
      await pair.close();
      await inner.close();
    }
  });
});
