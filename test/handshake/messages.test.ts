// The handshake codec: exact sizes (checked against docs/protocol.md and the framing layer),
// encode/decode round trips, and every rejection with its code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SIZES } from '../../src/crypto/index.js';
import { fragmentMessage } from '../../src/framing/index.js';
import {
  HANDSHAKE_MESSAGE_BYTES,
  decodeHandshakeFinish,
  decodeHandshakeInit,
  decodeHandshakeResponse,
  decodeIdentityPayload,
  encodeHandshakeFinish,
  encodeHandshakeInit,
  encodeHandshakeResponse,
  encodeIdentityPayload,
} from '../../src/handshake/index.js';
import { MessageType, PROTOCOL_VERSION } from '../../src/wire.js';
import { runHandshake, throwsHandshake } from './helpers.js';
import { fuzz } from '../support/fuzz.js';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

/** The rows of the first markdown table after `heading`, as arrays of trimmed cells. */
function tableAfter(heading: string): string[][] {
  const start = doc.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `docs/protocol.md has no "${heading}" section`);
  const lines = doc.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows.slice(2); // header and separator
}

const num = (cell: string): number => Number(cell.replace(/,/g, ''));

/** Bytes the framing layer puts on the link for one message at ATT MTU `mtu`. */
function framed(n: number, mtu: number): { bytes: number; packets: number } {
  const packets = fragmentMessage(new Uint8Array(n), 0, mtu - 3);
  return { bytes: packets.reduce((a, p) => a + p.length, 0), packets: packets.length };
}

