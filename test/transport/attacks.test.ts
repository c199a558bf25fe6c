/**
 * The attacks of docs/security.md, end to end on the simulated radio: reflection, trust on
 * resumption, replayed and jammed requests, forged replies, TOFU across restarts, connection
 * slots, crossed connections, clocks moved back, floods from rotating addresses and silent
 * links. Each test fails on a transport that lacks the property it names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import { isPqbleError } from '../../src/errors.js';
import { Reassembler, fragmentMessage } from '../../src/framing/index.js';
import type { Link } from '../../src/link/types.js';
import { decodeResumeReject } from '../../src/resumption/index.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { BleTransport, type BleConnection } from '../../src/transport/index.js';
import { MessageType } from '../../src/wire.js';
import { CENTRAL_ID, OTHER_ID, PERIPHERAL_ID, connectPair, identity, makePair, text, utf8, type Pair, startedMessageType } from './helpers.js';

const HOUR = 3_600_000;

/** Sends one framed message on a raw link; resolves the next reassembled message (or undefined if the link closes first). */
function rawExchange(link: Link, message: Uint8Array): Promise<Uint8Array | undefined> {
  const r = new Reassembler();
  const reply = new Promise<Uint8Array | undefined>((resolve) => {
    link.onPacket((p) => {
      const m = r.push(p);
      if (m !== undefined) resolve(m);
    });
    link.onClose(() => resolve(undefined));
  });
  return (async () => {
    for (const p of fragmentMessage(message, 9, link.maxPayloadBytes)) await link.send(p);
    return reply;
  })();
}

function replyKind(reply: Uint8Array | undefined): string {
  if (reply === undefined) return 'closed';
  if (reply[0] === MessageType.ResumeReject) return decodeResumeReject(reply);
  return reply[0] === MessageType.ResumeAccept ? 'accept' : `0x${reply[0].toString(16)}`;
}

async function reconnect(pair: Pair) {
  for (const c of pair.central.connections()) await c.close();
  return connectPair(pair);
}

/** Captures the central's next resume request on air and jams it (the link drops before it arrives). */
async function captureJammedRequest(pair: Pair): Promise<Uint8Array> {
  for (const c of pair.central.connections()) await c.close();
  let captured: Uint8Array | undefined;
  pair.radio.setFaults({
    intercept: (e) => {
      if (captured === undefined && e.from === 'central' && startedMessageType(e.packet) === MessageType.ResumeRequest) {
        captured = e.packet.slice(2);
        return 'disconnect';
      }
      return 'deliver';
    },
  });
  await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID));
  pair.radio.setFaults({});
  assert.ok(captured !== undefined, 'a resume request was sent');
  return captured;
}

/** Incoming connections a transport surfaces, recorded. */
function recordIncoming(t: BleTransport): BleConnection[] {
  const seen: BleConnection[] = [];
  t.onConnection((c) => seen.push(c));
  return seen;
}

