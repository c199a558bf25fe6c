// Reassembly: round trips with interleaving, every rejection with its code, limits, timeout
// (docs/framing.md "Reassembly", "Limits").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPqbleError, type PqbleErrorCode } from '../../src/errors.js';
import { MAX_PACKET_BYTES, MIN_PACKET_BYTES, MessageIdAllocator, Reassembler, fragmentMessage, type ReassemblerOptions } from '../../src/framing/index.js';
import { ManualClock, filler, packet } from './helpers.js';
import { fuzz } from '../support/fuzz.js';

function rejects(r: Reassembler, p: Uint8Array, code: PqbleErrorCode): void {
  assert.throws(
    () => r.push(p),
    (err: unknown) => isPqbleError(err, code) && err.name === 'FramingError',
    `expected ${code}`,
  );
}

/** Feeds a whole message through `r` and checks it comes out intact. */
function assertUsable(r: Reassembler, id = 200, length = 700): void {
  const message = filler(length, id + length);
  const packets = fragmentMessage(message, id, 64);
  let out: Uint8Array | undefined;
  packets.forEach((p, i) => {
    out = r.push(p);
    if (i < packets.length - 1) assert.equal(out, undefined);
  });
  assert.deepEqual(out, message);
}

describe('Reassembler: round trips', () => {
  it('single-packet and multi-packet messages come back intact, with no state left over', () => {
    const r = new Reassembler();
    for (const length of [1, 33, 242, 243, 10_240, 65_536]) {
      const message = filler(length, length);
      const packets = fragmentMessage(message, length & 0xff, 244);
      const outs = packets.map((p) => r.push(p));
      assert.deepEqual(outs.at(-1), message);
      assert.ok(outs.slice(0, -1).every((o) => o === undefined));
      assert.equal(r.pendingMessages, 0);
      assert.equal(r.pendingBytes, 0);
    }
  });

  it('interleaved messages of any size at any MTU come out intact, in completion order (property)', () => {
    const scenario = fc
      .record({
        messages: fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { minLength: 1, maxLength: 6 }),
        ids: fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }),
        maxPacketBytes: fc.integer({ min: MIN_PACKET_BYTES, max: MAX_PACKET_BYTES }),
      })
      .chain(({ messages, ids, maxPacketBytes }) => {
        const packets = messages.map((m, i) => fragmentMessage(m, ids[i], maxPacketBytes));
        const tokens = packets.flatMap((ps, i) => ps.map(() => i));
        return fc.shuffledSubarray(tokens, { minLength: tokens.length, maxLength: tokens.length }).map((order) => ({ messages, packets, order }));
      });
    fc.assert(
      fc.property(scenario, ({ messages, packets, order }) => {
        const r = new Reassembler({ maxPendingMessages: 8 });
        const nextPacket = packets.map(() => 0);
        const completed: Uint8Array[] = [];
        const expected: Uint8Array[] = [];
        for (const i of order) {
          const p = packets[i][nextPacket[i]++];
          if (nextPacket[i] === packets[i].length) expected.push(messages[i]);
          const out = r.push(p);
          if (out !== undefined) completed.push(out);
        }
        assert.deepEqual(completed, expected);
        assert.equal(r.pendingMessages, 0);
        assert.equal(r.pendingBytes, 0);
      }),
      fuzz(60),
    );
  });

  it('64 KiB messages round-trip at any MTU (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_PACKET_BYTES, max: MAX_PACKET_BYTES }), fc.integer(), (maxPacketBytes, seed) => {
        const message = filler(65_536, seed);
        const r = new Reassembler();
        let out: Uint8Array | undefined;
        for (const p of fragmentMessage(message, 3, maxPacketBytes)) out = r.push(p);
        assert.deepEqual(out, message);
      }),
      fuzz(6),
    );
  });

  it('message ids roll over: 600 messages in a row from one allocator', () => {
    const ids = new MessageIdAllocator();
    const r = new Reassembler();
    for (let n = 0; n < 600; n++) {
      const message = filler(1 + (n % 50) * 7, n);
      let out: Uint8Array | undefined;
      for (const p of fragmentMessage(message, ids.next(), 20)) out = r.push(p);
      assert.deepEqual(out, message);
    }
  });

  it('accepts fragments of varying size (the MTU may grow mid-message)', () => {
    const r = new Reassembler();
    const message = filler(100);
    assert.equal(r.push(packet({ start: true, end: false, messageId: 1, sequence: 0, totalLength: 100 }, message.subarray(0, 14))), undefined);
    assert.equal(r.push(packet({ start: false, end: false, messageId: 1, sequence: 1 }, message.subarray(14, 20))), undefined);
    assert.deepEqual(r.push(packet({ start: false, end: true, messageId: 1, sequence: 2 }, message.subarray(20))), message);
  });

  it('returns copies: mutating the packets afterwards does not change the messages', () => {
    const r = new Reassembler();
    const single = packet({ start: true, end: true, messageId: 1, sequence: 0 }, [1, 2, 3]);
    const out = r.push(single);
    single.fill(0);
    assert.deepEqual(out, Uint8Array.of(1, 2, 3));

    const message = filler(300);
    const packets = fragmentMessage(message, 2, 100);
    let multi: Uint8Array | undefined;
    for (const p of packets) multi = r.push(p);
    for (const p of packets) p.fill(0);
    assert.deepEqual(multi, message);
  });
});

