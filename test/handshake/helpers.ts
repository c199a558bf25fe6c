// Test helpers for the handshake tests: a deterministic crypto provider (seeded randomness,
// deterministic ML-KEM encapsulation and ML-DSA signing), a provider that records every
// secret it hands out (to check wiping), identities, and a one-call handshake runner.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { nobleCrypto, type CryptoProvider } from '../../src/crypto/index.js';
import { HandshakeError, PqbleError, type PqbleErrorCode } from '../../src/errors.js';
import { HandshakeInitiator, HandshakeResponder, type HandshakeResult } from '../../src/handshake/index.js';
import { generateIdentity, type Identity } from '../../src/identity/index.js';

/** A seeded byte stream: SHA-256(label || counter) blocks. */
export function seededRandom(label: string): (length: number) => Uint8Array {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let off = 0; off < length; off += 32) {
      const block = createHash('sha256').update(`${label}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - off)), off);
    }
    return out;
  };
}

/** nobleCrypto with every random choice drawn from `seededRandom(label)`: same label, same messages. */
export function deterministicCrypto(label: string): CryptoProvider {
  const rand = seededRandom(label);
  return {
    ...nobleCrypto,
    name: `deterministic(${label})`,
    randomBytes: (length) => rand(length),
    kemEncapsulate: (publicKey) => ml_kem768.encapsulate(publicKey, rand(32)),
    sign: (message, secretKey) => ml_dsa65.sign(message, secretKey, { extraEntropy: false }),
  };
}

/** A provider that remembers every secret buffer it returns. */
export function recordingCrypto(base: CryptoProvider = nobleCrypto): { crypto: CryptoProvider; secrets: Uint8Array[] } {
  const secrets: Uint8Array[] = [];
  const keep = <T extends Uint8Array>(b: T): T => {
    secrets.push(b);
    return b;
  };
  const crypto: CryptoProvider = {
    ...base,
    randomBytes: (n) => keep(base.randomBytes(n)),
    x25519Keygen(sk) {
      const kp = base.x25519Keygen(sk);
      keep(kp.secretKey);
      return kp;
    },
    kemKeygen(seed) {
      const kp = base.kemKeygen(seed);
      keep(kp.secretKey);
      return kp;
    },
    kemEncapsulate(pk) {
      const r = base.kemEncapsulate(pk);
      keep(r.sharedSecret);
      return r;
    },
    kemDecapsulate: (ct, sk) => keep(base.kemDecapsulate(ct, sk)),
    x25519: (sk, pk) => keep(base.x25519(sk, pk)),
    hkdfExtract: (salt, ikm) => keep(base.hkdfExtract(salt, ikm)),
    hkdfExpand: (prk, info, len) => keep(base.hkdfExpand(prk, info, len)),
    aeadSeal(key, nonce, pt, aad) {
      keep(pt);
      return base.aeadSeal(key, nonce, pt, aad);
    },
    aeadOpen(key, nonce, ct, aad) {
      const pt = base.aeadOpen(key, nonce, ct, aad);
      if (pt !== undefined) keep(pt);
      return pt;
    },
  };
  return { crypto, secrets };
}

/** True if every byte is zero. */
export function isZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

const cache = new Map<string, Identity>();
/** A deterministic identity per name (cached: key generation costs a few ms). */
export function identity(name: string): Identity {
  let id = cache.get(name);
  if (id === undefined) {
    id = generateIdentity({ seed: createHash('sha256').update(`identity/${name}`).digest() });
    cache.set(name, id);
  }
  return id;
}

/** Messages and results of one complete handshake. */
export interface Run {
  readonly m1: Uint8Array;
  readonly m2: Uint8Array;
  readonly m3: Uint8Array;
  readonly initiator: HandshakeResult;
  readonly responder: HandshakeResult;
}

/** Options of {@link runHandshake}. */
export interface RunOptions {
  readonly pinned?: boolean;
  readonly seed?: string;
  readonly alice?: Identity;
  readonly bob?: Identity;
}

/** Runs a full (or pinned) handshake between alice (initiator) and bob (responder). */
export function runHandshake(options: RunOptions = {}): Run {
  const alice = options.alice ?? identity('alice');
  const bob = options.bob ?? identity('bob');
  const iCrypto = options.seed === undefined ? nobleCrypto : deterministicCrypto(`${options.seed}/i`);
  const rCrypto = options.seed === undefined ? nobleCrypto : deterministicCrypto(`${options.seed}/r`);
  const i = new HandshakeInitiator(
    options.pinned === true ? { identity: alice, peerKey: bob.publicKey, crypto: iCrypto } : { identity: alice, crypto: iCrypto },
  );
  const r = new HandshakeResponder({
    identity: bob,
    lookupPeerKey: (fp) => (Buffer.from(fp).equals(alice.fingerprint) ? alice.publicKey : undefined),
    crypto: rCrypto,
  });
  const m1 = i.start();
  const m2 = r.readInit(m1);
  i.readResponse(m2);
  const { message: m3, result: initiator } = i.finish();
  const responder = r.readFinish(m3);
  return { m1, m2, m3, initiator, responder };
}

/** Asserts that `fn` throws a HandshakeError with `code` (one of `codes`; a plain PqbleError for `PQBLE_ERR_INTERNAL`). */
export function throwsHandshake(fn: () => unknown, ...codes: PqbleErrorCode[]): void {
  assert.throws(fn, (err: unknown) => {
    const internal = err instanceof PqbleError && err.code === 'PQBLE_ERR_INTERNAL' && err.constructor === PqbleError;
    assert.ok(err instanceof HandshakeError || internal, `expected a HandshakeError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `expected ${codes.join(' or ')}, got ${err.code}`);
    return true;
  });
}
