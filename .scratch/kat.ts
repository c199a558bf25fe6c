import { StoreKeys } from '../src/session/file/seal.ts';
import { encodeEntryRecord } from '../src/session/file/record.ts';
import { nodeCrypto } from '../src/crypto/node.ts';
import { nobleCrypto } from '../src/crypto/index.ts';
import { bytesToHex, hexToBytes } from '../src/bytes.ts';
const seq = (n: number, start: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
for (const c of [nodeCrypto, nobleCrypto]) {
const keys = new StoreKeys(c, seq(32, 0));
const salt = seq(16, 0x20);
const segKey = keys.segmentKey(salt);
const out = new Uint8Array(155);
const e = { peerFingerprint: bytesToHex(seq(32, 0x40)), deviceId: 'a1b2c3d4e5f6', establishedMs: 1_780_000_000_000, lastActiveMs: 1_780_000_060_000, outbound: seq(32, 0x60), inboundSecret: seq(32, 0x80), ticketId: bytesToHex(seq(16, 0xa0)) };
encodeEntryRecord(out, 0, keys, c, segKey, 21, e, keys.deviceHint(hexToBytes(e.deviceId)), undefined);
console.log('segkey', bytesToHex(segKey));
console.log('fpkey', bytesToHex(keys.fpKey(seq(32,0x40))), 'tk', bytesToHex(keys.ticketKey(seq(16,0xa0))), 'hint', keys.deviceHint(hexToBytes(e.deviceId)).toString(16));
console.log(bytesToHex(out));
}
