// A full Redis (maxmemory reached, noeviction): writes fail with a coded StoreError, reads
// keep working, nothing crashes, and a transport on that store falls back to a full
// handshake. Also: REDIS_URL, when set, names a server the contract runs against as well.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPqbleError } from '../../src/errors.js';
import { generateIdentity } from '../../src/identity/index.js';
import { silentLogger } from '../../src/logger.js';
import { SimulatedRadio } from '../../src/radio/index.js';
import { BleTransport } from '../../src/transport/index.js';
import { runRedisContract } from './contract.js';
import { REDIS_SKIP, RedisServer, openStore, sampleSession, testFleet } from './harness.js';

if (REDIS_SKIP !== undefined) {
  it('a full Redis', { skip: REDIS_SKIP }, () => {});
} else {
  let server: RedisServer;
  before(async () => {
    server = await RedisServer.start(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
  });
  after(async () => {
    await server?.stop();
  });

  describe('a full Redis (maxmemory, noeviction)', () => {
    it('writes fail with a coded StoreError, reads still answer, and a transport falls back to a full handshake', async () => {
      const fleet = testFleet();
      const store = await openStore({ url: server.url }, fleet, { timeoutMs: 2_000 });
      try {
        const kept = sampleSession();
        await store.put(kept);
        let failure: unknown;
        for (let i = 0; i < 50_000 && failure === undefined; i++) {
          try {
            await store.put(sampleSession());
          } catch (err) {
            failure = err;
          }
        }
        assert.ok(failure !== undefined, 'Redis filled up');
        assert.ok(
          isPqbleError(failure) && failure.code.startsWith('PQBLE_ERR_STORE_'),
          `a coded error: ${failure instanceof Error ? failure.message : typeof failure}`,
        );
        assert.equal((await store.get(kept.peerFingerprint))?.deviceId, kept.deviceId, 'reads still work');
        // A gateway on the full store: its session cannot be stored, so the reconnect is a
        // full handshake again; nothing hangs or crashes.
        const radio = new SimulatedRadio({ seed: 9 });
        const gateway = await BleTransport.create({
          identity: generateIdentity(),
          link: radio.createDevice({ deviceId: '9a00000000e0' }),
          logger: silentLogger,
          sessionStore: store,
        });
        const device = await BleTransport.create({
          identity: generateIdentity(),
          link: radio.createDevice({ deviceId: 'de00000000e1' }),
          logger: silentLogger,
        });
        try {
          for (let i = 0; i < 2; i++) {
            const accepted = device.accept();
            const c = await gateway.connectToDevice('de00000000e1');
            await accepted;
            assert.equal(c.connectionType, 'full-handshake');
            await c.close();
          }
          assert.ok(gateway.cacheStats().storeFailures >= 1);
        } finally {
          await gateway.close();
          await device.close();
          await radio.close();
        }
      } finally {
        await store.close();
      }
    });
  });

  const external = process.env['REDIS_URL'];
  if (external !== undefined && external !== '') {
    describe(`RedisSessionStore on REDIS_URL`, () => {
      runRedisContract('REDIS_URL', () => openStore({ url: external }, testFleet()));
    });
  }
}
