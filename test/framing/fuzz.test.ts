// Fuzzing the reassembler (docs/framing.md "Tests"): arbitrary
// packets and packet sequences -> only FramingError is ever thrown and no limit is exceeded.
// Default 2000 runs per property; set PQBLE_FUZZ_RUNS to run more (test/support/fuzz.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FramingError, type PqbleErrorCode } from '../../src/errors.js';
import { Reassembler, decodeFragmentHeader, fragmentMessage } from '../../src/framing/index.js';
import { ManualClock } from './helpers.js';
import { fuzz, fuzzRuns } from '../support/fuzz.js';

const RUNS = fuzzRuns(2000);

const FRAMING_CODES: readonly PqbleErrorCode[] = [
  'PQBLE_ERR_FRAME_MALFORMED',
  'PQBLE_ERR_FRAME_INCONSISTENT',
  'PQBLE_ERR_MESSAGE_TOO_LARGE',
  'PQBLE_ERR_REASSEMBLY_LIMIT',
  'PQBLE_ERR_REASSEMBLY_TIMEOUT',
];

const LIMITS = { maxMessageBytes: 300, maxPendingBytes: 600, maxPendingMessages: 3, timeoutMs: 30 } as const;

type Action =
  | { readonly kind: 'packet'; readonly bytes: Uint8Array }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'expire' }
  | { readonly kind: 'reset' };

/** Packets that look roughly like ours: few ids, small sequences and lengths, any flags sometimes. */
const shapedPacket: fc.Arbitrary<Uint8Array> = fc
  .record({
    flags: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) },
      // compact (version 1) later fragments: 0x40 | seq4 << 2 | END
      { weight: 4, arbitrary: fc.record({ seq: fc.integer({ min: 0, max: 15 }), end: fc.boolean() }).map(({ seq, end }) => 0x40 | (seq << 2) | (end ? 1 : 0)) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
    ),
    id: fc.integer({ min: 0, max: 5 }),
    // A declared total (first fragments) or a sequence number (later ones): mostly plausible.
    field: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) },
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 320 }) },
      { weight: 1, arbitrary: fc.nat() },
    ),
    payload: fc.uint8Array({ maxLength: 100 }),
    cut: fc.nat({ max: 8 }),
  })
  .map(({ flags, id, field, payload, cut }) => {
    const start = (flags & 0x03) === 0x02;
    const single = (flags & 0x03) === 0x03;
    const head = single
      ? [flags, id]
      : start
        ? [flags, id, (field >>> 24) & 0xff, (field >>> 16) & 0xff, (field >>> 8) & 0xff, field & 0xff]
        : [flags, id, (field >>> 8) & 0xff, field & 0xff];
    const out = new Uint8Array(head.length + payload.length);
    out.set(head);
    out.set(payload, head.length);
    // Sometimes truncate inside the header.
    return cut === 0 ? out.subarray(0, Math.min(out.length, head.length - 1)) : out;
  });

/** Well-formed first fragments (so messages pile up and the limits and the timeout get hit). */
const firstFragment: fc.Arbitrary<Uint8Array> = fc
  .record({ id: fc.integer({ min: 0, max: 5 }), total: fc.integer({ min: 2, max: 320 }), payload: fc.integer({ min: 1, max: 8 }) })
  .map(({ id, total, payload }) => {
    const out = new Uint8Array(6 + Math.min(payload, total - 1));
    out.set([0x02, id, 0, 0, total >>> 8, total & 0xff]);
    return out;
  });

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): Action => ({ kind: 'packet', bytes })) },
  { weight: 12, arbitrary: shapedPacket.map((bytes): Action => ({ kind: 'packet', bytes })) },
  { weight: 6, arbitrary: firstFragment.map((bytes): Action => ({ kind: 'packet', bytes })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 80 }).map((ms): Action => ({ kind: 'advance', ms })) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'expire' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'reset' }) },
);

/** Pushes `bytes`; fails the property on anything but a FramingError with a framing code. */
function feed(r: Reassembler, bytes: Uint8Array): Uint8Array | undefined {
  let out: Uint8Array | undefined;
  try {
    out = r.push(bytes);
  } catch (err) {
    assert.ok(err instanceof FramingError, `unexpected ${String(err)}`);
    assert.ok(FRAMING_CODES.includes(err.code), err.code);
    return undefined;
  }
  if (out !== undefined) {
    assert.ok(out instanceof Uint8Array);
    assert.ok(out.length >= 1 && out.length <= LIMITS.maxMessageBytes, `message of ${out.length} bytes`);
    assert.ok(out.buffer !== bytes.buffer, 'a message must not share the packet buffer');
  }
  return out;
}

