// The two backends' symmetric primitives (which work on every Node): byte-identical to each
// other and to the published vectors. The asymmetric ones are in native-cases.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import { nobleCrypto, nodeCrypto } from '../../src/crypto/index.js';
import { fuzz } from '../support/fuzz.js';

describe('crypto providers', () => {
  it('node:crypto ChaCha20-Poly1305 is byte-identical to noble, both ways', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
        (key, nonce, pt, aad) => {
          const a = nobleCrypto.aeadSeal(key, nonce, pt, aad);
          const b = nodeCrypto.aeadSeal(key, nonce, pt, aad);
          assert.deepEqual(b, a);
          assert.deepEqual(nodeCrypto.aeadOpen(key, nonce, a, aad), pt);
          assert.deepEqual(nobleCrypto.aeadOpen(key, nonce, b, aad), pt);
        },
      ),
      fuzz(200),
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
    // Both sides of the 65,536-byte limit of one getRandomValues call.
    for (const n of [0, 1, 65_536, 70_000]) {
      const b = nodeCrypto.randomBytes(n);
      assert.equal(b.length, n);
      if (n > 1000) assert.ok(new Set(b.subarray(n - 256)).size > 100, 'the tail is random too');
    }
  });
});

interface Vectors {
  chacha20poly1305: { key: string; nonce: string; aad: string; plaintext: string; sealed: string };
  hkdf: { ikm: string; salt: string; info: string; prk: string; okm: string };
  hmac: { key: string; message: string; mac: string };
  sha256: { message: string; digest: string };
}
const V = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as Vectors;

describe('symmetric known answers through both backends', () => {
  for (const c of [nobleCrypto, nodeCrypto]) {
    it(`${c.name}: ChaCha20-Poly1305 (RFC 8439 2.8.2), HKDF (RFC 5869 A.1), HMAC (RFC 4231 4.3), SHA-256 ("abc")`, () => {
      const a = V.chacha20poly1305;
      assert.equal(bytesToHex(c.aeadSeal(hexToBytes(a.key), hexToBytes(a.nonce), hexToBytes(a.plaintext), hexToBytes(a.aad))), a.sealed);
      assert.equal(bytesToHex(c.aeadOpen(hexToBytes(a.key), hexToBytes(a.nonce), hexToBytes(a.sealed), hexToBytes(a.aad)) ?? new Uint8Array()), a.plaintext);
      const h = V.hkdf;
      const prk = c.hkdfExtract(hexToBytes(h.salt), hexToBytes(h.ikm));
      assert.equal(bytesToHex(prk), h.prk);
      assert.equal(bytesToHex(c.hkdfExpand(prk, hexToBytes(h.info), 42)), h.okm);
      assert.equal(bytesToHex(c.hmac(hexToBytes(V.hmac.key), hexToBytes(V.hmac.message))), V.hmac.mac);
      assert.equal(bytesToHex(c.sha256(hexToBytes(V.sha256.message))), V.sha256.digest);
    });
  }

  it('SHA-256 and HMAC agree on any input, AEAD on any size up to 4 KiB (both sides of the size switch)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 100 }), fc.integer({ min: 0, max: 4096 }), (msg, key, n) => {
        assert.deepEqual(nodeCrypto.sha256(msg), nobleCrypto.sha256(msg));
        assert.deepEqual(nodeCrypto.hmac(key, msg), nobleCrypto.hmac(key, msg));
        const k = nobleCrypto.sha256(key);
        const nonce = k.subarray(0, 12);
        const pt = new Uint8Array(n).fill(n & 0xff);
        const sealed = nobleCrypto.aeadSeal(k, nonce, pt, msg);
        assert.deepEqual(nobleCrypto.aeadOpen(k, nonce, nodeCrypto.aeadSeal(k, nonce, pt), undefined), pt);
        assert.deepEqual(nodeCrypto.aeadSeal(k, nonce, pt, msg), sealed);
        assert.deepEqual(nodeCrypto.aeadOpen(k, nonce, sealed, msg), pt);
      }),
      fuzz(100),
    );
  });

  it('HKDF extract and expand agree on any input, and refuse the same bad ones', () => {
    const outcome = (fn: () => Uint8Array): string => {
      try {
        return bytesToHex(fn());
      } catch {
        return 'throws';
      }
    };
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(8160, 8161, -1, 1.5)),
        (salt, ikm, info, n) => {
          const prk = nobleCrypto.hkdfExtract(salt, ikm);
          assert.deepEqual(nodeCrypto.hkdfExtract(salt, ikm), prk);
          assert.equal(
            outcome(() => nodeCrypto.hkdfExpand(prk, info, n)),
            outcome(() => nobleCrypto.hkdfExpand(prk, info, n)),
          );
          assert.equal(
            outcome(() => nodeCrypto.hkdfExpand(ikm, info, 32)),
            outcome(() => nobleCrypto.hkdfExpand(ikm, info, 32)),
          );
        },
      ),
      fuzz(150),
    );
  });

  it('outputs are plain Uint8Arrays, not views into a shared Buffer pool', () => {
    const k = new Uint8Array(32);
    for (const out of [
      nodeCrypto.sha256(Uint8Array.of(1)),
      nodeCrypto.aeadSeal(k, k.subarray(0, 12), new Uint8Array(3000)),
      nodeCrypto.randomBytes(8),
      nodeCrypto.hmac(k, k),
      nodeCrypto.hkdfExpand(k, k, 70),
    ]) {
      assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype);
      assert.equal(out.byteOffset, 0);
      assert.equal(out.buffer.byteLength, out.length);
    }
  });
});
