/**
 * Review findings on the transport's resumption driver and session keeper (see the review
 * report). Each test states the behaviour docs/resumption.md, docs/security.md or
 * docs/api.md promise.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from '../../src/bytes.js';
import type { Clock, Timer } from '../../src/clock.js';
import { defaultCrypto } from '../../src/crypto/index.js';
import { StoreError } from '../../src/errors.js';
import { fragmentMessage } from '../../src/framing/index.js';
import type { Link } from '../../src/link/types.js';
import { PeerDirectory } from '../../src/handshake/index.js';
import { parseFingerprint } from '../../src/ids.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { RatchetUpdate, StoreCallOptions } from '../../src/session/store.js';
import { SessionKeeper } from '../../src/transport/session-keeper.js';
import { MessageType } from '../../src/wire.js';
import { CapturingLogger, PERIPHERAL_ID, connectPair, identity, makePair, tempDir, startedMessageType } from './helpers.js';

const HOUR = 3_600_000;

/** A memory store whose outbound ratchet always fails (a disk or Redis that errors on that write). */
class FailingOutboundStore extends MemorySessionStore {
  failures = 0;
  override replaceOutbound(
    _fp: string,
    _expected: Uint8Array,
    _next: Uint8Array | undefined,
    _update: RatchetUpdate,
    _options?: StoreCallOptions,
  ): Promise<boolean> {
    this.failures++;
    return Promise.reject(new StoreError('PQBLE_ERR_STORE_IO', 'injected: the outbound ratchet could not be written'));
  }
}

describe('review: initiator ratchet durability', () => {
  it('an initiator whose outbound ratchet cannot be made durable does not send the finished and falls back to a full handshake', async () => {
    // docs/resumption.md "Initiator" step 3: "make keys.nextSecret durable ... before sending
    // finished or using the keys ... If the store fails: do not send finished; fall back".
    // docs/security.md property 5: "durable ... before the new keys are used (initiator)".
    const store = new FailingOutboundStore();
    const pair = await makePair({ central: { sessionStore: store } });
    try {
      await connectPair(pair);
      for (const c of pair.central.connections()) await c.close();
      let finishedSent = 0;
      pair.radio.setFaults({
        intercept: (e) => {
          if (e.from === 'central' && startedMessageType(e.packet) === MessageType.ResumeFinished) finishedSent++;
          return 'deliver';
        },
      });
      const again = await connectPair(pair);
      assert.equal(store.failures, 1, 'the initiator tried to ratchet');
      assert.equal(finishedSent, 0, 'no ResumeFinished leaves while the ratchet is not durable');
      assert.equal(again.central.connectionType, 'full-handshake', 'the link fell back to a full handshake');
    } finally {
      await pair.close();
      await store.close();
    }
  });
});

describe('review: reject reasons', () => {
  it("a responder answers a ticket of an expired session with the reject reason 'expired' (0x02)", async () => {
    // docs/resumption.md "Reject reasons": expired (0x02) "the entry is past its lifetime".
    const pair = await makePair({ peripheral: { sessionCacheDurationMs: HOUR } });
    try {
      await connectPair(pair);
      for (const c of pair.central.connections()) await c.close();
      // The central (24 h lifetime) still resumes; the peripheral's session (1 h) has expired.
      pair.clock.setWallOffset(2 * HOUR);
      const reasons: number[] = [];
      pair.radio.setFaults({
        intercept: (e) => {
          if (e.from === 'peripheral' && startedMessageType(e.packet) === MessageType.ResumeReject) reasons.push(e.packet[3]);
          return 'deliver';
        },
      });
      const again = await connectPair(pair);
      assert.equal(again.central.connectionType, 'full-handshake');
      assert.deepEqual(reasons, [0x02], 'one reject, reason expired');
    } finally {
      await pair.close();
    }
  });
});

