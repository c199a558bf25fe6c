// Identities and fingerprints.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nobleCrypto } from '../../src/crypto/index.js';
import {
  fingerprintToHex,
  generateIdentity,
  identityFingerprint,
  identityFromKeyPair,
  identityFromSeed,
  isIdentity,
  parseFingerprint,
} from '../../src/identity/index.js';

const seedA = new Uint8Array(32).fill(1);
const seedB = new Uint8Array(32).fill(2);

describe('identities', () => {
  it('generateIdentity gives an ML-DSA-65 key pair, its fingerprint and its seed', () => {
    const id = generateIdentity();
    assert.equal(id.publicKey.length, 1952);
    assert.equal(id.secretKey.length, 4032);
    assert.equal(id.fingerprint.length, 32);
    assert.equal(id.seed?.length, 32);
    assert.ok(isIdentity(id));
    const msg = new Uint8Array([1, 2, 3]);
    assert.ok(nobleCrypto.verify(nobleCrypto.sign(msg, id.secretKey), msg, id.publicKey));
    assert.notDeepEqual(generateIdentity().publicKey, id.publicKey);
  });

  it('is deterministic from a seed, and the seed is copied', () => {
    const seed = seedA.slice();
    const a = generateIdentity({ seed });
    seed.fill(9);
    const b = identityFromSeed(seedA);
    assert.deepEqual(a.publicKey, b.publicKey);
    assert.deepEqual(a.seed, seedA);
    assert.notDeepEqual(generateIdentity({ seed: seedB }).publicKey, a.publicKey);
  });

  it('draws its seed from the injected crypto provider', () => {
    let asked = 0;
    const crypto = { ...nobleCrypto, randomBytes: (n: number) => (asked++, new Uint8Array(n).fill(1)) };
    const id = generateIdentity({ crypto });
    assert.equal(asked, 1);
    assert.deepEqual(id.publicKey, identityFromSeed(seedA).publicKey);
  });

  it('fingerprint = SHA-256("pqble v1 identity fingerprint" || publicKey) (node:crypto cross-check)', () => {
    const id = identityFromSeed(seedA);
    const expected = createHash('sha256').update('pqble v1 identity fingerprint').update(id.publicKey).digest();
    assert.deepEqual(identityFingerprint(id.publicKey), new Uint8Array(expected));
    assert.deepEqual(id.fingerprint, new Uint8Array(expected));
  });

  it('identityFromKeyPair accepts matching halves and refuses mismatched ones', () => {
    const a = identityFromSeed(seedA);
    const b = identityFromSeed(seedB);
    const again = identityFromKeyPair(a.publicKey, a.secretKey);
    assert.ok(again !== undefined);
    assert.deepEqual(again.fingerprint, a.fingerprint);
    assert.equal(again.seed, undefined);
    assert.equal(identityFromKeyPair(a.publicKey, b.secretKey), undefined);
    assert.equal(identityFromKeyPair(a.publicKey, new Uint8Array(4032)), undefined);
  });

  it('isIdentity checks types, lengths and the fingerprint', () => {
    const a = identityFromSeed(seedA);
    assert.ok(isIdentity(a));
    assert.ok(!isIdentity({ ...a, fingerprint: new Uint8Array(32) }));
    assert.ok(!isIdentity({ ...a, secretKey: new Uint8Array(10) }));
    assert.ok(!isIdentity(null));
    assert.ok(!isIdentity('id'));
  });

  it('rejects bad arguments with TypeError / RangeError', () => {
    assert.throws(() => generateIdentity({ seed: new Uint8Array(31) }), RangeError);
    assert.throws(() => generateIdentity({ sead: seedA } as never), TypeError);
    assert.throws(() => generateIdentity({ crypto: 5 } as never), TypeError);
    assert.throws(() => identityFromSeed('seed' as never), TypeError);
    assert.throws(() => identityFingerprint(new Uint8Array(1951)), RangeError);
    assert.throws(() => identityFromKeyPair(new Uint8Array(1952), new Uint8Array(10)), RangeError);
  });
});

describe('fingerprint text form', () => {
  it('round-trips through 64 hex digits (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (fp) => {
        const hex = fingerprintToHex(fp);
        assert.match(hex, /^[0-9a-f]{64}$/);
        assert.deepEqual(parseFingerprint(hex), fp);
        assert.deepEqual(parseFingerprint(hex.toUpperCase()), fp);
      }),
    );
  });

  it('rejects anything else', () => {
    assert.throws(() => parseFingerprint('ab'.repeat(31)), RangeError);
    assert.throws(() => parseFingerprint('zz'.repeat(32)), RangeError);
    assert.throws(() => parseFingerprint(` ${'ab'.repeat(32)}`), RangeError);
    assert.throws(() => parseFingerprint(5 as never), TypeError);
    assert.throws(() => fingerprintToHex(new Uint8Array(31)), RangeError);
    assert.throws(() => fingerprintToHex('ab' as never), TypeError);
  });
});
