// Fuzzing: arbitrary bytes into every handshake decoder and state machine reader must only
// ever produce a HandshakeError. Default runs are small; PQBLE_FUZZ_RUNS raises them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HandshakeError } from '../../src/errors.js';
import {
  HANDSHAKE_MESSAGE_BYTES,
  HandshakeInitiator,
  HandshakeResponder,
  decodeHandshakeFinish,
  decodeHandshakeInit,
  decodeHandshakeResponse,
  decodeIdentityPayload,
} from '../../src/handshake/index.js';
import { identity } from './helpers.js';
import { fuzz } from '../support/fuzz.js';

const alice = identity('alice');
const bob = identity('bob');

/** Runs `fn`; passes if it returns or throws a HandshakeError; fails on anything else. */
function onlyHandshakeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HandshakeError, `threw ${String(err)}`);
    assert.match(err.code, /^PQBLE_ERR_/);
  }
}

/** Arbitrary bytes, biased to the interesting shapes: right type byte, right length. */
function messageBytes(type: number, lengths: number[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ maxLength: 8000 }),
    fc
      .constantFrom(...lengths)
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
      .map((b) => {
        if (b.length > 0) b[0] = type;
        return b;
      }),
    fc
      .constantFrom(...lengths)
      .chain((n) => fc.integer({ min: -3, max: 3 }).map((d) => Math.max(0, n + d)))
      .map((n) => {
        const b = new Uint8Array(n);
        if (n > 0) b[0] = type;
        if (n > 1) b[1] = 1;
        return b;
      }),
  );
}

const S = HANDSHAKE_MESSAGE_BYTES;

describe('handshake fuzzing', () => {
  it('decoders throw only HandshakeError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 7000 }),
        fc.constantFrom('full' as const, 'pinned' as const),
        fc.constantFrom('initiator' as const, 'responder' as const),
        (bytes, mode, role) => {
          onlyHandshakeErrors(() => decodeHandshakeInit(bytes));
          onlyHandshakeErrors(() => decodeHandshakeResponse(bytes, mode));
          onlyHandshakeErrors(() => decodeHandshakeFinish(bytes, mode));
          onlyHandshakeErrors(() => decodeIdentityPayload(role, mode, bytes));
        },
      ),
      fuzz(500),
    );
  });

  it('readInit throws only HandshakeError', () => {
    fc.assert(
      fc.property(messageBytes(0x01, [S.init]), fc.integer({ min: 0, max: 7 }), (bytes, flags) => {
        if (bytes.length > 2) bytes[2] = flags;
        const r = new HandshakeResponder({ identity: bob });
        onlyHandshakeErrors(() => r.readInit(bytes));
      }),
      fuzz(100),
    );
  });

  it('readResponse throws only HandshakeError, and the initiator is dead afterwards', () => {
    fc.assert(
      fc.property(fc.boolean(), messageBytes(0x02, [S.response.full, S.response.pinned]), (pinned, bytes) => {
        const i = new HandshakeInitiator(pinned ? { identity: alice, peerKey: bob.publicKey } : { identity: alice });
        i.start();
        onlyHandshakeErrors(() => i.readResponse(bytes));
        assert.equal(i.state, 'failed');
      }),
      fuzz(60),
    );
  });

  it('readFinish throws only HandshakeError, and the responder is dead afterwards', () => {
    const m1s = {
      full: new HandshakeInitiator({ identity: alice }).start(),
      pinned: new HandshakeInitiator({ identity: alice, peerKey: bob.publicKey }).start(),
    };
    fc.assert(
      fc.property(fc.constantFrom('full' as const, 'pinned' as const), messageBytes(0x03, [S.finish.full, S.finish.pinned]), (mode, bytes) => {
        const r = new HandshakeResponder({ identity: bob, lookupPeerKey: () => alice.publicKey });
        r.readInit(m1s[mode]);
        onlyHandshakeErrors(() => r.readFinish(bytes));
        assert.equal(r.state, 'failed');
      }),
      fuzz(30),
    );
  });
});
