// The native backend against noble (docs/crypto.md "Testing"): known answers through both
// backends, cross-backend properties, handshakes and transports with a noble side and a
// native side in both roles, the transcript vectors through the native backend, and the
// decoders fuzzed with it. Needs a Node whose node:crypto has ML-KEM-768 and ML-DSA-65
// (Node 24): native.test.ts imports this file there, and on older Nodes runs it in a Node 24
// child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import {
  NATIVE_AEAD_MIN_BYTES,
  checkCrypto,
  cryptoBackend,
  defaultCrypto,
  nobleCrypto,
  nodeCrypto,
  nodeCryptoSupport,
  type CryptoProvider,
} from '../../src/crypto/index.js';
import { FileFormatError, HandshakeError, RecordError, ResumptionError } from '../../src/errors.js';
import { HandshakeInitiator, HandshakeResponder } from '../../src/handshake/index.js';
import { generateIdentity, identityFromKeyPair, identityFromSeed, loadIdentity, saveIdentity, type Identity } from '../../src/identity/index.js';
import { RecordOpener, RecordSealer } from '../../src/record/index.js';
import { ResumeInitiator, acceptResumeV2, decodeResumeRequestV2, deriveDirectionSecret, type ResumeMode } from '../../src/resumption/index.js';
import { seededRandom } from '../handshake/helpers.js';
import { PERIPHERAL_ID, connectPair, makePair, text, utf8 } from '../transport/helpers.js';
import { fuzz } from '../support/fuzz.js';

const support = nodeCryptoSupport();
if (!support.available) throw new Error(`test/crypto/native-cases.ts needs native ML-KEM-768 and ML-DSA-65: ${support.reason ?? ''}`);

interface Vectors {
  mlKem768: {
    seed: string;
    publicKeySha256: string;
    secretKeySha256: string;
    encapsulationRandomness: string;
    cipherText: string;
    sharedSecret: string;
    tamperedCipherTextFirstByteXor: number;
    implicitRejectionSecret: string;
  };
  mlDsa65: { seed: string; publicKey: string; secretKeySha256: string; message: string; deterministicSignature: string };
  x25519: { aliceSecret: string; alicePublic: string; bobSecret: string; bobPublic: string; shared: string };
}
const V = JSON.parse(await readFile(new URL('./vectors.json', import.meta.url), 'utf8')) as Vectors;
const H = JSON.parse(await readFile(new URL('../handshake/vectors.json', import.meta.url), 'utf8')) as {
  transcripts: {
    mode: 'full' | 'pinned';
    seed: string;
    m1Sha256: string;
    m2Sha256: string;
    m3Sha256: string;
    transcriptHash: string;
    initiatorToResponderKey: string;
    resumptionSecret: string;
    sessionId: string;
  }[];
};

const BACKENDS: readonly CryptoProvider[] = [nobleCrypto, nodeCrypto];
const PAIRS: readonly [CryptoProvider, CryptoProvider][] = [
  [nobleCrypto, nodeCrypto],
  [nodeCrypto, nobleCrypto],
  [nodeCrypto, nodeCrypto],
];
const sha = (b: Uint8Array): string => bytesToHex(nodeCrypto.sha256(b));
const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const b64 = fc.uint8Array({ minLength: 64, maxLength: 64 });

/** The outcome of `fn`: its bytes as hex, or "throws". */
function outcome(fn: () => Uint8Array): string {
  try {
    return bytesToHex(fn());
  } catch {
    return 'throws';
  }
}

