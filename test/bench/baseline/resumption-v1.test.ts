// Tests of the resumption protocol (src/resumption/protocol.ts, docs/resumption.md).
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '../../../src/bytes.js';
import { nobleCrypto, type CryptoProvider } from '../../../src/crypto/index.js';
import { HandshakeError, ResumptionError, isPqbleError, type PqbleErrorCode } from '../../../src/errors.js';
import { RecordOpener, RecordSealer } from '../../../src/record/index.js';
import { RESUME_REJECT_BYTES, ResumeRejectedError, encodeResumeReject, type ResumeRejectReason } from '../../../src/resumption/index.js';
import {
  RESUME_ACCEPT_BYTES,
  RESUME_REQUEST_BYTES,
  RESUME_TOKEN_BYTES,
  ResumeToken,
  TICKET_ID_BYTES,
  acceptResume,
  completeResume,
  createResumeToken,
  decodeResumeReply,
  decodeResumeRequest,
  deriveTicketId,
  encodeResumeRequest,
} from '../../../bench/baseline/resumption-v1.js';
import { fuzz } from '../../support/fuzz.js';

const RS = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
const NI = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const NR = Uint8Array.from({ length: 16 }, (_, i) => 0xb0 + i);

/** Known answers for RS / NI / NR, computed independently below with node:crypto. */
const KAT = {
  ticketId: '9a40e0d429dce0ae9cb5bc036598bfad',
  binder: 'dbad22b9a7dc9280a4d8b1e9da1344dd',
  request: '10019a40e0d429dce0ae9cb5bc036598bfaddbad22b9a7dc9280a4d8b1e9da1344dda0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
  i2r: 'd7a740d121af0865e4d128f50d3cef9c45cf3b85c1f18ed0fb266f0cb63bd7bd',
  r2i: '3d2a2b7444bfa3adde858848f41e29aab5c9d8a18a29ec23e391410a15f2ce8c',
  nextSecret: 'f0056a385fee92b7cf1b9c5af2f5eb207e057cccb8c5055bf2fc47674b86024f',
  sessionId: '44701e7a43459d165b22b8a78eed5ea3',
  confirm: 'f2af52cf3c3967cc2dda335ab7de2bb0',
  accept: '11b0b1b2b3b4b5b6b7b8b9babbbcbdbebff2af52cf3c3967cc2dda335ab7de2bb0',
};

