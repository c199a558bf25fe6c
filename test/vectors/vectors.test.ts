// The known-answer transcripts of test/vectors/*.json (docs/protocol.md "Known-answer
// transcripts", docs/resumption.md "Known-answer vectors"): regenerated from the library and
// compared byte for byte; the resumption vectors are also recomputed from the document with
// node:crypto alone (test/resumption/node-reference-v2.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { referenceResume, x25519Public } from '../resumption/node-reference-v2.js';
import { HANDSHAKE_FILE, RESUMPTION_FILE, generateAll, type HandshakeTranscript, type ResumeVector } from './generate.js';

const handshake = JSON.parse(readFileSync(HANDSHAKE_FILE, 'utf8')) as { transcripts: HandshakeTranscript[] };
const resumption = JSON.parse(readFileSync(RESUMPTION_FILE, 'utf8')) as { vectors: ResumeVector[] };
const b = (h: string): Buffer => Buffer.from(h, 'hex');

describe('known-answer transcripts (test/vectors)', () => {
  const regenerated = generateAll();

  it('the handshake transcripts regenerate byte for byte (identities unknown, and pinned)', () => {
    assert.deepEqual(
      handshake.transcripts.map((t) => t.name),
      ['full', 'pinned'],
    );
    assert.deepEqual(JSON.parse(JSON.stringify(regenerated.handshake)), JSON.parse(readFileSync(HANDSHAKE_FILE, 'utf8')));
  });

  it('the resumption vectors regenerate byte for byte (psk and psk-dhe)', () => {
    assert.deepEqual(
      resumption.vectors.map((v) => v.name),
      ['psk', 'psk-dhe'],
    );
    assert.deepEqual(JSON.parse(JSON.stringify(regenerated.resumption)), JSON.parse(readFileSync(RESUMPTION_FILE, 'utf8')));
  });

  for (const t of handshake.transcripts) {
    it(`${t.name}: message layout and transcript hash agree with node:crypto`, () => {
      const m1 = b(t.messages.m1);
      const m2 = b(t.messages.m2);
      const m3 = b(t.messages.m3);
      assert.deepEqual([m1[0], m1[1], m1[2]], [0x01, 0x01, t.name === 'pinned' ? 1 : 0]);
      assert.equal(m1.subarray(3, 35).toString('hex'), x25519Public(b(t.input.initiatorX25519SecretKey)).toString('hex'));
      assert.equal(m2[0], 0x02);
      assert.equal(m2.subarray(1, 33).toString('hex'), x25519Public(b(t.input.responderX25519SecretKey)).toString('hex'));
      assert.equal(m3[0], 0x03);
      assert.deepEqual([m1.length, m2.length, m3.length], t.name === 'pinned' ? [1219, 4446, 3358] : [1219, 6398, 5278]);
      assert.equal(createHash('sha256').update(m1).update(m2).update(m3).digest('hex'), t.output.transcriptHash);
    });
  }

  it('the resumption vectors start from the full transcript', () => {
    const full = handshake.transcripts[0];
    for (const v of resumption.vectors) {
      assert.equal(v.input.rms, full.output.resumptionMasterSecret);
      assert.equal(v.input.initiatorFingerprint, full.identities.initiatorFingerprint);
      assert.equal(v.input.responderFingerprint, full.identities.responderFingerprint);
    }
  });

  for (const v of resumption.vectors) {
    it(`${v.name}: every value matches the independent node:crypto implementation of docs/resumption.md`, () => {
      const ref = referenceResume({
        mode: v.input.mode,
        rms: b(v.input.rms),
        initiatorFingerprint: b(v.input.initiatorFingerprint),
        responderFingerprint: b(v.input.responderFingerprint),
        initiatorNonce: b(v.input.initiatorNonce),
        responderNonce: b(v.input.responderNonce),
        ...(v.input.mode === 'psk-dhe' ? { initiatorEphemeralSecret: b(v.input.initiatorEphemeralSecret), responderEphemeralSecret: b(v.input.responderEphemeralSecret) } : {}),
      });
      assert.deepEqual(ref, v.output);
      assert.equal(b(v.output.request).length, v.name === 'psk' ? 51 : 83);
      assert.equal(b(v.output.accept).length, v.name === 'psk' ? 33 : 65);
      assert.equal(b(v.output.finished).length, 9);
    });
  }
});