describe('known answers through both backends', () => {
  for (const c of BACKENDS) {
    it(`${c.name}: ML-KEM-768 key from a seed, decapsulation of the known ciphertext, implicit rejection`, () => {
      const v = V.mlKem768;
      const kp = c.kemKeygen(hexToBytes(v.seed));
      assert.equal(sha(kp.publicKey), v.publicKeySha256);
      assert.equal(sha(kp.secretKey), v.secretKeySha256);
      const ct = hexToBytes(v.cipherText);
      assert.equal(bytesToHex(c.kemDecapsulate(ct, kp.secretKey)), v.sharedSecret);
      ct[0] ^= v.tamperedCipherTextFirstByteXor;
      assert.equal(bytesToHex(c.kemDecapsulate(ct, kp.secretKey)), v.implicitRejectionSecret);
      // The deterministic encapsulation (noble only takes the randomness) matches the vector,
      // and a fresh randomised one from this backend decapsulates under the other.
      assert.equal(bytesToHex(ml_kem768.encapsulate(kp.publicKey, hexToBytes(v.encapsulationRandomness)).cipherText), v.cipherText);
      const fresh = c.kemEncapsulate(kp.publicKey);
      for (const other of BACKENDS) assert.deepEqual(other.kemDecapsulate(fresh.cipherText, kp.secretKey), fresh.sharedSecret);
    });

    it(`${c.name}: ML-DSA-65 key from a seed verifies the known signature, and nothing else`, () => {
      const v = V.mlDsa65;
      const kp = c.sigKeygen(hexToBytes(v.seed));
      assert.equal(bytesToHex(kp.publicKey), v.publicKey);
      assert.equal(sha(kp.secretKey), v.secretKeySha256);
      const sig = hexToBytes(v.deterministicSignature);
      const msg = hexToBytes(v.message);
      assert.equal(bytesToHex(ml_dsa65.sign(msg, kp.secretKey, { extraEntropy: false })), v.deterministicSignature);
      assert.equal(c.verify(sig, msg, kp.publicKey), true);
      const badSig = sig.slice();
      badSig[100] ^= 4;
      const badMsg = msg.slice();
      badMsg[0] ^= 1;
      const badKey = kp.publicKey.slice();
      badKey[50] ^= 8;
      assert.equal(c.verify(badSig, msg, kp.publicKey), false);
      assert.equal(c.verify(sig, badMsg, kp.publicKey), false);
      assert.equal(c.verify(sig, msg, badKey), false);
      assert.equal(c.verify(sig.subarray(1), msg, kp.publicKey), false);
      assert.equal(c.verify(sig, msg, kp.publicKey.subarray(1)), false);
      assert.equal(c.verify('x' as unknown as Uint8Array, msg, kp.publicKey), false);
    });

    it(`${c.name}: X25519 (RFC 7748 section 6.1)`, () => {
      const v = V.x25519;
      const alice = c.x25519Keygen(hexToBytes(v.aliceSecret));
      const bob = c.x25519Keygen(hexToBytes(v.bobSecret));
      assert.equal(bytesToHex(alice.publicKey), v.alicePublic);
      assert.equal(bytesToHex(bob.publicKey), v.bobPublic);
      assert.equal(bytesToHex(c.x25519(alice.secretKey, bob.publicKey)), v.shared);
      assert.equal(bytesToHex(c.x25519(bob.secretKey, alice.publicKey)), v.shared);
    });
  }
});