describe('handshake message sizes', () => {
  it('are what the primitives add up to', () => {
    assert.equal(HANDSHAKE_MESSAGE_BYTES.init, 3 + SIZES.x25519Key + SIZES.kemPublicKey);
    assert.equal(HANDSHAKE_MESSAGE_BYTES.init, 1219);
    assert.equal(HANDSHAKE_MESSAGE_BYTES.response.full, 6398);
    assert.equal(HANDSHAKE_MESSAGE_BYTES.response.pinned, 4446);
    assert.equal(HANDSHAKE_MESSAGE_BYTES.finish.full, 5278);
    assert.equal(HANDSHAKE_MESSAGE_BYTES.finish.pinned, 3358);
  });

  it('match real handshakes in both modes', () => {
    for (const pinned of [false, true]) {
      const mode = pinned ? 'pinned' : 'full';
      const run = runHandshake({ pinned, seed: 'sizes' });
      assert.equal(run.m1.length, HANDSHAKE_MESSAGE_BYTES.init);
      assert.equal(run.m2.length, HANDSHAKE_MESSAGE_BYTES.response[mode]);
      assert.equal(run.m3.length, HANDSHAKE_MESSAGE_BYTES.finish[mode]);
    }
  });

  it('docs/protocol.md "Message sizes" states them, and the framed totals, exactly', () => {
    const rows = new Map(tableAfter('## Message sizes').map((r) => [r[0], [num(r[1]), num(r[2])]]));
    const S = HANDSHAKE_MESSAGE_BYTES;
    assert.deepEqual(rows.get('M1 HandshakeInit'), [S.init, S.init]);
    assert.deepEqual(rows.get('M2 HandshakeResponse'), [S.response.full, S.response.pinned]);
    assert.deepEqual(rows.get('M3 HandshakeFinish'), [S.finish.full, S.finish.pinned]);
    const msgs = (mode: 'full' | 'pinned'): number[] => [S.init, S.response[mode], S.finish[mode]];
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    assert.deepEqual(rows.get('total, messages'), [sum(msgs('full')), sum(msgs('pinned'))]);
    const at = (mtu: number, mode: 'full' | 'pinned', what: 'bytes' | 'packets'): number => sum(msgs(mode).map((n) => framed(n, mtu)[what]));
    assert.deepEqual(rows.get('total with framing, ATT MTU 247 (244-byte packets)'), [at(247, 'full', 'bytes'), at(247, 'pinned', 'bytes')]);
    assert.deepEqual(rows.get('packets, ATT MTU 247'), [at(247, 'full', 'packets'), at(247, 'pinned', 'packets')]);
    assert.deepEqual(rows.get('total with framing, ATT MTU 23 (20-byte packets)'), [at(23, 'full', 'bytes'), at(23, 'pinned', 'bytes')]);
    assert.equal(rows.size, 7);
  });

  it('the pinned handshake fits the 9 KB budget with framing at ATT MTU 247', () => {
    const S = HANDSHAKE_MESSAGE_BYTES;
    const total = [S.init, S.response.pinned, S.finish.pinned].reduce((a, n) => a + framed(n, 247).bytes, 0);
    assert.ok(total <= 9 * 1024, `pinned handshake is ${total} bytes`);
  });

  it('docs/protocol.md "Message types" lists exactly src/wire.ts MessageType', () => {
    const rows = tableAfter('## Message types');
    const documented = Object.fromEntries(rows.map((r) => [r[1], Number(r[0].replace(/`/g, ''))]));
    assert.deepEqual(documented, { ...MessageType });
  });
});

describe('handshake codec', () => {
  const b = (n: number, fill = 7): Uint8Array => new Uint8Array(n).fill(fill);

  it('M1 has the documented layout and round-trips (property)', () => {
    const m1 = encodeHandshakeInit({ pinned: true, x25519PublicKey: b(32, 1), kemPublicKey: b(1184, 2) });
    assert.deepEqual(m1.subarray(0, 4), new Uint8Array([0x01, PROTOCOL_VERSION, 0x01, 1]));
    assert.equal(m1[35], 2);
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 1184, maxLength: 1184 }), (pinned, x, k) => {
        const d = decodeHandshakeInit(encodeHandshakeInit({ pinned, x25519PublicKey: x, kemPublicKey: k }));
        assert.deepEqual(d, { version: PROTOCOL_VERSION, pinned, x25519PublicKey: x, kemPublicKey: k });
      }),
      fuzz(50),
    );
  });

  it('M2 and M3 round-trip in both modes; decoders return copies', () => {
    for (const mode of ['full', 'pinned'] as const) {
      const sealedLen = HANDSHAKE_MESSAGE_BYTES.response[mode] - 1121;
      const m2 = encodeHandshakeResponse(b(32, 1), b(1088, 2), b(sealedLen, 3));
      assert.equal(m2.length, HANDSHAKE_MESSAGE_BYTES.response[mode]);
      const d2 = decodeHandshakeResponse(m2, mode);
      assert.deepEqual(d2.x25519PublicKey, b(32, 1));
      assert.deepEqual(d2.kemCipherText, b(1088, 2));
      assert.deepEqual(d2.sealed, b(sealedLen, 3));
      assert.deepEqual(d2.clear, m2.subarray(0, 1121));
      m2.fill(0);
      assert.deepEqual(d2.sealed, b(sealedLen, 3));
      const m3 = encodeHandshakeFinish(b(HANDSHAKE_MESSAGE_BYTES.finish[mode] - 1, 4));
      assert.equal(m3[0], MessageType.HandshakeFinish);
      assert.deepEqual(decodeHandshakeFinish(m3, mode).sealed, b(m3.length - 1, 4));
    }
  });

  it('identity payloads round-trip for both roles and modes', () => {
    const sig = b(SIZES.signature, 9);
    const pk = b(SIZES.sigPublicKey, 5);
    const fp = b(32, 6);
    for (const role of ['initiator', 'responder'] as const) {
      for (const mode of ['full', 'pinned'] as const) {
        const enc = encodeIdentityPayload(role, mode, { publicKey: pk, fingerprint: fp, signature: sig });
        const expected = mode === 'full' ? { publicKey: pk, signature: sig } : role === 'initiator' ? { fingerprint: fp, signature: sig } : { signature: sig };
        assert.deepEqual(decodeIdentityPayload(role, mode, enc), expected);
        assert.equal(
          enc.length + SIZES.aeadTag + (role === 'initiator' ? 1 : 1121),
          (role === 'initiator' ? HANDSHAKE_MESSAGE_BYTES.finish : HANDSHAKE_MESSAGE_BYTES.response)[mode],
        );
        throwsHandshake(() => decodeIdentityPayload(role, mode, enc.subarray(1)), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
      }
    }
  });

  it('rejects bad input with the right code', () => {
    const m1 = encodeHandshakeInit({ pinned: false, x25519PublicKey: b(32), kemPublicKey: b(1184) });
    throwsHandshake(() => decodeHandshakeInit(new Uint8Array(0)), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
    throwsHandshake(() => decodeHandshakeInit(new Uint8Array([0x01])), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
    throwsHandshake(() => decodeHandshakeInit(new Uint8Array([0x02, 1])), 'PQBLE_ERR_HANDSHAKE_UNEXPECTED');
    throwsHandshake(() => decodeHandshakeInit(new Uint8Array([0x01, 0])), 'PQBLE_ERR_PROTOCOL_VERSION');
    throwsHandshake(() => decodeHandshakeInit(new Uint8Array([0x01, 1, 0])), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
    for (const flags of [0x02, 0x80, 0xff]) {
      const bad = m1.slice();
      bad[2] = flags;
      throwsHandshake(() => decodeHandshakeInit(bad), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
    }
    throwsHandshake(
      () => decodeHandshakeResponse(new Uint8Array(HANDSHAKE_MESSAGE_BYTES.response.full).fill(2, 0, 1), 'pinned'),
      'PQBLE_ERR_HANDSHAKE_MALFORMED',
    );
    throwsHandshake(
      () => decodeHandshakeResponse(new Uint8Array(HANDSHAKE_MESSAGE_BYTES.response.pinned).fill(3, 0, 1), 'pinned'),
      'PQBLE_ERR_HANDSHAKE_UNEXPECTED',
    );
    throwsHandshake(() => decodeHandshakeFinish(new Uint8Array(HANDSHAKE_MESSAGE_BYTES.finish.pinned).fill(3, 0, 1), 'full'), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
    throwsHandshake(() => decodeHandshakeFinish(new Uint8Array(0), 'full'), 'PQBLE_ERR_HANDSHAKE_MALFORMED');
    assert.throws(() => decodeHandshakeInit('x' as never), TypeError);
  });

  it('encoders reject bad arguments with TypeError / RangeError', () => {
    assert.throws(() => encodeHandshakeInit({ pinned: 1 as never, x25519PublicKey: b(32), kemPublicKey: b(1184) }), TypeError);
    assert.throws(() => encodeHandshakeInit({ pinned: false, x25519PublicKey: b(31), kemPublicKey: b(1184) }), RangeError);
    assert.throws(() => encodeHandshakeResponse(b(32), b(1088), b(10)), RangeError);
    assert.throws(() => encodeHandshakeFinish(b(10)), RangeError);
    assert.throws(() => encodeIdentityPayload('initiator', 'pinned', { signature: b(SIZES.signature) }), TypeError);
  });
});
