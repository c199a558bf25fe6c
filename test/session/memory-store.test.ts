// The in-memory SessionStore against the compliance suite (docs/store.md "The store contract").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { randomSession, runStoreCompliance } from './store-compliance.js';

runStoreCompliance('MemorySessionStore', () => Promise.resolve({ store: new MemorySessionStore(), cleanup: () => Promise.resolve() }));

describe('MemorySessionStore options', () => {
  it('rejects unknown option keys and a bad default timeout', () => {
    assert.throws(() => new MemorySessionStore({ bogus: 1 } as never), TypeError);
    assert.throws(() => new MemorySessionStore({ timeoutMs: -5 }), RangeError);
  });

  it('close makes later calls reject with PQBLE_ERR_STORE_CLOSED', async () => {
    const store = new MemorySessionStore();
    const s = randomSession();
    await store.put(s);
    const held = await store.get(s.peerFingerprint);
    assert.ok(held?.outbound?.some((b) => b !== 0));
    await store.close();
    await assert.rejects(store.get(s.peerFingerprint), { code: 'PQBLE_ERR_STORE_CLOSED' });
  });
});
