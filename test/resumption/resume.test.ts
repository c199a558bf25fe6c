// Tests of resumption version 2 (src/resumption/resume.ts, docs/resumption.md): round trips
// in both modes, every tampered byte, reflection and crossed directions, identity binding,
// versions and modes, replays, low-order X25519 keys, state machines, input checks, caller
// buffers and wiping. Known answers live in test/vectors (vectors.test.ts); fuzzing of the
// decoders in resume-fuzz.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nobleCrypto, type CryptoProvider } from '../../src/crypto/index.js';
import { ERROR_CLASS_OF_CODE, HandshakeError, ResumptionError, type PqbleErrorCode } from '../../src/errors.js';
import { RecordOpener, RecordSealer } from '../../src/record/index.js';
import {
  RESUME_FINISHED_BYTES,
  RESUME_V2_MESSAGE_BYTES,
  ResumeInitiator,
  acceptResumeV2,
  decodeResumeFinished,
  decodeResumeRequestV2,
  deriveDirectionSecret,
  deriveDirectionSecrets,
  deriveResumeTicketId,
  encodeResumeReject,
  type ResumeMode,
} from '../../src/resumption/index.js';
import { binderFor, resumeContext } from '../../src/resumption/resume-schedule.js';
import { MessageType } from '../../src/wire.js';
import { fuzz } from '../support/fuzz.js';

const MODES: readonly ResumeMode[] = ['psk', 'psk-dhe'];

const bytes = (n: number, start: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const RMS = bytes(32, 0x00);
const FP_A = bytes(32, 0x20);
const FP_B = bytes(32, 0x40);
const FP_C = bytes(32, 0x60);

/** A random source that replays `seed`-derived bytes: the same seed, the same draws. */
function fixedRandom(seed: number): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = nobleCrypto.sha256(Uint8Array.of(seed & 0xff, seed >>> 8, counter++));
    return out.slice(0, n);
  };
}

