// Tests of the secure record layer (src/record, docs/record.md).
import assert from 'node:assert/strict';
import { createCipheriv, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../src/bytes.js';
import { nobleCrypto } from '../../src/crypto/index.js';
import { ClosedError, FramingError, RecordError, isPqbleError, type PqbleErrorCode } from '../../src/errors.js';
import { DEFAULT_MAX_PLAINTEXT_BYTES, RECORD_OVERHEAD_BYTES, RecordOpener, RecordSealer } from '../../src/record/index.js';
import { fuzz } from '../support/fuzz.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

/** Asserts that `fn` throws `code`, of the class that owns it (a RecordError, or FramingError / ClosedError for the size limit and a destroyed side). */
function throwsCode(fn: () => unknown, code: PqbleErrorCode): void {
  const cls = code === 'PQBLE_ERR_MESSAGE_TOO_LARGE' ? FramingError : code === 'PQBLE_ERR_CLOSED' ? ClosedError : RecordError;
  assert.throws(fn, (err: unknown) => err instanceof cls && err.code === code);
}

/** HKDF-Expand with node:crypto, independent of the code under test. */
function nodeExpand(prk: Uint8Array, info: string, length: number): Buffer {
  let t = Buffer.alloc(0);
  let out = Buffer.alloc(0);
  for (let i = 1; out.length < length; i++) {
    t = createHmac('sha256', prk).update(t).update(info).update(Buffer.of(i)).digest();
    out = Buffer.concat([out, t]);
  }
  return out.subarray(0, length);
}

/** One record sealed with node:crypto, following docs/record.md by hand. */
function nodeSeal(key: Uint8Array, seq: number, content: Uint8Array, inner: number): string {
  const aeadKey = nodeExpand(key, 'pqble v1 record key', 32);
  const nonce = nodeExpand(key, 'pqble v1 record iv', 12);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(seq));
  for (let i = 0; i < 8; i++) nonce[4 + i] ^= counter[i];
  const cipher = createCipheriv('chacha20-poly1305', aeadKey, nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.of(0x20), { plaintextLength: content.length + 1 });
  const ct = Buffer.concat([cipher.update(Buffer.concat([content, Buffer.of(inner)])), cipher.final()]);
  return Buffer.concat([Buffer.of(0x20), ct, cipher.getAuthTag()]).toString('hex');
}

function pair(options?: { maxRecords?: number; maxPlaintextBytes?: number }): { sealer: RecordSealer; opener: RecordOpener } {
  return { sealer: new RecordSealer(KEY, options), opener: new RecordOpener(KEY, options) };
}