describe('noble and native agree (properties)', () => {
  it('ML-KEM-768 and ML-DSA-65 keys from any seed are byte-identical', () => {
    fc.assert(
      fc.property(b64, (seed) => {
        const a = nobleCrypto.kemKeygen(seed);
        const b = nodeCrypto.kemKeygen(seed);
        assert.deepEqual(b.publicKey, a.publicKey);
        assert.deepEqual(b.secretKey, a.secretKey);
        const s = seed.subarray(0, 32);
        const x = nobleCrypto.sigKeygen(s);
        const y = nodeCrypto.sigKeygen(s);
        assert.deepEqual(y.publicKey, x.publicKey);
        assert.deepEqual(y.secretKey, x.secretKey);
      }),
      fuzz(15),
    );
  });

  it('a random ML-KEM key pair from either backend works with the other, and tampering gives the same implicit-rejection secret', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PAIRS), fc.nat({ max: 1087 }), fc.integer({ min: 1, max: 255 }), ([a, b], at, mask) => {
        const kp = a.kemKeygen();
        assert.equal(kp.secretKey.length, 2400);
        const enc = b.kemEncapsulate(kp.publicKey);
        assert.deepEqual(a.kemDecapsulate(enc.cipherText, kp.secretKey), enc.sharedSecret);
        const bad = enc.cipherText.slice();
        bad[at] ^= mask;
        const r1 = a.kemDecapsulate(bad, kp.secretKey);
        assert.deepEqual(b.kemDecapsulate(bad, kp.secretKey), r1);
        assert.notDeepEqual(r1, enc.sharedSecret);
      }),
      fuzz(20),
    );
  });

  it('both refuse the same malformed ML-KEM encapsulation keys (a coefficient >= q, wrong length)', () => {
    const pk = nobleCrypto.kemKeygen(new Uint8Array(64).fill(3)).publicKey;
    fc.assert(
      fc.property(fc.nat({ max: 383 }), fc.boolean(), (pairIndex, high) => {
        // Set one 12-bit coefficient to 0xfff (>= 3329): the FIPS 203 modulus check must fail.
        const bad = pk.slice();
        const at = pairIndex * 3;
        if (high) {
          bad[at + 1] |= 0xf0;
          bad[at + 2] = 0xff;
        } else {
          bad[at] = 0xff;
          bad[at + 1] |= 0x0f;
        }
        assert.equal(
          outcome(() => nobleCrypto.kemEncapsulate(bad).cipherText),
          'throws',
        );
        assert.equal(
          outcome(() => nodeCrypto.kemEncapsulate(bad).cipherText),
          'throws',
        );
      }),
      fuzz(30),
    );
    for (const c of BACKENDS) {
      assert.throws(() => c.kemEncapsulate(pk.subarray(1)));
      assert.throws(() => c.kemDecapsulate(new Uint8Array(1087), new Uint8Array(2400)));
    }
  });

  it('a signature from either backend verifies with the other; mutations fail with both', () => {
    const keys = nobleCrypto.sigKeygen(new Uint8Array(32).fill(9));
    fc.assert(
      fc.property(fc.constantFrom(...PAIRS), fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 3308 }), ([a, b], msg, at) => {
        const sig = a.sign(msg, keys.secretKey);
        assert.equal(sig.length, 3309);
        assert.equal(b.verify(sig, msg, keys.publicKey), true);
        const bad = sig.slice();
        bad[at] ^= 0x20;
        assert.equal(a.verify(bad, msg, keys.publicKey), b.verify(bad, msg, keys.publicKey));
        assert.equal(b.verify(sig, Uint8Array.of(...msg, 0), keys.publicKey), false);
      }),
      fuzz(20),
    );
  });

  it('native signing uses the bytes of the buffer it is given, even if the buffer changes between calls', () => {
    const a = nobleCrypto.sigKeygen(new Uint8Array(32).fill(1));
    const b = nobleCrypto.sigKeygen(new Uint8Array(32).fill(2));
    const buffer = a.secretKey.slice();
    const msg = Uint8Array.of(1, 2, 3);
    assert.equal(nobleCrypto.verify(nodeCrypto.sign(msg, buffer), msg, a.publicKey), true);
    buffer.set(b.secretKey);
    const sig = nodeCrypto.sign(msg, buffer);
    assert.equal(nobleCrypto.verify(sig, msg, b.publicKey), true);
    assert.equal(nobleCrypto.verify(sig, msg, a.publicKey), false);
    buffer.fill(0);
    assert.throws(() => nodeCrypto.sign(msg, buffer), 'a wiped key must not sign with the key it held before');
  });

  it('X25519 on any inputs: the same shared secret, or both throw (low-order points included)', () => {
    // The low-order points of Curve25519 (RFC 7748 section 6.1 lists the check; these are the
    // u-coordinates of order 1, 2, 4 and 8, and their non-canonical encodings).
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ].map(hexToBytes);
    fc.assert(
      fc.property(b32, fc.oneof(b32, fc.constantFrom(...lowOrder)), (sk, pk) => {
        const a = outcome(() => nobleCrypto.x25519(sk, pk));
        assert.equal(
          outcome(() => nodeCrypto.x25519(sk, pk)),
          a,
        );
        assert.deepEqual(nodeCrypto.x25519Keygen(sk).publicKey, nobleCrypto.x25519Keygen(sk).publicKey);
      }),
      fuzz(200),
    );
    for (const p of lowOrder)
      assert.equal(
        outcome(() => nodeCrypto.x25519(new Uint8Array(32).fill(7), p)),
        'throws',
      );
  });

  it('ChaCha20-Poly1305 across the native/noble size switch, both ways', () => {
    fc.assert(
      fc.property(
        b32,
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.integer({ min: NATIVE_AEAD_MIN_BYTES - 150, max: NATIVE_AEAD_MIN_BYTES + 150 }),
        fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
        (key, nonce, n, aad) => {
          const pt = nodeCrypto.randomBytes(n);
          const a = nobleCrypto.aeadSeal(key, nonce, pt, aad);
          assert.deepEqual(nodeCrypto.aeadSeal(key, nonce, pt, aad), a);
          assert.deepEqual(nodeCrypto.aeadOpen(key, nonce, a, aad), pt);
          a[n - 1] ^= 1;
          assert.equal(nodeCrypto.aeadOpen(key, nonce, a, aad), undefined);
        },
      ),
      fuzz(40),
    );
  });
});

