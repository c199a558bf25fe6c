// Fragmentation: packet sizes, overhead figures, argument checks, message ids (docs/framing.md).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex } from '../../src/bytes.js';
import { isPqbleError } from '../../src/errors.js';
import { RESUME_V2_MESSAGE_BYTES } from '../../src/resumption/index.js';
import {
  MAX_PACKET_BYTES,
  MIN_PACKET_BYTES,
  MessageIdAllocator,
  decodeFragmentHeader,
  fragmentCount,
  fragmentMessage,
  fragmentSizes,
} from '../../src/framing/index.js';
import { filler } from './helpers.js';

function totalBytes(packets: readonly Uint8Array[]): number {
  return packets.reduce((n, p) => n + p.length, 0);
}

describe('fragmentMessage: layout', () => {
  it('cuts a 33-byte message into one 35-byte packet', () => {
    const message = filler(33);
    const packets = fragmentMessage(message, 9, 244);
    assert.equal(packets.length, 1);
    assert.equal(packets[0].length, 35);
    assert.equal(bytesToHex(packets[0].subarray(0, 2)), '0309');
    assert.deepEqual(packets[0].subarray(2), message);
  });

  it('splits a 33-byte message into 3 packets at the minimum ATT MTU (23): compact headers', () => {
    // 20-byte packets: 14 + 18 + 1 bytes of payload.
    const packets = fragmentMessage(filler(33), 0, MIN_PACKET_BYTES);
    assert.deepEqual(
      packets.map((p) => p.length),
      [20, 20, 3],
    );
    assert.equal(bytesToHex(packets[0].subarray(0, 6)), '020000000021');
    assert.equal(bytesToHex(packets[1].subarray(0, 2)), '4400'); // version 1, sequence 1, id 0
    assert.equal(bytesToHex(packets[2].subarray(0, 2)), '4900'); // version 1, sequence 2, END, id 0
  });

  it('with sequence16 headers: 14 + 16 + 3 bytes and u16 sequences (version 0)', () => {
    const packets = fragmentMessage(filler(33), 0, MIN_PACKET_BYTES, { continuation: 'sequence16' });
    assert.deepEqual(
      packets.map((p) => p.length),
      [20, 20, 7],
    );
    assert.equal(bytesToHex(packets[0].subarray(0, 6)), '020000000021');
    assert.equal(bytesToHex(packets[1].subarray(0, 4)), '00000001');
    assert.equal(bytesToHex(packets[2].subarray(0, 4)), '01000002');
  });

  it('the compact sequence rolls modulo 16 (known answer: fragments 15, 16, 17)', () => {
    const packets = fragmentMessage(filler(14 + 18 * 17), 7, MIN_PACKET_BYTES);
    assert.equal(packets.length, 18);
    assert.equal(bytesToHex(packets[15].subarray(0, 2)), '7c07'); // 0x40 | 15 << 2
    assert.equal(bytesToHex(packets[16].subarray(0, 2)), '4007'); // 16 mod 16 = 0
    assert.equal(bytesToHex(packets[17].subarray(0, 2)), '4507'); // 17 mod 16 = 1, END
  });

  it('takes its packet size from a size policy', () => {
    const asked: [number, number][] = [];
    const packets = fragmentMessage(filler(1000), 3, 244, {
      packetSize: (m, max) => {
        asked.push([m, max]);
        return 200;
      },
    });
    assert.deepEqual(asked, [[1000, 244]]);
    assert.deepEqual(
      packets.map((p) => p.length),
      fragmentSizes(1000, 200),
    );
    assert.ok(packets.slice(0, -1).every((p) => p.length === 200));
    assert.throws(() => fragmentMessage(filler(1000), 3, 244, { packetSize: () => 245 }), RangeError);
    assert.throws(() => fragmentMessage(filler(1000), 3, 244, { packetSize: () => 19 }), RangeError);
    assert.throws(() => fragmentMessage(filler(1000), 3, 244, { packetSize: 200 as never }), TypeError);
    assert.throws(() => fragmentMessage(filler(1000), 3, 244, { continuation: 'v2' as never }), RangeError);
    assert.throws(() => fragmentMessage(filler(1000), 3, 244, { maxBytes: 5 } as never), TypeError);
  });

  it('splits at exactly the single-packet boundary', () => {
    assert.equal(fragmentMessage(filler(242), 0, 244).length, 1);
    assert.equal(fragmentMessage(filler(243), 0, 244).length, 2);
    assert.equal(fragmentMessage(filler(18), 0, 20).length, 1);
    assert.equal(fragmentMessage(filler(19), 0, 20).length, 2);
  });

  it('fills every packet but the last, numbers them 0.. and flags the ends (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6000 }),
        fc.integer({ min: MIN_PACKET_BYTES, max: MAX_PACKET_BYTES }),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('compact' as const, 'sequence16' as const),
        (length, maxPacketBytes, id, continuation) => {
          const packets = fragmentMessage(filler(length, length), id, maxPacketBytes, { continuation });
          assert.equal(packets.length, fragmentCount(length, maxPacketBytes, continuation));
          assert.deepEqual(
            packets.map((p) => p.length),
            fragmentSizes(length, maxPacketBytes, continuation),
          );
          let payload = 0;
          packets.forEach((p, i) => {
            assert.ok(p.length <= maxPacketBytes);
            if (i < packets.length - 1) assert.equal(p.length, maxPacketBytes);
            const { header, payloadOffset } = decodeFragmentHeader(p);
            assert.equal(header.messageId, id);
            assert.equal(header.sequence, header.compact === true ? i % 16 : i);
            assert.equal(header.compact === true, i > 0 && continuation === 'compact');
            assert.equal(header.start, i === 0);
            assert.equal(header.end, i === packets.length - 1);
            if (i === 0 && packets.length > 1) assert.equal(header.totalLength, length);
            payload += p.length - payloadOffset;
          });
          assert.equal(payload, length);
        },
      ),
    );
  });

  it('copies: changing the message afterwards does not change the packets', () => {
    const message = filler(600);
    const packets = fragmentMessage(message, 1, 100);
    const before = packets.map((p) => bytesToHex(p));
    message.fill(0);
    assert.deepEqual(
      packets.map((p) => bytesToHex(p)),
      before,
    );
  });
});

