// The Redis fleet store against the SessionStore contract: a single redis-server and a
// three-master Redis Cluster, both started here on loopback.
import { after, before, describe, it } from 'node:test';
import { RedisCluster, RedisServer, REDIS_SKIP, openStore, testFleet } from './harness.js';
import { runRedisContract } from './contract.js';

if (REDIS_SKIP !== undefined) {
  it('Redis store contract', { skip: REDIS_SKIP }, () => {});
} else {
  let server: RedisServer;
  let cluster: RedisCluster;
  before(async () => {
    [server, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start()]);
  });
  after(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  });
  describe('RedisSessionStore', () => {
    runRedisContract('single server', () => openStore({ url: server.url }, testFleet()));
    runRedisContract('Redis Cluster', () => openStore({ cluster: cluster.seeds }, testFleet()));
  });
}
