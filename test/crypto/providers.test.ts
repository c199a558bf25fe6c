import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nobleCrypto } from '../../src/crypto/index.js';
import { nodeCrypto } from '../../src/crypto/node.js';

describe('crypto providers', () => {
  it('node:crypto ChaCha20-Poly1305 is byte-identical to noble, both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 300 }), fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }), (key, nonce, pt, aad) => {
        const a = nobleCrypto.aeadSeal(key, nonce, pt, aad);
        const b = nodeCrypto.aeadSeal(key, nonce, pt, aad);
        assert.deepEqual(b, a);
        assert.deepEqual(nodeCrypto.aeadOpen(key, nonce, a, aad), pt);
        assert.deepEqual(nobleCrypto.aeadOpen(key, nonce, b, aad), pt);
      }),
      { numRuns: 200 },
    );
  });

  it('both refuse a tampered ciphertext, tag or AAD, and short input, with undefined', () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(12).fill(1);
    const sealed = nodeCrypto.aeadSeal(key, nonce, Uint8Array.of(1, 2, 3), Uint8Array.of(9));
    for (const provider of [nobleCrypto, nodeCrypto]) {
      for (let i = 0; i < sealed.length; i++) {
        const bad = sealed.slice();
        bad[i] ^= 1;
        assert.equal(provider.aeadOpen(key, nonce, bad, Uint8Array.of(9)), undefined);
      }
      assert.equal(provider.aeadOpen(key, nonce, sealed, Uint8Array.of(8)), undefined);
      assert.equal(provider.aeadOpen(key, nonce, sealed.subarray(0, 15)), undefined);
    }
  });

  it('random bytes come in the asked length and differ', () => {
    const a = nodeCrypto.randomBytes(32);
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, nodeCrypto.randomBytes(32));
  });
});
