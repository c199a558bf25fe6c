// Known answers for the radio model's formulas (docs/radio-model.md "Packets on air").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LL_MIC_BYTES, llFragmentSizes, llPacketAirtimeUs, llPacketBytesOnAir, maxLlPayloadBytes, PHYS, streamThroughputBps } from '../../src/radio/index.js';

describe('LL packet airtime and size', () => {
  it('reproduces the Core spec maximum packet times (251-byte payload + 4-byte MIC)', () => {
    // connMaxTxTime limits, Core 5.x Vol 6 Part B §4.5.10: 2120 µs (1M), 1064 µs (2M), 17040 µs (coded S=8)
    assert.equal(llPacketAirtimeUs('1m', 251 + LL_MIC_BYTES), 2120);
    assert.equal(llPacketAirtimeUs('2m', 251 + LL_MIC_BYTES), 1064);
    assert.equal(llPacketAirtimeUs('coded', 251 + LL_MIC_BYTES), 17040);
    // ... and the 328 µs of a 27-byte PDU with MIC on 1M, the minimum of connMaxTxTime
    assert.equal(llPacketAirtimeUs('1m', 27 + LL_MIC_BYTES), 328);
  });

  it('gives empty PDUs of 80 µs (1M), 44 µs (2M) and 720 µs (coded S=8)', () => {
    assert.equal(llPacketAirtimeUs('1m', 0), 80);
    assert.equal(llPacketAirtimeUs('2m', 0), 44);
    assert.equal(llPacketAirtimeUs('coded', 0), 720);
  });

  it('counts bytes on air from preamble to CRC', () => {
    assert.equal(llPacketBytesOnAir('1m', 0), 10);
    assert.equal(llPacketBytesOnAir('2m', 0), 11);
    assert.equal(llPacketBytesOnAir('coded', 0), 10);
    assert.equal(llPacketBytesOnAir('1m', 251), 261);
  });

  it('is linear in the payload: 8 µs/byte on 1M, 4 on 2M, 64 on coded S=8', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 254 }), (n) => {
        assert.equal(llPacketAirtimeUs('1m', n + 1) - llPacketAirtimeUs('1m', n), 8);
        assert.equal(llPacketAirtimeUs('2m', n + 1) - llPacketAirtimeUs('2m', n), 4);
        assert.equal(llPacketAirtimeUs('coded', n + 1) - llPacketAirtimeUs('coded', n), 64);
      }),
    );
  });

  it('rejects payloads outside 0..255 and unknown PHYs', () => {
    assert.throws(() => llPacketAirtimeUs('1m', 256), RangeError);
    assert.throws(() => llPacketAirtimeUs('1m', -1), RangeError);
    assert.throws(() => llPacketAirtimeUs('3m' as never, 10), RangeError);
  });
});

describe('ATT value fragmentation', () => {
  it('puts a 244-byte value (MTU 247) in exactly one 251-byte LL PDU', () => {
    assert.deepEqual(llFragmentSizes(244, 251), [251]);
    assert.deepEqual(llFragmentSizes(20, 27), [27]);
    assert.deepEqual(llFragmentSizes(514, 251), [251, 251, 19]);
    assert.deepEqual(llFragmentSizes(244, 27), [27, 27, 27, 27, 27, 27, 27, 27, 27, 8]);
    assert.equal(maxLlPayloadBytes(true), 251);
    assert.equal(maxLlPayloadBytes(false), 27);
  });

  it('always carries value + 7 bytes in PDUs no larger than the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 514 }), fc.integer({ min: 27, max: 251 }), (v, max) => {
        const sizes = llFragmentSizes(v, max);
        assert.equal(
          sizes.reduce((a, b) => a + b, 0),
          v + 7,
        );
        assert.ok(sizes.every((s) => s > 0 && s <= max));
        assert.ok(sizes.slice(0, -1).every((s) => s === max));
      }),
    );
  });
});

describe('streamThroughputBps', () => {
  it('orders the PHYs and grows with the interval (fewer event tails)', () => {
    const at = (phy: (typeof PHYS)[number], ms: number): number =>
      streamThroughputBps({ phy, connectionIntervalMs: ms, attMtu: 247, dataLengthExtension: true });
    assert.ok(at('coded', 400) < at('1m', 400) && at('1m', 400) < at('2m', 400));
    for (const phy of PHYS) assert.ok(at(phy, 400) >= at(phy, 30) && at(phy, Infinity) >= at(phy, 400));
  });
});
