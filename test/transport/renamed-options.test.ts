/**
 * The renamed transport options (unit in the name): the old names still work for one
 * release, warn once through the logger, and cannot contradict the new names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedRadio } from '../../src/radio/index.js';
import { BleTransport } from '../../src/transport/index.js';
import { CapturingLogger, connectPair, identity, makePair } from './helpers.js';

describe('renamed transport options', () => {
  it('sessionCacheDuration (deprecated) still sets the session lifetime, with one warning', async () => {
    const pair = await makePair({ central: { sessionCacheDuration: 60_000 } });
    try {
      assert.deepEqual(
        pair.logger.warnings.filter((w) => w.includes('deprecated')),
        ['BleTransport.create: the option sessionCacheDuration is deprecated; use sessionCacheDurationMs'],
      );
      await connectPair(pair);
      for (const c of pair.central.connections()) await c.close();
      await pair.clock.advance(30_000);
      assert.equal((await connectPair(pair)).central.connectionType, 'resumed');
      for (const c of pair.central.connections()) await c.close();
      await pair.clock.advance(31_000);
      // Past the 60 s given under the old name (the default is 24 h): a full handshake.
      assert.equal((await connectPair(pair)).central.connectionType, 'full-handshake');
      // A second transport with the old name in this process does not warn again.
      await pair.restart('central', { sessionCacheDuration: 60_000 });
      assert.equal(pair.logger.warnings.filter((w) => w.includes('deprecated')).length, 1);
    } finally {
      await pair.close();
    }
  });

  it('both names with different values is a RangeError; the same value is accepted', async () => {
    const radio = new SimulatedRadio({ seed: 1 });
    try {
      const logger = new CapturingLogger();
      const base = { identity: identity(0), logger };
      await assert.rejects(
        BleTransport.create({ ...base, link: radio.createDevice({ deviceId: 'aa00000000a1' }), sessionCacheDurationMs: 1000, sessionCacheDuration: 2000 }),
        (err: unknown) => err instanceof RangeError && /sessionCacheDuration is the deprecated name of sessionCacheDurationMs/.test(err.message),
      );
      await assert.rejects(
        BleTransport.create({ ...base, link: radio.createDevice({ deviceId: 'aa00000000a2' }), sessionCleanupIntervalMs: null, sessionCleanupInterval: 5000 }),
        RangeError,
      );
      const t = await BleTransport.create({
        ...base,
        link: radio.createDevice({ deviceId: 'aa00000000a3' }),
        sessionSaveIntervalMs: 5000,
        sessionSaveInterval: 5000,
      });
      await t.close();
      // The new names are checked like any option.
      await assert.rejects(BleTransport.create({ ...base, link: radio.createDevice({ deviceId: 'aa00000000a4' }), sessionCacheDurationMs: 0 }), RangeError);
      await assert.rejects(
        BleTransport.create({ ...base, link: radio.createDevice({ deviceId: 'aa00000000a5' }), sessionSaveIntervalMs: '5' as unknown as number }),
        TypeError,
      );
    } finally {
      await radio.close();
    }
  });
});
