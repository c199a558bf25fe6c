// The full handshake state machines: round trips in both modes, state errors, tampering,
// replays, swapped identities, pinned-mode fallbacks and wiping of secrets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HandshakeError, PqbleError } from '../../src/errors.js';
import { HANDSHAKE_MESSAGE_BYTES, HandshakeInitiator, HandshakeResponder, PeerDirectory, makePeerInfo } from '../../src/handshake/index.js';
import type { Identity } from '../../src/identity/index.js';
import { deterministicCrypto, identity, isZero, recordingCrypto, runHandshake, throwsHandshake, type Run } from './helpers.js';
import { fuzz } from '../support/fuzz.js';

const alice = identity('alice');
const bob = identity('bob');
const carol = identity('carol');
const lookupAlice = (fp: Uint8Array): Uint8Array | undefined => (Buffer.from(fp).equals(alice.fingerprint) ? alice.publicKey : undefined);

function assertCrosswise(run: Run): void {
  const { initiator: i, responder: r } = run;
  assert.deepEqual(i.sendKey, r.receiveKey);
  assert.deepEqual(i.receiveKey, r.sendKey);
  assert.notDeepEqual(i.sendKey, i.receiveKey);
  assert.deepEqual(i.resumptionSecret, r.resumptionSecret);
  assert.deepEqual(i.sessionId, r.sessionId);
  assert.deepEqual(i.transcriptHash, r.transcriptHash);
  assert.equal(i.sendKey.length, 32);
  assert.equal(i.receiveKey.length, 32);
  assert.equal(i.resumptionSecret.length, 32);
  assert.equal(i.sessionId.length, 16);
  assert.equal(i.transcriptHash.length, 32);
  assert.deepEqual(i.peer.fingerprint, bob.fingerprint);
  assert.deepEqual(i.peer.publicKey, bob.publicKey);
  assert.deepEqual(r.peer.fingerprint, alice.fingerprint);
  assert.deepEqual(r.peer.publicKey, alice.publicKey);
}

/** A fresh initiator/responder pair at a fixed seed: same seed, same messages. */
function pair(seed: string, pinned: boolean, opts: { alice?: Identity; bob?: Identity; lookup?: (fp: Uint8Array) => Uint8Array | undefined } = {}) {
  const a = opts.alice ?? alice;
  const b = opts.bob ?? bob;
  const initiator = new HandshakeInitiator(
    pinned ? { identity: a, peerKey: bob.publicKey, crypto: deterministicCrypto(`${seed}/i`) } : { identity: a, crypto: deterministicCrypto(`${seed}/i`) },
  );
  const responder = new HandshakeResponder({ identity: b, lookupPeerKey: opts.lookup ?? lookupAlice, crypto: deterministicCrypto(`${seed}/r`) });
  return { initiator, responder };
}

