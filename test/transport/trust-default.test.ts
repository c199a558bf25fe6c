/**
 * The default trust policy is trust on first use with persisted bindings (docs/security.md
 * "Trust"): without a `trust` option, the first identity that authenticates at a device id is
 * bound to it (in the session store, `tofu:<device id>`), in both roles; a different identity
 * at that device id later is refused on a full handshake and on a resumption, also after a
 * restart; an unauthenticated (forged) message never makes or rewrites a binding. `'any'`,
 * chosen explicitly, still accepts every authenticated peer.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bytesToHex } from '../../src/bytes.js';
import { isPqbleError } from '../../src/errors.js';
import { FileSessionStore } from '../../src/session/file/index.js';
import type { TransportEvent } from '../../src/transport/index.js';
import { BleTransport } from '../../src/transport/index.js';
import { MessageType } from '../../src/wire.js';
import { defaultCrypto } from '../../src/crypto/index.js';
import { PeerDirectory, makePeerInfo } from '../../src/handshake/index.js';
import { parseFingerprint } from '../../src/ids.js';
import { silentLogger } from '../../src/logger.js';
import { systemClock } from '../../src/clock.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { SessionKeeper } from '../../src/transport/session-keeper.js';
import { CENTRAL_ID, OTHER_ID, PERIPHERAL_ID, connectPair, identity, makePair, tempDir, type Pair, startedMessageType } from './helpers.js';

const untrusted = (err: unknown): boolean => isPqbleError(err, 'PQBLE_ERR_PEER_UNTRUSTED');

/** A pair on file stores in `dir` (no `trust` option: the default). */
function filePair(dir: string): Promise<Pair> {
  return makePair({
    central: { sessionPersistPath: join(dir, 'central.sessions') },
    peripheral: { sessionPersistPath: join(dir, 'peripheral.sessions') },
  });
}

/** Replaces the device `deviceId` of the radio with a new one (the old owner closed first). */
async function takeOver(pair: Pair, deviceId: string) {
  await pair.radio.getDevice(deviceId)?.close();
  return pair.radio.createDevice({ deviceId });
}

/** The fingerprint a session file binds to `deviceId`, read from the file itself (the transport closed). */
async function persistedBinding(path: string, deviceId: string): Promise<string | undefined> {
  const store = await FileSessionStore.open({ path });
  try {
    const v = await store.getValue(`tofu:${deviceId}`);
    return v === undefined ? undefined : bytesToHex(v);
  } finally {
    await store.close();
  }
}

