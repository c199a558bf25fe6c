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

  it('maxEntries evicts the least recently active entry: a touch or a put moves an entry last', async () => {
    const store = new MemorySessionStore({ maxEntries: 3 });
    const [a, b, c, d, e] = [0, 1, 2, 3, 4].map(() => randomSession());
    await store.put(a);
    await store.put(b);
    await store.put(c);
    await store.touch([{ peerFingerprint: a.peerFingerprint, lastActiveMs: a.lastActiveMs + 10 }]);
    await store.put(d); // evicts b
    const fps = async (): Promise<string[]> => {
      const out: string[] = [];
      for await (const s of store.entries()) out.push(s.peerFingerprint);
      return out;
    };
    assert.deepEqual(
      await fps(),
      [c, a, d].map((s) => s.peerFingerprint),
    );
    await store.put(randomSession({ peerFingerprint: c.peerFingerprint })); // replaced: moves last
    await store.put(e); // evicts a
    assert.deepEqual(
      await fps(),
      [d, c, e].map((s) => s.peerFingerprint),
    );
    assert.equal(store.counters.evictions, 2);
    assert.equal(await store.get(b.peerFingerprint), undefined);
    assert.equal(await store.getByTicket(a.inbound!.ticketId), undefined);
  });
});