describe('Reassembler: rejections (code, state dropped, still usable)', () => {
  const first = (id: number, total: number, payload: number[] | Uint8Array): Uint8Array =>
    packet({ start: true, end: false, messageId: id, sequence: 0, totalLength: total }, payload);
  const next = (id: number, sequence: number, end: boolean, payload: number[] | Uint8Array): Uint8Array =>
    packet({ start: false, end, messageId: id, sequence }, payload);

  it('PQBLE_ERR_FRAME_MALFORMED: bad headers', () => {
    const r = new Reassembler();
    r.push(first(9, 10, [1, 2]));
    rejects(r, Uint8Array.of(), 'PQBLE_ERR_FRAME_MALFORMED');
    rejects(r, Uint8Array.of(0x03), 'PQBLE_ERR_FRAME_MALFORMED');
    rejects(r, Uint8Array.of(0x07, 1, 1), 'PQBLE_ERR_FRAME_MALFORMED');
    rejects(r, Uint8Array.of(0x43, 1, 1), 'PQBLE_ERR_FRAME_MALFORMED');
    rejects(r, Uint8Array.of(0x02, 1, 0, 0, 0), 'PQBLE_ERR_FRAME_MALFORMED');
    rejects(r, Uint8Array.of(0x02, 1, 0, 0, 0, 0, 1), 'PQBLE_ERR_FRAME_MALFORMED');
    rejects(r, Uint8Array.of(0x01, 9, 0, 0, 1), 'PQBLE_ERR_FRAME_MALFORMED');
    // A bad header names no message for sure, so the one in progress is kept.
    assert.equal(r.pendingMessages, 1);
    assert.equal(r.push(next(9, 1, true, [3, 4, 5, 6, 7, 8, 9, 10]))?.length, 10);
    assertUsable(r);
  });

  it('PQBLE_ERR_FRAME_MALFORMED: empty payloads', () => {
    const r = new Reassembler();
    rejects(r, packet({ start: true, end: true, messageId: 1, sequence: 0 }, []), 'PQBLE_ERR_FRAME_MALFORMED');
    rejects(r, first(1, 10, []), 'PQBLE_ERR_FRAME_MALFORMED');
    assert.equal(r.pendingMessages, 0);
    r.push(first(1, 10, [1]));
    rejects(r, next(1, 1, false, []), 'PQBLE_ERR_FRAME_MALFORMED');
    assert.equal(r.pendingMessages, 0);
    assert.equal(r.pendingBytes, 0);
    assertUsable(r);
  });

  it('PQBLE_ERR_FRAME_INCONSISTENT: sequence gap and duplicate', () => {
    const r = new Reassembler();
    r.push(first(1, 10, [1, 2]));
    rejects(r, next(1, 2, false, [3]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    assert.equal(r.pendingMessages, 0);
    r.push(first(1, 10, [1, 2]));
    r.push(next(1, 1, false, [3]));
    rejects(r, next(1, 1, false, [3]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    assert.equal(r.pendingMessages, 0);
    assert.equal(r.pendingBytes, 0);
    // The rest of a dropped message is inconsistent too (no first fragment any more).
    rejects(r, next(1, 2, true, [4, 5, 6, 7, 8, 9, 10]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    assertUsable(r);
  });

  it('PQBLE_ERR_FRAME_INCONSISTENT: a later fragment without a first', () => {
    const r = new Reassembler();
    rejects(r, next(4, 1, false, [1]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    rejects(r, next(4, 1, true, [1]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    assertUsable(r);
  });

  it('PQBLE_ERR_FRAME_INCONSISTENT: a first fragment (or single packet) for an id in progress', () => {
    const r = new Reassembler();
    r.push(first(5, 10, [1, 2]));
    r.push(first(6, 10, [1, 2]));
    rejects(r, first(5, 10, [1, 2]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    rejects(r, packet({ start: true, end: true, messageId: 6, sequence: 0 }, [1]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    assert.equal(r.pendingMessages, 0);
    assert.equal(r.pendingBytes, 0);
    assertUsable(r, 5);
  });

  it('PQBLE_ERR_FRAME_INCONSISTENT: payload past the declared total, end too early, total without end', () => {
    const r = new Reassembler();
    r.push(first(1, 5, [1, 2]));
    rejects(r, next(1, 1, true, [3, 4, 5, 6]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    r.push(first(1, 5, [1, 2]));
    rejects(r, next(1, 1, false, [3, 4, 5, 6]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    r.push(first(1, 5, [1, 2]));
    rejects(r, next(1, 1, true, [3, 4]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    r.push(first(1, 5, [1, 2]));
    rejects(r, next(1, 1, false, [3, 4, 5]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    // A first fragment that already holds the whole declared total (or more).
    rejects(r, first(1, 2, [1, 2]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    rejects(r, first(1, 2, [1, 2, 3]), 'PQBLE_ERR_FRAME_INCONSISTENT');
    assert.equal(r.pendingMessages, 0);
    assert.equal(r.pendingBytes, 0);
    assertUsable(r, 1);
  });

  it('PQBLE_ERR_MESSAGE_TOO_LARGE: declared total or single packet over maxMessageBytes', () => {
    const r = new Reassembler({ maxMessageBytes: 1000 });
    rejects(r, first(1, 1001, [1]), 'PQBLE_ERR_MESSAGE_TOO_LARGE');
    rejects(r, first(1, 0xffffffff, [1]), 'PQBLE_ERR_MESSAGE_TOO_LARGE');
    const small = new Reassembler({ maxMessageBytes: 4 });
    rejects(small, packet({ start: true, end: true, messageId: 1, sequence: 0 }, [1, 2, 3, 4, 5]), 'PQBLE_ERR_MESSAGE_TOO_LARGE');
    assert.deepEqual(small.push(packet({ start: true, end: true, messageId: 1, sequence: 0 }, [1, 2, 3, 4])), Uint8Array.of(1, 2, 3, 4));
    assert.equal(r.pendingBytes, 0);
    assertUsable(r);
  });

  it('PQBLE_ERR_REASSEMBLY_LIMIT: too many messages in progress', () => {
    const r = new Reassembler();
    for (let id = 0; id < 4; id++) r.push(first(id, 100, [id]));
    rejects(r, first(4, 100, [4]), 'PQBLE_ERR_REASSEMBLY_LIMIT');
    assert.equal(r.pendingMessages, 4);
    assert.equal(r.pendingBytes, 400);
    // The four in progress still complete; then there is room again.
    for (let id = 0; id < 4; id++) assert.equal(r.push(next(id, 1, true, filler(99)))?.length, 100);
    assertUsable(r);
  });

  it('PQBLE_ERR_REASSEMBLY_LIMIT: too many bytes in progress', () => {
    const r = new Reassembler({ maxMessageBytes: 1000, maxPendingBytes: 1500, maxPendingMessages: 10 });
    r.push(first(1, 1000, [1]));
    rejects(r, first(2, 501, [1]), 'PQBLE_ERR_REASSEMBLY_LIMIT');
    assert.equal(r.pendingBytes, 1000);
    r.push(first(2, 500, [1]));
    assert.equal(r.pendingBytes, 1500);
    assert.equal(r.push(next(1, 1, true, filler(999)))?.length, 1000);
    assert.equal(r.pendingBytes, 500);
    r.reset();
    assertUsable(r);
  });
});

describe('Reassembler: timeout', () => {
  it('drops messages older than timeoutMs, answers their later fragments with PQBLE_ERR_REASSEMBLY_TIMEOUT', () => {
    const clock = new ManualClock();
    const r = new Reassembler({ timeoutMs: 1000, clock });
    const a = fragmentMessage(filler(120, 1), 1, 40); // 4 packets: 34 + 36 + 36 + 14
    const b = fragmentMessage(filler(100, 2), 2, 40);
    r.push(a[0]);
    clock.advance(500);
    r.push(b[0]);
    clock.advance(500);
    assert.equal(r.expire(), 0); // exactly timeoutMs old: kept
    clock.advance(1);
    assert.equal(r.expire(), 1); // a is older than 1000 ms
    assert.equal(r.pendingMessages, 1);
    assert.equal(r.pendingBytes, 100);
    rejects(r, a[1], 'PQBLE_ERR_REASSEMBLY_TIMEOUT');
    rejects(r, a[2], 'PQBLE_ERR_REASSEMBLY_TIMEOUT');
    rejects(r, a[3], 'PQBLE_ERR_REASSEMBLY_TIMEOUT'); // the last one: the id is forgotten
    rejects(r, a[3], 'PQBLE_ERR_FRAME_INCONSISTENT');
    // b is still in progress and completes.
    let out: Uint8Array | undefined;
    for (const p of b.slice(1)) out = r.push(p);
    assert.deepEqual(out, filler(100, 2));
    assertUsable(r, 1);
  });

  it('push() expires stale messages by itself', () => {
    const clock = new ManualClock();
    const r = new Reassembler({ timeoutMs: 50, clock });
    const a = fragmentMessage(filler(100), 7, 40);
    r.push(a[0]);
    clock.advance(51);
    rejects(r, a[1], 'PQBLE_ERR_REASSEMBLY_TIMEOUT');
    assert.equal(r.pendingMessages, 0);
    assert.equal(r.pendingBytes, 0);
    // A new message may reuse the id.
    let out: Uint8Array | undefined;
    for (const p of a) out = r.push(p);
    assert.deepEqual(out, filler(100));
  });

  it('reset() drops everything, including the memory of timed-out ids', () => {
    const clock = new ManualClock();
    const r = new Reassembler({ timeoutMs: 50, clock });
    const a = fragmentMessage(filler(100), 7, 40);
    r.push(a[0]);
    r.push(fragmentMessage(filler(100), 8, 40)[0]);
    clock.advance(51);
    assert.equal(r.expire(), 2);
    r.push(fragmentMessage(filler(100), 9, 40)[0]);
    r.reset();
    assert.equal(r.pendingMessages, 0);
    assert.equal(r.pendingBytes, 0);
    rejects(r, a[1], 'PQBLE_ERR_FRAME_INCONSISTENT');
  });
});

describe('Reassembler: options', () => {
  it('rejects unknown keys and bad values', () => {
    assert.throws(() => new Reassembler({ maxMesageBytes: 10 } as unknown as ReassemblerOptions), TypeError);
    assert.throws(() => new Reassembler({ maxMessageBytes: 0 }), RangeError);
    assert.throws(() => new Reassembler({ maxMessageBytes: 2 ** 30 }), RangeError);
    assert.throws(() => new Reassembler({ maxPendingMessages: 0 }), RangeError);
    assert.throws(() => new Reassembler({ maxPendingMessages: 257 }), RangeError);
    assert.throws(() => new Reassembler({ maxMessageBytes: 1000, maxPendingBytes: 999 }), RangeError);
    assert.throws(() => new Reassembler({ timeoutMs: 0 }), RangeError);
    assert.throws(() => new Reassembler({ timeoutMs: Number.POSITIVE_INFINITY }), TypeError);
    assert.throws(() => new Reassembler({ clock: {} as unknown as ManualClock }), TypeError);
    assert.throws(() => new Reassembler(null as unknown as ReassemblerOptions), TypeError);
    assert.throws(() => new Reassembler().push('x' as unknown as Uint8Array), TypeError);
  });

  it('accepts explicit undefined and grows the default byte budget with maxMessageBytes', () => {
    const r = new Reassembler({ maxMessageBytes: 200_000, timeoutMs: undefined, clock: undefined });
    const message = filler(200_000);
    let out: Uint8Array | undefined;
    for (const p of fragmentMessage(message, 0, 514, 200_000)) out = r.push(p);
    assert.deepEqual(out, message);
  });
});
