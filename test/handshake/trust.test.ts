// Trust policies and pinned keys (PeerDirectory).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandshakeError, isPqbleError } from '../../src/errors.js';
import { PeerDirectory, makePeerInfo, type PeerInfo } from '../../src/handshake/index.js';
import { fingerprintToHex } from '../../src/identity/index.js';
import { parseFingerprint } from '../../src/ids.js';
import { identity } from './helpers.js';

const alice = identity('alice');
const bob = identity('bob');
const carol = identity('carol');
const DEV1 = 'aabbccddeeff';
const DEV2 = '112233445566';

const peer = (id = alice, deviceId = DEV1): PeerInfo => makePeerInfo(id.publicKey, deviceId);

async function refused(p: Promise<void>, code = 'PQBLE_ERR_PEER_UNTRUSTED'): Promise<HandshakeError> {
  let caught: unknown;
  await p.catch((err: unknown) => {
    caught = err;
  });
  assert.ok(caught instanceof HandshakeError, `expected a HandshakeError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  return caught;
}

describe('trust policies', () => {
  it('any, chosen explicitly, accepts every authenticated peer', async () => {
    const dir = new PeerDirectory({ mode: 'any' });
    assert.equal(dir.mode, 'any');
    await dir.check(peer(alice));
    await dir.check(peer(bob, DEV2));
    await dir.check(peer(carol));
  });

  it('the default is tofu, not any', async () => {
    const dir = new PeerDirectory();
    assert.equal(dir.mode, 'tofu');
    await dir.check(peer(alice));
    await assert.rejects(dir.check(peer(bob)), (err: unknown) => isPqbleError(err, 'PQBLE_ERR_PEER_UNTRUSTED'));
  });

  it('allow-list accepts listed fingerprints (bytes or hex in any case) and refuses others', async () => {
    const dir = new PeerDirectory({ mode: 'allow-list', fingerprints: [alice.fingerprint, fingerprintToHex(bob.fingerprint).toUpperCase()] });
    await dir.check(peer(alice));
    await dir.check(peer(bob));
    await refused(dir.check(peer(carol)));
  });

  it('allow-list copies its list at construction', async () => {
    const list: Uint8Array[] = [alice.fingerprint.slice()];
    const dir = new PeerDirectory({ mode: 'allow-list', fingerprints: list });
    list[0].fill(0);
    list.push(carol.fingerprint);
    await dir.check(peer(alice));
    await refused(dir.check(peer(carol)));
  });

  it('tofu pins the first identity per device id and refuses a different one later', async () => {
    const dir = new PeerDirectory({ mode: 'tofu' });
    await dir.check(peer(alice, DEV1));
    await dir.check(peer(alice, DEV1));
    assert.deepEqual(dir.keyFor(alice.fingerprint), alice.publicKey);
    await refused(dir.check(peer(bob, DEV1)));
    // the same identity under a rotated address is fine, and bound there too
    await dir.check(peer(alice, DEV2));
    await refused(dir.check(peer(carol, DEV2)));
    // another identity at a fresh device id is a first use
    await dir.check(peer(bob, '0000000000aa'));
    // forgetting the peer releases its device ids
    assert.equal(dir.forget(parseFingerprint(alice.fingerprint)), true);
    assert.equal(dir.keyFor(alice.fingerprint), undefined);
    await dir.check(peer(bob, DEV1));
    assert.equal(dir.forget(parseFingerprint(carol.fingerprint)), false);
  });

  it('callback: sync and async verdicts; a throw or rejection refuses with the cause', async () => {
    const seen: PeerInfo[] = [];
    const sync = new PeerDirectory({ mode: 'callback', verify: (p) => (seen.push(p), p.fingerprintHex === fingerprintToHex(alice.fingerprint)) });
    await sync.check(peer(alice));
    await refused(sync.check(peer(bob)));
    assert.equal(seen.length, 2);
    assert.equal(seen[0].deviceId, DEV1);
    assert.deepEqual(seen[0].publicKey, alice.publicKey);

    const asyncDir = new PeerDirectory({
      mode: 'callback',
      verify: async (p) => {
        await new Promise((r) => setImmediate(r));
        return p.deviceId === DEV2;
      },
    });
    await asyncDir.check(peer(alice, DEV2));
    await refused(asyncDir.check(peer(alice, DEV1)));

    const boom = new Error('policy server down');
    const err = await refused(
      new PeerDirectory({
        mode: 'callback',
        verify: () => {
          throw boom;
        },
      }).check(peer()),
    );
    assert.equal(err.cause, boom);
    await refused(new PeerDirectory({ mode: 'callback', verify: () => Promise.reject(boom) }).check(peer()));
    // only `true` accepts
    await refused(new PeerDirectory({ mode: 'callback', verify: () => 1 as unknown as boolean }).check(peer()));
  });

  it('the callback gets copies: mutating them does not affect the directory', async () => {
    const dir = new PeerDirectory({
      mode: 'callback',
      verify: (p) => {
        p.fingerprint.fill(0);
        p.publicKey.fill(0);
        return true;
      },
    });
    const p = peer();
    await dir.check(p);
    assert.deepEqual(p.fingerprint, alice.fingerprint);
  });

  it('rejects malformed policies and peers with TypeError / RangeError', async () => {
    assert.throws(() => new PeerDirectory({ mode: 'nope' } as never), TypeError);
    assert.throws(() => new PeerDirectory(null as never), TypeError);
    assert.throws(() => new PeerDirectory({ mode: 'allow-list', fingerprints: ['abc'] }), RangeError);
    assert.throws(() => new PeerDirectory({ mode: 'allow-list', fingerprints: [new Uint8Array(31)] }), RangeError);
    assert.throws(() => new PeerDirectory({ mode: 'allow-list', fingerprints: 'x' } as never), TypeError);
    assert.throws(() => new PeerDirectory({ mode: 'callback' } as never), TypeError);
    assert.throws(() => new PeerDirectory({ mode: 'any', fingerprints: [] } as never), TypeError);
    assert.throws(() => new PeerDirectory({ mode: 'any' }, { crypt: 1 } as never), TypeError);
    const dir = new PeerDirectory();
    await assert.rejects(dir.check({ ...peer(), fingerprint: bob.fingerprint }), TypeError);
    await assert.rejects(dir.check({ ...peer(), deviceId: 5 } as never), TypeError);
    await assert.rejects(dir.check(undefined as never), TypeError);
  });
});

describe('pinned keys', () => {
  it('pin, keyFor and forget by fingerprint; keys are copied both ways', () => {
    const dir = new PeerDirectory();
    const key = bob.publicKey.slice();
    assert.deepEqual(dir.pin(key), bob.fingerprint);
    key.fill(0);
    const got = dir.keyFor(bob.fingerprint);
    assert.deepEqual(got, bob.publicKey);
    got.fill(0);
    assert.deepEqual(dir.keyFor(bob.fingerprint), bob.publicKey);
    assert.equal(dir.size, 1);
    assert.deepEqual(dir.pinnedFingerprints(), [fingerprintToHex(bob.fingerprint)]);
    assert.equal(dir.keyFor(alice.fingerprint), undefined);
    assert.equal(dir.forget(parseFingerprint(bob.fingerprint)), true);
    assert.equal(dir.forget(parseFingerprint(bob.fingerprint)), false);
    assert.equal(dir.size, 0);
    assert.throws(() => dir.pin(new Uint8Array(10)), RangeError);
    assert.throws(() => dir.keyFor(new Uint8Array(10)), RangeError);
  });

  it('makePeerInfo computes the fingerprint and its hex', () => {
    const p = makePeerInfo(alice.publicKey, DEV1);
    assert.deepEqual(p.fingerprint, alice.fingerprint);
    assert.equal(p.fingerprintHex, fingerprintToHex(alice.fingerprint));
    assert.throws(() => makePeerInfo(alice.publicKey, 5 as never), TypeError);
  });
});
