// The shared fuzz settings (test/support/fuzz.ts): PQBLE_FUZZ_RUNS sets the runs of every
// property (a weight takes a share), bad values are refused, and a failure reports the seed
// with the line that replays it, which does reproduce the same counterexample.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzz, fuzzRuns } from './fuzz.js';

describe('fuzzRuns', () => {
  it('is the default without PQBLE_FUZZ_RUNS, PQBLE_FUZZ_RUNS with it, a weight takes a share of either', () => {
    assert.equal(fuzzRuns(300, 1, {}), 300);
    assert.equal(fuzzRuns(300, 1, { PQBLE_FUZZ_RUNS: '' }), 300);
    assert.equal(fuzzRuns(300, 1, { PQBLE_FUZZ_RUNS: '5000' }), 5000);
    assert.equal(fuzzRuns(500, 1 / 4, {}), 125);
    assert.equal(fuzzRuns(500, 1 / 4, { PQBLE_FUZZ_RUNS: '10' }), 3);
    assert.equal(fuzzRuns(1, 1 / 100, {}), 1);
  });

  it('refuses a value that is not a positive whole number', () => {
    for (const bad of ['0', '-3', '2.5', 'lots']) assert.throws(() => fuzzRuns(10, 1, { PQBLE_FUZZ_RUNS: bad }), RangeError, bad);
    assert.throws(() => fuzz(10, 1, { PQBLE_FUZZ_SEED: 'x' }), RangeError);
  });
});

describe('fuzz', () => {
  it('passes numRuns, seed and path to fast-check', () => {
    const p = fuzz(40, 1, { PQBLE_FUZZ_SEED: '-12', PQBLE_FUZZ_PATH: '3:1' });
    assert.equal(p.numRuns, 40);
    assert.equal(p.seed, -12);
    assert.equal(p.path, '3:1');
    const none = fuzz(40, 1, {});
    assert.ok(!('seed' in none) && !('path' in none));
  });

  it('a failure names the seed and the replay line, and replaying gives the same counterexample', () => {
    const property = fc.property(fc.integer({ min: 0, max: 1_000_000 }), (n) => n < 500_000);
    let message = '';
    try {
      fc.assert(property, fuzz(1000, 1, {}));
    } catch (err) {
      message = (err as Error).message;
    }
    const replay = /replay with: PQBLE_FUZZ_SEED=(-?\d+) PQBLE_FUZZ_PATH=([\d:]+)$/.exec(message);
    assert.ok(replay !== null, message);
    assert.match(message, new RegExp(`seed: ${replay[1]}`));
    const counterexample = /Counterexample: \[(\d+)\]/.exec(message)?.[1];
    assert.ok(counterexample !== undefined, message);
    const { reporter: _, ...replayed } = fuzz<[number]>(1000, 1, { PQBLE_FUZZ_SEED: replay[1], PQBLE_FUZZ_PATH: replay[2] });
    const again = fc.check<[number]>(property, replayed);
    assert.ok(again.failed);
    assert.deepEqual(again.counterexample, [Number(counterexample)]);
  });
});