describe('record layer', () => {
  it('has an overhead of 18 bytes: 1 type + 1 inner type + 16 tag', () => {
    assert.equal(RECORD_OVERHEAD_BYTES, 18);
    assert.equal(DEFAULT_MAX_PLAINTEXT_BYTES, 65536 - 18);
    const { sealer } = pair();
    for (const n of [0, 1, 100, 5000]) assert.equal(sealer.seal(new Uint8Array(n)).length, n + RECORD_OVERHEAD_BYTES);
  });

  it('matches the known-answer vectors, cross-checked with node:crypto', () => {
    const data = '20fde0f1b5a20fbb555576d2a23f179f1c124551198f2e';
    const close = '200b45d5570742551a18a0dbb714ea1cec58';
    assert.equal(nodeSeal(KEY, 0, utf8ToBytes('hello'), 0x01), data);
    assert.equal(nodeSeal(KEY, 1, new Uint8Array(0), 0x02), close);
    const sealer = new RecordSealer(KEY);
    assert.equal(bytesToHex(sealer.seal(utf8ToBytes('hello'))), data);
    assert.equal(bytesToHex(sealer.seal(new Uint8Array(0), 'close')), close);
    const opener = new RecordOpener(KEY);
    assert.deepEqual(opener.open(hexToBytes(data)), { type: 'data', content: utf8ToBytes('hello') });
    assert.deepEqual(opener.open(hexToBytes(close)), { type: 'close', content: new Uint8Array(0) });
  });

  it('puts the big-endian counter in the nonce (cross-checked past a byte carry)', () => {
    const sealer = new RecordSealer(KEY);
    for (let seq = 0; seq < 300; seq++) {
      const content = Uint8Array.of(seq & 0xff);
      const record = sealer.seal(content);
      if (seq < 3 || seq === 255 || seq === 256 || seq === 299) assert.equal(bytesToHex(record), nodeSeal(KEY, seq, content, 0x01), `seq ${seq}`);
    }
    assert.equal(sealer.sequence, 300);
  });

  it('round-trips arbitrary contents and counts sequence numbers', () => {
    const { sealer, opener } = pair({ maxPlaintextBytes: 2048 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (content) => {
        const copy = content.slice();
        const record = sealer.seal(content);
        assert.deepEqual(content, copy, 'seal must not mutate its input');
        const opened = opener.open(record);
        assert.equal(opened.type, 'data');
        assert.deepEqual(opened.content, content);
        assert.equal(sealer.sequence, opener.sequence);
      }),
      fuzz(200),
    );
  });

  it('gives different ciphertexts for the same content at successive sequence numbers', () => {
    const { sealer } = pair();
    const a = sealer.seal(utf8ToBytes('same'));
    const b = sealer.seal(utf8ToBytes('same'));
    assert.notEqual(bytesToHex(a), bytesToHex(b));
  });

  it('refuses a tampered byte anywhere, then stays dead', () => {
    const content = utf8ToBytes('tamper with me');
    const record = new RecordSealer(KEY).seal(content);
    for (let i = 0; i < record.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const opener = new RecordOpener(KEY);
        const bad = record.slice();
        bad[i] ^= mask;
        throwsCode(() => opener.open(bad), i === 0 ? 'PQBLE_ERR_RECORD_MALFORMED' : 'PQBLE_ERR_RECORD_AUTH');
        // Dead: even the genuine record is refused now.
        throwsCode(() => opener.open(record), i === 0 ? 'PQBLE_ERR_RECORD_MALFORMED' : 'PQBLE_ERR_RECORD_AUTH');
      }
    }
  });

  it('refuses a replayed record and stays dead', () => {
    const { sealer, opener } = pair();
    const r0 = sealer.seal(utf8ToBytes('zero'));
    const r1 = sealer.seal(utf8ToBytes('one'));
    opener.open(r0);
    throwsCode(() => opener.open(r0), 'PQBLE_ERR_RECORD_AUTH');
    throwsCode(() => opener.open(r1), 'PQBLE_ERR_RECORD_AUTH');
    assert.equal(opener.sequence, 1);
  });

  it('refuses reordered and dropped records', () => {
    const { sealer } = pair();
    const records = [0, 1, 2].map((i) => sealer.seal(Uint8Array.of(i)));
    const reordered = new RecordOpener(KEY);
    throwsCode(() => reordered.open(records[1]), 'PQBLE_ERR_RECORD_AUTH');
    throwsCode(() => reordered.open(records[0]), 'PQBLE_ERR_RECORD_AUTH');
    const dropped = new RecordOpener(KEY);
    dropped.open(records[0]);
    throwsCode(() => dropped.open(records[2]), 'PQBLE_ERR_RECORD_AUTH');
  });

  it('refuses records under another key (and the keys of two directions differ)', () => {
    const other = new Uint8Array(32).fill(7);
    const record = new RecordSealer(other).seal(utf8ToBytes('x'));
    throwsCode(() => new RecordOpener(KEY).open(record), 'PQBLE_ERR_RECORD_AUTH');
  });

  it('stops at maxRecords on both sides', () => {
    const { sealer, opener } = pair({ maxRecords: 3 });
    for (let i = 0; i < 3; i++) opener.open(sealer.seal(Uint8Array.of(i)));
    throwsCode(() => sealer.seal(Uint8Array.of(3)), 'PQBLE_ERR_RECORD_LIMIT');
    throwsCode(() => sealer.seal(Uint8Array.of(3)), 'PQBLE_ERR_RECORD_LIMIT');
    assert.equal(sealer.sequence, 3);
    // An opener with a lower limit refuses the record beyond it.
    const strict = new RecordOpener(KEY, { maxRecords: 2 });
    const fresh = new RecordSealer(KEY);
    strict.open(fresh.seal(Uint8Array.of(0)));
    strict.open(fresh.seal(Uint8Array.of(1)));
    throwsCode(() => strict.open(fresh.seal(Uint8Array.of(2))), 'PQBLE_ERR_RECORD_LIMIT');
  });

  it('enforces maxPlaintextBytes on seal (MESSAGE_TOO_LARGE) and open (MALFORMED)', () => {
    const sealer = new RecordSealer(KEY, { maxPlaintextBytes: 10 });
    sealer.seal(new Uint8Array(10));
    throwsCode(() => sealer.seal(new Uint8Array(11)), 'PQBLE_ERR_MESSAGE_TOO_LARGE');
    assert.equal(sealer.sequence, 1);
    const big = new RecordSealer(KEY).seal(new Uint8Array(11));
    throwsCode(() => new RecordOpener(KEY, { maxPlaintextBytes: 10 }).open(big), 'PQBLE_ERR_RECORD_MALFORMED');
    throwsCode(() => new RecordSealer(KEY).seal(new Uint8Array(DEFAULT_MAX_PLAINTEXT_BYTES + 1)), 'PQBLE_ERR_MESSAGE_TOO_LARGE');
  });

  it('refuses records too short to hold type, inner type and tag', () => {
    for (let n = 0; n < RECORD_OVERHEAD_BYTES; n++) {
      const short = new Uint8Array(n);
      if (n > 0) short[0] = 0x20;
      throwsCode(() => new RecordOpener(KEY).open(short), 'PQBLE_ERR_RECORD_MALFORMED');
    }
  });

  it('handles close-notify: empty content, nothing may follow on either side', () => {
    const { sealer, opener } = pair();
    assert.throws(() => sealer.seal(Uint8Array.of(1), 'close'), RangeError);
    opener.open(sealer.seal(utf8ToBytes('bye')));
    assert.deepEqual(opener.open(sealer.seal(new Uint8Array(0), 'close')), { type: 'close', content: new Uint8Array(0) });
    throwsCode(() => sealer.seal(utf8ToBytes('late')), 'PQBLE_ERR_RECORD_SEQUENCE');
    // A record forged to follow the close (sealed by a second sealer at the same position) is refused.
    const rogue = new RecordSealer(KEY);
    rogue.seal(new Uint8Array(0));
    rogue.seal(new Uint8Array(0));
    throwsCode(() => opener.open(rogue.seal(utf8ToBytes('late'))), 'PQBLE_ERR_RECORD_SEQUENCE');
  });

  it('refuses an authenticated record with an unknown inner type', () => {
    // Seal content||0x03 by hand with node:crypto: a reserved inner type.
    const record = hexToBytes(nodeSeal(KEY, 0, utf8ToBytes('t'), 0x03));
    const opener = new RecordOpener(KEY);
    throwsCode(() => opener.open(record), 'PQBLE_ERR_RECORD_MALFORMED');
    const closeWithContent = hexToBytes(nodeSeal(KEY, 0, utf8ToBytes('t'), 0x02));
    throwsCode(() => new RecordOpener(KEY).open(closeWithContent), 'PQBLE_ERR_RECORD_MALFORMED');
  });

  it('copies the key: mutating the caller buffer later changes nothing', () => {
    const key = KEY.slice();
    const sealer = new RecordSealer(key);
    const opener = new RecordOpener(key);
    key.fill(0xff);
    assert.deepEqual(opener.open(sealer.seal(utf8ToBytes('ok'))).content, utf8ToBytes('ok'));
    assert.deepEqual(key, new Uint8Array(32).fill(0xff));
  });

  it('destroy wipes and disables both sides without touching the caller key', () => {
    const key = KEY.slice();
    const { sealer, opener } = { sealer: new RecordSealer(key), opener: new RecordOpener(key) };
    sealer.destroy();
    opener.destroy();
    sealer.destroy();
    throwsCode(() => sealer.seal(new Uint8Array(1)), 'PQBLE_ERR_CLOSED');
    throwsCode(() => opener.open(new Uint8Array(40)), 'PQBLE_ERR_CLOSED');
    assert.deepEqual(key, KEY);
  });

  it('checks its arguments and options', () => {
    assert.throws(() => new RecordSealer(new Uint8Array(31)), RangeError);
    assert.throws(() => new RecordOpener('k' as unknown as Uint8Array), TypeError);
    assert.throws(() => new RecordSealer(KEY, { maxRecord: 3 } as unknown as { maxRecords: number }), TypeError);
    assert.throws(() => new RecordSealer(KEY, { maxRecords: 0 }), RangeError);
    assert.throws(() => new RecordSealer(KEY, { maxRecords: 2 ** 32 + 1 }), RangeError);
    assert.throws(() => new RecordSealer(KEY, { maxPlaintextBytes: -1 }), RangeError);
    assert.throws(() => new RecordSealer(KEY).seal('x' as unknown as Uint8Array), TypeError);
    assert.throws(() => new RecordSealer(KEY).seal(new Uint8Array(1), 'ticket' as unknown as 'data'), TypeError);
    assert.throws(() => new RecordOpener(KEY).open([0x20] as unknown as Uint8Array), TypeError);
    assert.ok(new RecordSealer(KEY, { crypto: nobleCrypto, maxRecords: 1, maxPlaintextBytes: 0 }));
  });

  it('fuzz: open() of arbitrary bytes throws only RecordError and never mutates its input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, typed) => {
        const input = bytes.slice();
        if (typed && input.length > 0) input[0] = 0x20;
        const copy = input.slice();
        const opener = new RecordOpener(KEY, { maxPlaintextBytes: 150 });
        try {
          opener.open(input);
          assert.fail('random bytes must not authenticate');
        } catch (err) {
          assert.ok(err instanceof RecordError, `unexpected ${String(err)}`);
          assert.ok(isPqbleError(err, 'PQBLE_ERR_RECORD_AUTH') || isPqbleError(err, 'PQBLE_ERR_RECORD_MALFORMED'));
        }
        assert.deepEqual(input, copy);
      }),
      fuzz(300),
    );
  });

  it('fuzz: any single-byte change or truncation of a genuine record is refused', () => {
    const record = new RecordSealer(KEY).seal(utf8ToBytes('a genuine record'));
    fc.assert(
      fc.property(fc.nat({ max: record.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.nat({ max: record.length }), (at, mask, cut) => {
        const bad = record.slice();
        bad[at] ^= mask;
        assert.throws(() => new RecordOpener(KEY).open(bad), RecordError);
        if (cut < record.length) assert.throws(() => new RecordOpener(KEY).open(record.subarray(0, cut)), RecordError);
      }),
      fuzz(300),
    );
  });
});