describe('attacks on resumption', () => {
  it('reflection: a device never accepts its own resume request', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      const own = await captureJammedRequest(pair);
      // The attacker connects to the central's own peripheral side and plays its request back.
      const seen = recordIncoming(pair.central);
      const attacker = pair.radio.createDevice({ deviceId: OTHER_ID });
      const link = await attacker.connect(CENTRAL_ID);
      assert.equal(replyKind(await rawExchange(link, own)), 'unknown-ticket');
      await link.close();
      await pair.clock.advance(100);
      assert.equal(seen.length, 0, 'no connection "with the peer" from the device itself');
      assert.equal(pair.central.cacheStats().resumptions, 0);
      // And the genuine pair still resumes.
      const { central } = await connectPair(pair);
      assert.equal(central.connectionType, 'resumed');
    } finally {
      await pair.close();
    }
  });

  it('replay: a jammed request replayed later from another device yields no connection', async () => {
    const pair = await makePair({ peripheral: { handshakeTimeoutMs: 2_000 } });
    try {
      await connectPair(pair);
      const request = await captureJammedRequest(pair);
      const seen = recordIncoming(pair.peripheral);
      const failedBefore = pair.peripheral.stats().failedSetups;
      const attacker = pair.radio.createDevice({ deviceId: OTHER_ID });
      const link = await attacker.connect(PERIPHERAL_ID);
      // The ticket is live, so the responder answers; without the keys the attacker cannot
      // send the finished, and the setup times out with nothing surfaced.
      assert.equal(replyKind(await rawExchange(link, request)), 'accept');
      await pair.clock.advance(3_000);
      assert.equal(seen.length, 0, 'no ghost connection');
      assert.equal(pair.peripheral.connections().length, 0);
      assert.equal(pair.peripheral.stats().failedSetups, failedBefore + 1);
      assert.equal(pair.peripheral.cacheStats().resumptions, 0);
      // A second replay: the ticket was consumed for good.
      const again = await attacker.connect(PERIPHERAL_ID);
      assert.equal(replyKind(await rawExchange(again, request)), 'unknown-ticket');
      await again.close();
      // The genuine central: its ticket is spent, so one full handshake, then resumptions again.
      const next = await connectPair(pair);
      assert.equal(next.central.connectionType, 'full-handshake');
      assert.equal(next.central.stats().fellBack, true);
      const after = await reconnect(pair);
      assert.equal(after.central.connectionType, 'resumed');
    } finally {
      await pair.close();
    }
  });

  it('a forged accept costs a full handshake on the same link, never the session', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      for (const c of pair.central.connections()) await c.close();
      let tampered = false;
      pair.radio.setFaults({
        intercept: (e) => {
          if (!tampered && e.from === 'peripheral' && startedMessageType(e.packet) === MessageType.ResumeAccept) {
            e.packet[e.packet.length - 1] ^= 1; // the confirmation no longer verifies
            tampered = true;
          }
          return 'deliver';
        },
      });
      const { central, peripheral } = await connectPair(pair);
      pair.radio.setFaults({});
      assert.ok(tampered);
      assert.equal(central.connectionType, 'full-handshake');
      assert.equal(central.stats().fellBack, true);
      assert.equal(peripheral.connectionType, 'full-handshake');
      await central.send(utf8('still fine'));
      assert.equal(text(await peripheral.receive()), 'still fine');
      assert.equal((await reconnect(pair)).central.connectionType, 'resumed');
    } finally {
      await pair.close();
    }
  });

  it('a forged reject from an impostor at the device id never purges the cached session', async () => {
    const store = new MemorySessionStore();
    const pair = await makePair({ peripheral: { sessionStore: store } });
    try {
      await connectPair(pair);
      await pair.peripheral.close();
      await pair.radio.getDevice(PERIPHERAL_ID)?.close();
      // The impostor answers every resume request with "cannot resume" and then says nothing.
      const impostor = pair.radio.createDevice({ deviceId: PERIPHERAL_ID });
      impostor.onIncoming((link) => {
        const r = new Reassembler();
        link.onPacket((p) => {
          const m = r.push(p);
          if (m?.[0] === MessageType.ResumeRequest) void link.send(Uint8Array.of(0x03, 0, MessageType.ResumeReject, 0x01));
        });
      });
      const ac = new AbortController();
      const attempt = pair.central.connectToDevice(PERIPHERAL_ID, { signal: ac.signal }).then(
        () => 'connected',
        (err: unknown) => (isPqbleError(err) ? err.code : String(err)),
      );
      await pair.clock.advance(1_000);
      ac.abort();
      assert.notEqual(await attempt, 'connected');
      assert.ok((await pair.central.lookupSession(PERIPHERAL_ID)) !== undefined, 'the session survived the forged reject');
      await impostor.close();
      // The genuine peripheral comes back (same store): resumption works.
      const device = pair.radio.createDevice({ deviceId: PERIPHERAL_ID });
      pair.peripheral = await BleTransport.create({ identity: identity(1), link: device, logger: pair.logger, sessionStore: store });
      const { central } = await connectPair(pair);
      assert.equal(central.connectionType, 'resumed');
    } finally {
      await pair.close();
      await store.close();
    }
  });
});

