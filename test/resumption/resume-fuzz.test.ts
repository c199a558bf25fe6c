// Fuzzing of every resumption version 2 decoder and reader with arbitrary bytes
// (docs/resumption.md "Errors"): nothing but a coded ResumptionError may come out, and no
// arbitrary input is ever accepted. PQBLE_FUZZ_RUNS raises the number of runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HandshakeError, ResumptionError, type PqbleErrorCode } from '../../src/errors.js';
import {
  ResumeInitiator,
  acceptResumeV2,
  decodeResumeFinished,
  decodeResumeReject,
  decodeResumeRequestV2,
  deriveDirectionSecret,
  type ResumeMode,
} from '../../src/resumption/index.js';
import { fuzz } from '../support/fuzz.js';

const FP_I = new Uint8Array(32).fill(1);
const FP_R = new Uint8Array(32).fill(2);
const RS = deriveDirectionSecret(new Uint8Array(32).fill(3), FP_I, FP_R);
const ALLOWED: readonly PqbleErrorCode[] = ['PQBLE_ERR_RESUME_MALFORMED', 'PQBLE_ERR_RESUME_AUTH_FAILED', 'PQBLE_ERR_PROTOCOL_VERSION'];

/** Runs `fn`; returns 'ok' or the code of a coded error; any other throw fails the property. */
function outcome(fn: () => unknown): 'ok' | PqbleErrorCode {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof ResumptionError || err instanceof HandshakeError) || !ALLOWED.includes(err.code))
      throw new Error(`uncoded or unexpected error: ${String(err)}`, { cause: err });
    return err.code;
  }
}

/** Arbitrary bytes, biased towards the shapes of real messages (type bytes, version, mode, lengths). */
const messages = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  fc.tuple(fc.constantFrom(0x10, 0x11, 0x12, 0x13), fc.uint8Array({ maxLength: 100 })).map(([t, rest]) => Uint8Array.of(t, ...rest)),
  fc
    .tuple(fc.constantFrom(0x00, 0x01, 0x02, 0x07), fc.constantFrom(48, 80, 47, 81), fc.integer({ min: 0, max: 255 }))
    .chain(([mode, len, fill]) =>
      fc.uint8Array({ minLength: len, maxLength: len }).map((rest) => Uint8Array.of(0x10, 0x02, mode, ...rest.map((b) => b ^ fill))),
    ),
  fc
    .constantFrom(32, 64, 8, 1)
    .chain((len) => fc.uint8Array({ minLength: len, maxLength: len }).map((rest) => Uint8Array.of(len === 8 ? 0x13 : len === 1 ? 0x12 : 0x11, ...rest))),
);

describe('resumption v2 decoders under fuzzing', () => {
  it('decodeResumeRequestV2, decodeResumeFinished, decodeResumeReject: only coded errors', () => {
    fc.assert(
      fc.property(messages, (m) => {
        outcome(() => decodeResumeRequestV2(m));
        outcome(() => decodeResumeFinished(m));
        outcome(() => decodeResumeReject(m));
      }),
      fuzz(500),
    );
  });

  it('acceptResumeV2 never accepts arbitrary bytes and throws only coded errors', () => {
    fc.assert(
      fc.property(messages, (m) => {
        assert.notEqual(
          outcome(() => acceptResumeV2({ secret: RS, initiatorFingerprint: FP_I, responderFingerprint: FP_R, request: m })),
          'ok',
        );
      }),
      fuzz(500),
    );
  });

  for (const mode of ['psk', 'psk-dhe'] as const satisfies readonly ResumeMode[]) {
    it(`${mode}: ResumeInitiator.readReply never accepts arbitrary bytes (a reject aside) and throws only coded errors`, () => {
      fc.assert(
        fc.property(messages, (m) => {
          const i = new ResumeInitiator({ secret: RS, initiatorFingerprint: FP_I, responderFingerprint: FP_R, mode });
          i.request();
          const result = outcome(() => i.readReply(m));
          if (result === 'ok') assert.equal(i.state, 'rejected');
          else assert.equal(i.state, 'failed');
        }),
        fuzz(500, mode === 'psk' ? 1 : 1 / 4),
      );
    });

    it(`${mode}: ResumeFinishedCheck.verify never accepts arbitrary bytes`, () => {
      const request = new ResumeInitiator({ secret: RS, initiatorFingerprint: FP_I, responderFingerprint: FP_R, mode }).request();
      fc.assert(
        fc.property(messages, (m) => {
          const { finished } = acceptResumeV2({ secret: RS, initiatorFingerprint: FP_I, responderFingerprint: FP_R, request });
          assert.notEqual(
            outcome(() => finished.verify(m)),
            'ok',
          );
          assert.equal(finished.state, 'failed');
        }),
        fuzz(500, mode === 'psk' ? 1 : 1 / 4),
      );
    });
  }
});
