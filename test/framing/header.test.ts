// Fragment header codec: known-answer vectors, round trips and rejections (docs/framing.md).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import { isPqbleError } from '../../src/errors.js';
import { SINGLE_PACKET_HEADER_BYTES, decodeFragmentHeader, encodeFragmentHeader, type FragmentHeader } from '../../src/framing/index.js';

const VECTORS: readonly { name: string; header: FragmentHeader; hex: string }[] = [
  { name: 'single packet, id 7', header: { start: true, end: true, messageId: 7, sequence: 0 }, hex: '0307' },
  { name: 'first fragment, id 7, 10240 bytes', header: { start: true, end: false, messageId: 7, sequence: 0, totalLength: 10240 }, hex: '020700002800' },
  { name: 'middle fragment, id 7, seq 1', header: { start: false, end: false, messageId: 7, sequence: 1 }, hex: '00070001' },
  { name: 'last fragment, id 7, seq 42', header: { start: false, end: true, messageId: 7, sequence: 42 }, hex: '0107002a' },
  {
    name: 'first fragment, id 255, max u32 length',
    header: { start: true, end: false, messageId: 255, sequence: 0, totalLength: 0xffffffff },
    hex: '02ffffffffff',
  },
  { name: 'last fragment, id 0, seq 65535', header: { start: false, end: true, messageId: 0, sequence: 65535 }, hex: '0100ffff' },
  { name: 'compact middle fragment, id 7, seq 1', header: { start: false, end: false, messageId: 7, sequence: 1, compact: true }, hex: '4407' },
  { name: 'compact last fragment, id 7, seq 42 (10 mod 16)', header: { start: false, end: true, messageId: 7, sequence: 10, compact: true }, hex: '6907' },
  { name: 'compact middle fragment, id 255, seq 16 (0 mod 16)', header: { start: false, end: false, messageId: 255, sequence: 0, compact: true }, hex: '40ff' },
  { name: 'compact last fragment, id 0, seq 15', header: { start: false, end: true, messageId: 0, sequence: 15, compact: true }, hex: '7d00' },
];

function assertMalformed(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => isPqbleError(err, 'PQBLE_ERR_FRAME_MALFORMED'));
}

describe('fragment header: known-answer vectors', () => {
  for (const v of VECTORS) {
    it(`encodes and decodes ${v.name}`, () => {
      assert.equal(bytesToHex(encodeFragmentHeader(v.header)), v.hex);
      const packet = hexToBytes(v.hex + 'aabb');
      const { header, payloadOffset } = decodeFragmentHeader(packet);
      assert.deepEqual(header, v.header);
      assert.equal(payloadOffset, v.hex.length / 2);
    });
  }
  it('keeps the single-packet header at 2 bytes', () => {
    assert.equal(SINGLE_PACKET_HEADER_BYTES, 2);
  });
});

describe('fragment header: round trip', () => {
  const headerArb: fc.Arbitrary<FragmentHeader> = fc.oneof(
    fc.record({ start: fc.constant(true), end: fc.constant(true), messageId: fc.integer({ min: 0, max: 255 }), sequence: fc.constant(0) }),
    fc.record({
      start: fc.constant(true),
      end: fc.constant(false),
      messageId: fc.integer({ min: 0, max: 255 }),
      sequence: fc.constant(0),
      totalLength: fc.integer({ min: 1, max: 0xffffffff }),
    }),
    fc.record({ start: fc.constant(false), end: fc.boolean(), messageId: fc.integer({ min: 0, max: 255 }), sequence: fc.integer({ min: 1, max: 65535 }) }),
    fc.record({
      start: fc.constant(false),
      end: fc.boolean(),
      messageId: fc.integer({ min: 0, max: 255 }),
      sequence: fc.integer({ min: 0, max: 15 }),
      compact: fc.constant(true),
    }),
  );
  it('decode(encode(h)) === h for every valid header', () => {
    fc.assert(
      fc.property(headerArb, fc.uint8Array({ maxLength: 8 }), (h, payload) => {
        const head = encodeFragmentHeader(h);
        const packet = new Uint8Array(head.length + payload.length);
        packet.set(head);
        packet.set(payload, head.length);
        const decoded = decodeFragmentHeader(packet);
        assert.deepEqual(decoded.header, { ...h }); // fc.record builds null-prototype objects
        assert.equal(decoded.payloadOffset, head.length);
      }),
    );
  });
});

describe('fragment header: rejections', () => {
  it('rejects packets shorter than their header', () => {
    for (const hex of ['', '03', '02', '020700', '0207000028', '00', '000700', '0107']) {
      assertMalformed(() => decodeFragmentHeader(hexToBytes(hex)));
    }
  });
  it('rejects reserved bits and unknown versions', () => {
    for (let bit = 2; bit <= 7; bit++) {
      assertMalformed(() => decodeFragmentHeader(Uint8Array.of(0x03 | (1 << bit), 0, 1)));
    }
  });
  it('rejects a compact header with START set, and versions 2 and 3', () => {
    for (const flags of [0x42, 0x43, 0x46, 0x7f, 0x80, 0x81, 0xc0, 0xc1, 0xff]) {
      assertMalformed(() => decodeFragmentHeader(Uint8Array.of(flags, 0, 1)));
    }
    assertMalformed(() => decodeFragmentHeader(Uint8Array.of(0x44)));
    assert.throws(() => encodeFragmentHeader({ start: true, end: false, messageId: 1, sequence: 0, totalLength: 9, compact: true }), RangeError);
    assert.throws(() => encodeFragmentHeader({ start: false, end: false, messageId: 1, sequence: 16, compact: true }), RangeError);
    assert.throws(() => encodeFragmentHeader({ start: false, end: false, messageId: 1, sequence: 1, compact: 1 as never }), TypeError);
  });
  it('rejects sequence 0 after the first fragment and a declared length of 0', () => {
    assertMalformed(() => decodeFragmentHeader(hexToBytes('01070000aa')));
    assertMalformed(() => decodeFragmentHeader(hexToBytes('00070000aa')));
    assertMalformed(() => decodeFragmentHeader(hexToBytes('020700000000aa')));
  });
  it('rejects a non-Uint8Array argument with TypeError', () => {
    assert.throws(() => decodeFragmentHeader('0307' as unknown as Uint8Array), TypeError);
  });
  it('encoder rejects inconsistent headers with RangeError / TypeError', () => {
    const bad: unknown[] = [
      { start: true, end: true, messageId: 256, sequence: 0 },
      { start: true, end: true, messageId: -1, sequence: 0 },
      { start: true, end: true, messageId: 1, sequence: 1 },
      { start: true, end: true, messageId: 1, sequence: 0, totalLength: 5 },
      { start: true, end: false, messageId: 1, sequence: 0 },
      { start: true, end: false, messageId: 1, sequence: 0, totalLength: 0 },
      { start: true, end: false, messageId: 1, sequence: 0, totalLength: 2 ** 32 },
      { start: false, end: false, messageId: 1, sequence: 0 },
      { start: false, end: true, messageId: 1, sequence: 65536 },
      { start: false, end: true, messageId: 1, sequence: 1.5 },
      { start: false, end: true, messageId: 1, sequence: 3, totalLength: 9 },
    ];
    for (const h of bad) assert.throws(() => encodeFragmentHeader(h as FragmentHeader), RangeError, JSON.stringify(h));
    assert.throws(() => encodeFragmentHeader({ start: 1, end: true, messageId: 1, sequence: 0 } as unknown as FragmentHeader), TypeError);
    assert.throws(() => encodeFragmentHeader(null as unknown as FragmentHeader), TypeError);
  });
});