describe('fragmentMessage: overhead figures', () => {
  it('10 KB at ATT MTU 247: framing overhead below 3 % of the bytes sent', () => {
    for (const length of [10_000, 10_240]) {
      const packets = fragmentMessage(filler(length), 0, 244);
      const total = totalBytes(packets);
      const overhead = total - length;
      assert.ok(overhead / total < 0.03, `overhead ${overhead}/${total}`);
      assert.equal(overhead, 6 + 2 * (packets.length - 1));
    }
    // 10,240 bytes: 238 + 42 x 242 -> 43 packets, 90 header bytes, 0.87 %.
    assert.equal(totalBytes(fragmentMessage(filler(10_240), 0, 244)), 10_330);
    // With version-0 headers: 238 + 42 x 240 -> 43 packets, 174 header bytes, 1.67 %.
    assert.equal(totalBytes(fragmentMessage(filler(10_240), 0, 244, { continuation: 'sequence16' })), 10_414);
  });

  it('10 KB at ATT MTU 23: goodput of framing at least 85 % (90.0 %: 570 packets of 20 bytes)', () => {
    const packets = fragmentMessage(filler(10_240), 0, MIN_PACKET_BYTES);
    const total = totalBytes(packets);
    assert.equal(packets.length, 570);
    assert.equal(total, 11_384);
    assert.ok(10_240 / total >= 0.85, `${((10_240 / total) * 100).toFixed(1)} %`);
    // The version-0 headers stayed at 80 %: the reason for the compact header.
    const v0 = totalBytes(fragmentMessage(filler(10_240), 0, MIN_PACKET_BYTES, { continuation: 'sequence16' }));
    assert.ok(10_240 / v0 < 0.81);
  });

  it('the resumption exchange (51 + 33 + 9 bytes in psk mode) costs 99 bytes with framing', () => {
    const sizes = [RESUME_V2_MESSAGE_BYTES.psk.request, RESUME_V2_MESSAGE_BYTES.psk.accept, RESUME_V2_MESSAGE_BYTES.psk.finished];
    assert.deepEqual(sizes, [51, 33, 9]);
    const total = sizes.reduce((sum, n, i) => sum + totalBytes(fragmentMessage(filler(n, i + 1), i, 244)), 0);
    assert.equal(total, 99);
  });

  it('every resumption message is one packet from ATT MTU 88 up (psk-dhe: 83 + 65 + 9 bytes)', () => {
    const sizes = Object.values(RESUME_V2_MESSAGE_BYTES['psk-dhe']);
    assert.deepEqual(
      sizes.sort((a, b) => a - b),
      [9, 65, 83],
    );
    for (const n of sizes) assert.equal(fragmentMessage(filler(n), 0, 88 - 3).length, 1, `${n} B at MTU 88`);
    assert.equal(fragmentMessage(filler(83), 0, 87 - 3).length, 2, '83 B needs two packets at MTU 87');
  });
});