describe('review: capacity of the store the transport creates', () => {
  it('maxCachedSessions bounds the file store the transport opens for sessionPersistPath', async () => {
    // docs/api.md: maxCachedSessions is the "capacity of the store the transport creates
    // (memory or file); least recently active evicted first".
    const { dir, cleanup } = await tempDir();
    const pair = await makePair({ central: { sessionPersistPath: `${dir}/central.sessions`, maxCachedSessions: 2 } });
    try {
      for (let i = 0; i < 4; i++) {
        await pair.central.cacheSession({
          peerFingerprint: randomBytes(32),
          deviceId: `dd00000000${i.toString().padStart(2, '0')}`,
          resumptionSecret: randomBytes(32),
        });
      }
      assert.ok(pair.central.cacheStats().size <= 2, `at most 2 sessions kept, found ${pair.central.cacheStats().size}`);
    } finally {
      await pair.close();
      await cleanup();
    }
  });
});

/** A clock whose timers fire only when the test says so. */
class ManualClock implements Clock {
  readonly timers = new Set<{ fn: () => void }>();
  now(): number {
    return 1_000;
  }
  wallNow(): number {
    return 1_700_000_000_000;
  }
  setTimer(_delayMs: number, fn: () => void): Timer {
    const t = { fn };
    this.timers.add(t);
    return { cancel: () => this.timers.delete(t) };
  }
  fireAll(): void {
    const due = [...this.timers];
    this.timers.clear();
    for (const t of due) t.fn();
  }
}

/** A memory store whose putValue calls wait until released, in order. */
class GatedValueStore extends MemorySessionStore {
  readonly gates: (() => void)[] = [];
  calls = 0;
  override async putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void> {
    this.calls++;
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return super.putValue(name, value, options);
  }
}

describe('review: session keeper timers', () => {
  it('close() during a timer flush leaves no flush timer behind (nothing is written after close)', async () => {
    const crypto = defaultCrypto();
    const clock = new ManualClock();
    const store = new GatedValueStore();
    const keeper = await SessionKeeper.open({
      store,
      selfFingerprint: identity(0).fingerprint,
      crypto,
      clock,
      logger: new CapturingLogger(),
      directory: new PeerDirectory({ mode: 'any' }, { crypto }),
      lifetimeMs: 24 * HOUR,
      storeTimeoutMs: 60_000,
      maxClockSkewMs: 300_000,
      flushIntervalMs: 60_000,
    });
    assert.equal(clock.timers.size, 1, 'the flush timer is scheduled');
    clock.fireAll(); // the periodic flush starts: it writes clock:hwm and waits on the store
    await new Promise((r) => setImmediate(r));
    const closing = keeper.close(); // close flushes too, and also waits on the store
    await new Promise((r) => setImmediate(r));
    assert.equal(store.gates.length, 2, 'both flushes wait on putValue');
    store.gates[0](); // the timer's flush finishes first
    await new Promise((r) => setImmediate(r));
    store.gates[1]();
    await closing;
    assert.equal(clock.timers.size, 0, 'no timer is left once close() resolved');
    const before = store.calls;
    clock.fireAll();
    await new Promise((r) => setImmediate(r));
    assert.equal(store.calls, before, 'a closed keeper writes nothing');
    await store.close();
  });
});

describe('review: the responder reports the mode the initiator chose', () => {
  it("a psk-dhe responder that answers a psk request reports resumptionMode 'psk'", async () => {
    // docs/api.md: a responder answers both modes; ConnectionStats.resumptionMode is "the
    // resumption mode of a resumed connection".
    const pair = await makePair({ central: { resumptionMode: 'psk' }, peripheral: { resumptionMode: 'psk-dhe' } });
    try {
      await connectPair(pair);
      for (const c of pair.central.connections()) await c.close();
      const again = await connectPair(pair);
      assert.equal(again.central.connectionType, 'resumed');
      assert.equal(again.central.stats().resumptionMode, 'psk');
      assert.equal(again.peripheral.stats().resumptionMode, 'psk', "the mode on the wire, not the responder's own preference");
    } finally {
      await pair.close();
    }
  });
});

