// The known-answer transcripts of test/vectors/*.json (docs/protocol.md "Known-answer
// transcripts", docs/resumption.md "Known-answer vectors"): regenerated from the library and
// compared byte for byte; the resumption vectors are also recomputed from the document with
// node:crypto alone (test/resumption/node-reference-v2.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fragmentMessage } from '../../src/framing/fragment.js';
import { RESUME_V2_MESSAGE_BYTES } from '../../src/resumption/index.js';
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

/** The `name  hex` lines of the fenced blocks after `heading` in a document (continuation lines joined). */
function docValues(doc: string, heading: string): [string, string][] {
  const section = doc.slice(doc.indexOf(heading));
  const blocks = section.split('```').filter((_, i) => i % 2 === 1);
  const out: [string, string][] = [];
  for (const block of blocks.slice(0, 3)) {
    for (const line of block.split('\n')) {
      const m = /^(\S.*?)\s{2,}([0-9a-f]+)$/.exec(line);
      const cont = /^\s{10,}([0-9a-f]+)$/.exec(line);
      if (m) out.push([m[1], m[2]]);
      else if (cont && out.length > 0) out[out.length - 1][1] += cont[1];
    }
  }
  return out;
}

describe('docs/resumption.md matches the vectors and the code', () => {
  const doc = readFileSync(new URL('../../docs/resumption.md', import.meta.url), 'utf8');

  it('every hex value in "Known-answer vectors" is a value of the JSON vectors', () => {
    const values = docValues(doc, '## Known-answer vectors');
    assert.ok(values.length >= 40, `found ${values.length} values`);
    const known = new Set(resumption.vectors.flatMap((v) => [...Object.values(v.input as unknown as Record<string, string>), ...Object.values(v.output)]));
    for (const [name, value] of values) assert.ok(known.has(value), `${name} ${value} is not in resumption-v2.json`);
  });

  it('the sizes table is what the messages and the framing give', () => {
    const total = (mode: 'psk' | 'psk-dhe', packetBytes: number): number => {
      const m = RESUME_V2_MESSAGE_BYTES[mode];
      return [m.request, m.accept, m.finished].reduce((sum, n) => sum + fragmentMessage(new Uint8Array(n), 1, packetBytes).reduce((a, f) => a + f.length, 0), 0);
    };
    const row = (label: string): string => doc.split('\n').find((l) => l.startsWith(`| ${label}`)) ?? '';
    assert.match(row('messages'), new RegExp(`\\| ${RESUME_V2_MESSAGE_BYTES.psk.request + RESUME_V2_MESSAGE_BYTES.psk.accept + 9} \\| 157 \\|`));
    assert.match(row('ATT payload at MTU ≥'), new RegExp(`\\*\\*${total('psk', 244)}\\*\\*.*\\*\\*${total('psk-dhe', 244)}\\*\\*`));
    assert.match(row('ATT payload at MTU 23'), new RegExp(`\\| ${total('psk', 20)} \\| ${total('psk-dhe', 20)} \\|`));
    assert.ok(total('psk', 244) <= 100 && total('psk-dhe', 244) <= 170);
    // The smallest MTU at which each message is one packet (2-byte header): MTU - 3 - 2 >= message bytes.
    assert.equal(fragmentMessage(new Uint8Array(51), 1, 56 - 3).length, 1);
    assert.equal(fragmentMessage(new Uint8Array(51), 1, 55 - 3).length, 2);
    assert.equal(fragmentMessage(new Uint8Array(83), 1, 88 - 3).length, 1);
  });
});

describe('docs/protocol.md "Known-answer transcripts" matches the file', () => {
  it('sizes, TH3 and resumption master secret of each transcript', () => {
    const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    for (const t of handshake.transcripts) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${t.name}\` |`));
      assert.ok(row !== undefined, `no row for ${t.name}`);
      const cells = row.split('|').map((c) => c.trim().replace(/[`…,]/g, ''));
      assert.deepEqual(cells.slice(2, 5).map(Number), [t.messages.m1.length / 2, t.messages.m2.length / 2, t.messages.m3.length / 2]);
      assert.ok(t.output.transcriptHash.startsWith(cells[5]) && cells[5].length === 16);
      assert.ok(t.output.resumptionMasterSecret.startsWith(cells[6]) && cells[6].length === 16);
    }
  });
});
