// The fleet benchmark (`pqble bench fleet`: BleTransports on one simulated radio, gateways on
// a real redis-server): its figures add up, no ticket is used twice, replayed requests are
// refused, and with Redis killed mid-run every connect still ends (resumed, full handshake or
// a coded error) within handshakeTimeoutMs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runFleetBench } from '../../bench/fleet/driver.js';
import type { RedisSessionStore } from '../../src/session/redis/index.js';
import { runInProcess } from '../cli/helpers.js';

/** BleTransportOptions.connectTimeoutMs's default (docs/api.md): the driver does not set it. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
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

    it('4 gateways, 12 devices, 3 reconnects on real transports: all resumed, 0 double use, replays refused', async () => {
      const fleet = testFleet();
      const stores = await Promise.all([0, 1, 2, 3].map(() => openStore({ url: server.url }, fleet)));
      try {
        const r = await runFleetBench({ stores, devices: 12, reconnects: 3, raceShare: 0.4, replayShare: 0.6, seed: 7 });
        assert.equal(r.gateways, 4);
        assert.equal(r.reconnects, 36);
        assert.equal(r.resumed + r.fullHandshakes + r.failed, r.reconnects);
        assert.ok(r.resumed >= 0.99 * r.reconnects, `resumed ${r.resumed} of ${r.reconnects}`);
        assert.equal(r.failed, 0);
        assert.equal(r.doubleUse, 0);
        assert.ok(r.races > 0 && r.replays > 0, `races ${r.races}, replays ${r.replays}`);
        assert.equal(r.replaysRefused, r.replays);
        assert.equal(r.storeErrors, 0);
        assert.ok(r.storeP50Ms > 0 && r.storeP99Ms >= r.storeP50Ms);
        assert.ok(r.slowestConnectRadioMs > 0 && r.slowestConnectRadioMs <= 20_000);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('Redis killed mid-run: every connect ends (resumed, full or a coded error) within handshakeTimeoutMs, none twice', async () => {
      const fleet = testFleet();
      const stores: RedisSessionStore[] = await Promise.all([0, 1, 2].map(() => openStore({ url: server.url }, fleet, { timeoutMs: 100 })));
      const handshakeTimeoutMs = 4_000;
      try {
        let killed = false;
        const r = await runFleetBench({
          stores,
          devices: 16,
          reconnects: 4,
          concurrency: 4,
          handshakeTimeoutMs,
          storeTimeoutMs: 300,
          seed: 11,
          onProgress: (done) => {
            if (done === 4 && !killed) {
              killed = true;
              void server.kill();
            }
          },
        });
        assert.ok(killed);
        assert.equal(r.resumed + r.fullHandshakes + r.failed, r.reconnects);
        assert.ok(r.fullHandshakes + r.failed > 0 && r.storeErrors > 0, `the outage was felt: ${JSON.stringify(r)}`);
        assert.ok(r.resumed > 0, 'resumed before the outage');
        assert.equal(r.doubleUse, 0);
        // Every gateway connect (first contacts included) settled within the setup timeout,
        // in the radio's time and in real time (store waits hold the virtual clock). In the
        // radio's time link establishment (advertising, GATT discovery, CCCD write: about
        // 0.5 s on LE Coded at 30 ms, more while the gateways' links share their radios)
        // comes before the setup timeout starts, bounded by the transport's connectTimeoutMs
        // (default 10 s; connects queue behind each other on a gateway's shared radio).
        assert.ok(r.slowestConnectRadioMs <= DEFAULT_CONNECT_TIMEOUT_MS + handshakeTimeoutMs, `radio ${r.slowestConnectRadioMs} ms`);
        assert.ok(r.slowestConnectMs <= handshakeTimeoutMs, `real ${r.slowestConnectMs} ms`);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await server.restart();
      }
    });

    it('pqble bench fleet --json prints the figures; a bad command line exits 2', async () => {
      const r = await runInProcess(['bench', 'fleet', '--redis', server.url, '--gateways', '2', '--devices', '20', '--reconnects', '2', '--json'], {
        timeoutMs: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Record<string, number>;
      for (const key of [
        'gateways',
        'devices',
        'reconnects',
        'resumed',
        'fullHandshakes',
        'failed',
        'doubleUse',
        'storeP50Ms',
        'storeP99Ms',
        'races',
        'replays',
        'replaysRefused',
        'storeErrors',
        'slowestConnectMs',
        'slowestConnectRadioMs',
      ])
        assert.equal(typeof report[key], 'number', key);
      assert.equal(report.gateways, 2);
      assert.equal(report.reconnects, 40);
      assert.equal(report.doubleUse, 0);
      const bad = await runInProcess(['bench', 'fleet', '--gateways', '2']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /exactly one of --redis URL or --redis-cluster/);
    });
  });
}