/** A provider drawing every random choice from `label` (as test/handshake/helpers.ts), over `base`. */
function deterministicOver(base: CryptoProvider, label: string): CryptoProvider {
  const rand = seededRandom(label);
  return {
    ...base,
    name: `deterministic-${base.name}(${label})`,
    randomBytes: (length) => rand(length),
    // Only noble takes explicit encapsulation randomness and deterministic signing.
    kemEncapsulate: (publicKey) => ml_kem768.encapsulate(publicKey, rand(32)),
    sign: (message, secretKey) => ml_dsa65.sign(message, secretKey, { extraEntropy: false }),
  };
}

function handshake(alice: Identity, bob: Identity, iCrypto: CryptoProvider, rCrypto: CryptoProvider, pinned: boolean) {
  const i = new HandshakeInitiator(pinned ? { identity: alice, peerKey: bob.publicKey, crypto: iCrypto } : { identity: alice, crypto: iCrypto });
  const r = new HandshakeResponder({
    identity: bob,
    crypto: rCrypto,
    lookupPeerKey: (fp) => (bytesToHex(fp) === bytesToHex(alice.fingerprint) ? alice.publicKey : undefined),
  });
  const m1 = i.start();
  const m2 = r.readInit(m1);
  i.readResponse(m2);
  const { message: m3, result: initiator } = i.finish();
  const responder = r.readFinish(m3);
  return { m1, m2, m3, initiator, responder };
}

describe('handshakes between a noble side and a native side', () => {
  const alice = identityFromSeed(new Uint8Array(32).fill(0xa1), { crypto: nobleCrypto });
  const bob = identityFromSeed(new Uint8Array(32).fill(0xb0), { crypto: nodeCrypto });
  for (const [a, b] of PAIRS) {
    for (const pinned of [false, true]) {
      it(`initiator ${a.name}, responder ${b.name}, ${pinned ? 'pinned' : 'full'}: both derive the same keys`, () => {
        const run = handshake(alice, bob, a, b, pinned);
        assert.deepEqual(run.initiator.sendKey, run.responder.receiveKey);
        assert.deepEqual(run.initiator.receiveKey, run.responder.sendKey);
        assert.deepEqual(run.initiator.resumptionSecret, run.responder.resumptionSecret);
        assert.deepEqual(run.initiator.transcriptHash, run.responder.transcriptHash);
        assert.deepEqual(run.responder.peer.publicKey, alice.publicKey);
      });
    }
  }

  for (const v of H.transcripts) {
    it(`the ${v.mode} transcript vector comes out byte for byte with native key generation, X25519, decapsulation, verification and hashing`, () => {
      const ids = {
        alice: generateIdentity({ seed: nodeCrypto.sha256(new TextEncoder().encode('identity/alice')), crypto: nodeCrypto }),
        bob: generateIdentity({ seed: nodeCrypto.sha256(new TextEncoder().encode('identity/bob')), crypto: nodeCrypto }),
      };
      for (const [ib, rb] of [
        [nodeCrypto, nodeCrypto],
        [nobleCrypto, nodeCrypto],
        [nodeCrypto, nobleCrypto],
      ] as const) {
        const run = handshake(ids.alice, ids.bob, deterministicOver(ib, `${v.seed}/i`), deterministicOver(rb, `${v.seed}/r`), v.mode === 'pinned');
        assert.equal(sha(run.m1), v.m1Sha256);
        assert.equal(sha(run.m2), v.m2Sha256);
        assert.equal(sha(run.m3), v.m3Sha256);
        assert.equal(bytesToHex(run.initiator.transcriptHash), v.transcriptHash);
        assert.equal(bytesToHex(run.responder.receiveKey), v.initiatorToResponderKey);
        assert.equal(bytesToHex(run.initiator.resumptionSecret), v.resumptionSecret);
        assert.equal(bytesToHex(run.initiator.sessionId), v.sessionId);
      }
    });
  }
});

