// BleTransport on the Redis fleet store (docs/fleet.md): gateways that share one hub
// identity and one RedisSessionStore resume a device that moved from one gateway to another,
// a ticket is used once across the fleet, and a Redis that is gone costs a full handshake
// within the store timeout, never a hang.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateIdentity } from '../../src/identity/index.js';
import { silentLogger } from '../../src/logger.js';
import { SimulatedRadio } from '../../src/radio/index.js';
import type { RedisSessionStore } from '../../src/session/redis/index.js';
import { BleTransport } from '../../src/transport/index.js';
import { REDIS_SKIP, RedisServer, openStore, testFleet } from './harness.js';

const DEVICE_ID = 'de0000000001';

if (REDIS_SKIP !== undefined) {
  it('BleTransport on Redis', { skip: REDIS_SKIP }, () => {});
} else {
  let server: RedisServer;
  before(async () => {
    server = await RedisServer.start();
  });
  after(async () => {
    await server?.stop();
  });

  describe('BleTransport on the Redis fleet store', () => {
    it('a device that moves between gateways resumes at every one of them, each ticket once', async () => {
      const fleet = testFleet();
      const hub = generateIdentity();
      const radio = new SimulatedRadio({ seed: 3 });
      const stores: RedisSessionStore[] = [];
      const gateways: BleTransport[] = [];
      for (let i = 0; i < 3; i++) {
        const store = await openStore({ url: server.url }, fleet);
        stores.push(store);
        gateways.push(
          await BleTransport.create({ identity: hub, link: radio.createDevice({ deviceId: `9a00000000${i}0` }), logger: silentLogger, sessionStore: store }),
        );
      }
      const device = await BleTransport.create({ identity: generateIdentity(), link: radio.createDevice({ deviceId: DEVICE_ID }), logger: silentLogger });
      try {
        const types: string[] = [];
        for (let round = 0; round < 6; round++) {
          const gateway = gateways[round % gateways.length];
          const accepted = device.accept();
          const c = await gateway.connectToDevice(DEVICE_ID);
          await accepted;
          types.push(c.connectionType);
          await c.close();
        }
        assert.deepEqual(types, ['full-handshake', 'resumed', 'resumed', 'resumed', 'resumed', 'resumed']);
        assert.equal(device.cacheStats().resumptions, 5);
      } finally {
        for (const g of gateways) await g.close();
        await device.close();
        for (const s of stores) await s.close();
        await radio.close();
      }
    });

    it('with Redis gone, a gateway falls back to a full handshake within the store timeout', async () => {
      const fleet = testFleet();
      const spare = await RedisServer.start();
      const radio = new SimulatedRadio({ seed: 4 });
      const store = await openStore({ url: spare.url }, fleet, { timeoutMs: 200 });
      const gateway = await BleTransport.create({
        identity: generateIdentity(),
        link: radio.createDevice({ deviceId: '9a00000000f0' }),
        logger: silentLogger,
        sessionStore: store,
        storeTimeoutMs: 300,
      });
      const device = await BleTransport.create({ identity: generateIdentity(), link: radio.createDevice({ deviceId: DEVICE_ID }), logger: silentLogger });
      try {
        let accepted = device.accept();
        (await gateway.connectToDevice(DEVICE_ID)).close().catch(() => undefined);
        await accepted;
        await spare.stop();
        const started = performance.now();
        accepted = device.accept();
        const c = await gateway.connectToDevice(DEVICE_ID);
        await accepted;
        assert.equal(c.connectionType, 'full-handshake');
        assert.ok(performance.now() - started < 5_000, 'no hang');
        assert.ok(gateway.cacheStats().storeFailures >= 1);
        await c.close();
      } finally {
        await gateway.close();
        await device.close();
        await store.close();
        await radio.close();
      }
    });
  });
}
