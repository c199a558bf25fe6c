/**
 * End-to-end session caching and 1-RTT resumption (docs/resumption.md): lookup inside
 * connectToDevice, automatic caching on both sides, single-use ratcheted tickets, fallback
 * on the same link, expiry, LRU, touch, forgetPeer, rate limiting, and a disconnect at every
 * step of the exchange. The attacks are in attacks.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import { isPqbleError } from '../../src/errors.js';
import { Reassembler, fragmentMessage } from '../../src/framing/index.js';
import type { Link } from '../../src/link/types.js';
import { decodeResumeReject } from '../../src/resumption/index.js';
import { BleTransport } from '../../src/transport/index.js';
import { MessageType } from '../../src/wire.js';
import { OTHER_ID, PERIPHERAL_ID, connectPair, identity, makePair, text, utf8, startedMessageType } from './helpers.js';

const HOUR = 3_600_000;

/** A resume request of the right shape with random contents (psk mode). */
function randomRequest(): Uint8Array {
  return Uint8Array.from([MessageType.ResumeRequest, 2, 0, ...randomBytes(48)]);
}

/** The reject reason of a reply, or 'accept'. */
function replyKind(reply: Uint8Array): string {
  return reply[0] === MessageType.ResumeReject ? decodeResumeReject(reply) : reply[0] === MessageType.ResumeAccept ? 'accept' : `0x${reply[0].toString(16)}`;
}

async function reconnect(pair: Awaited<ReturnType<typeof makePair>>) {
  for (const c of pair.central.connections()) await c.close();
  return connectPair(pair);
}

/** Sends one framed message on a raw link and returns the next reassembled reply. */
async function rawExchange(link: Link, message: Uint8Array): Promise<Uint8Array> {
  const r = new Reassembler();
  const reply = new Promise<Uint8Array>((resolve) => {
    link.onPacket((p) => {
      const m = r.push(p);
      if (m !== undefined) resolve(m);
    });
  });
  for (const p of fragmentMessage(message, 7, link.maxPayloadBytes)) await link.send(p);
  return reply;
}

