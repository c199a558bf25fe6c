// The fleet benchmark's counters: a store that lets a ticket through twice is caught as
// double use; coded rejections are counted; percentiles come from the recorded durations.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { FleetStoreStats, ObservedStore } from '../../bench/fleet/observed-store.js';
import { StoreError } from '../../src/errors.js';
import type { SessionStore } from '../../src/session/store.js';

const update = { deviceId: '010203040506', lastActiveMs: 1 };

it('counts a ticket (or outbound secret) accepted twice as double use', async () => {
  const broken = { consumeInbound: () => Promise.resolve(true), replaceOutbound: () => Promise.resolve(true) } as unknown as SessionStore;
  const stats = new FleetStoreStats();
  const a = new ObservedStore(broken, stats);
  const b = new ObservedStore(broken, stats);
  const fp = 'ab'.repeat(32);
  await a.consumeInbound(fp, new Uint8Array(16).fill(1), undefined, update);
  await a.consumeInbound(fp, new Uint8Array(16).fill(2), undefined, update);
  assert.equal(stats.doubleUse, 0);
  await b.consumeInbound(fp, new Uint8Array(16).fill(1), undefined, update);
  assert.equal(stats.doubleUse, 1);
  await a.replaceOutbound(fp, new Uint8Array(32).fill(3), undefined, update);
  await b.replaceOutbound(fp, new Uint8Array(32).fill(3), undefined, update);
  assert.equal(stats.doubleUse, 2);
  assert.equal(stats.latenciesMs.length, 5);
});

it('counts coded rejections and passes them on; percentiles of the durations', async () => {
  const failing = { get: () => Promise.reject(new StoreError('PQBLE_ERR_STORE_TIMEOUT', 'slow')) } as unknown as SessionStore;
  const stats = new FleetStoreStats();
  await assert.rejects(new ObservedStore(failing, stats).get('ab'.repeat(32)), (e: Error & { code?: string }) => e.code === 'PQBLE_ERR_STORE_TIMEOUT');
  assert.equal(stats.storeErrors, 1);
  stats.latenciesMs.splice(0, stats.latenciesMs.length, ...Array.from({ length: 100 }, (_, i) => i + 1));
  assert.equal(stats.percentileMs(50), 50);
  assert.equal(stats.percentileMs(99), 99);
  assert.equal(new FleetStoreStats().percentileMs(50), 0);
});