describe('transports with a noble side and a native side', () => {
  for (const [a, b] of PAIRS.slice(0, 2)) {
    it(`central ${a.name}, peripheral ${b.name}: full handshake, messages both ways, then a resumed reconnect`, async () => {
      const pair = await makePair({ central: { crypto: a }, peripheral: { crypto: b } });
      try {
        const first = await connectPair(pair);
        assert.equal(first.central.connectionType, 'full-handshake');
        await first.central.send(utf8('to the peripheral'));
        assert.equal(text(await first.peripheral.receive()), 'to the peripheral');
        const big = nodeCrypto.randomBytes(5000);
        await first.peripheral.send(big);
        assert.deepEqual(await first.central.receive(), big);
        for (const c of pair.central.connections()) await c.close();
        const again = await connectPair(pair);
        assert.equal(again.central.connectionType, 'resumed');
        await again.central.send(utf8('resumed'));
        assert.equal(text(await again.peripheral.receive()), 'resumed');
        assert.equal(pair.central.lookupSession(PERIPHERAL_ID) !== undefined, true);
      } finally {
        await pair.close();
      }
    });
  }
});

describe('decoders fuzzed with the native backend', () => {
  const alice = identityFromSeed(new Uint8Array(32).fill(0x11), { crypto: nodeCrypto });
  const bob = identityFromSeed(new Uint8Array(32).fill(0x22), { crypto: nodeCrypto });
  const only = (cls: new (...args: never[]) => Error, fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof cls, `threw ${String(err)}`);
    }
  };
  const lengths = { init: 1219, response: [5334, 3414], finish: [5278, 3358] };
  const shaped = (type: number, ns: number[]): fc.Arbitrary<Uint8Array> =>
    fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .constantFrom(...ns)
        .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
        .map((b) => {
          b[0] = type;
          b[1] = 1;
          if (b.length > 2 && type === 0x01) b[2] &= 1;
          return b;
        }),
    );

  it('handshake readers throw only HandshakeError, with either backend on each side', () => {
    const m1 = new HandshakeInitiator({ identity: alice, crypto: nodeCrypto }).start();
    fc.assert(
      fc.property(fc.constantFrom(...BACKENDS), shaped(0x01, [lengths.init]), shaped(0x02, lengths.response), shaped(0x03, lengths.finish), (c, i1, r2, f3) => {
        only(HandshakeError, () => new HandshakeResponder({ identity: bob, crypto: c }).readInit(i1));
        const i = new HandshakeInitiator({ identity: alice, crypto: c });
        i.start();
        only(HandshakeError, () => i.readResponse(r2));
        const r = new HandshakeResponder({ identity: bob, crypto: c, lookupPeerKey: () => alice.publicKey });
        r.readInit(m1);
        only(HandshakeError, () => r.readFinish(f3));
      }),
      fuzz(40),
    );
  });

  it('resumption (version 2) and record decoders throw only their own errors with the native backend', () => {
    // A version byte other than 2 is PQBLE_ERR_PROTOCOL_VERSION, a HandshakeError (docs/errors.md).
    const resumeOnly = (fn: () => unknown): void => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof ResumptionError || (err instanceof HandshakeError && err.code === 'PQBLE_ERR_PROTOCOL_VERSION'), `threw ${String(err)}`);
      }
    };
    const fpI = new Uint8Array(32).fill(1);
    const fpR = new Uint8Array(32).fill(2);
    const rs = deriveDirectionSecret(new Uint8Array(32).fill(5), fpI, fpR, nodeCrypto);
    const key = new Uint8Array(32).fill(6);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 2000 }),
        fc.constantFrom<ResumeMode>('psk', 'psk-dhe'),
        (bytes, record, mode) => {
          resumeOnly(() => acceptResumeV2({ secret: rs, initiatorFingerprint: fpI, responderFingerprint: fpR, request: bytes, crypto: nodeCrypto }));
          resumeOnly(() => decodeResumeRequestV2(bytes));
          const initiator = new ResumeInitiator({ secret: rs, initiatorFingerprint: fpI, responderFingerprint: fpR, mode, crypto: nodeCrypto });
          initiator.request();
          resumeOnly(() => initiator.readReply(bytes));
          if (record.length > 0) record[0] = 0x20;
          assert.throws(() => new RecordOpener(key, { crypto: nodeCrypto }).open(record), RecordError);
        },
      ),
      fuzz(200),
    );
    // And a record sealed by one backend opens with the other, on both sides of the AEAD size switch.
    for (const n of [0, 100, NATIVE_AEAD_MIN_BYTES - 1, NATIVE_AEAD_MIN_BYTES, 3000]) {
      const content = nodeCrypto.randomBytes(n);
      for (const [a, b] of PAIRS) {
        const sealed = new RecordSealer(key, { crypto: a }).seal(content);
        assert.deepEqual(new RecordOpener(key, { crypto: b }).open(sealed).content, content);
      }
    }
  });
});