describe('session resumption', () => {
  for (const [mode, limit] of [
    ['psk', 100],
    ['psk-dhe', 170],
  ] as const) {
    it(`resumes a reconnect (${mode}) with one round trip and <= ${limit} bytes of ATT payload, renewing the single entry`, async () => {
      const pair = await makePair({ central: { resumptionMode: mode } });
      try {
        const first = await connectPair(pair);
        await first.central.send(utf8('hi'));
        await first.peripheral.receive();
        const info = await pair.central.lookupSession(PERIPHERAL_ID);
        assert.ok(info !== undefined);
        assert.equal(info.canResume, true);
        assert.equal(info.peerFingerprint, bytesToHex(identity(1).fingerprint));
        const { central, peripheral } = await reconnect(pair);
        assert.equal(central.connectionType, 'resumed');
        assert.equal(peripheral.connectionType, 'resumed');
        assert.notEqual(central.sessionId, first.central.sessionId);
        assert.equal(central.sessionId, peripheral.sessionId);
        const s = central.stats();
        assert.equal(s.setupRoundTrips, 1);
        assert.ok(s.setupBytesSent + s.setupBytesReceived <= limit, `resumption payload ${s.setupBytesSent + s.setupBytesReceived} B`);
        assert.equal(s.setupBytesSent + s.setupBytesReceived, mode === 'psk' ? 99 : 163);
        await central.send(utf8('after resume'));
        assert.equal(text(await peripheral.receive()), 'after resume');
        await peripheral.send(utf8('back'));
        assert.equal(text(await central.receive()), 'back');
        for (const t of [pair.central, pair.peripheral]) {
          const c = t.cacheStats();
          assert.equal(c.size, 1, 'a resumption renews the entry, it does not add one');
          assert.equal(c.fullHandshakes, 1);
          assert.equal(c.resumptions, 1);
        }
        assert.ok(pair.central.cacheStats().hits >= 1);
      } finally {
        await pair.close();
      }
    });
  }

  it('resumes many times in a row, each with a fresh ticket', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      const seen = new Set<string>();
      pair.radio.setFaults({
        intercept: (e) => {
          if (e.from === 'central' && startedMessageType(e.packet) === MessageType.ResumeRequest) seen.add(bytesToHex(e.packet.subarray(5, 21)));
          return 'deliver';
        },
      });
      for (let i = 0; i < 5; i++) {
        const { central } = await reconnect(pair);
        assert.equal(central.connectionType, 'resumed');
      }
      assert.equal(seen.size, 5, 'every request carried another ticket id');
      assert.equal(pair.peripheral.cacheStats().resumptions, 5);
    } finally {
      await pair.close();
    }
  });

  it('refuses a replayed resume request and the real initiator falls back', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      await pair.central.connections()[0].close();
      let captured: Uint8Array | undefined;
      pair.radio.setFaults({
        intercept: (e) => {
          if (e.from === 'central' && captured === undefined && startedMessageType(e.packet) === MessageType.ResumeRequest) captured = e.packet.slice();
          return 'deliver';
        },
      });
      const { central } = await connectPair(pair);
      assert.equal(central.connectionType, 'resumed');
      pair.radio.setFaults({});
      assert.ok(captured !== undefined, 'the request was seen on air');
      // An attacker replays the same packet from another device.
      const attacker = pair.radio.createDevice({ deviceId: OTHER_ID });
      const link = await attacker.connect(PERIPHERAL_ID);
      const r = new Reassembler();
      const reply = new Promise<Uint8Array>((resolve) =>
        link.onPacket((p) => {
          const m = r.push(p);
          if (m !== undefined) resolve(m);
        }),
      );
      await link.send(captured);
      assert.equal(replyKind(await reply), 'unknown-ticket');
      await link.close();
      // The genuine pair still resumes.
      const again = await reconnect(pair);
      assert.equal(again.central.connectionType, 'resumed');
    } finally {
      await pair.close();
    }
  });

  it('answers forged, truncated and random requests with "cannot resume", keeping the session', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      await pair.central.connections()[0].close();
      // A genuine request, captured on air and never delivered (jammed).
      let genuine: Uint8Array | undefined;
      pair.radio.setFaults({
        intercept: (e) => {
          if (e.from === 'central' && startedMessageType(e.packet) === MessageType.ResumeRequest) {
            genuine = e.packet.slice(2);
            return 'disconnect';
          }
          return 'deliver';
        },
      });
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID));
      pair.radio.setFaults({});
      assert.ok(genuine !== undefined);
      const forgedBinder = genuine.slice();
      forgedBinder[forgedBinder.length - 1] ^= 0x80;
      const attacker = pair.radio.createDevice({ deviceId: OTHER_ID });
      const cases: [string, Uint8Array, string][] = [
        ['random request', randomRequest(), 'unknown-ticket'],
        ['truncated request', genuine.slice(0, 20), 'malformed'],
        ['version 1 request', Uint8Array.from([MessageType.ResumeRequest, 1, ...randomBytes(48)]), 'unsupported'],
        ['forged binder on the live ticket id', forgedBinder, 'unknown-ticket'],
      ];
      for (const [label, message, reason] of cases) {
        const link = await attacker.connect(PERIPHERAL_ID);
        assert.equal(replyKind(await rawExchange(link, message)), reason, label);
        await link.close();
      }
      // Nothing unauthenticated destroyed the session: the genuine central still resumes.
      assert.equal(pair.peripheral.cacheStats().size, 1);
      const { central } = await reconnect(pair);
      assert.equal(central.connectionType, 'resumed');
    } finally {
      await pair.close();
    }
  });

  it('rate-limits resume attempts per device', async () => {
    const pair = await makePair({ peripheral: { resumeAttemptBurst: 2 } });
    try {
      const attacker = pair.radio.createDevice({ deviceId: OTHER_ID });
      const reasons: string[] = [];
      for (let i = 0; i < 4; i++) {
        const link = await attacker.connect(PERIPHERAL_ID);
        reasons.push(replyKind(await rawExchange(link, randomRequest())));
        await link.close();
      }
      assert.deepEqual(reasons.slice(0, 2), ['unknown-ticket', 'unknown-ticket']);
      assert.equal(reasons[3], 'rate-limited');
    } finally {
      await pair.close();
    }
  });

  it('falls back when the responder restarted without its cache, then resumes again', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      await pair.restart('peripheral');
      const { central } = await connectPair(pair);
      assert.equal(central.connectionType, 'full-handshake');
      assert.equal(central.stats().fellBack, true);
      assert.equal(pair.central.cacheStats().fallbacks, 1);
      assert.equal(pair.central.cacheStats().size, 1);
      const again = await reconnect(pair);
      assert.equal(again.central.connectionType, 'resumed');
    } finally {
      await pair.close();
    }
  });

  it('does not offer an expired session, and resumptions never extend the lifetime', async () => {
    const pair = await makePair({ central: { sessionCacheDurationMs: 24 * HOUR }, peripheral: { sessionCacheDurationMs: 24 * HOUR } });
    try {
      await connectPair(pair);
      pair.clock.setWallOffset(23 * HOUR);
      const r = await reconnect(pair);
      assert.equal(r.central.connectionType, 'resumed');
      pair.clock.setWallOffset(24 * HOUR + 1);
      assert.equal(await pair.central.lookupSession(PERIPHERAL_ID), undefined, 'expired 24 h after the full handshake despite the resumption');
      const misses = pair.central.cacheStats().misses;
      const again = await reconnect(pair);
      assert.equal(again.central.connectionType, 'full-handshake');
      assert.equal(again.central.stats().fellBack, false, 'an expired session is not offered at all');
      assert.ok(pair.central.cacheStats().misses > misses);
      assert.ok(pair.central.cacheStats().expired >= 1);
    } finally {
      await pair.close();
    }
  });

  it('a wall clock that jumps backwards does not make a session immortal', async () => {
    const pair = await makePair();
    try {
      pair.clock.setWallOffset(48 * HOUR);
      await connectPair(pair);
      pair.clock.setWallOffset(0); // 48 h back: the session now looks established in the future
      assert.equal(await pair.central.lookupSession(PERIPHERAL_ID), undefined);
    } finally {
      await pair.close();
    }
  });

  it('prunes expired sessions on demand and on its timer, and evicts the least recently active', async () => {
    const pair = await makePair({ central: { maxCachedSessions: 2, sessionCleanupIntervalMs: 60_000 } });
    const extra = [pair.radio.createDevice({ deviceId: OTHER_ID }), pair.radio.createDevice({ deviceId: 'dd0000000004' })];
    const peers = await Promise.all(extra.map((link, i) => BleTransport.create({ identity: identity(2 + i), link, logger: pair.logger })));
    try {
      await connectPair(pair);
      const c2 = await pair.central.connectToDevice(OTHER_ID);
      // touch the first peer's session so the second becomes least recently active
      pair.clock.setWallOffset(1000);
      assert.equal(await pair.central.touchSession(PERIPHERAL_ID), true);
      await pair.central.saveSessions();
      await c2.close();
      await pair.central.connectToDevice('dd0000000004');
      const s = pair.central.cacheStats();
      assert.equal(s.size, 2);
      assert.equal(await pair.central.lookupSession(OTHER_ID), undefined, 'the least recently active went first');
      assert.ok((await pair.central.lookupSession(PERIPHERAL_ID)) !== undefined);
      pair.clock.setWallOffset(25 * HOUR);
      assert.equal(await pair.central.pruneExpiredSessions(), 2);
      assert.equal(pair.central.cacheStats().size, 0);
      assert.equal(await pair.central.touchSession(PERIPHERAL_ID), false);
    } finally {
      for (const p of peers) await p.close();
      await pair.close();
    }
  });

  for (const how of ['send', 'receive'] as const) {
    it(`touches the session on every ${how} (LRU order follows activity)`, async () => {
      const pair = await makePair({ central: { maxCachedSessions: 2 } });
      const extra = [pair.radio.createDevice({ deviceId: OTHER_ID }), pair.radio.createDevice({ deviceId: 'dd0000000004' })];
      const peers = await Promise.all(extra.map((link, i) => BleTransport.create({ identity: identity(2 + i), link, logger: pair.logger })));
      try {
        const a = await connectPair(pair); // session A
        pair.clock.setWallOffset(1000);
        await pair.central.connectToDevice(OTHER_ID); // session B, more recent than A
        pair.clock.setWallOffset(2000);
        if (how === 'send') {
          await a.central.send(utf8('ping'));
          await a.peripheral.receive();
        } else {
          await a.peripheral.send(utf8('ping'));
          await a.central.receive();
        }
        await pair.central.saveSessions(); // writes the batched touches
        await pair.central.connectToDevice('dd0000000004'); // evicts the least recently active
        assert.ok((await pair.central.lookupSession(PERIPHERAL_ID)) !== undefined, `A was touched by ${how}`);
        assert.equal(await pair.central.lookupSession(OTHER_ID), undefined, 'B was evicted');
      } finally {
        for (const p of peers) await p.close();
        await pair.close();
      }
    });
  }

  it('forgetPeer purges the session and the pinned key', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      assert.equal(await pair.central.forgetPeer(identity(1).fingerprint), true);
      assert.equal(await pair.central.lookupSession(PERIPHERAL_ID), undefined);
      assert.equal(await pair.central.forgetPeer(identity(1).fingerprint), false);
      const { central } = await reconnect(pair);
      assert.equal(central.connectionType, 'full-handshake');
    } finally {
      await pair.close();
    }
  });

  it('survives a disconnect at every step of the resumption exchange, on either side', async () => {
    for (const side of ['central', 'peripheral'] as const) {
      for (let step = 0; step < (side === 'central' ? 2 : 1); step++) {
        const pair = await makePair();
        try {
          await connectPair(pair);
          await pair.central.connections()[0].close();
          let armed = true;
          pair.radio.setFaults({
            intercept: (e) => {
              if (armed && e.from === side && e.index === (side === 'central' ? step : 0)) {
                armed = false;
                return 'disconnect';
              }
              return 'deliver';
            },
          });
          const ac = new AbortController();
          const stale = pair.peripheral.accept({ signal: ac.signal }).catch(() => undefined);
          const first = await pair.central.connectToDevice(PERIPHERAL_ID).then(
            (c) => c.connectionType,
            (err: unknown) => (isPqbleError(err) ? err.code : String(err)),
          );
          assert.ok(typeof first === 'string');
          await pair.clock.advance(200);
          ac.abort();
          await (await stale)?.close();
          for (const c of pair.central.connections()) await c.close();
          pair.radio.setFaults({});
          // The next attempt succeeds, resumed or full, and both caches agree afterwards.
          const { central, peripheral } = await connectPair(pair);
          assert.ok(['resumed', 'full-handshake'].includes(central.connectionType), `${side} step ${step}: ${central.connectionType}`);
          assert.equal(central.sessionId, peripheral.sessionId);
          await central.send(utf8('ok'));
          assert.equal(text(await peripheral.receive()), 'ok');
          const third = await reconnect(pair);
          assert.equal(third.central.connectionType, 'resumed', `${side} step ${step}: caches consistent`);
          assert.equal(pair.central.cacheStats().size, 1);
          assert.equal(pair.peripheral.cacheStats().size, 1);
        } finally {
          await pair.close();
        }
      }
    }
  });
});
