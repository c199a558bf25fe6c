// forgetPeer() when the session store fails (review finding): every step is still tried,
// the call rejects with a coded StoreError instead of reporting success, and calling again
// once the store answers removes what the first call could not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex } from '../../src/bytes.js';
import { StoreError } from '../../src/errors.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { StoreCallOptions } from '../../src/session/store.js';
import { connectPair, identity, makePair } from './helpers.js';

/** A memory store whose writes can be made to fail. */
class FlakyStore extends MemorySessionStore {
  failing = false;
  override putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void> {
    if (this.failing) return Promise.reject(new StoreError('PQBLE_ERR_STORE_IO', 'injected: write failed'));
    return super.putValue(name, value, options);
  }
  override delete(peerFingerprint: string, options?: StoreCallOptions): Promise<boolean> {
    if (this.failing) return Promise.reject(new StoreError('PQBLE_ERR_STORE_IO', 'injected: delete failed'));
    return super.delete(peerFingerprint, options);
  }
}

async function tofuNames(store: MemorySessionStore): Promise<string[]> {
  const names: string[] = [];
  for await (const [name] of store.listValues('tofu:')) names.push(name);
  return names;
}

describe('forgetPeer with a failing store', () => {
  it('rejects PQBLE_ERR_STORE_IO while the store fails, and a second call finishes the job', async () => {
    const store = new FlakyStore();
    const pair = await makePair({ peripheral: { sessionStore: store } });
    try {
      await connectPair(pair);
      for (const c of pair.central.connections()) await c.close();
      const centralFp = bytesToHex(identity(0).fingerprint);
      assert.ok((await store.get(centralFp)) !== undefined, 'the peripheral cached the session');
      assert.deepEqual(await tofuNames(store), ['tofu:aa0000000001'], 'and bound the central at its device id');

      store.failing = true;
      await assert.rejects(pair.peripheral.forgetPeer(centralFp), (err: unknown) => err instanceof StoreError && err.code === 'PQBLE_ERR_STORE_IO');
      assert.ok((await store.get(centralFp)) !== undefined, 'the store still holds the session: the failure was reported, not hidden');

      store.failing = false;
      assert.equal(await pair.peripheral.forgetPeer(centralFp), true);
      assert.equal(await store.get(centralFp), undefined);
      assert.deepEqual(await tofuNames(store), [], 'the binding is gone');
    } finally {
      await pair.close();
      await store.close();
    }
  });
});