describe('default trust: trust on first use, persisted', () => {
  it('responder: an impostor at a known central device id is refused on the full handshake, after a restart', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await filePair(dir);
    const events: TransportEvent[] = [];
    try {
      await connectPair(pair);
      await pair.restart('peripheral');
      pair.peripheral.onEvent((e) => events.push(e));
      await pair.central.close();
      const device = await takeOver(pair, CENTRAL_ID);
      pair.central = await BleTransport.create({ identity: identity(3), link: device, logger: pair.logger });
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID), untrusted);
      assert.equal(pair.peripheral.stats().connectionsOpened, 0);
      const refused = events.find((e) => e.type === 'peer-refused');
      assert.deepEqual(refused === undefined ? undefined : { ...refused, message: undefined }, {
        type: 'peer-refused',
        role: 'responder',
        deviceId: CENTRAL_ID,
        peerFingerprint: bytesToHex(identity(3).fingerprint),
        stage: 'full-handshake',
        by: 'local',
        code: 'PQBLE_ERR_PEER_UNTRUSTED',
        message: undefined,
      });
      await pair.peripheral.close();
      assert.equal(await persistedBinding(join(dir, 'peripheral.sessions'), CENTRAL_ID), bytesToHex(identity(0).fingerprint), 'the first binding stays');
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it('initiator: an impostor at a known peripheral device id is refused (its resumption fails, then its full handshake), after a restart', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await filePair(dir);
    try {
      await connectPair(pair);
      await pair.restart('central');
      await pair.peripheral.close();
      const device = await takeOver(pair, PERIPHERAL_ID);
      pair.peripheral = await BleTransport.create({ identity: identity(4), link: device, logger: pair.logger });
      const events: TransportEvent[] = [];
      pair.central.onEvent((e) => events.push(e));
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID), untrusted);
      assert.deepEqual(
        events.map((e) => (e.type === 'peer-refused' ? `${e.type}:${e.by}:${e.stage}` : e.type === 'resume-fallback' ? `${e.type}:${e.reason}` : e.type)),
        ['resume-fallback:peer-rejected', 'peer-refused:local:full-handshake', 'setup-failed'],
      );
      assert.ok((await pair.central.lookupSession(PERIPHERAL_ID)) !== undefined, "the genuine peer's session is kept");
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it('responder: a peer with a valid session that resumes from a device id bound to another identity is refused on resumption, after a restart', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await filePair(dir);
    const bStore = join(dir, 'b.sessions');
    // B (identity 2) gets a genuine session from its own device id.
    let b = await BleTransport.create({
      identity: identity(2),
      link: pair.radio.createDevice({ deviceId: OTHER_ID }),
      logger: pair.logger,
      sessionPersistPath: bStore,
    });
    try {
      await connectPair(pair); // binds CENTRAL_ID -> A at the peripheral
      const accepted = pair.peripheral.accept();
      await b.connectToDevice(PERIPHERAL_ID);
      await accepted;
      await b.close();
      await pair.restart('peripheral');
      const events: TransportEvent[] = [];
      pair.peripheral.onEvent((e) => events.push(e));
      // B, with its valid session, now at A's device id.
      await pair.central.close();
      b = await BleTransport.create({ identity: identity(2), link: await takeOver(pair, CENTRAL_ID), logger: pair.logger, sessionPersistPath: bStore });
      await assert.rejects(b.connectToDevice(PERIPHERAL_ID), untrusted);
      assert.deepEqual(
        events.filter((e) => e.type === 'peer-refused').map((e) => (e.type === 'peer-refused' ? [e.by, e.stage, e.peerFingerprint] : [])),
        [['local', 'resumption', bytesToHex(identity(2).fingerprint)]],
      );
      assert.equal(pair.peripheral.stats().connectionsOpened, 0);
      assert.equal(pair.peripheral.cacheStats().refused, 1);
      // B's session is kept (a device id is only a hint): B resumes from its own address.
      await b.close();
      b = await BleTransport.create({ identity: identity(2), link: await takeOver(pair, OTHER_ID), logger: pair.logger, sessionPersistPath: bStore });
      const acceptedAgain = pair.peripheral.accept();
      const again = await b.connectToDevice(PERIPHERAL_ID);
      await acceptedAgain;
      assert.equal(again.connectionType, 'resumed');
    } finally {
      await b.close();
      await pair.close();
      await cleanup();
    }
  });

  it('a forged (unauthenticated) handshake message neither makes nor rewrites a binding', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await filePair(dir);
    try {
      await connectPair(pair); // CENTRAL_ID -> A
      // C (identity 5) at CENTRAL_ID and at OTHER_ID: its last flight is tampered with in
      // flight, so its signature never verifies.
      let tampered = 0;
      pair.radio.setFaults({
        intercept: (e) => {
          const type = startedMessageType(e.packet);
          if (e.from === 'central' && type === MessageType.HandshakeFinish) {
            e.packet[e.packet.length - 1] ^= 0x55;
            tampered++;
          }
          return 'deliver';
        },
      });
      await pair.central.close();
      const c1 = await BleTransport.create({ identity: identity(5), link: await takeOver(pair, CENTRAL_ID), logger: pair.logger });
      await assert.rejects(c1.connectToDevice(PERIPHERAL_ID), (err: unknown) => isPqbleError(err, 'PQBLE_ERR_PEER_ALERT'));
      await c1.close();
      const c2 = await BleTransport.create({ identity: identity(5), link: await takeOver(pair, OTHER_ID), logger: pair.logger });
      await assert.rejects(c2.connectToDevice(PERIPHERAL_ID), (err: unknown) => isPqbleError(err, 'PQBLE_ERR_PEER_ALERT'));
      await c2.close();
      pair.radio.setFaults({});
      assert.equal(tampered, 2);
      await pair.peripheral.close();
      const path = join(dir, 'peripheral.sessions');
      assert.equal(await persistedBinding(path, CENTRAL_ID), bytesToHex(identity(0).fingerprint));
      assert.equal(await persistedBinding(path, OTHER_ID), undefined, 'no binding from a failed authentication');
      // The genuine central resumes at its device id.
      await pair.restart('peripheral');
      pair.central = await BleTransport.create({
        identity: identity(0),
        link: await takeOver(pair, CENTRAL_ID),
        logger: pair.logger,
        sessionPersistPath: join(dir, 'central.sessions'),
      });
      const { central } = await connectPair(pair);
      assert.equal(central.connectionType, 'resumed');
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it("'any', chosen explicitly, still accepts another identity at a known device id", async () => {
    const pair = await makePair({ peripheral: { trust: { mode: 'any' } } });
    try {
      await connectPair(pair);
      await pair.central.close();
      pair.central = await BleTransport.create({ identity: identity(3), link: await takeOver(pair, CENTRAL_ID), logger: pair.logger });
      const { central } = await connectPair(pair);
      assert.equal(central.peerFingerprint, bytesToHex(identity(1).fingerprint));
      assert.equal(pair.peripheral.connections()[0]?.peerFingerprint, bytesToHex(identity(3).fingerprint));
    } finally {
      await pair.close();
    }
  });

  it('without a trust option, the same impostor is refused (the default is not any)', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      await pair.central.close();
      pair.central = await BleTransport.create({ identity: identity(3), link: await takeOver(pair, CENTRAL_ID), logger: pair.logger });
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID), untrusted);
    } finally {
      await pair.close();
    }
  });

  it('bindings beyond what memory keeps are still enforced: the keeper looks them up in the store', async () => {
    const crypto = defaultCrypto();
    const store = new MemorySessionStore();
    const a = bytesToHex(identity(0).fingerprint);
    await store.putValue(`tofu:${CENTRAL_ID}`, identity(0).fingerprint);
    const directory = new PeerDirectory(undefined, { crypto });
    const keeper = await SessionKeeper.open({
      store,
      selfFingerprint: identity(1).fingerprint,
      crypto,
      clock: systemClock,
      logger: silentLogger,
      directory,
      lifetimeMs: 3_600_000,
      storeTimeoutMs: 1_000,
      maxClockSkewMs: 300_000,
      flushIntervalMs: 60_000,
    });
    try {
      assert.equal(directory.boundAt(CENTRAL_ID), a, 'restored at start-up');
      // 10,000 later bindings push it out of memory.
      for (let i = 0; i < 10_000; i++) directory.bind(`ee${i.toString(16).padStart(10, '0')}`, parseFingerprint(identity(2).fingerprint));
      assert.equal(directory.boundAt(CENTRAL_ID), undefined);
      assert.equal(await keeper.tofuBinding(CENTRAL_ID), a, 'found in the store');
      await assert.rejects(directory.check(makePeerInfo(identity(3).publicKey, CENTRAL_ID)), untrusted);
    } finally {
      await keeper.close();
      await store.close();
    }
  });
});