describe('identities with the native backend', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pqble-native-id-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generateIdentity keeps the seed and gives the same identity with either backend', () => {
    const seed = new Uint8Array(32).fill(0x5e);
    const a = generateIdentity({ seed, crypto: nobleCrypto });
    const b = generateIdentity({ seed, crypto: nodeCrypto });
    assert.deepEqual(b.publicKey, a.publicKey);
    assert.deepEqual(b.secretKey, a.secretKey);
    assert.deepEqual(b.fingerprint, a.fingerprint);
    assert.deepEqual(b.seed, seed);
    const fresh = generateIdentity({ crypto: nodeCrypto });
    assert.equal(fresh.seed?.length, 32);
    assert.deepEqual(identityFromSeed(fresh.seed ?? new Uint8Array(32), { crypto: nobleCrypto }).publicKey, fresh.publicKey);
  });

  it('a file in either form (seed, secret key) loads with either backend, and the native backend signs with it', async () => {
    const id = identityFromSeed(new Uint8Array(32).fill(0x77), { crypto: nobleCrypto });
    const bare = identityFromKeyPair(id.publicKey, id.secretKey, { crypto: nobleCrypto })!;
    for (const [name, identity] of [
      ['seed', id],
      ['secret-key', bare],
    ] as const) {
      const path = join(dir, `${name}.json`);
      await saveIdentity(path, identity);
      for (const c of BACKENDS) {
        const loaded = await loadIdentity(path, { crypto: c });
        assert.deepEqual(loaded.publicKey, id.publicKey);
        assert.equal(loaded.seed === undefined, name === 'secret-key');
        const msg = Uint8Array.of(name.length);
        assert.equal(nobleCrypto.verify(nodeCrypto.sign(msg, loaded.secretKey), msg, loaded.publicKey), true);
      }
    }
  });

  it('identity files fuzzed: only KEY_FILE errors with the native backend', async () => {
    const path = join(dir, 'fuzz.json');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
        ),
        async (content) => {
          await writeFile(path, content);
          await assert.rejects(
            loadIdentity(path, { crypto: nodeCrypto }),
            (err: unknown) => err instanceof FileFormatError && err.code === 'PQBLE_ERR_KEY_FILE',
          );
        },
      ),
      fuzz(50),
    );
  });
});

describe('backend selection where native ML-KEM and ML-DSA are present', () => {
  it('defaultCrypto(), checkCrypto(undefined) and cryptoBackend("auto"/"node") are the native backend', () => {
    assert.equal(defaultCrypto(), nodeCrypto);
    assert.equal(checkCrypto(undefined), nodeCrypto);
    assert.equal(cryptoBackend('auto'), nodeCrypto);
    assert.equal(cryptoBackend('node'), nodeCrypto);
    assert.equal(cryptoBackend('noble'), nobleCrypto);
  });

  it('importing the root runs no probe; the first defaultCrypto() does, once', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const script = `
      const c = require('node:crypto');
      let calls = 0;
      const original = c.createPrivateKey;
      c.createPrivateKey = (...args) => { calls++; return original(...args); };
      require('node:module').syncBuiltinESMExports();
      const pqble = await import('./src/index.ts');
      const afterImport = calls;
      pqble.defaultCrypto(); const afterFirst = calls;
      pqble.defaultCrypto(); const afterSecond = calls;
      console.log(JSON.stringify({ afterImport, afterFirst, afterSecond, name: pqble.defaultCrypto().name }));`;
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${script}`,
      ],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(child.status, 0, child.stderr);
    const answer = JSON.parse(child.stdout.trim()) as { afterImport: number; afterFirst: number; afterSecond: number; name: string };
    assert.equal(answer.afterImport, 0);
    assert.ok(answer.afterFirst > 0);
    assert.equal(answer.afterSecond, answer.afterFirst);
    assert.equal(answer.name, 'node');
  });
});
