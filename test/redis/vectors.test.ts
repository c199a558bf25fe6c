// Known-answer vectors of the Redis fleet store's formats (docs/fleet.md "Known-answer
// vector"): blinding, key names, the entry value. Computed here twice: by the store's
// modules and, independently, from the formulas in the docs with @noble directly.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '../../src/bytes.js';
import { nobleCrypto } from '../../src/crypto/index.js';
import { EntryCodec } from '../../src/session/redis/entry.js';
import { Blinder, KeyLayout } from '../../src/session/redis/keys.js';
import { FleetSealer } from '../../src/session/redis/seal.js';

const seq = (n: number, from: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const BLINDING_KEY = seq(32, 0x00);
const STORAGE_KEY = seq(32, 0x40);
const FP = seq(32, 0x20);
const OUTBOUND = seq(32, 0x60);
const INBOUND_SECRET = seq(32, 0x80);
const TICKET = seq(16, 0xc0);
const NONCE = seq(12, 0xa0);
const ESTABLISHED = 1_780_000_000_000;

const VECTOR = {
  bfp: '3984720524009f7f73850b20b13312e9',
  bticket: '81c054647b14bf136f574e96f79e00d1',
  boutbound: 'f58ded11b31683f6bc72e46328baf6ca',
  bdevice: '0857bbb15f9404464c40f2d6bfe88f8d',
  entryKey: '7b7071626c657d3a653a3984720524009f7f73850b20b13312e9',
  value:
    '81c054647b14bf136f574e96f79e00d1f58ded11b31683f6bc72e46328baf6ca0857bbb15f9404464c40f2d6bfe88f8d010001a0a1a2a3a4a5a6a7a8a9aaab8ce0f9cf5ccc4eb45f59b416f711d60e8105f0aee8e7d311f206d836d8221a4092bf9d35514b660dcbe534705a9003856fc36aa35bc371ecd353b7ba1a479bb4ac646006f6215756d32912e6ac98d8254b5c98425e7e10aea3a753b50e110c29c25f1577ef8d6e6ae9c222fa123aa065fd4421fad737b56bde227d1996c7e72050221313947944b40602c75d465aed',
};

function blindBySpec(label: string, data: Uint8Array): string {
  return bytesToHex(hmac(sha256, BLINDING_KEY, concatBytes(utf8ToBytes(`pqble/redis/v1 ${label}`), new Uint8Array(1), data)).subarray(0, 16));
}

it('blinding, key names and the entry value match the known-answer vector', () => {
  const crypto = { ...nobleCrypto, randomBytes: (n: number) => (n === 12 ? NONCE.slice() : nobleCrypto.randomBytes(n)) };
  const blinder = new Blinder(BLINDING_KEY, crypto);
  const codec = new EntryCodec(blinder, new FleetSealer({ id: 1, key: STORAGE_KEY }, new Map([[1, STORAGE_KEY]]), crypto));
  const bfp = blinder.blind('fingerprint', FP);
  const key = new KeyLayout('pqble').entry(bfp);
  const record = {
    peerFingerprint: bytesToHex(FP),
    deviceId: 'a1b2c3d4e5f6',
    establishedMs: ESTABLISHED,
    outbound: OUTBOUND,
    inbound: { secret: INBOUND_SECRET, ticketId: TICKET },
  };
  assert.equal(bytesToHex(bfp), VECTOR.bfp);
  assert.equal(bytesToHex(key), VECTOR.entryKey);
  assert.equal(bytesToHex(codec.encode(key, record)), VECTOR.value);
  const decoded = codec.decode(key, bfp, hexToBytes(VECTOR.value));
  assert.ok('record' in decoded);
  assert.deepEqual(decoded.record, record);
});

it('the vector follows from the formulas in docs/fleet.md', () => {
  assert.equal(blindBySpec('fingerprint', FP), VECTOR.bfp);
  assert.equal(blindBySpec('ticket', TICKET), VECTOR.bticket);
  assert.equal(blindBySpec('outbound', OUTBOUND), VECTOR.boutbound);
  assert.equal(blindBySpec('device', hexToBytes('a1b2c3d4e5f6')), VECTOR.bdevice);
  assert.equal(bytesToHex(concatBytes(utf8ToBytes('{pqble}:e:'), hexToBytes(VECTOR.bfp))), VECTOR.entryKey);
  const header = hexToBytes(VECTOR.bticket + VECTOR.boutbound + VECTOR.bdevice);
  const sealHead = hexToBytes('010001'); // version 1, key id 1
  const record = concatBytes(
    FP,
    hexToBytes('a1b2c3d4e5f6'),
    hexToBytes(ESTABLISHED.toString(16).padStart(16, '0')),
    new Uint8Array([3]),
    OUTBOUND,
    INBOUND_SECRET,
    TICKET,
  );
  const aad = concatBytes(sealHead, utf8ToBytes('pqble/redis/entry/v1'), hexToBytes(VECTOR.entryKey), header);
  const sealed = chacha20poly1305(STORAGE_KEY, NONCE, aad).encrypt(record);
  assert.equal(bytesToHex(concatBytes(header, sealHead, NONCE, sealed)), VECTOR.value);
});
