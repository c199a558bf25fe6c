/**
 * Review finding: every full handshake pins the peer's 1,952-byte public key in the trust
 * directory (the session keeper's `learnKey`, and `check` under `tofu`), and that map had no
 * bound: a peer that completes full handshakes with fresh identities grows a long-running
 * gateway's memory by about 2 KB per identity, forever (the keeper's own copy of the keys
 * is capped at 10,000, and the bindings too). The directory must keep at most 10,000 pinned
 * keys, the most recently pinned; a dropped one only costs pinned mode a full-mode retry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeU32 } from '../../src/bytes.js';
import { PeerDirectory, makePeerInfo } from '../../src/handshake/index.js';

function key(i: number): Uint8Array {
  const k = new Uint8Array(1952);
  writeU32(k, 0, i);
  return k;
}

describe('review: pinned keys in the trust directory', () => {
  it('directory pinned keys are unbounded (must keep at most 10,000, the most recent)', async () => {
    const directory = new PeerDirectory({ mode: 'tofu' });
    const n = 10_050;
    for (let i = 0; i < n - 50; i++) directory.pin(key(i));
    // The last 50 arrive through TOFU checks (first sightings at new device ids).
    for (let i = n - 50; i < n; i++) await directory.check(makePeerInfo(key(i), (0xa00000000000 + i).toString(16)));
    assert.ok(directory.size <= 10_000, `${directory.size} pinned keys`);
    const last = makePeerInfo(key(n - 1), 'aa0000000000');
    assert.notEqual(directory.keyFor(last.fingerprint), undefined, 'the most recent key is kept');
    assert.equal(directory.keyFor(makePeerInfo(key(0), 'aa0000000000').fingerprint), undefined, 'the oldest went');
  });
});
