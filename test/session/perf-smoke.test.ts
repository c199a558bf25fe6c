// Perf smoke check of the session cache and its file store: prints timings, never asserts
// on them (figures live in bench/). Size: PQBLE_PERF_SESSIONS (default 10,000).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import { silentLogger } from '../../src/logger.js';
import { SessionCache } from '../../bench/baseline/session-cache-v1.js';
import { FileSessionStore } from '../../bench/baseline/file-store-v1.js';
import type { CachedSession } from '../../src/session/types.js';
import { tempDir } from './helpers.js';

const N = Number(process.env.PQBLE_PERF_SESSIONS ?? 10_000);

function sessions(n: number, now: number): CachedSession[] {
  const rnd = new Uint8Array(n * 118);
  for (let o = 0; o < rnd.length; o += 65_536) rnd.set(randomBytes(Math.min(65_536, rnd.length - o)), o);
  const out: CachedSession[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd.subarray(i * 118, (i + 1) * 118);
    out.push({
      peerFingerprint: bytesToHex(r.subarray(0, 32)),
      deviceId: bytesToHex(r.subarray(32, 38)),
      sessionId: bytesToHex(r.subarray(38, 54)),
      establishedMs: now - 1000,
      lastActiveMs: now - 1000 + i,
      resumptionSecret: r.slice(54, 86),
      ticketId: bytesToHex(r.subarray(86, 102)),
    });
  }
  return out;
}

type Report = (message: string) => void;

function time<T>(report: Report, label: string, fn: () => T): T {
  const t = performance.now();
  const v = fn();
  report(`${label}: ${(performance.now() - t).toFixed(1)} ms`);
  return v;
}

async function timeAsync<T>(report: Report, label: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const v = await fn();
  report(`${label}: ${(performance.now() - t).toFixed(1)} ms`);
  return v;
}

describe(`session cache perf smoke (${N} sessions)`, () => {
  it('prints insert, lookup, touch, save and load times', async (t) => {
    const report: Report = (m) => t.diagnostic(m);
    const now = Date.now();
    const input = sessions(N, now);
    const cache = new SessionCache({ maxEntries: N, now: () => now });
    time(report, `cache.set x${N}`, () => {
      for (const s of input) cache.set(s);
    });
    time(report, `cache.getByTicketId + touch x${N}`, () => {
      for (const s of input) {
        cache.getByTicketId(s.ticketId);
        cache.touch(s.peerFingerprint);
      }
    });
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'sessions.json');
      const store = new FileSessionStore({ path, logger: silentLogger });
      await timeAsync(report, 'save (every entry sealed)', () => store.save(cache.entries()));
      await timeAsync(report, 'save again (unchanged entries keep their seal)', () => store.save(cache.entries()));
      const loaded = await timeAsync(report, 'load (new store)', () => new FileSessionStore({ path, logger: silentLogger }).load());
      assert.equal(loaded.length, N);
      const restored = new SessionCache({ maxEntries: N, now: () => now });
      time(report, 'refill a cache from the loaded sessions', () => {
        for (const s of loaded) restored.set(s);
      });
      assert.equal(restored.size, N);
    } finally {
      await cleanup();
    }
  });
});
