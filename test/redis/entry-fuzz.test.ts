// The entry and seal decoders of the Redis store under arbitrary bytes: never a throw, and a
// value changed anywhere (header, key id, nonce, ciphertext, tag, length) never opens as
// anything but the record that was sealed.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import { nobleCrypto } from '../../src/crypto/index.js';
import { EntryCodec } from '../../src/session/redis/entry.js';
import { Blinder, KeyLayout } from '../../src/session/redis/keys.js';
import { FleetSealer } from '../../src/session/redis/seal.js';
import { fuzz } from '../support/fuzz.js';

const key1 = randomBytes(32);
const key2 = randomBytes(32);
const blinder = new Blinder(randomBytes(32), nobleCrypto);
const codec = new EntryCodec(
  blinder,
  new FleetSealer(
    { id: 2, key: key2 },
    new Map([
      [1, key1],
      [2, key2],
    ]),
    nobleCrypto,
  ),
);
const layout = new KeyLayout('fuzz');

function sample(): { bfp: Uint8Array; key: Buffer; value: Buffer; record: Parameters<EntryCodec['encode']>[1] } {
  const fp = randomBytes(32);
  const bfp = blinder.blind('fingerprint', fp);
  const record = {
    peerFingerprint: bytesToHex(fp),
    deviceId: bytesToHex(randomBytes(6)),
    establishedMs: 1_780_000_000_000,
    outbound: randomBytes(32),
    inbound: { secret: randomBytes(32), ticketId: randomBytes(16) },
  };
  const key = layout.entry(bfp);
  return { bfp, key, value: codec.encode(key, record), record };
}

it('decode never throws on arbitrary bytes', () => {
  const { bfp, key } = sample();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const r = codec.decode(key, bfp, bytes);
      assert.ok('failure' in r);
    }),
    fuzz(2000),
  );
});

it('a changed, cut or extended value never opens as another record', () => {
  const s = sample();
  fc.assert(
    fc.property(
      fc.nat({ max: s.value.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      fc.nat({ max: s.value.length }),
      fc.uint8Array({ maxLength: 8 }),
      (at, flip, cut, extra) => {
        const flipped = Buffer.from(s.value);
        flipped[at] ^= flip;
        for (const v of [flipped, s.value.subarray(0, cut), Buffer.concat([s.value, extra])]) {
          if (v.equals(s.value)) continue;
          const r = codec.decode(s.key, s.bfp, v);
          assert.ok('failure' in r, `a damaged value opened (at ${at}, cut ${cut}, +${extra.length})`);
        }
      },
    ),
    fuzz(1000),
  );
  const ok = codec.decode(s.key, s.bfp, s.value);
  assert.ok('record' in ok);
  assert.deepEqual(ok.record, s.record);
  const other = sample();
  assert.ok('failure' in codec.decode(other.key, other.bfp, s.value), "another entry's value does not open under this key");
});
