// The shared SessionStore compliance suite (test/session/store-compliance.ts) against the
// Redis fleet store: a single redis-server and a three-master Redis Cluster started here.
// The suite uses fixed timestamps from 1970 and 2026, so the sessions get a lifetime that
// reaches past today; "reopen" opens a new store (a new gateway) on the same namespace.
import { after, before, describe, it } from 'node:test';
import { MAX_TIME_MS } from '../../src/session/validate.js';
import { runStoreCompliance } from '../session/store-compliance.js';
import { RedisCluster, RedisServer, REDIS_SKIP, openStore, testFleet } from './harness.js';

if (REDIS_SKIP !== undefined) {
  it('Redis store compliance', { skip: REDIS_SKIP }, () => {});
} else {
  let server: RedisServer;
  let cluster: RedisCluster;
  before(async () => {
    [server, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start()]);
  });
  after(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  });
  const lifetime = { sessionLifetimeMs: MAX_TIME_MS - Date.now() };
  describe('RedisSessionStore', () => {
    for (const [name, target] of [
      ['Redis single server', () => ({ url: server.url })],
      ['Redis Cluster', () => ({ cluster: cluster.seeds })],
    ] as const) {
      runStoreCompliance(name, async () => {
        const fleet = testFleet();
        return {
          store: await openStore(target(), fleet, lifetime),
          reopen: () => openStore(target(), fleet, lifetime),
          cleanup: async () => {},
        };
      });
    }
  });
}