describe('trust on every resumption', () => {
  for (const side of ['peripheral', 'central'] as const) {
    it(`${side}: an allow-list that no longer holds the peer stops its resumption and purges the session`, async () => {
      const store = new MemorySessionStore();
      const pair = await makePair({ [side]: { sessionStore: store } });
      try {
        await connectPair(pair);
        const other = side === 'peripheral' ? identity(0) : identity(1);
        await pair.restart(side, { sessionStore: store, trust: { mode: 'allow-list', fingerprints: [identity(5).fingerprint] } });
        assert.equal(await store.size(), 1);
        await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID), (err: unknown) => isPqbleError(err, 'PQBLE_ERR_PEER_UNTRUSTED'));
        assert.equal(await store.get(bytesToHex(other.fingerprint)), undefined, 'the refused peer was purged');
        assert.equal(pair[side].cacheStats().resumptions, 0);
      } finally {
        await pair.close();
        await store.close();
      }
    });
  }

  it('a trust callback is asked on resumption, with the public key learned in the handshake', async () => {
    const store = new MemorySessionStore();
    const pair = await makePair({ peripheral: { sessionStore: store } });
    try {
      await connectPair(pair);
      const asked: string[] = [];
      let allow = true;
      await pair.restart('peripheral', {
        sessionStore: store,
        trust: {
          mode: 'callback',
          verify: (peer) => {
            asked.push(`${peer.fingerprintHex}:${peer.publicKey.length}`);
            return allow;
          },
        },
      });
      const first = await connectPair(pair);
      assert.equal(first.central.connectionType, 'resumed');
      assert.deepEqual(asked, [`${bytesToHex(identity(0).fingerprint)}:1952`]);
      allow = false;
      for (const c of pair.central.connections()) await c.close();
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID), (err: unknown) => isPqbleError(err, 'PQBLE_ERR_PEER_UNTRUSTED'));
      assert.equal(asked.length, 2, 'asked again on the next resumption');
      assert.equal(await store.get(bytesToHex(identity(0).fingerprint)), undefined);
    } finally {
      await pair.close();
      await store.close();
    }
  });

  it('tofu survives a restart: an impostor at a known device id is refused', async () => {
    const store = new MemorySessionStore();
    const pair = await makePair({ peripheral: { sessionStore: store, trust: { mode: 'tofu' } } });
    try {
      await connectPair(pair);
      await pair.restart('peripheral', { sessionStore: store, trust: { mode: 'tofu' } });
      await pair.central.close();
      await pair.radio.getDevice(CENTRAL_ID)?.close();
      // Another identity at the central's device id.
      const device = pair.radio.createDevice({ deviceId: CENTRAL_ID });
      pair.central = await BleTransport.create({ identity: identity(3), link: device, logger: pair.logger });
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID), (err: unknown) => isPqbleError(err, 'PQBLE_ERR_PEER_UNTRUSTED'));
      assert.equal(pair.peripheral.stats().connectionsOpened, 0);
    } finally {
      await pair.close();
      await store.close();
    }
  });

  it('pinned mode keeps working after a restart (learned keys persist)', async () => {
    const store = new MemorySessionStore();
    const pair = await makePair({ peripheral: { sessionStore: store }, central: { resumption: false } });
    try {
      await connectPair(pair);
      await pair.restart('peripheral', { sessionStore: store });
      const { central } = await reconnect(pair);
      assert.equal(central.connectionType, 'full-handshake');
      assert.equal(central.stats().pinned, true, 'both sides still know each other: pinned, no retry');
    } finally {
      await pair.close();
      await store.close();
    }
  });
});

