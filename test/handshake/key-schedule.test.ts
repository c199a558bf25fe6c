// Known-answer vectors for the key schedule, the HKDF labels, the fingerprint and whole
// deterministic transcripts, cross-checked against an independent node:crypto implementation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import { deriveApplicationSecrets, deriveHandshakeSecrets, expandLabel, hkdfLabel, signatureInput } from '../../src/handshake/index.js';
import { identityFingerprint } from '../../src/identity/index.js';
import { runHandshake } from './helpers.js';
import * as ref from './node-reference.js';
import { fuzz } from '../support/fuzz.js';

interface Vectors {
  hkdfLabel: { label: string; context: string; length: number; info: string }[];
  fingerprint: { publicKeyHex: string; fingerprint: string }[];
  keySchedule: { name: string; input: Record<'x25519SharedSecret' | 'kemSharedSecret' | 'th2' | 'th3', string>; output: Record<string, string> }[];
  transcripts: {
    mode: 'full' | 'pinned';
    seed: string;
    m1Sha256: string;
    m2Sha256: string;
    m3Sha256: string;
    transcriptHash: string;
    initiatorToResponderKey: string;
    responderToInitiatorKey: string;
    resumptionSecret: string;
    sessionId: string;
  }[];
}

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as Vectors;
const hex = (b: Uint8Array): string => bytesToHex(b);

function ours(ssX: Uint8Array, ssKem: Uint8Array, th2: Uint8Array, th3: Uint8Array): Record<string, string> {
  const hs = deriveHandshakeSecrets(ssX, ssKem, th2);
  const app = deriveApplicationSecrets(hs.masterSecret, th3);
  return {
    initiatorHandshakeKey: hex(hs.initiatorHandshakeKey),
    responderHandshakeKey: hex(hs.responderHandshakeKey),
    masterSecret: hex(hs.masterSecret),
    initiatorToResponderKey: hex(app.initiatorToResponderKey),
    responderToInitiatorKey: hex(app.responderToInitiatorKey),
    resumptionSecret: hex(app.resumptionSecret),
    sessionId: hex(app.sessionId),
  };
}

function reference(ssX: Uint8Array, ssKem: Uint8Array, th2: Uint8Array, th3: Uint8Array): Record<string, string> {
  const s = ref.schedule(ssX, ssKem, th2, th3);
  assert.deepEqual(s.initiatorHandshakeKeyViaHkdfSync, s.initiatorHandshakeKey);
  return {
    initiatorHandshakeKey: hex(s.initiatorHandshakeKey),
    responderHandshakeKey: hex(s.responderHandshakeKey),
    masterSecret: hex(s.masterSecret),
    initiatorToResponderKey: hex(s.initiatorToResponderKey),
    responderToInitiatorKey: hex(s.responderToInitiatorKey),
    resumptionSecret: hex(s.resumptionSecret),
    sessionId: hex(s.sessionId),
  };
}