function hmac(key: Uint8Array, ...parts: (Uint8Array | string)[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

function expand(prk: Uint8Array, info: string, length: number): Buffer {
  let t: Buffer = Buffer.alloc(0);
  let out: Buffer = Buffer.alloc(0);
  for (let i = 1; out.length < length; i++) {
    t = hmac(prk, t, info, Buffer.of(i));
    out = Buffer.concat([out, t]);
  }
  return out.subarray(0, length);
}

/** The whole key schedule of docs/resumption.md, by hand with node:crypto. */
function nodeSchedule(rs: Uint8Array, ni: Uint8Array, nr: Uint8Array): Record<keyof typeof KAT, string> {
  const ticketId = expand(rs, 'pqble v1 ticket id', 16);
  const binder = hmac(expand(rs, 'pqble v1 binder key', 32), 'pqble v1 resume binder', ticketId).subarray(0, 16);
  const request = Buffer.concat([Buffer.of(0x10, 0x01), ticketId, binder, ni]);
  const th = createHash('sha256').update(request).update(Buffer.of(0x11)).update(nr).digest();
  const prk = hmac(th, rs); // HKDF-Extract(salt = th, ikm = rs)
  const confirm = hmac(expand(prk, 'pqble v1 resume confirm key', 32), 'pqble v1 resume confirm', th).subarray(0, 16);
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  return {
    ticketId: hex(ticketId),
    binder: hex(binder),
    request: hex(request),
    i2r: hex(expand(prk, 'pqble v1 resume i2r key', 32)),
    r2i: hex(expand(prk, 'pqble v1 resume r2i key', 32)),
    nextSecret: hex(expand(prk, 'pqble v1 next resumption secret', 32)),
    sessionId: hex(expand(prk, 'pqble v1 resume session id', 16)),
    confirm: hex(confirm),
    accept: hex(Buffer.concat([Buffer.of(0x11), nr, confirm])),
  };
}

function throwsCode(fn: () => unknown, code: PqbleErrorCode): void {
  // PROTOCOL_VERSION belongs to HandshakeError (docs/errors.md); every other code here to ResumptionError.
  assert.throws(
    fn,
    (err: unknown) => (code === 'PQBLE_ERR_PROTOCOL_VERSION' ? err instanceof HandshakeError : err instanceof ResumptionError) && isPqbleError(err, code),
  );
}

function randomSecret(): Uint8Array {
  return nobleCrypto.randomBytes(32);
}

describe('resumption protocol', () => {
  it('matches the known-answer vectors, cross-checked with node:crypto', () => {
    assert.deepEqual(nodeSchedule(RS, NI, NR), KAT);
    assert.equal(bytesToHex(deriveTicketId(RS)), KAT.ticketId);
    const token = createResumeToken(RS);
    assert.equal(bytesToHex(token.ticketId), KAT.ticketId);
    assert.equal(bytesToHex(token.binder), KAT.binder);
    const request = encodeResumeRequest(token, { initiatorNonce: NI });
    assert.equal(bytesToHex(request), KAT.request);
    const { message, keys } = acceptResume(RS, request, { responderNonce: NR });
    assert.equal(bytesToHex(message), KAT.accept);
    assert.equal(bytesToHex(keys.receiveKey), KAT.i2r);
    assert.equal(bytesToHex(keys.sendKey), KAT.r2i);
    assert.equal(bytesToHex(keys.nextSecret), KAT.nextSecret);
    assert.equal(bytesToHex(keys.sessionId), KAT.sessionId);
    const mine = completeResume(RS, request, message);
    assert.equal(bytesToHex(mine.sendKey), KAT.i2r);
    assert.equal(bytesToHex(mine.receiveKey), KAT.r2i);
    assert.equal(bytesToHex(mine.nextSecret), KAT.nextSecret);
    assert.equal(bytesToHex(mine.sessionId), KAT.sessionId);
  });

  it('round trip: both sides derive matching keys, and records flow both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (rs) => {
        const request = encodeResumeRequest(createResumeToken(rs));
        const responder = acceptResume(rs, request);
        const initiator = completeResume(rs, request, responder.message);
        assert.deepEqual(initiator.sendKey, responder.keys.receiveKey);
        assert.deepEqual(initiator.receiveKey, responder.keys.sendKey);
        assert.deepEqual(initiator.nextSecret, responder.keys.nextSecret);
        assert.deepEqual(initiator.sessionId, responder.keys.sessionId);
        assert.notDeepEqual(initiator.sendKey, initiator.receiveKey);
        assert.notDeepEqual(initiator.nextSecret, rs);
        const up = new RecordOpener(responder.keys.receiveKey).open(new RecordSealer(initiator.sendKey).seal(Uint8Array.of(1, 2)));
        assert.deepEqual(up.content, Uint8Array.of(1, 2));
      }),
      fuzz(30),
    );
  });

  it('has the sizes of the design: token 32, request 50, accept 33, reject 2, under 100 bytes on air', () => {
    assert.equal(RESUME_TOKEN_BYTES, 32);
    assert.equal(TICKET_ID_BYTES, 16);
    const request = encodeResumeRequest(createResumeToken(RS));
    const { message } = acceptResume(RS, request);
    assert.equal(request.length, RESUME_REQUEST_BYTES);
    assert.equal(request.length, 50);
    assert.equal(message.length, RESUME_ACCEPT_BYTES);
    assert.equal(message.length, 33);
    assert.equal(encodeResumeReject('expired').length, RESUME_REJECT_BYTES);
    // With 2 bytes of framing per single-packet message.
    assert.ok(request.length + 2 + message.length + 2 <= 100);
  });

  it('fresh nonces give fresh keys for the same request (property 2)', () => {
    const request = encodeResumeRequest(createResumeToken(RS), { initiatorNonce: NI });
    const a = acceptResume(RS, request);
    const b = acceptResume(RS, request);
    assert.notDeepEqual(a.keys.sendKey, b.keys.sendKey);
    assert.notDeepEqual(a.keys.receiveKey, b.keys.receiveKey);
    assert.notDeepEqual(a.keys.nextSecret, b.keys.nextSecret);
    assert.notDeepEqual(a.keys.sessionId, b.keys.sessionId);
    // And a fresh initiator nonce alone also changes everything.
    const other = encodeResumeRequest(createResumeToken(RS));
    assert.notDeepEqual(other.subarray(34), request.subarray(34));
    const c = acceptResume(RS, other, { responderNonce: NR });
    const d = acceptResume(RS, request, { responderNonce: NR });
    assert.notDeepEqual(c.keys.sendKey, d.keys.sendKey);
  });

  it('an old accept replayed to a later attempt with the same secret does not verify', () => {
    // Attempt 1: the accept is captured and never delivered; the initiator still holds RS.
    const request1 = encodeResumeRequest(createResumeToken(RS));
    const accept1 = acceptResume(RS, request1).message;
    // Attempt 2 with the same secret: a fresh initiator nonce makes accept1 useless.
    const request2 = encodeResumeRequest(createResumeToken(RS));
    throwsCode(() => completeResume(RS, request2, accept1), 'PQBLE_ERR_RESUME_AUTH_FAILED');
  });

  it('ratchet: nextSecret gives a new ticket id and the old token no longer verifies', () => {
    const request = encodeResumeRequest(createResumeToken(RS));
    const { keys } = acceptResume(RS, request);
    assert.notDeepEqual(deriveTicketId(keys.nextSecret), deriveTicketId(RS));
    throwsCode(() => acceptResume(keys.nextSecret, request), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    // The chain goes on: the next resumption from nextSecret works.
    const request2 = encodeResumeRequest(createResumeToken(keys.nextSecret));
    const accepted = acceptResume(keys.nextSecret, request2);
    assert.deepEqual(completeResume(keys.nextSecret, request2, accepted.message).sessionId, accepted.keys.sessionId);
  });

  it('forged binder -> AUTH_FAILED; random, truncated or extended requests -> MALFORMED', () => {
    const request = encodeResumeRequest(createResumeToken(RS));
    for (let i = 2; i < 2 + RESUME_TOKEN_BYTES; i++) {
      const forged = request.slice();
      forged[i] ^= 0x01;
      throwsCode(() => acceptResume(RS, forged), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    }
    const randomToken = new ResumeToken(deriveTicketId(RS), nobleCrypto.randomBytes(16));
    throwsCode(() => acceptResume(RS, encodeResumeRequest(randomToken)), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    throwsCode(() => acceptResume(RS, encodeResumeRequest(ResumeToken.fromBytes(nobleCrypto.randomBytes(32)))), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    for (const n of [0, 1, 2, 33, 49]) throwsCode(() => acceptResume(RS, request.subarray(0, n)), 'PQBLE_ERR_RESUME_MALFORMED');
    throwsCode(() => acceptResume(RS, Uint8Array.of(...request, 0)), 'PQBLE_ERR_RESUME_MALFORMED');
    const wrongType = request.slice();
    wrongType[0] = 0x11;
    throwsCode(() => decodeResumeRequest(wrongType), 'PQBLE_ERR_RESUME_MALFORMED');
    const wrongVersion = request.slice();
    wrongVersion[1] = 2;
    throwsCode(() => decodeResumeRequest(wrongVersion), 'PQBLE_ERR_PROTOCOL_VERSION');
    throwsCode(() => acceptResume(RS, wrongVersion), 'PQBLE_ERR_PROTOCOL_VERSION');
    // The wrong secret (another session's) fails too.
    throwsCode(() => acceptResume(randomSecret(), request), 'PQBLE_ERR_RESUME_AUTH_FAILED');
  });

  it('wrong confirm, wrong nonce or a tampered request -> AUTH_FAILED at the initiator', () => {
    const request = encodeResumeRequest(createResumeToken(RS));
    const { message } = acceptResume(RS, request);
    for (let i = 1; i < message.length; i++) {
      const bad = message.slice();
      bad[i] ^= 0x80;
      throwsCode(() => completeResume(RS, request, bad), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    }
    // The responder saw a different initiator nonce (tampered in transit).
    const tampered = request.slice();
    tampered[49] ^= 1;
    const forTampered = acceptResume(RS, tampered).message;
    throwsCode(() => completeResume(RS, request, forTampered), 'PQBLE_ERR_RESUME_AUTH_FAILED');
    throwsCode(() => completeResume(RS, request, message.subarray(0, 32)), 'PQBLE_ERR_RESUME_MALFORMED');
  });

  it('completeResume reports a reject with its reason, and refuses a request from another secret', () => {
    const request = encodeResumeRequest(createResumeToken(RS));
    assert.throws(
      () => completeResume(RS, request, encodeResumeReject('expired')),
      (err: unknown) => err instanceof ResumeRejectedError && err.code === 'PQBLE_ERR_RESUME_REJECTED' && err.reason === 'expired',
    );
    assert.throws(() => completeResume(randomSecret(), request, acceptResume(RS, request).message), RangeError);
    assert.throws(() => completeResume(RS, request.subarray(1), encodeResumeReject('expired')), RangeError);
  });

  it('encodes and decodes every reject reason', () => {
    const reasons: ResumeRejectReason[] = ['unknown-ticket', 'expired', 'rate-limited', 'malformed', 'unsupported'];
    reasons.forEach((reason, i) => {
      const message = encodeResumeReject(reason);
      assert.deepEqual(message, Uint8Array.of(0x12, i + 1));
      assert.deepEqual(decodeResumeReply(message), { kind: 'reject', reason });
    });
    for (const b of [0, 6, 0xff]) throwsCode(() => decodeResumeReply(Uint8Array.of(0x12, b)), 'PQBLE_ERR_RESUME_MALFORMED');
    assert.throws(() => encodeResumeReject('nope' as ResumeRejectReason), TypeError);
    assert.throws(() => encodeResumeReject('toString' as ResumeRejectReason), TypeError);
  });

  it('decodes an accept', () => {
    assert.deepEqual(decodeResumeReply(hexToBytes(KAT.accept)), { kind: 'accept', nonce: NR, confirm: hexToBytes(KAT.confirm) });
  });

  it('ResumeToken: 32-byte form, copies its inputs, checks lengths', () => {
    const bytes = nobleCrypto.randomBytes(32);
    const token = ResumeToken.fromBytes(bytes);
    assert.deepEqual(token.toBytes(), bytes);
    bytes.fill(0);
    assert.notDeepEqual(token.toBytes(), bytes);
    assert.throws(() => ResumeToken.fromBytes(new Uint8Array(31)), RangeError);
    assert.throws(() => ResumeToken.fromBytes(new Uint8Array(33)), RangeError);
    assert.throws(() => ResumeToken.fromBytes('x' as unknown as Uint8Array), TypeError);
    const request = encodeResumeRequest(token);
    assert.deepEqual(decodeResumeRequest(request).toBytes(), token.toBytes());
  });

  it('never mutates caller buffers', () => {
    const rs = RS.slice();
    const ni = NI.slice();
    const nr = NR.slice();
    const request = encodeResumeRequest(createResumeToken(rs), { initiatorNonce: ni });
    const requestCopy = request.slice();
    const { message } = acceptResume(rs, request, { responderNonce: nr });
    const messageCopy = message.slice();
    completeResume(rs, request, message);
    assert.deepEqual(rs, RS);
    assert.deepEqual(ni, NI);
    assert.deepEqual(nr, NR);
    assert.deepEqual(request, requestCopy);
    assert.deepEqual(message, messageCopy);
  });

  it('uses only the injected crypto provider', () => {
    const calls: string[] = [];
    const spy: CryptoProvider = {
      ...nobleCrypto,
      name: 'spy',
      randomBytes(n) {
        calls.push('random');
        return new Uint8Array(n).fill(7);
      },
    };
    const request = encodeResumeRequest(createResumeToken(RS, spy), { crypto: spy });
    const { message } = acceptResume(RS, request, { crypto: spy });
    assert.deepEqual(calls, ['random', 'random']);
    assert.deepEqual(request.subarray(34), new Uint8Array(16).fill(7));
    assert.deepEqual(message.subarray(1, 17), new Uint8Array(16).fill(7));
    completeResume(RS, request, message, { crypto: spy });
  });

  it('checks arguments and options', () => {
    assert.throws(() => deriveTicketId(new Uint8Array(16)), RangeError);
    assert.throws(() => createResumeToken('s' as unknown as Uint8Array), TypeError);
    assert.throws(() => encodeResumeRequest({} as ResumeToken), TypeError);
    assert.throws(() => encodeResumeRequest(createResumeToken(RS), { initiatorNonce: new Uint8Array(8) }), RangeError);
    assert.throws(() => encodeResumeRequest(createResumeToken(RS), { nonce: NI } as unknown as { initiatorNonce: Uint8Array }), TypeError);
    const request = encodeResumeRequest(createResumeToken(RS));
    assert.throws(() => acceptResume(RS, request, { responderNonce: new Uint8Array(17) }), RangeError);
    assert.throws(() => acceptResume(RS, request, { extra: 1 } as unknown as { responderNonce: Uint8Array }), TypeError);
    assert.throws(() => decodeResumeRequest(null as unknown as Uint8Array), TypeError);
    assert.throws(() => decodeResumeReply([0x12, 1] as unknown as Uint8Array), TypeError);
  });

  it('fuzz: decoders and acceptResume throw only ResumptionError (or HandshakeError PROTOCOL_VERSION) on arbitrary bytes', () => {
    // A request of another version is a HandshakeError PQBLE_ERR_PROTOCOL_VERSION (docs/errors.md).
    const isResumeError = (err: unknown): boolean =>
      err instanceof ResumptionError || (err instanceof HandshakeError && err.code === 'PQBLE_ERR_PROTOCOL_VERSION');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(undefined, 0x10, 0x11, 0x12), (bytes, first) => {
        const input = bytes.slice();
        if (first !== undefined && input.length > 0) input[0] = first;
        if (first === 0x10 && input.length > 1) input[1] = 1;
        const copy = input.slice();
        for (const fn of [() => decodeResumeRequest(input), () => decodeResumeReply(input), () => acceptResume(RS, input)]) {
          try {
            fn();
          } catch (err) {
            assert.ok(isResumeError(err), `unexpected ${String(err)}`);
          }
        }
        assert.deepEqual(input, copy);
      }),
      fuzz(300),
    );
  });

  it('fuzz: completeResume throws only ResumptionError on an arbitrary reply', () => {
    const request = encodeResumeRequest(createResumeToken(RS));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(undefined, 0x11, 0x12), (bytes, first) => {
        const input = bytes.slice();
        if (first !== undefined && input.length > 0) input[0] = first;
        assert.throws(() => completeResume(RS, request, input), ResumptionError);
      }),
      fuzz(300),
    );
  });
});