describe('limits and races', () => {
  it('an outgoing setup holds one slot, not two', async () => {
    const pair = await makePair({ central: { maxConnections: 2 } });
    const other = await BleTransport.create({ identity: identity(2), link: pair.radio.createDevice({ deviceId: OTHER_ID }), logger: pair.logger });
    try {
      const incoming = pair.central.accept();
      const [out, inn] = await Promise.all([pair.central.connectToDevice(PERIPHERAL_ID), other.connectToDevice(CENTRAL_ID)]);
      assert.equal(out.isOpen, true);
      assert.equal(inn.isOpen, true);
      assert.equal((await incoming).isOpen, true);
    } finally {
      await other.close();
      await pair.close();
    }
  });

  it('a server that only uses onConnection() keeps accepting', async () => {
    const pair = await makePair({ peripheral: { maxConnections: 2 } });
    try {
      const seen: BleConnection[] = [];
      pair.peripheral.onConnection((c) => seen.push(c));
      for (let i = 0; i < 8; i++) {
        const c = await pair.central.connectToDevice(PERIPHERAL_ID);
        await pair.clock.advance(50);
        assert.equal(seen.at(-1)?.isOpen, true, `connection ${i} stays open`);
        await c.close();
        await pair.clock.advance(50);
      }
      assert.equal(seen.length, 8);
    } finally {
      await pair.close();
    }
  });

  it('crossed connections (A→B while B→A) resolve the same way on both sides', async () => {
    const pair = await makePair();
    try {
      const accepts = [pair.peripheral.accept(), pair.central.accept()];
      const [ab, ba] = await Promise.all([pair.central.connectToDevice(PERIPHERAL_ID), pair.peripheral.connectToDevice(CENTRAL_ID)]);
      await Promise.all(accepts);
      assert.equal(ab.connectionType, 'full-handshake');
      assert.equal(ba.connectionType, 'full-handshake');
      for (const c of [...pair.central.connections(), ...pair.peripheral.connections()]) await c.close();
      // Both directions resume afterwards, also crossed again.
      for (let round = 0; round < 2; round++) {
        const acc = [pair.peripheral.accept(), pair.central.accept()];
        const [x, y] = await Promise.all([pair.central.connectToDevice(PERIPHERAL_ID), pair.peripheral.connectToDevice(CENTRAL_ID)]);
        await Promise.all(acc);
        assert.equal(x.connectionType, 'resumed', `round ${round}: A→B`);
        assert.equal(y.connectionType, 'resumed', `round ${round}: B→A`);
        for (const c of [...pair.central.connections(), ...pair.peripheral.connections()]) await c.close();
      }
    } finally {
      await pair.close();
    }
  });

  it('a wall clock moved back again and again does not keep a session alive', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      // Seven times: 4 h pass, and the wall clock is set back 4 h (each jump under nothing
      // but the monotonic clock's watch).
      for (let i = 1; i <= 7; i++) {
        await pair.clock.advance(4 * HOUR);
        pair.clock.setWallOffset(-i * 4 * HOUR);
      }
      assert.equal(await pair.central.lookupSession(PERIPHERAL_ID), undefined, '28 h of monotonic time passed');
      const { central } = await reconnect(pair);
      assert.equal(central.connectionType, 'full-handshake');
    } finally {
      await pair.close();
    }
  });

  it('the clock high-water mark persists: a restart with the clock set back does not revive a session', async () => {
    const store = new MemorySessionStore();
    const pair = await makePair({ central: { sessionStore: store } });
    try {
      await connectPair(pair);
      await pair.clock.advance(25 * HOUR);
      await pair.central.saveSessions();
      pair.clock.setWallOffset(-25 * HOUR);
      await pair.restart('central', { sessionStore: store });
      assert.equal(await pair.central.lookupSession(PERIPHERAL_ID), undefined);
    } finally {
      await pair.close();
      await store.close();
    }
  });

  it('rotating addresses do not escape the failed-resumption budget', async () => {
    const pair = await makePair({ peripheral: { resumeAttemptBurst: 4, resumeFailureBudget: 6, maxConnections: 20, maxIncomingSetups: 20 } });
    try {
      // Ten devices at ten addresses, each within its own budget, all at once.
      const links = await Promise.all(
        Array.from({ length: 10 }, (_, i) => pair.radio.createDevice({ deviceId: `ee00000000${i.toString(16).padStart(2, '0')}` }).connect(PERIPHERAL_ID)),
      );
      const reasons = await Promise.all(
        links.map(async (link) => replyKind(await rawExchange(link, Uint8Array.from([MessageType.ResumeRequest, 2, 0, ...randomBytes(48)])))),
      );
      for (const link of links) await link.close();
      assert.equal(reasons.filter((r) => r === 'unknown-ticket').length, 6, reasons.join(' '));
      assert.equal(reasons.filter((r) => r === 'rate-limited').length, 4, 'every device had budget left, the global one was spent');
    } finally {
      await pair.close();
    }
  });

  it('silent links cannot hold every slot', async () => {
    const pair = await makePair({ peripheral: { maxConnections: 5, maxIncomingSetups: 2, setupIdleTimeoutMs: 1_000 } });
    try {
      const silent: Link[] = [];
      for (let i = 0; i < 3; i++) {
        const device = pair.radio.createDevice({ deviceId: `ee00000001${i}0` });
        silent.push(await device.connect(PERIPHERAL_ID));
      }
      await pair.clock.advance(10);
      assert.equal(silent.filter((l) => l.isOpen).length, 2, 'the third was refused at once (busy)');
      // The peripheral can still connect out meanwhile.
      const out = await pair.peripheral.connectToDevice(CENTRAL_ID);
      assert.equal(out.isOpen, true);
      await out.close();
      await pair.clock.advance(1_100);
      assert.equal(silent.filter((l) => l.isOpen).length, 0, 'silent links are closed after setupIdleTimeoutMs');
      const { central } = await connectPair(pair);
      assert.equal(central.isOpen, true);
    } finally {
      await pair.close();
    }
  });
});