describe('key schedule known answers', () => {
  it('has vectors to check', () => {
    assert.ok(vectors.keySchedule.length >= 2 && vectors.transcripts.length === 2 && vectors.hkdfLabel.length >= 2);
  });

  for (const v of vectors.keySchedule) {
    it(`matches the vector "${v.name}" (library and node:crypto reference)`, () => {
      const args = [v.input.x25519SharedSecret, v.input.kemSharedSecret, v.input.th2, v.input.th3].map(hexToBytes) as [
        Uint8Array,
        Uint8Array,
        Uint8Array,
        Uint8Array,
      ];
      assert.deepEqual(ours(...args), v.output);
      assert.deepEqual(reference(...args), v.output);
    });
  }

  it('HkdfLabel encodings match the vectors and the reference', () => {
    for (const v of vectors.hkdfLabel) {
      const info = hkdfLabel(v.label, hexToBytes(v.context), v.length);
      assert.equal(hex(info), v.info);
      assert.equal(hex(ref.info(v.label, hexToBytes(v.context), v.length)), v.info);
    }
  });

  it('fingerprints match the vector and the reference', () => {
    for (const v of vectors.fingerprint) {
      const pk = hexToBytes(v.publicKeyHex);
      assert.equal(hex(identityFingerprint(pk)), v.fingerprint);
      assert.equal(hex(ref.fingerprint(pk)), v.fingerprint);
    }
  });

  it('the signed message is "pqble v1 <role> signature" || 0x00 || transcript hash', () => {
    const th = ref.sha256(Buffer.from('th'));
    assert.deepEqual(signatureInput('initiator', th), new Uint8Array(Buffer.concat([Buffer.from('pqble v1 initiator signature\0'), th])));
    assert.deepEqual(signatureInput('responder', th), new Uint8Array(Buffer.concat([Buffer.from('pqble v1 responder signature\0'), th])));
  });

  it('agrees with the node:crypto reference on random inputs (property)', () => {
    const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(b32, b32, b32, b32, (ssX, ssKem, th2, th3) => {
        assert.deepEqual(ours(ssX, ssKem, th2, th3), reference(ssX, ssKem, th2, th3));
      }),
      fuzz(100),
    );
  });

  it('expandLabel agrees with the reference for any label, context and length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 64 }),
        fc.string({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 255 }),
        fc.integer({ min: 1, max: 300 }),
        (secret, label, ctx, len) => {
          assert.equal(hex(expandLabel(secret, label, ctx, len)), hex(ref.expandLabel(secret, label, ctx, len)));
        },
      ),
      fuzz(100),
    );
  });

  it('each input changes the outputs bound to it (both shared secrets, TH2, TH3)', () => {
    const v = vectors.keySchedule[0];
    const base = [v.input.x25519SharedSecret, v.input.kemSharedSecret, v.input.th2, v.input.th3].map(hexToBytes) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const out = ours(...base);
    for (let k = 0; k < 4; k++) {
      const changed = base.map((b) => b.slice()) as typeof base;
      changed[k][31] ^= 1;
      const o = ours(...changed);
      // TH2 binds the handshake keys; TH3 (which contains everything TH2 covers) binds the application secrets.
      for (const key of ['initiatorToResponderKey', 'responderToInitiatorKey', 'resumptionSecret', 'sessionId']) {
        if (k !== 2) assert.notEqual(o[key], out[key], `${key} ignores input ${k}`);
      }
      for (const key of ['initiatorHandshakeKey', 'responderHandshakeKey']) {
        if (k !== 3) assert.notEqual(o[key], out[key], `${key} ignores input ${k}`);
        else assert.equal(o[key], out[key]);
      }
    }
  });

  it('all outputs are distinct (domain separation by label)', () => {
    const out = Object.values(vectors.keySchedule[0].output);
    assert.equal(new Set(out.map((h) => h.slice(0, 32))).size, out.length);
  });

  it('rejects bad arguments with TypeError / RangeError', () => {
    const z = new Uint8Array(32);
    assert.throws(() => deriveHandshakeSecrets(new Uint8Array(31), z, z), RangeError);
    assert.throws(() => deriveHandshakeSecrets(z, z, 'th' as never), TypeError);
    assert.throws(() => deriveApplicationSecrets(z, new Uint8Array(33)), RangeError);
    assert.throws(() => expandLabel(new Uint8Array(16), 'x', z, 32), RangeError);
    assert.throws(() => hkdfLabel('x', new Uint8Array(256), 32), RangeError);
    assert.throws(() => hkdfLabel('x', z, 0), RangeError);
    assert.throws(() => hkdfLabel('x'.repeat(250), z, 32), RangeError);
  });
});

describe('transcript known answers (deterministic provider)', () => {
  for (const v of vectors.transcripts) {
    it(`${v.mode}: messages, transcript hash and keys match the vector`, () => {
      const run = runHandshake({ seed: v.seed, pinned: v.mode === 'pinned' });
      assert.equal(hex(ref.sha256(run.m1)), v.m1Sha256);
      assert.equal(hex(ref.sha256(run.m2)), v.m2Sha256);
      assert.equal(hex(ref.sha256(run.m3)), v.m3Sha256);
      assert.equal(hex(ref.sha256(run.m1, run.m2, run.m3)), v.transcriptHash);
      assert.equal(hex(run.initiator.transcriptHash), v.transcriptHash);
      assert.equal(hex(run.initiator.sendKey), v.initiatorToResponderKey);
      assert.equal(hex(run.responder.receiveKey), v.initiatorToResponderKey);
      assert.equal(hex(run.initiator.receiveKey), v.responderToInitiatorKey);
      assert.equal(hex(run.initiator.resumptionSecret), v.resumptionSecret);
      assert.equal(hex(run.initiator.sessionId), v.sessionId);
    });
  }
});