describe('handshake round trip', () => {
  for (const pinned of [false, true]) {
    const mode = pinned ? 'pinned' : 'full';
    it(`${mode}: both sides derive the same keys crosswise and learn each other's identity`, () => {
      const run = runHandshake({ pinned });
      assertCrosswise(run);
      assert.equal(run.initiator.pinned, pinned);
      assert.equal(run.responder.pinned, pinned);
      assert.equal(run.m1.length, HANDSHAKE_MESSAGE_BYTES.init);
      assert.equal(run.m2.length, HANDSHAKE_MESSAGE_BYTES.response[mode]);
      assert.equal(run.m3.length, HANDSHAKE_MESSAGE_BYTES.finish[mode]);
    });

    it(`${mode}: different runs give different keys, secrets, session ids and transcripts`, () => {
      const a = runHandshake({ pinned });
      const b = runHandshake({ pinned });
      for (const k of ['sendKey', 'receiveKey', 'resumptionSecret', 'sessionId', 'transcriptHash'] as const) {
        assert.notDeepEqual(a.initiator[k], b.initiator[k], k);
      }
    });

    it(`${mode}: the same seeds reproduce the same messages and keys (deterministic provider)`, () => {
      const a = runHandshake({ pinned, seed: 'repro' });
      const b = runHandshake({ pinned, seed: 'repro' });
      assertCrosswise(a);
      assert.deepEqual(a.m1, b.m1);
      assert.deepEqual(a.m2, b.m2);
      assert.deepEqual(a.m3, b.m3);
      assert.deepEqual(a.initiator.sendKey, b.initiator.sendKey);
    });
  }

  it('the pinned flag travels in M1 and changes the layout', () => {
    const full = runHandshake({ seed: 'flag' });
    const pinned = runHandshake({ seed: 'flag', pinned: true });
    assert.equal(full.m1[2], 0);
    assert.equal(pinned.m1[2], 1);
    assert.deepEqual(full.m1.subarray(0, 2), new Uint8Array([0x01, 0x01]));
    assert.equal(full.m2[0], 0x02);
    assert.equal(full.m3[0], 0x03);
  });

  it('modes are reported; messages and results are fresh buffers the caller may mutate', () => {
    const { initiator, responder } = pair('modes', true);
    assert.equal(initiator.mode, 'pinned');
    assert.equal(responder.mode, undefined);
    const m1 = initiator.start();
    const sent = m1.slice();
    m1.fill(0); // must not affect the initiator's transcript
    const m2 = responder.readInit(sent);
    assert.equal(responder.mode, 'pinned');
    const sentM2 = m2.slice();
    m2.fill(0);
    initiator.readResponse(sentM2);
    sentM2.fill(0); // the initiator keeps its own copy
    const { message, result } = initiator.finish();
    const r = responder.readFinish(message);
    assert.deepEqual(result.sendKey, r.receiveKey);
    result.sendKey.fill(0);
    assert.ok(!isZero(r.receiveKey));
    assert.equal(initiator.state, 'done');
    assert.equal(responder.state, 'done');
  });

  it('a PeerDirectory works as the lookup and the trust check', async () => {
    const dir = new PeerDirectory({ mode: 'allow-list', fingerprints: [alice.fingerprint] });
    dir.pin(alice.publicKey);
    const i = new HandshakeInitiator({ identity: alice, peerKey: bob.publicKey });
    const r = new HandshakeResponder({ identity: bob, lookupPeerKey: (fp) => dir.keyFor(fp) });
    const m2 = r.readInit(i.start());
    i.readResponse(m2);
    const result = r.readFinish(i.finish().message);
    await dir.check(makePeerInfo(result.peer.publicKey, 'aabbccddeeff'));
  });
});

