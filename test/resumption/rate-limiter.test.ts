// Tests of the per-link resume attempt limiter (src/resumption/rate-limiter.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResumeRateLimiter } from '../../src/resumption/index.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('ResumeRateLimiter', () => {
  it('allows the burst, then refuses, per key (defaults: 3, then one per 10 s)', () => {
    const c = clock();
    const limiter = new ResumeRateLimiter({ now: c.now });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.tryAcquire('a')),
      [true, true, true, false],
    );
    assert.equal(limiter.tryAcquire('b'), true, 'other keys are not affected');
    c.advance(9_999);
    assert.equal(limiter.tryAcquire('a'), false);
    c.advance(1);
    assert.equal(limiter.tryAcquire('a'), true);
    assert.equal(limiter.tryAcquire('a'), false);
  });

  it('refills up to the burst only', () => {
    const c = clock();
    const limiter = new ResumeRateLimiter({ burst: 2, refillPerSecond: 1, now: c.now });
    limiter.tryAcquire('k');
    limiter.tryAcquire('k');
    c.advance(3_600_000);
    assert.deepEqual(
      [1, 2, 3].map(() => limiter.tryAcquire('k')),
      [true, true, false],
    );
  });

  it('refills nothing when the clock goes backwards', () => {
    const c = clock();
    const limiter = new ResumeRateLimiter({ burst: 1, refillPerSecond: 1, now: c.now });
    assert.equal(limiter.tryAcquire('k'), true);
    c.advance(-500_000);
    assert.equal(limiter.tryAcquire('k'), false);
    c.advance(999);
    assert.equal(limiter.tryAcquire('k'), false);
    c.advance(1);
    assert.equal(limiter.tryAcquire('k'), true);
  });

  it('never refills with refillPerSecond 0', () => {
    const c = clock();
    const limiter = new ResumeRateLimiter({ burst: 1, refillPerSecond: 0, now: c.now });
    assert.equal(limiter.tryAcquire('k'), true);
    c.advance(1e12);
    assert.equal(limiter.tryAcquire('k'), false);
  });

  it('tracks at most maxKeys keys, forgetting the least recently used', () => {
    const c = clock();
    const limiter = new ResumeRateLimiter({ burst: 1, refillPerSecond: 0, maxKeys: 2, now: c.now });
    limiter.tryAcquire('a');
    limiter.tryAcquire('b');
    assert.equal(limiter.tryAcquire('a'), false); // a is now most recent
    limiter.tryAcquire('c'); // evicts b
    assert.equal(limiter.size, 2);
    assert.equal(limiter.tryAcquire('a'), false, 'a was kept');
    assert.equal(limiter.tryAcquire('b'), true, 'b was forgotten and starts full');
    assert.equal(limiter.size, 2);
  });

  it('works on the system clock by default and checks its options', () => {
    assert.equal(new ResumeRateLimiter().tryAcquire('x'), true);
    assert.throws(() => new ResumeRateLimiter({ burst: 0 }), RangeError);
    assert.throws(() => new ResumeRateLimiter({ burst: 1.5 }), RangeError);
    assert.throws(() => new ResumeRateLimiter({ refillPerSecond: -1 }), RangeError);
    assert.throws(() => new ResumeRateLimiter({ maxKeys: 0 }), RangeError);
    assert.throws(() => new ResumeRateLimiter({ now: 5 as unknown as () => number }), TypeError);
    assert.throws(() => new ResumeRateLimiter({ bursts: 3 } as unknown as { burst: number }), TypeError);
    assert.throws(() => new ResumeRateLimiter().tryAcquire(1 as unknown as string), TypeError);
    assert.throws(() => new ResumeRateLimiter({ now: () => NaN }).tryAcquire('k'), TypeError);
  });
});