function throwsCode(fn: () => unknown, ...codes: PqbleErrorCode[]): void {
  assert.throws(fn, (err: unknown) => {
    // The class that owns the code: ResumptionError, or HandshakeError for PQBLE_ERR_PROTOCOL_VERSION.
    assert.ok(err instanceof ResumptionError || err instanceof HandshakeError, `expected a ResumptionError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `expected ${codes.join(' or ')}, got ${err.code}`);
    assert.equal(err.name, ERROR_CLASS_OF_CODE[err.code]);
    return true;
  });
}

interface Run {
  request: Uint8Array;
  accept: Uint8Array;
  finished: Uint8Array;
  initiator: { sendKey: Uint8Array; receiveKey: Uint8Array; nextSecret: Uint8Array; sessionId: Uint8Array };
  responder: { sendKey: Uint8Array; receiveKey: Uint8Array; nextSecret: Uint8Array; sessionId: Uint8Array };
}

/** One whole resumption A -> B (or as given), deterministic for given seeds. */
function run(
  mode: ResumeMode,
  options: { rs?: Uint8Array; fpI?: Uint8Array; fpR?: Uint8Array; iSeed?: number; rSeed?: number; crypto?: CryptoProvider } = {},
): Run {
  const fpI = options.fpI ?? FP_A;
  const fpR = options.fpR ?? FP_B;
  const rs = options.rs ?? deriveDirectionSecret(RMS, fpI, fpR);
  const crypto = options.crypto ?? nobleCrypto;
  const initiator = new ResumeInitiator({
    secret: rs,
    initiatorFingerprint: fpI,
    responderFingerprint: fpR,
    mode,
    crypto,
    random: fixedRandom(options.iSeed ?? 1),
  });
  const request = initiator.request();
  const accepted = acceptResumeV2({
    secret: rs,
    initiatorFingerprint: fpI,
    responderFingerprint: fpR,
    request,
    crypto,
    random: fixedRandom(options.rSeed ?? 2),
  });
  assert.equal(accepted.mode, mode);
  const reply = initiator.readReply(accepted.message);
  assert.equal(reply.kind, 'accept');
  if (reply.kind !== 'accept') throw new Error('unreachable');
  assert.equal(initiator.state, 'accepted');
  accepted.finished.verify(reply.finished);
  assert.equal(accepted.finished.state, 'verified');
  return { request, accept: accepted.message, finished: reply.finished, initiator: reply.keys, responder: accepted.keys };
}

function flipBit(message: Uint8Array, bit: number): Uint8Array {
  const copy = message.slice();
  copy[bit >> 3] ^= 1 << (bit & 7);
  return copy;
}

describe('resumption v2: round trips', () => {
  for (const mode of MODES) {
    it(`${mode}: both sides derive the same keys, the finished verifies, records flow both ways (property)`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          (rms, fpI, fpR) => {
            fc.pre(Buffer.compare(fpI, fpR) !== 0);
            const rs = deriveDirectionSecret(rms, fpI, fpR);
            const initiator = new ResumeInitiator({ secret: rs, initiatorFingerprint: fpI, responderFingerprint: fpR, mode });
            const request = initiator.request();
            assert.equal(request.length, RESUME_V2_MESSAGE_BYTES[mode].request);
            const decoded = decodeResumeRequestV2(request);
            assert.equal(decoded.mode, mode);
            assert.deepEqual(decoded.ticketId, deriveResumeTicketId(rs, fpI, fpR));
            const accepted = acceptResumeV2({ secret: rs, initiatorFingerprint: fpI, responderFingerprint: fpR, request });
            assert.equal(accepted.message.length, RESUME_V2_MESSAGE_BYTES[mode].accept);
            const reply = initiator.readReply(accepted.message);
            if (reply.kind !== 'accept') throw new Error('expected an accept');
            assert.equal(reply.finished.length, RESUME_FINISHED_BYTES);
            accepted.finished.verify(reply.finished);
            assert.deepEqual(reply.keys.sendKey, accepted.keys.receiveKey);
            assert.deepEqual(reply.keys.receiveKey, accepted.keys.sendKey);
            assert.notDeepEqual(reply.keys.sendKey, reply.keys.receiveKey);
            assert.deepEqual(reply.keys.nextSecret, accepted.keys.nextSecret);
            assert.deepEqual(reply.keys.sessionId, accepted.keys.sessionId);
            assert.notDeepEqual(reply.keys.nextSecret, rs);
            const up = new RecordOpener(accepted.keys.receiveKey).open(new RecordSealer(reply.keys.sendKey).seal(Uint8Array.of(1, 2)));
            const down = new RecordOpener(reply.keys.receiveKey).open(new RecordSealer(accepted.keys.sendKey).seal(Uint8Array.of(3)));
            assert.deepEqual([...up.content, ...down.content], [1, 2, 3]);
          },
        ),
        fuzz(60, mode === 'psk' ? 1 : 1 / 3),
      );
    });

    it(`${mode}: sizes are ${RESUME_V2_MESSAGE_BYTES[mode].request} + ${RESUME_V2_MESSAGE_BYTES[mode].accept} + 9 bytes`, () => {
      const r = run(mode);
      assert.deepEqual([r.request.length, r.accept.length, r.finished.length], mode === 'psk' ? [51, 33, 9] : [83, 65, 9]);
      assert.deepEqual([r.request[0], r.request[1], r.request[2], r.accept[0], r.finished[0]], [0x10, 0x02, mode === 'psk' ? 0 : 1, 0x11, 0x13]);
    });

    it(`${mode}: every attempt gets fresh keys (both nonces enter), the ratchet moves on and chains`, () => {
      const a = run(mode, { iSeed: 1, rSeed: 2 });
      const b = run(mode, { iSeed: 1, rSeed: 3 });
      const c = run(mode, { iSeed: 4, rSeed: 2 });
      for (const k of ['sendKey', 'receiveKey', 'nextSecret', 'sessionId'] as const) {
        assert.notDeepEqual(a.initiator[k], b.initiator[k]);
        assert.notDeepEqual(a.initiator[k], c.initiator[k]);
      }
      const next = run(mode, { rs: a.initiator.nextSecret });
      assert.notDeepEqual(next.request.subarray(3, 19), a.request.subarray(3, 19), 'a new ticket id after the ratchet');
      assert.deepEqual(next.request.subarray(3, 19), deriveResumeTicketId(a.initiator.nextSecret, FP_A, FP_B));
    });
  }

  it('psk-dhe keys depend on the X25519 exchange: the same nonces with other ephemeral keys give other keys', () => {
    // Same Ni/Nr draws (the first 16 bytes of each stream), other X25519 secrets.
    const base = fixedRandom(1);
    const ni = base(16);
    let calls = 0;
    const iRandom = (n: number): Uint8Array => (calls++ === 0 ? ni.slice() : nobleCrypto.sha256(Uint8Array.of(99, calls)).slice(0, n));
    const rs = deriveDirectionSecret(RMS, FP_A, FP_B);
    const i1 = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode: 'psk-dhe', random: fixedRandom(1) });
    const i2 = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode: 'psk-dhe', random: iRandom });
    const r1 = i1.request();
    const r2 = i2.request();
    assert.deepEqual(r1.subarray(19, 35), r2.subarray(19, 35), 'same Ni');
    assert.notDeepEqual(r1.subarray(35, 67), r2.subarray(35, 67), 'other ei');
    const a1 = acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: r1, random: fixedRandom(2) });
    const a2 = acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: r2, random: fixedRandom(2) });
    assert.notDeepEqual(a1.keys.sendKey, a2.keys.sendKey);
    assert.notDeepEqual(a1.keys.nextSecret, a2.keys.nextSecret);
  });
});

describe('resumption v2: every tampered bit fails with the right code', () => {
  for (const mode of MODES) {
    it(`${mode}: request`, () => {
      const rs = deriveDirectionSecret(RMS, FP_A, FP_B);
      const request = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode, random: fixedRandom(1) }).request();
      for (let bit = 0; bit < request.length * 8; bit++) {
        const at = bit >> 3;
        const expected: PqbleErrorCode =
          at === 0 || at === 2 ? 'PQBLE_ERR_RESUME_MALFORMED' : at === 1 ? 'PQBLE_ERR_PROTOCOL_VERSION' : 'PQBLE_ERR_RESUME_AUTH_FAILED';
        throwsCode(() => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: flipBit(request, bit) }), expected);
      }
      throwsCode(
        () => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: request.subarray(0, request.length - 1) }),
        'PQBLE_ERR_RESUME_MALFORMED',
      );
      throwsCode(
        () => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: Uint8Array.of(...request, 0) }),
        'PQBLE_ERR_RESUME_MALFORMED',
      );
    });

    it(`${mode}: accept`, () => {
      const rs = deriveDirectionSecret(RMS, FP_A, FP_B);
      const fresh = (): ResumeInitiator => {
        const i = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode, random: fixedRandom(1) });
        i.request();
        return i;
      };
      const request = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode, random: fixedRandom(1) }).request();
      const accept = acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request, random: fixedRandom(2) }).message;
      for (let bit = 0; bit < accept.length * 8; bit++) {
        const i = fresh();
        throwsCode(() => i.readReply(flipBit(accept, bit)), bit < 8 ? 'PQBLE_ERR_RESUME_MALFORMED' : 'PQBLE_ERR_RESUME_AUTH_FAILED');
        assert.equal(i.state, 'failed');
      }
      throwsCode(() => fresh().readReply(accept.subarray(0, accept.length - 1)), 'PQBLE_ERR_RESUME_MALFORMED');
      throwsCode(() => fresh().readReply(Uint8Array.of(...accept, 0)), 'PQBLE_ERR_RESUME_MALFORMED');
      const other = mode === 'psk' ? 'psk-dhe' : 'psk';
      const otherAccept = run(other).accept;
      throwsCode(() => fresh().readReply(otherAccept), 'PQBLE_ERR_RESUME_MALFORMED');
      const reply = fresh().readReply(accept);
      assert.equal(reply.kind, 'accept', 'the untampered accept still verifies');
    });

    it(`${mode}: finished`, () => {
      const rs = deriveDirectionSecret(RMS, FP_A, FP_B);
      const request = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode, random: fixedRandom(1) }).request();
      const check = () => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request, random: fixedRandom(2) }).finished;
      const finished = run(mode).finished;
      for (let bit = 0; bit < finished.length * 8; bit++) {
        const c = check();
        throwsCode(() => c.verify(flipBit(finished, bit)), bit < 8 ? 'PQBLE_ERR_RESUME_MALFORMED' : 'PQBLE_ERR_RESUME_AUTH_FAILED');
        assert.equal(c.state, 'failed');
        throwsCode(() => c.verify(finished), 'PQBLE_ERR_RESUME_UNEXPECTED'); // one try per link
      }
      throwsCode(() => check().verify(finished.subarray(0, 8)), 'PQBLE_ERR_RESUME_MALFORMED');
      throwsCode(() => check().verify(Uint8Array.of(...finished, 0)), 'PQBLE_ERR_RESUME_MALFORMED');
      check().verify(finished); // the untampered one verifies
    });
  }
});

describe('resumption v2: roles, directions and identities are bound', () => {
  for (const mode of MODES) {
    it(`${mode}: reflection: A's own request never verifies on A's responder side (rs(B->A), roles swapped)`, () => {
      const outboundA = deriveDirectionSecret(RMS, FP_A, FP_B); // A -> B
      const inboundA = deriveDirectionSecret(RMS, FP_B, FP_A); // B -> A
      assert.notDeepEqual(outboundA, inboundA);
      const request = new ResumeInitiator({ secret: outboundA, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode }).request();
      const ticketId = decodeResumeRequestV2(request).ticketId;
      // A, as a responder, indexes its inbound secret under this ticket id: the lookup misses ...
      assert.notDeepEqual(ticketId, deriveResumeTicketId(inboundA, FP_B, FP_A));
      // ... and even a responder that tried its inbound secret anyway refuses it.
      throwsCode(() => acceptResumeV2({ secret: inboundA, initiatorFingerprint: FP_B, responderFingerprint: FP_A, request }), 'PQBLE_ERR_RESUME_AUTH_FAILED');
      // The outbound secret with the roles swapped (a confused store) fails as well.
      throwsCode(() => acceptResumeV2({ secret: outboundA, initiatorFingerprint: FP_B, responderFingerprint: FP_A, request }), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    });

    it(`${mode}: crossed connections A->B and B->A use independent secrets and ratchet independently`, () => {
      const ab = run(mode, { fpI: FP_A, fpR: FP_B, rs: deriveDirectionSecret(RMS, FP_A, FP_B) });
      const ba = run(mode, { fpI: FP_B, fpR: FP_A, rs: deriveDirectionSecret(RMS, FP_B, FP_A) });
      assert.notDeepEqual(ab.request.subarray(3, 19), ba.request.subarray(3, 19));
      assert.notDeepEqual(ab.initiator.nextSecret, ba.initiator.nextSecret);
      assert.notDeepEqual(ab.initiator.sendKey, ba.initiator.sendKey);
      // After both ratchet, each direction resumes again from its own next secret.
      run(mode, { fpI: FP_A, fpR: FP_B, rs: ab.initiator.nextSecret });
      run(mode, { fpI: FP_B, fpR: FP_A, rs: ba.responder.nextSecret });
    });

    it(`${mode}: other fingerprints on either side fail (identities bound into ticket and binder)`, () => {
      const rs = deriveDirectionSecret(RMS, FP_A, FP_B);
      const request = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode }).request();
      throwsCode(() => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_C, responderFingerprint: FP_B, request }), 'PQBLE_ERR_RESUME_AUTH_FAILED');
      throwsCode(() => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_C, request }), 'PQBLE_ERR_RESUME_AUTH_FAILED');
      assert.notDeepEqual(deriveDirectionSecret(RMS, FP_A, FP_C), rs);
      assert.notDeepEqual(deriveResumeTicketId(rs, FP_C, FP_B), deriveResumeTicketId(rs, FP_A, FP_B));
      // An initiator that believes it talks to C cannot complete with B's accept.
      const toC = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_C, mode, random: fixedRandom(1) });
      toC.request();
      const i = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode, random: fixedRandom(1) });
      const accept = acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: i.request() }).message;
      throwsCode(() => toC.readReply(accept), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    });

    it(`${mode}: another secret fails`, () => {
      const rs = deriveDirectionSecret(RMS, FP_A, FP_B);
      const request = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode }).request();
      const other = deriveDirectionSecret(bytes(32, 0x99), FP_A, FP_B);
      throwsCode(() => acceptResumeV2({ secret: other, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request }), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    });
  }

  it('deriveDirectionSecrets gives each side the mirror image of the other', () => {
    const a = deriveDirectionSecrets(RMS, FP_A, FP_B);
    const b = deriveDirectionSecrets(RMS, FP_B, FP_A);
    assert.deepEqual(a.outbound, b.inbound);
    assert.deepEqual(a.inbound, b.outbound);
    assert.deepEqual(a.outbound, deriveDirectionSecret(RMS, FP_A, FP_B));
    assert.notDeepEqual(a.outbound, a.inbound);
    assert.throws(() => deriveDirectionSecrets(RMS, FP_A, FP_A), RangeError);
  });

  it('equal fingerprints are refused (no direction separation without two identities)', () => {
    assert.throws(() => deriveDirectionSecret(RMS, FP_A, FP_A.slice()), RangeError);
    assert.throws(() => deriveResumeTicketId(RMS, FP_A, FP_A.slice()), RangeError);
    assert.throws(() => new ResumeInitiator({ secret: RMS, initiatorFingerprint: FP_A, responderFingerprint: FP_A, mode: 'psk' }), RangeError);
    assert.throws(() => acceptResumeV2({ secret: RMS, initiatorFingerprint: FP_B, responderFingerprint: FP_B, request: new Uint8Array(51) }), RangeError);
  });
});

describe('resumption v2: versions, modes, downgrades, replays', () => {
  const rs = deriveDirectionSecret(RMS, FP_A, FP_B);

  it('a request of another version is PROTOCOL_VERSION (answer "unsupported"), whatever its length', () => {
    for (const version of [0x00, 0x01, 0x03, 0xff]) {
      for (const length of [2, 3, 50, 51, 83, 100]) {
        const m = new Uint8Array(length);
        m[0] = MessageType.ResumeRequest;
        m[1] = version;
        throwsCode(() => decodeResumeRequestV2(m), 'PQBLE_ERR_PROTOCOL_VERSION');
        throwsCode(() => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: m }), 'PQBLE_ERR_PROTOCOL_VERSION');
      }
    }
  });

  it('an unknown mode byte, a missing mode or a length that does not fit the mode is MALFORMED', () => {
    const psk = run('psk').request;
    const dhe = run('psk-dhe').request;
    throwsCode(() => decodeResumeRequestV2(Uint8Array.of(0x10, 0x02)), 'PQBLE_ERR_RESUME_MALFORMED');
    for (const mode of [0x02, 0x10, 0xff]) {
      const m = psk.slice();
      m[2] = mode;
      throwsCode(() => decodeResumeRequestV2(m), 'PQBLE_ERR_RESUME_MALFORMED');
    }
    throwsCode(() => decodeResumeRequestV2(Uint8Array.of(...psk.subarray(0, 2), 0x01, ...psk.subarray(3))), 'PQBLE_ERR_RESUME_MALFORMED');
    throwsCode(() => decodeResumeRequestV2(Uint8Array.of(...dhe.subarray(0, 2), 0x00, ...dhe.subarray(3))), 'PQBLE_ERR_RESUME_MALFORMED');
    throwsCode(() => decodeResumeRequestV2(Uint8Array.of(0x11, 0x02, 0x00)), 'PQBLE_ERR_RESUME_MALFORMED');
    throwsCode(() => decodeResumeRequestV2(new Uint8Array(0)), 'PQBLE_ERR_RESUME_MALFORMED');
  });

  it('decodeResumeRequestV2 returns copies of every field', () => {
    const request = run('psk-dhe').request;
    const d = decodeResumeRequestV2(request);
    assert.equal(d.version, 2);
    assert.equal(d.mode, 'psk-dhe');
    assert.deepEqual(d.ticketId, request.subarray(3, 19));
    assert.deepEqual(d.initiatorNonce, request.subarray(19, 35));
    assert.deepEqual(d.initiatorEphemeral, request.subarray(35, 67));
    assert.deepEqual(d.binder, request.subarray(67, 83));
    d.ticketId.fill(0);
    assert.notDeepEqual(request.subarray(3, 19), new Uint8Array(16));
    assert.equal(decodeResumeRequestV2(run('psk').request).initiatorEphemeral, undefined);
  });

  it('downgrade: a psk-dhe request rewritten to psk (ei stripped, binder kept) fails the binder', () => {
    const dhe = run('psk-dhe').request;
    const downgraded = Uint8Array.of(0x10, 0x02, 0x00, ...dhe.subarray(3, 35), ...dhe.subarray(67));
    assert.equal(downgraded.length, 51);
    throwsCode(
      () => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: downgraded }),
      'PQBLE_ERR_RESUME_AUTH_FAILED',
    );
  });

  for (const mode of MODES) {
    it(`${mode}: a replayed request gets another accept, but the old finished does not verify for it`, () => {
      const first = run(mode, { rSeed: 2 });
      const replay = acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: first.request, random: fixedRandom(7) });
      assert.notDeepEqual(replay.message, first.accept);
      assert.notDeepEqual(replay.keys.sendKey, first.responder.sendKey);
      throwsCode(() => replay.finished.verify(first.finished), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    });

    it(`${mode}: an old accept replayed to a later attempt does not verify (fresh Ni)`, () => {
      const old = run(mode, { iSeed: 1 });
      const later = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode, random: fixedRandom(5) });
      later.request();
      throwsCode(() => later.readReply(old.accept), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    });

    it(`${mode}: after the ratchet the old request fails (unknown ticket id, and a bad binder for the new secret)`, () => {
      const first = run(mode);
      assert.notDeepEqual(first.request.subarray(3, 19), deriveResumeTicketId(first.responder.nextSecret, FP_A, FP_B));
      throwsCode(
        () => acceptResumeV2({ secret: first.responder.nextSecret, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: first.request }),
        'PQBLE_ERR_RESUME_AUTH_FAILED',
      );
    });
  }

  it('psk-dhe: a low-order or zero X25519 key with a valid binder fails AUTH_FAILED on the responder', () => {
    const ctx = resumeContext(FP_A, FP_B);
    const good = decodeResumeRequestV2(run('psk-dhe').request);
    const lowOrder = [
      new Uint8Array(32),
      Uint8Array.of(1, ...new Uint8Array(31)),
      Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')),
    ];
    for (const ei of lowOrder) {
      const body = Uint8Array.of(0x10, 0x02, 0x01, ...good.ticketId, ...good.initiatorNonce, ...ei);
      const request = Uint8Array.of(...body, ...binderFor(rs, ctx, body, 16, nobleCrypto));
      throwsCode(() => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request }), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    }
  });

  it('psk-dhe: a zero X25519 key in an accept fails AUTH_FAILED on the initiator', () => {
    const accept = run('psk-dhe').accept.slice();
    accept.fill(0, 17, 49);
    const i = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode: 'psk-dhe' });
    i.request();
    throwsCode(() => i.readReply(accept), 'PQBLE_ERR_RESUME_AUTH_FAILED');
  });

  it('psk-dhe: a provider returning an all-zero shared secret (instead of throwing) fails AUTH_FAILED', () => {
    const zeroDh: CryptoProvider = { ...nobleCrypto, x25519: () => new Uint8Array(32) };
    const request = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode: 'psk-dhe', crypto: zeroDh }).request();
    throwsCode(
      () => acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request, crypto: zeroDh }),
      'PQBLE_ERR_RESUME_AUTH_FAILED',
    );
  });
});

describe('resumption v2: state machines', () => {
  const rs = deriveDirectionSecret(RMS, FP_A, FP_B);
  const make = (mode: ResumeMode = 'psk'): ResumeInitiator => new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode });

  it('a reject yields its reason and ends the initiator; every reason byte decodes', () => {
    for (const reason of ['unknown-ticket', 'expired', 'rate-limited', 'malformed', 'unsupported'] as const) {
      const i = make();
      i.request();
      assert.deepEqual(i.readReply(encodeResumeReject(reason)), { kind: 'reject', reason });
      assert.equal(i.state, 'rejected');
      throwsCode(() => i.readReply(encodeResumeReject(reason)), 'PQBLE_ERR_RESUME_UNEXPECTED');
    }
    for (const bad of [Uint8Array.of(0x12, 0x00), Uint8Array.of(0x12, 0x06), Uint8Array.of(0x12), Uint8Array.of(0x12, 0x01, 0x00)]) {
      const i = make();
      i.request();
      throwsCode(() => i.readReply(bad), 'PQBLE_ERR_RESUME_MALFORMED');
    }
  });

  it('wrong-state calls are UNEXPECTED and kill the state machine', () => {
    const i = make();
    throwsCode(() => i.readReply(new Uint8Array(33)), 'PQBLE_ERR_RESUME_UNEXPECTED');
    assert.equal(i.state, 'failed');
    throwsCode(() => i.request(), 'PQBLE_ERR_RESUME_UNEXPECTED');
    const j = make();
    j.request();
    throwsCode(() => j.request(), 'PQBLE_ERR_RESUME_UNEXPECTED');
    const k = make();
    const request = k.request();
    k.destroy();
    assert.equal(k.state, 'failed');
    const accepted = acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request });
    throwsCode(() => k.readReply(accepted.message), 'PQBLE_ERR_RESUME_UNEXPECTED');
    accepted.finished.destroy();
    assert.equal(accepted.finished.state, 'failed');
    throwsCode(() => accepted.finished.verify(new Uint8Array(9)), 'PQBLE_ERR_RESUME_UNEXPECTED');
  });

  it('a verified finished cannot be verified again', () => {
    const rsx = deriveDirectionSecret(RMS, FP_A, FP_B);
    const i = new ResumeInitiator({ secret: rsx, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode: 'psk' });
    const accepted = acceptResumeV2({ secret: rsx, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: i.request() });
    const reply = i.readReply(accepted.message);
    if (reply.kind !== 'accept') throw new Error('expected an accept');
    accepted.finished.verify(reply.finished);
    throwsCode(() => accepted.finished.verify(reply.finished), 'PQBLE_ERR_RESUME_UNEXPECTED');
    throwsCode(() => i.readReply(accepted.message), 'PQBLE_ERR_RESUME_UNEXPECTED');
  });

  it('decodeResumeFinished takes 0x13 + 8 bytes only', () => {
    assert.deepEqual(decodeResumeFinished(Uint8Array.of(0x13, 1, 2, 3, 4, 5, 6, 7, 8)), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    for (const bad of [Uint8Array.of(0x13), new Uint8Array(9), Uint8Array.of(0x13, ...new Uint8Array(9))])
      throwsCode(() => decodeResumeFinished(bad), 'PQBLE_ERR_RESUME_MALFORMED');
  });
});

describe('resumption v2: input checks, caller buffers, wiping', () => {
  const rs = deriveDirectionSecret(RMS, FP_A, FP_B);

  it('labelled TypeError / RangeError for bad options, unknown keys and bad random sources', () => {
    const ok = { secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode: 'psk' as const };
    assert.throws(() => new ResumeInitiator(null as never), TypeError);
    assert.throws(() => new ResumeInitiator({ ...ok, extra: 1 } as never), /unknown option "extra"/);
    assert.throws(() => new ResumeInitiator({ ...ok, secret: new Uint8Array(31) }), RangeError);
    assert.throws(() => new ResumeInitiator({ ...ok, secret: 'x' as never }), TypeError);
    assert.throws(() => new ResumeInitiator({ ...ok, initiatorFingerprint: new Uint8Array(16) }), RangeError);
    assert.throws(() => new ResumeInitiator({ ...ok, mode: 'dhe' as never }), TypeError);
    assert.throws(() => new ResumeInitiator({ ...ok, random: 5 as never }), TypeError);
    assert.throws(() => new ResumeInitiator({ ...ok, crypto: {} as never }), TypeError);
    assert.throws(() => new ResumeInitiator({ ...ok, random: () => new Uint8Array(15) }).request(), RangeError);
    const request = new ResumeInitiator(ok).request();
    const acc = { secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request };
    assert.throws(() => acceptResumeV2(undefined as never), TypeError);
    assert.throws(() => acceptResumeV2({ ...acc, mode: 'psk' } as never), /unknown option "mode"/);
    assert.throws(() => acceptResumeV2({ ...acc, request: [1, 2] as never }), TypeError);
    assert.throws(() => acceptResumeV2({ ...acc, secret: new Uint8Array(33) }), RangeError);
    assert.throws(() => acceptResumeV2({ ...acc, random: () => new Uint8Array(17) }), RangeError);
    assert.throws(() => deriveDirectionSecret(new Uint8Array(16), FP_A, FP_B), RangeError);
    assert.throws(() => deriveResumeTicketId(rs, FP_A, 'b' as never), TypeError);
    assert.throws(() => decodeResumeRequestV2('x' as never), TypeError);
  });

  for (const mode of MODES) {
    it(`${mode}: caller buffers are never modified`, () => {
      const secret = rs.slice();
      const fpI = FP_A.slice();
      const fpR = FP_B.slice();
      const i = new ResumeInitiator({ secret, initiatorFingerprint: fpI, responderFingerprint: fpR, mode });
      const request = i.request();
      const requestCopy = request.slice();
      const accepted = acceptResumeV2({ secret, initiatorFingerprint: fpI, responderFingerprint: fpR, request });
      const acceptCopy = accepted.message.slice();
      const reply = i.readReply(accepted.message);
      if (reply.kind !== 'accept') throw new Error('expected an accept');
      const finishedCopy = reply.finished.slice();
      accepted.finished.verify(reply.finished);
      assert.deepEqual(secret, rs);
      assert.deepEqual([fpI, fpR], [FP_A, FP_B]);
      assert.deepEqual([request, accepted.message, reply.finished], [requestCopy, acceptCopy, finishedCopy]);
    });

    it(`${mode}: every intermediate secret is wiped; only the returned keys survive`, () => {
      const kept: { label: string; buf: Uint8Array }[] = [];
      const rec = <T extends Uint8Array>(label: string, b: T): T => {
        kept.push({ label, buf: b });
        return b;
      };
      const crypto: CryptoProvider = {
        ...nobleCrypto,
        randomBytes: (n) => rec(`random${n}`, nobleCrypto.randomBytes(n)),
        x25519Keygen(sk) {
          const kp = nobleCrypto.x25519Keygen(sk);
          rec('x25519 secret', kp.secretKey);
          return kp;
        },
        x25519: (sk, pk) => rec('x25519', nobleCrypto.x25519(sk, pk)),
        hkdfExtract: (salt, ikm) => rec('extract', nobleCrypto.hkdfExtract(salt, ikm)),
        hkdfExpand: (prk, info, n) => rec('expand', nobleCrypto.hkdfExpand(prk, info, n)),
        hmac: (key, m) => rec('hmac', nobleCrypto.hmac(key, m)),
      };
      const i = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode, crypto });
      const accepted = acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: i.request(), crypto });
      const reply = i.readReply(accepted.message);
      if (reply.kind !== 'accept') throw new Error('expected an accept');
      accepted.finished.verify(reply.finished);
      const k1 = reply.keys;
      const k2 = accepted.keys;
      const returned = new Set<Uint8Array>([k1.sendKey, k1.receiveKey, k1.nextSecret, k1.sessionId, k2.sendKey, k2.receiveKey, k2.nextSecret, k2.sessionId]);
      const survivors = kept.filter((k) => !returned.has(k.buf) && k.label !== 'random16' && k.buf.some((x) => x !== 0));
      assert.deepEqual(
        survivors.map((s) => s.label),
        [],
      );
      assert.ok(kept.filter((k) => k.label === 'expand').length >= 14);
      assert.equal(kept.filter((k) => k.label === 'x25519').length, mode === 'psk-dhe' ? 2 : 0);
    });
  }

  it('failures wipe too (a bad confirm on the initiator)', () => {
    const kept: Uint8Array[] = [];
    const crypto: CryptoProvider = {
      ...nobleCrypto,
      hkdfExpand: (prk, info, n) => kept[kept.push(nobleCrypto.hkdfExpand(prk, info, n)) - 1],
      hkdfExtract: (s, k) => kept[kept.push(nobleCrypto.hkdfExtract(s, k)) - 1],
    };
    const i = new ResumeInitiator({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, mode: 'psk', crypto });
    const accept = acceptResumeV2({ secret: rs, initiatorFingerprint: FP_A, responderFingerprint: FP_B, request: i.request() }).message;
    kept.length = 0;
    throwsCode(() => i.readReply(flipBit(accept, accept.length * 8 - 1)), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    assert.ok(kept.length >= 7);
    assert.ok(kept.every((b) => b.every((x) => x === 0)));
  });
});
