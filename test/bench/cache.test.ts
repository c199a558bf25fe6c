// `runCacheBench` (docs/benchmarks.md "Session store"): a small run reports every figure for
// both stores (medians of the rounds); the per-entry disk size is a property of the format, not a timing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCacheBench } from '../../bench/cache.js';

describe('runCacheBench', () => {
  it('reports both stores as medians of its rounds, with the version-2 entry blocks of 135.7 B per entry', async () => {
    const r = await runCacheBench({ entries: 400, runs: 3 });
    assert.equal(r.entries, 400);
    assert.equal(r.runs, 3);
    assert.equal(r.loadAverage.length, 2);
    for (const s of [r.v2, r.v1]) {
      assert.equal(s.error, undefined, s.error);
      assert.equal(s.runs, 3);
      // The reported time is the median of the rounds.
      assert.equal(s.saveRunsMs.length, 3);
      assert.equal(s.saveMs, [...s.saveRunsMs].sort((a, b) => a - b)[1]);
      assert.equal(s.loadMs, [...s.loadRunsMs].sort((a, b) => a - b)[1]);
      for (const k of ['saveMs', 'loadMs', 'maxStallMs', 'maxStallWallMs', 'bytesPerEntry', 'memoryBytesPerEntry'] as const)
        assert.ok(Number.isFinite(s[k]) && s[k] >= 0, `${s.store}.${k} = ${s[k]}`);
    }
    // 16 B header + 21 B segment + 12 full entry blocks (22 + 32 * 135 B) + one of 16 entries (22 + 16 * 135 B).
    assert.equal(r.v2.bytesPerEntry, Math.round(((16 + 21 + 12 * (22 + 32 * 135) + (22 + 16 * 135)) / 400) * 10) / 10);
    assert.ok(r.v2.bytesPerEntry <= 160);
    assert.ok(r.v1.bytesPerEntry >= 390 && r.v1.bytesPerEntry < 391, String(r.v1.bytesPerEntry));
    assert.ok(Number.isFinite(r.v2.ratchetMs) && Number.isFinite(r.v2.compactMs) && Number.isFinite(r.v2.inputMs));
    assert.equal(r.ratios.bytesPerEntry, Math.round((r.v1.bytesPerEntry / r.v2.bytesPerEntry) * 100) / 100);
  });

  it('rejects a bad entry or round count and can skip version 1', async () => {
    await assert.rejects(runCacheBench({ entries: 0 }), RangeError);
    await assert.rejects(runCacheBench({ entries: 10, runs: 0 }), RangeError);
    const r = await runCacheBench({ entries: 50, runs: 1, skipV1: true });
    assert.equal(r.v2.runs, 1);
    assert.match(r.v1.error ?? '', /skipped/);
    assert.ok(Number.isNaN(r.v1.saveMs));
  });
});
