// Backend selection on whichever Node runs the suite (docs/crypto.md "Choosing a backend"):
// feature detection, the default, the names the CLI takes, and what the native backend does
// where node:crypto lacks ML-KEM / ML-DSA (Node 20 and 22).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CRYPTO_BACKEND_NAMES,
  checkCrypto,
  cryptoBackend,
  defaultCrypto,
  nobleCrypto,
  nodeCrypto,
  nodeCryptoSupport,
  type CryptoBackendName,
} from '../../src/crypto/index.js';
import { jwkX25519Available, nobleWithNativeX25519 } from '../../src/crypto/x25519-jwk.js';
import { PqbleError } from '../../src/errors.js';
import * as root from '../../src/index.js';

const support = nodeCryptoSupport();

describe('crypto backend selection', () => {
  it('the probe answers once, consistently, with a reason exactly when unavailable', () => {
    assert.equal(nodeCryptoSupport(), support);
    assert.equal(typeof support.available, 'boolean');
    assert.equal(typeof support.reason === 'string' && support.reason.length > 0, !support.available);
    assert.ok(Object.isFrozen(support));
  });

  it('the default is the native backend exactly where it is available, and every `crypto` option defaults to it', () => {
    assert.equal(
      defaultCrypto(),
      support.available ? nodeCrypto : nobleWithNativeX25519,
      'without native ML-KEM/ML-DSA: noble with node:crypto X25519 (every Node has it)',
    );
    assert.equal(checkCrypto(undefined), defaultCrypto());
    assert.equal(root.defaultCrypto(), defaultCrypto());
    assert.equal(root.nodeCrypto, nodeCrypto);
  });

  it('noble with node:crypto X25519 is byte-identical to noble (RFC 7748, random keys), and refuses low-order points', () => {
    assert.equal(jwkX25519Available(), true);
    for (let i = 0; i < 20; i++) {
      const a = nobleCrypto.randomBytes(32);
      const b = nobleCrypto.x25519Keygen();
      assert.deepEqual(nobleWithNativeX25519.x25519Keygen(a.slice()).publicKey, nobleCrypto.x25519Keygen(a.slice()).publicKey);
      assert.deepEqual(nobleWithNativeX25519.x25519(a, b.publicKey), nobleCrypto.x25519(a, b.publicKey));
    }
    assert.throws(() => nobleWithNativeX25519.x25519(nobleCrypto.randomBytes(32), new Uint8Array(32)));
    assert.throws(() => nobleWithNativeX25519.x25519(new Uint8Array(31), new Uint8Array(32)), RangeError);
  });

  it('cryptoBackend takes auto, noble and node, and nothing else', () => {
    assert.deepEqual([...CRYPTO_BACKEND_NAMES], ['auto', 'noble', 'node']);
    assert.equal(cryptoBackend('auto'), defaultCrypto());
    assert.equal(cryptoBackend('noble'), nobleCrypto);
    if (support.available) assert.equal(cryptoBackend('node'), nodeCrypto);
    else
      assert.throws(
        () => cryptoBackend('node'),
        (err: unknown) => err instanceof PqbleError && err.code === 'PQBLE_ERR_UNSUPPORTED' && err.message.includes(support.reason ?? '?'),
      );
    for (const bad of ['Node', 'openssl', '', undefined, 3]) assert.throws(() => cryptoBackend(bad as CryptoBackendName), TypeError);
  });

  it('providers are named for the report and frozen', () => {
    assert.equal(nobleCrypto.name, 'noble');
    assert.equal(nodeCrypto.name, 'node');
    assert.ok(Object.isFrozen(nobleCrypto) && Object.isFrozen(nodeCrypto));
    assert.equal(checkCrypto(nodeCrypto), nodeCrypto);
    assert.throws(() => checkCrypto({ ...nobleCrypto, sign: 1 }), /crypto\.sign must be a function/);
    assert.throws(() => checkCrypto(null), TypeError);
  });

  it(
    'without native ML-KEM/ML-DSA: the asymmetric methods throw UNSUPPORTED, the symmetric ones still work',
    { skip: support.available ? 'this Node has the native primitives (test/crypto/native.test.ts covers it)' : false },
    () => {
      const unsupported = (err: unknown): boolean =>
        err instanceof PqbleError && err.code === 'PQBLE_ERR_UNSUPPORTED' && err.message.includes(support.reason ?? '?');
      const z = (n: number): Uint8Array => new Uint8Array(n);
      assert.throws(() => nodeCrypto.kemKeygen(), unsupported);
      assert.throws(() => nodeCrypto.kemEncapsulate(z(1184)), unsupported);
      assert.throws(() => nodeCrypto.kemDecapsulate(z(1088), z(2400)), unsupported);
      assert.throws(() => nodeCrypto.sigKeygen(z(32)), unsupported);
      assert.throws(() => nodeCrypto.sign(z(1), z(4032)), unsupported);
      assert.throws(() => nodeCrypto.verify(z(3309), z(1), z(1952)), unsupported);
      assert.throws(() => nodeCrypto.x25519Keygen(), unsupported);
      assert.throws(() => nodeCrypto.x25519(z(32), z(32)), unsupported);
      const key = z(32);
      const nonce = z(12);
      const sealed = nodeCrypto.aeadSeal(key, nonce, Uint8Array.of(1, 2, 3));
      assert.deepEqual(sealed, nobleCrypto.aeadSeal(key, nonce, Uint8Array.of(1, 2, 3)));
      assert.deepEqual(nodeCrypto.hmac(key, nonce), nobleCrypto.hmac(key, nonce));
      assert.deepEqual(nodeCrypto.hkdfExpand(key, nonce, 40), nobleCrypto.hkdfExpand(key, nonce, 40));
      assert.deepEqual(nodeCrypto.sha256(nonce), nobleCrypto.sha256(nonce));
    },
  );
});