describe('review: slots held by links that go quiet after one message', () => {
  it('links that send one malformed resume request and then nothing do not hold every incoming slot for the whole setup deadline', async () => {
    // docs/security.md property 11: "Floods cost next to nothing ... a link that sends nothing
    // is closed after setupIdleTimeoutMs". One garbage message (answered by a 2-byte
    // reject) then silence holds the slot for handshakeTimeoutMs (20 s) instead: two such
    // links, renewed every 20 s, keep every genuine device out.
    const pair = await makePair({ peripheral: { maxIncomingSetups: 2, setupIdleTimeoutMs: 1_000 } });
    try {
      const quiet: Link[] = [];
      for (let i = 0; i < 2; i++) {
        const device = pair.radio.createDevice({ deviceId: `ee00000002${i}0` });
        const link = await device.connect(PERIPHERAL_ID);
        quiet.push(link);
        for (const p of fragmentMessage(Uint8Array.of(MessageType.ResumeRequest, 0x02, 0x00), 1, link.maxPayloadBytes)) await link.send(p);
      }
      await pair.clock.advance(3_000);
      const open = quiet.filter((l) => l.isOpen).length;
      assert.equal(open, 0, `links quiet for 3 s after one message are closed (still open: ${open})`);
    } finally {
      await pair.close();
    }
  });
});

describe('review: TOFU refusal on resumption', () => {
  it("a tofu mismatch at a claimed device id refuses the resumption but does not purge the genuine peer's session", async () => {
    // docs/security.md: the device id "is only a lookup hint: addresses rotate and anyone can
    // claim any address"; property 7: what an attacker sends "may cost a full handshake on
    // that link, never a cached session". An attacker Q that bound a device id to itself
    // (a full handshake from that address under tofu) must not make the keeper delete the
    // session of P, who proved possession of it, when P later shows up at that address.
    const crypto = defaultCrypto();
    const store = new MemorySessionStore();
    const directory = new PeerDirectory({ mode: 'tofu' }, { crypto });
    const keeper = await SessionKeeper.open({
      store,
      selfFingerprint: identity(1).fingerprint,
      crypto,
      clock: new ManualClock(),
      logger: new CapturingLogger(),
      directory,
      lifetimeMs: 24 * HOUR,
      storeTimeoutMs: 60_000,
      maxClockSkewMs: 300_000,
      flushIntervalMs: 60_000,
    });
    try {
      const p = Buffer.from(identity(0).fingerprint).toString('hex');
      const q = Buffer.from(identity(2).fingerprint).toString('hex');
      await keeper.put(parseFingerprint(p), 'aa0000000001', randomBytes(32), 1_700_000_000_000);
      directory.bind('ff0000000009', parseFingerprint(q)); // the attacker's earlier full handshake from that address
      const entry = await store.get(p);
      assert.ok(entry?.inbound !== undefined);
      const session = await keeper.inboundFor(entry.inbound.ticketId);
      assert.ok(typeof session === 'object');
      assert.equal(await keeper.trustResumed(session, 'ff0000000009'), 'refused');
      assert.notEqual(await store.get(p), undefined, "P's session is kept: a device id is only a hint");
    } finally {
      await keeper.close();
      await store.close();
    }
  });
});

describe('review: connectToDevice with peerFingerprint', () => {
  it('an open connection to another identity at the device id is not handed to a caller that insists on a fingerprint', async () => {
    // docs (ConnectOptions.peerFingerprint): "The identity the device must prove ... Another
    // identity fails with PQBLE_ERR_PEER_UNTRUSTED."
    const pair = await makePair();
    try {
      const first = await connectPair(pair);
      assert.equal(first.central.isOpen, true);
      const other = Buffer.from(identity(5).fingerprint).toString('hex');
      let got: string | undefined;
      await assert.rejects(
        pair.central.connectToDevice(PERIPHERAL_ID, { peerFingerprint: other }).then((c) => {
          got = c.peerFingerprint;
        }),
        { code: 'PQBLE_ERR_PEER_UNTRUSTED' },
        'a connection to identity 1 must not satisfy a caller that insists on identity 5',
      );
      assert.equal(got, undefined);
    } finally {
      await pair.close();
    }
  });

  it('a caller that insists on a fingerprint does not join an attempt started without one', async () => {
    const pair = await makePair();
    try {
      const accepted = pair.peripheral.accept();
      const plain = pair.central.connectToDevice(PERIPHERAL_ID);
      const other = Buffer.from(identity(5).fingerprint).toString('hex');
      const strict = pair.central.connectToDevice(PERIPHERAL_ID, { peerFingerprint: other });
      await plain;
      await accepted;
      await assert.rejects(strict, { code: 'PQBLE_ERR_PEER_UNTRUSTED' });
    } finally {
      await pair.close();
    }
  });
});
