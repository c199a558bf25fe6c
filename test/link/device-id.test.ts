import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceIdFromBytes, deviceIdToBytes, formatDeviceId, parseDeviceId } from '../../src/link/index.js';

describe('device ids', () => {
  it('normalise colon, dash and mixed-case forms', () => {
    assert.equal(parseDeviceId('AA:BB:CC:dd:ee:ff'), 'aabbccddeeff');
    assert.equal(parseDeviceId('aa-bb-cc-dd-ee-ff'), 'aabbccddeeff');
    assert.equal(formatDeviceId('aabbccddeeff'), 'aa:bb:cc:dd:ee:ff');
  });
  it('round-trip through 6 bytes', () => {
    const bytes = Uint8Array.from([0, 1, 2, 0xfd, 0xfe, 0xff]);
    assert.deepEqual(deviceIdToBytes(deviceIdFromBytes(bytes)), bytes);
  });
  it('reject wrong lengths and types with RangeError / TypeError', () => {
    assert.throws(() => parseDeviceId('aabbcc'), RangeError);
    assert.throws(() => parseDeviceId('zzbbccddeeff'), RangeError);
    assert.throws(() => parseDeviceId(42), TypeError);
    assert.throws(() => deviceIdFromBytes(new Uint8Array(5)), RangeError);
  });
});
