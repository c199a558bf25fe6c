/**
 * Review finding (not fixed: it needs a design decision): the session cache is bounded
 * (`maxCachedSessions`, the store's `maxEntries`), but the trust values the session keeper
 * writes beside it are not. Every full handshake with a new identity stores its 1,952-byte
 * public key as `pk:<fingerprint>` and every new device id a `tofu:<device id>` binding, and
 * neither ever goes except by `forgetPeer`. With the default in-memory store a peer that
 * keeps completing full handshakes with fresh identities grows a gateway's memory without
 * bound (about 2 KB per identity). Marked `todo` so the suite stays green until it is decided.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { BleTransport } from '../../src/transport/index.js';
import { PERIPHERAL_ID, identity, makePair } from './helpers.js';

async function count(store: MemorySessionStore, prefix: string): Promise<number> {
  let n = 0;
  for await (const entry of store.listValues(prefix)) if (entry !== undefined) n++;
  return n;
}

describe('review: trust values beside a bounded session cache', () => {
  it('learned public keys (pk:) outgrow maxCachedSessions without bound', { todo: 'unbounded pk: values in the session store (review finding)' }, async () => {
    const store = new MemorySessionStore({ maxEntries: 2 });
    const pair = await makePair({ peripheral: { sessionStore: store } });
    try {
      for (let i = 0; i < 5; i++) {
        const device = pair.radio.createDevice({ deviceId: `dd00000000${String(i).padStart(2, '0')}` });
        const t = await BleTransport.create({ identity: identity(10 + i), link: device, logger: pair.logger });
        try {
          const accepted = pair.peripheral.accept();
          await t.connectToDevice(PERIPHERAL_ID);
          await accepted;
        } finally {
          await t.close();
          await device.close();
        }
      }
      assert.ok((await store.size()) <= 2, 'the session cache itself is bounded');
      const keys = await count(store, 'pk:');
      assert.ok(keys <= 2, `${keys} learned public keys kept for a cache of 2 sessions`);
    } finally {
      await pair.close();
      await store.close();
    }
  });
});