describe('handshake state errors', () => {
  it('calls in the wrong state fail with UNEXPECTED and kill the state machine', () => {
    const i = new HandshakeInitiator({ identity: alice });
    throwsHandshake(() => i.finish(), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    assert.equal(i.state, 'failed');
    throwsHandshake(() => i.start(), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');

    const i2 = new HandshakeInitiator({ identity: alice });
    throwsHandshake(() => i2.readResponse(new Uint8Array(10)), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    const i3 = new HandshakeInitiator({ identity: alice });
    i3.start();
    throwsHandshake(() => i3.start(), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');

    const r = new HandshakeResponder({ identity: bob });
    throwsHandshake(() => r.readFinish(new Uint8Array(10)), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    throwsHandshake(() => r.readInit(new HandshakeInitiator({ identity: alice }).start()), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    assert.equal(r.state, 'failed');
  });

  it('a finished handshake accepts no more calls', () => {
    const { initiator, responder } = pair('done', false);
    const m2 = responder.readInit(initiator.start());
    initiator.readResponse(m2);
    const { message } = initiator.finish();
    responder.readFinish(message);
    throwsHandshake(() => initiator.finish(), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    throwsHandshake(() => responder.readFinish(message), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
  });

  it('after any failure every further call fails with UNEXPECTED', () => {
    const { initiator, responder } = pair('dead', false);
    const m2 = responder.readInit(initiator.start());
    const bad = m2.slice();
    bad[bad.length - 1] ^= 1;
    throwsHandshake(() => initiator.readResponse(bad), 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
    assert.equal(initiator.state, 'failed');
    throwsHandshake(() => initiator.readResponse(m2), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    throwsHandshake(() => initiator.finish(), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
  });

  it('destroy() abandons a handshake (e.g. after a failed trust check)', () => {
    const { initiator, responder } = pair('destroy', false);
    initiator.readResponse(responder.readInit(initiator.start()));
    initiator.destroy();
    responder.destroy();
    assert.equal(initiator.state, 'failed');
    throwsHandshake(() => initiator.finish(), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
  });

  it('constructors validate their options; methods reject non-byte arguments with TypeError', () => {
    assert.throws(() => new HandshakeInitiator({ identity: alice, peerKey: new Uint8Array(5) }), RangeError);
    assert.throws(() => new HandshakeInitiator({ identity: { ...alice, fingerprint: bob.fingerprint } }), TypeError);
    assert.throws(() => new HandshakeInitiator({ identity: alice, pinnedKey: bob.publicKey } as never), TypeError);
    assert.throws(() => new HandshakeInitiator(undefined as never), TypeError);
    assert.throws(() => new HandshakeResponder({ identity: bob, lookupPeerKey: 5 } as never), TypeError);
    assert.throws(() => new HandshakeResponder({ identity: bob, crypto: {} } as never), TypeError);
    const i = new HandshakeInitiator({ identity: alice });
    i.start();
    assert.throws(() => i.readResponse('m2' as never), TypeError);
    assert.equal(i.state, 'failed');
    const r = new HandshakeResponder({ identity: bob });
    assert.throws(() => r.readInit([1, 2] as never), TypeError);
  });
});

describe('handshake tampering', () => {
  for (const pinned of [false, true]) {
    const mode = pinned ? 'pinned' : 'full';

    it(`${mode}: flipping any byte of M2 fails with AUTH_FAILED (UNEXPECTED for the type byte)`, () => {
      const seed = `m2flip/${mode}`;
      const { initiator, responder } = pair(seed, pinned);
      const m2 = responder.readInit(initiator.start());
      initiator.destroy();
      const check = (pos: number, mask: number): void => {
        const { initiator: i } = pair(seed, pinned);
        i.start();
        const bad = m2.slice();
        bad[pos] ^= mask;
        throwsHandshake(() => i.readResponse(bad), pos === 0 ? 'PQBLE_ERR_HANDSHAKE_UNEXPECTED' : 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
        assert.equal(i.state, 'failed');
      };
      for (const pos of [0, 1, 32, 33, 1120, 1121, 1200, m2.length - 17, m2.length - 16, m2.length - 1]) check(pos, 0x01);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: m2.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => check(pos, mask)),
        fuzz(40),
      );
    });

    it(`${mode}: flipping any byte of M3 fails with AUTH_FAILED (UNEXPECTED for the type byte)`, () => {
      const seed = `m3flip/${mode}`;
      const { initiator, responder } = pair(seed, pinned);
      const m1 = initiator.start();
      const m2 = responder.readInit(m1);
      initiator.readResponse(m2);
      const { message: m3 } = initiator.finish();
      const check = (pos: number, mask: number): void => {
        const { responder: r } = pair(seed, pinned);
        assert.deepEqual(r.readInit(m1), m2);
        const bad = m3.slice();
        bad[pos] ^= mask;
        throwsHandshake(() => r.readFinish(bad), pos === 0 ? 'PQBLE_ERR_HANDSHAKE_UNEXPECTED' : 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
        assert.equal(r.state, 'failed');
      };
      for (const pos of [0, 1, 32, 33, m3.length - 17, m3.length - 1]) check(pos, 0x80);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: m3.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => check(pos, mask)),
        fuzz(15),
      );
      // and the untampered M3 still completes
      const { responder: r } = pair(seed, pinned);
      r.readInit(m1);
      assert.deepEqual(r.readFinish(m3).peer.fingerprint, alice.fingerprint);
    });

    it(`${mode}: truncated or extended M2 and M3 are MALFORMED`, () => {
      const seed = `length/${mode}`;
      const { initiator, responder } = pair(seed, pinned);
      const m1 = initiator.start();
      const m2 = responder.readInit(m1);
      initiator.readResponse(m2);
      const { message: m3 } = initiator.finish();
      for (const bad of [m2.subarray(0, m2.length - 1), m2.subarray(0, 1), new Uint8Array([...m2, 0])]) {
        const { initiator: i } = pair(seed, pinned);
        i.start();
        throwsHandshake(() => i.readResponse(bad), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
      }
      for (const bad of [m3.subarray(0, m3.length - 1), m3.subarray(0, 1), new Uint8Array([...m3, 0])]) {
        const { responder: r } = pair(seed, pinned);
        r.readInit(m1);
        throwsHandshake(() => r.readFinish(bad), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
      }
      const { responder: r } = pair(seed, pinned);
      for (const bad of [m1.subarray(0, m1.length - 1), new Uint8Array([...m1, 0]), new Uint8Array(0)]) {
        throwsHandshake(() => new HandshakeResponder({ identity: bob }).readInit(bad), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
      }
      r.destroy();
    });
  }

  it('a message of the wrong type is UNEXPECTED', () => {
    const { initiator, responder } = pair('type', false);
    const m1 = initiator.start();
    const m2 = responder.readInit(m1);
    throwsHandshake(() => initiator.readResponse(m1), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    throwsHandshake(() => responder.readFinish(m2), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    throwsHandshake(() => new HandshakeResponder({ identity: bob }).readInit(m2), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    throwsHandshake(() => new HandshakeResponder({ identity: bob }).readInit(new Uint8Array([0x20, 1, 0])), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
  });

  it('a different protocol version is PROTOCOL_VERSION; reserved flags are MALFORMED', () => {
    const m1 = new HandshakeInitiator({ identity: alice }).start();
    const v2 = m1.slice();
    v2[1] = 2;
    throwsHandshake(() => new HandshakeResponder({ identity: bob }).readInit(v2), 'PQBLE_ERR_PROTOCOL_VERSION');
    throwsHandshake(() => new HandshakeResponder({ identity: bob }).readInit(v2.subarray(0, 2)), 'PQBLE_ERR_PROTOCOL_VERSION');
    const flags = m1.slice();
    flags[2] = 0x02;
    throwsHandshake(() => new HandshakeResponder({ identity: bob }).readInit(flags), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
  });

  it('an invalid ML-KEM key in M1 is MALFORMED; an all-zero X25519 share is AUTH_FAILED', () => {
    const m1 = new HandshakeInitiator({ identity: alice }).start();
    const badKem = m1.slice();
    badKem.fill(0xff, 35, 35 + 384);
    throwsHandshake(() => new HandshakeResponder({ identity: bob }).readInit(badKem), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
    const zeroX = m1.slice();
    zeroX.fill(0, 3, 35);
    throwsHandshake(() => new HandshakeResponder({ identity: bob }).readInit(zeroX), 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
  });

  it('a man in the middle changing M1 is caught by the initiator (transcript mismatch)', () => {
    const { initiator, responder } = pair('mitm', false);
    const m1 = initiator.start();
    const bad = m1.slice();
    bad[10] ^= 0x40; // the X25519 share
    const m2 = responder.readInit(bad);
    throwsHandshake(() => initiator.readResponse(m2), 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
  });

  it('downgrading or upgrading the pinned flag in transit is caught', () => {
    for (const pinned of [true, false]) {
      const { initiator, responder } = pair(`downgrade/${String(pinned)}`, pinned);
      const m1 = initiator.start();
      const bad = m1.slice();
      bad[2] ^= 0x01;
      const m2 = responder.readInit(bad);
      throwsHandshake(() => initiator.readResponse(m2), 'PQBLE_ERR_HANDSHAKE_MALFORMED', 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
    }
  });

  it('M2 or M3 replayed from another session fails with AUTH_FAILED', () => {
    const other = runHandshake({ seed: 'other' });
    const otherPinned = runHandshake({ seed: 'other', pinned: true });
    for (const [pinned, o] of [
      [false, other],
      [true, otherPinned],
    ] as const) {
      const { initiator, responder } = pair(`replay/${String(pinned)}`, pinned);
      const m1 = initiator.start();
      responder.readInit(m1);
      throwsHandshake(() => initiator.readResponse(o.m2), 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
      throwsHandshake(() => responder.readFinish(o.m3), 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
    }
  });

  it('an initiator whose secret key does not match its claimed identity fails with AUTH_FAILED', () => {
    for (const pinned of [false, true]) {
      const impostor: Identity = { publicKey: alice.publicKey, fingerprint: alice.fingerprint, secretKey: carol.secretKey };
      const { initiator, responder } = pair(`swap-i/${String(pinned)}`, pinned, { alice: impostor });
      initiator.readResponse(responder.readInit(initiator.start()));
      const { message } = initiator.finish();
      throwsHandshake(() => responder.readFinish(message), 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
    }
  });

  it('a responder whose secret key does not match its claimed identity is refused (AUTH_FAILED; PEER_UNKNOWN when pinned)', () => {
    const impostor: Identity = { publicKey: bob.publicKey, fingerprint: bob.fingerprint, secretKey: carol.secretKey };
    for (const pinned of [false, true]) {
      const { initiator, responder } = pair(`swap-r/${String(pinned)}`, pinned, { bob: impostor });
      const m2 = responder.readInit(initiator.start());
      throwsHandshake(() => initiator.readResponse(m2), pinned ? 'PQBLE_ERR_PEER_UNKNOWN' : 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
    }
  });
});

describe('pinned mode and fallback', () => {
  it('a responder that does not know the initiator fingerprint fails with PEER_UNKNOWN; a full retry then succeeds', () => {
    const { initiator, responder } = pair('unknown-i', true, { lookup: () => undefined });
    initiator.readResponse(responder.readInit(initiator.start()));
    const { message } = initiator.finish();
    throwsHandshake(() => responder.readFinish(message), 'PQBLE_ERR_PEER_UNKNOWN');
    const retry = runHandshake({ pinned: false });
    assertCrosswise(retry);
  });

  it('a lookupPeerKey that throws fails the handshake with one PqbleError PQBLE_ERR_INTERNAL saying so, its error the cause', () => {
    const boom = new Error('directory down');
    const { initiator, responder } = pair('lookup-throws', true, {
      lookup: () => {
        throw boom;
      },
    });
    initiator.readResponse(responder.readInit(initiator.start()));
    const { message } = initiator.finish();
    assert.throws(
      () => responder.readFinish(message),
      (err: unknown) =>
        err instanceof PqbleError &&
        err.constructor === PqbleError &&
        err.code === 'PQBLE_ERR_INTERNAL' &&
        err.message === 'lookupPeerKey threw' &&
        err.cause === boom,
    );
  });

  it('the default responder knows no pinned keys', () => {
    const i = new HandshakeInitiator({ identity: alice, peerKey: bob.publicKey });
    const r = new HandshakeResponder({ identity: bob });
    i.readResponse(r.readInit(i.start()));
    throwsHandshake(() => r.readFinish(i.finish().message), 'PQBLE_ERR_PEER_UNKNOWN');
  });

  it('an initiator with a stale pinned key fails with PEER_UNKNOWN; a full retry shows the new key', () => {
    const i = new HandshakeInitiator({ identity: alice, peerKey: carol.publicKey });
    const r = new HandshakeResponder({ identity: bob, lookupPeerKey: lookupAlice });
    throwsHandshake(() => i.readResponse(r.readInit(i.start())), 'PQBLE_ERR_PEER_UNKNOWN');
    const i2 = new HandshakeInitiator({ identity: alice });
    const r2 = new HandshakeResponder({ identity: bob, lookupPeerKey: lookupAlice });
    assert.deepEqual(i2.readResponse(r2.readInit(i2.start())).fingerprint, bob.fingerprint);
  });

  it('a lookup that returns the wrong key is PEER_UNKNOWN; one that throws is INTERNAL', () => {
    for (const [lookup, code] of [
      [() => carol.publicKey, 'PQBLE_ERR_PEER_UNKNOWN'],
      [() => new Uint8Array(3), 'PQBLE_ERR_PEER_UNKNOWN'],
      [
        () => {
          throw new Error('database down');
        },
        'PQBLE_ERR_INTERNAL',
      ],
    ] as const) {
      const { initiator, responder } = pair('lookup', true, { lookup });
      initiator.readResponse(responder.readInit(initiator.start()));
      throwsHandshake(() => responder.readFinish(initiator.finish().message), code);
    }
  });

  it('the lookup receives a copy of the fingerprint', () => {
    let seen: Uint8Array | undefined;
    const { initiator, responder } = pair('lookup-copy', true, {
      lookup: (fp) => {
        seen = fp;
        fp.fill(0);
        return lookupAlice(alice.fingerprint);
      },
    });
    initiator.readResponse(responder.readInit(initiator.start()));
    const result = responder.readFinish(initiator.finish().message);
    assert.ok(seen !== undefined && isZero(seen));
    assert.deepEqual(result.peer.fingerprint, alice.fingerprint);
  });
});

describe('secrets are wiped', () => {
  for (const pinned of [false, true]) {
    it(`${pinned ? 'pinned' : 'full'}: every intermediate secret is zero after a successful handshake`, () => {
      const ic = recordingCrypto();
      const rc = recordingCrypto();
      const i = new HandshakeInitiator(pinned ? { identity: alice, peerKey: bob.publicKey, crypto: ic.crypto } : { identity: alice, crypto: ic.crypto });
      const r = new HandshakeResponder({ identity: bob, lookupPeerKey: lookupAlice, crypto: rc.crypto });
      i.readResponse(r.readInit(i.start()));
      const { message, result: ir } = i.finish();
      const rr = r.readFinish(message);
      const kept = new Set<Uint8Array>([
        ir.sendKey,
        ir.receiveKey,
        ir.resumptionSecret,
        ir.sessionId,
        rr.sendKey,
        rr.receiveKey,
        rr.resumptionSecret,
        rr.sessionId,
      ]);
      const secrets = [...ic.secrets, ...rc.secrets].filter((s) => !kept.has(s));
      assert.ok(secrets.length >= 20, `recorded ${secrets.length} secrets`);
      for (const s of secrets) assert.ok(isZero(s), `a ${s.length}-byte secret was left in memory`);
    });
  }

  it('a failed handshake wipes its secrets on both sides', () => {
    const ic = recordingCrypto(deterministicCrypto('wipe-fail/i'));
    const rc = recordingCrypto(deterministicCrypto('wipe-fail/r'));
    const i = new HandshakeInitiator({ identity: alice, crypto: ic.crypto });
    const r = new HandshakeResponder({ identity: bob, crypto: rc.crypto });
    const m2 = r.readInit(i.start());
    throwsHandshake(() => i.readResponse(Uint8Array.from(m2, (b, k) => (k === m2.length - 1 ? b ^ 1 : b))), 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
    throwsHandshake(() => r.readFinish(new Uint8Array(HANDSHAKE_MESSAGE_BYTES.finish.full).fill(3, 0, 1)), 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
    for (const s of [...ic.secrets, ...rc.secrets]) assert.ok(isZero(s), `a ${s.length}-byte secret was left in memory`);
  });

  it('errors are HandshakeErrors that carry no key material in their messages', () => {
    const run = runHandshake({ seed: 'msg' });
    const { initiator } = pair('msg2', false);
    initiator.start();
    try {
      initiator.readResponse(run.m2);
      assert.fail('expected a failure');
    } catch (err) {
      assert.ok(err instanceof HandshakeError);
      for (const secret of [run.initiator.sendKey, alice.secretKey.subarray(0, 16)]) {
        assert.ok(!err.message.includes(Buffer.from(secret).toString('hex')));
      }
    }
  });
});