describe('fragmentMessage: argument checks', () => {
  it('rejects bad arguments with TypeError / RangeError', () => {
    assert.throws(() => fragmentMessage(new Uint8Array(0), 0, 244), RangeError);
    assert.throws(() => fragmentMessage(filler(5), 0, 19), RangeError);
    assert.throws(() => fragmentMessage(filler(5), 0, 515), RangeError);
    assert.throws(() => fragmentMessage(filler(5), 0, 20.5), RangeError);
    assert.throws(() => fragmentMessage(filler(5), 256, 244), RangeError);
    assert.throws(() => fragmentMessage(filler(5), -1, 244), RangeError);
    assert.throws(() => fragmentMessage(filler(5), 0, 244, 0), RangeError);
    assert.throws(() => fragmentMessage([1, 2] as unknown as Uint8Array, 0, 244), TypeError);
    assert.throws(() => fragmentMessage(filler(5), Number.NaN, 244), TypeError);
  });

  it('rejects a message over maxMessageBytes with PQBLE_ERR_MESSAGE_TOO_LARGE', () => {
    assert.throws(
      () => fragmentMessage(filler(65_537), 0, 244),
      (err: unknown) => isPqbleError(err, 'PQBLE_ERR_MESSAGE_TOO_LARGE'),
    );
    assert.throws(
      () => fragmentMessage(filler(101), 0, 244, 100),
      (err: unknown) => isPqbleError(err, 'PQBLE_ERR_MESSAGE_TOO_LARGE'),
    );
    assert.equal(fragmentMessage(filler(65_536), 0, 244).length, fragmentCount(65_536, 244));
  });

  it('rejects a message that would need more than 65,536 version-0 fragments; compact ones have no such cap', () => {
    // 20-byte packets carry 14 + 16 x 65,535 = 1,048,574 bytes at most.
    const o = { maxMessageBytes: 2_000_000, continuation: 'sequence16' } as const;
    assert.equal(fragmentMessage(filler(1_048_574), 0, 20, o).length, 65_536);
    assert.throws(
      () => fragmentMessage(filler(1_048_575), 0, 20, o),
      (err: unknown) => isPqbleError(err, 'PQBLE_ERR_MESSAGE_TOO_LARGE'),
    );
    assert.equal(fragmentMessage(filler(1_048_575), 0, 20, 2_000_000).length, fragmentCount(1_048_575, 20));
  });
});

describe('MessageIdAllocator', () => {
  it('rolls 0..255 and wraps', () => {
    const ids = new MessageIdAllocator();
    const seen = Array.from({ length: 258 }, () => ids.next());
    assert.deepEqual(seen.slice(0, 3), [0, 1, 2]);
    assert.equal(seen[255], 255);
    assert.deepEqual(seen.slice(256), [0, 1]);
  });
  it('starts where asked and checks the start', () => {
    const ids = new MessageIdAllocator(254);
    assert.deepEqual([ids.next(), ids.next(), ids.next()], [254, 255, 0]);
    assert.throws(() => new MessageIdAllocator(256), RangeError);
  });
});
