// The fleet benchmark (`pqble bench fleet`) against a real redis-server: its figures add up,
// no ticket is used twice, replays are refused, and with Redis killed mid-run every
// reconnect still completes (resumed or full handshake) in bounded time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runFleetBench } from '../../src/bench/fleet/driver.js';
import type { RedisSessionStore } from '../../src/session/redis/index.js';
import { ensureBuilt, runCli } from '../cli/helpers.js';
import { RedisServer, REDIS_SKIP, openStore, testFleet } from './harness.js';

if (REDIS_SKIP !== undefined) {
  it('Redis fleet benchmark', { skip: REDIS_SKIP }, () => {});
} else {
  describe('fleet benchmark', () => {
    let server: RedisServer;
    before(async () => {
      server = await RedisServer.start();
    });
    after(async () => {
      await server?.stop();
    });

    it('4 gateways, 60 devices, 4 reconnects: all resumed, 0 double use, replays refused', async () => {
      const fleet = testFleet();
      const stores = await Promise.all([0, 1, 2, 3].map(() => openStore({ url: server.url }, fleet)));
      try {
        const r = await runFleetBench({ stores, devices: 60, reconnects: 4, raceShare: 0.3, replayShare: 0.5 });
        assert.equal(r.reconnects, 240);
        assert.equal(r.resumed + r.fullHandshakes, r.reconnects);
        assert.ok(r.resumed >= 0.99 * r.reconnects, `resumed ${r.resumed} of ${r.reconnects}`);
        assert.equal(r.doubleUse, 0);
        assert.ok(r.races > 0 && r.replays > 0);
        assert.equal(r.replaysRefused, r.replays);
        assert.equal(r.storeErrors, 0);
        assert.ok(r.storeP50Ms > 0 && r.storeP99Ms >= r.storeP50Ms);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('Redis killed mid-run: every reconnect completes (resumed or full), none twice, in bounded time', async () => {
      const fleet = testFleet();
      const stores: RedisSessionStore[] = await Promise.all([0, 1, 2].map(() => openStore({ url: server.url }, fleet, { timeoutMs: 100 })));
      try {
        const t0 = performance.now();
        let killed = false;
        const r = await runFleetBench({
          stores,
          devices: 40,
          reconnects: 6,
          concurrency: 4,
          onProgress: (done) => {
            if (done === 10 && !killed) {
              killed = true;
              void server.kill();
            }
          },
        });
        const ms = performance.now() - t0;
        assert.ok(killed);
        assert.equal(r.resumed + r.fullHandshakes, r.reconnects);
        assert.ok(r.fullHandshakes > 0 && r.storeErrors > 0, 'the outage was felt');
        assert.equal(r.doubleUse, 0);
        assert.ok(ms < 20_000, `took ${ms.toFixed(0)} ms`);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await server.restart();
      }
    });

    it('pqble bench fleet --json prints the figures; a bad command line exits 2', () => {
      ensureBuilt();
      const r = runCli(['bench', 'fleet', '--redis', server.url, '--gateways', '2', '--devices', '20', '--reconnects', '2', '--json'], { timeoutMs: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Record<string, number>;
      for (const key of ['gateways', 'devices', 'reconnects', 'resumed', 'fullHandshakes', 'doubleUse', 'storeP50Ms', 'storeP99Ms']) assert.equal(typeof report[key], 'number', key);
      assert.equal(report.gateways, 2);
      assert.equal(report.reconnects, 40);
      assert.equal(report.doubleUse, 0);
      const bad = runCli(['bench', 'fleet', '--gateways', '2']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /exactly one of --redis URL or --redis-cluster/);
    });
  });
}