function checkLimits(r: Reassembler): void {
  assert.ok(r.pendingBytes >= 0 && r.pendingBytes <= LIMITS.maxPendingBytes, `pendingBytes ${r.pendingBytes}`);
  assert.ok(r.pendingMessages >= 0 && r.pendingMessages <= LIMITS.maxPendingMessages, `pendingMessages ${r.pendingMessages}`);
  assert.ok(r.pendingMessages > 0 || r.pendingBytes === 0);
}

describe('framing fuzz', () => {
  it(`decodeFragmentHeader: arbitrary bytes throw only FramingError (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
        try {
          const { payloadOffset } = decodeFragmentHeader(bytes);
          assert.ok(payloadOffset <= bytes.length);
        } catch (err) {
          assert.ok(err instanceof FramingError && err.code === 'PQBLE_ERR_FRAME_MALFORMED');
        }
      }),
      fuzz(2000),
    );
  });

  it(`Reassembler.push: arbitrary packet sequences throw only FramingError, limits hold (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        const clock = new ManualClock();
        const r = new Reassembler({ ...LIMITS, clock });
        for (const a of actions) {
          if (a.kind === 'packet') feed(r, a.bytes);
          else if (a.kind === 'advance') clock.advance(a.ms);
          else if (a.kind === 'expire') assert.ok(r.expire() >= 0);
          else r.reset();
          checkLimits(r);
        }
      }),
      fuzz(2000),
    );
  });

  it(`Reassembler.push: valid streams with dropped, repeated and corrupted packets (${RUNS} runs)`, () => {
    const stream = fc
      .record({
        messages: fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 5 }),
        maxPacketBytes: fc.integer({ min: 20, max: 80 }),
        continuation: fc.constantFrom('compact' as const, 'sequence16' as const),
      })
      .map(({ messages, maxPacketBytes, continuation }) =>
        messages.flatMap((length, i) => fragmentMessage(new Uint8Array(length).fill(i + 1), i & 3, maxPacketBytes, { maxMessageBytes: 400, continuation })),
      );
    const edit = fc.record({
      at: fc.nat(),
      op: fc.constantFrom('drop', 'repeat', 'flip', 'truncate'),
      byte: fc.nat(),
      mask: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(stream, fc.array(edit, { maxLength: 4 }), (packets, edits) => {
        const list = packets.map((p) => p.slice());
        for (const e of edits) {
          if (list.length === 0) break;
          const i = e.at % list.length;
          const p = list[i];
          if (e.op === 'drop') list.splice(i, 1);
          else if (e.op === 'repeat') list.splice(i, 0, p.slice());
          else if (e.op === 'flip') p[e.byte % p.length] ^= e.mask;
          else list[i] = p.subarray(0, e.byte % p.length);
        }
        const r = new Reassembler({ ...LIMITS, clock: new ManualClock() });
        for (const p of list) {
          feed(r, p);
          checkLimits(r);
        }
      }),
      fuzz(2000),
    );
  });

  it(`Reassembler.push: dropped or repeated fragments of compact streams never yield a wrong message (${RUNS} runs)`, () => {
    const input = fc.record({
      messages: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }),
      maxPacketBytes: fc.integer({ min: 20, max: 60 }),
      edits: fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('drop', 'repeat') }), { minLength: 1, maxLength: 3 }),
    });
    fc.assert(
      fc.property(input, ({ messages, maxPacketBytes, edits }) => {
        // Byte 0 names the message; the rest differ per position, so a fragment in the wrong
        // place (not just a wrong length) changes the bytes that come out.
        const originals = messages.map((length, i) => Uint8Array.from({ length }, (_, k) => (k === 0 ? i + 1 : (k * 37 + i * 101 + 1) & 0xff)));
        const list = originals.flatMap((m, i) => fragmentMessage(m, i & 3, maxPacketBytes, { maxMessageBytes: 300 }));
        for (const e of edits) {
          const i = e.at % list.length;
          if (e.op === 'drop') list.splice(i, 1);
          else list.splice(i, 0, list[i].slice());
          if (list.length === 0) return;
        }
        const r = new Reassembler({ ...LIMITS, clock: new ManualClock() });
        for (const p of list) {
          const out = feed(r, p);
          if (out === undefined) continue;
          // Whatever comes out is one of the messages sent, whole.
          const index = out[0] - 1;
          assert.ok(index >= 0 && index < originals.length, 'unknown message');
          assert.deepEqual(out, originals[index]);
        }
      }),
      fuzz(2000),
    );
  });
});
