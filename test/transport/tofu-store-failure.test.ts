/**
 * Review finding: under the default `tofu` policy a device id whose binding is in the
 * session store but not in memory (made by another gateway sharing the store, or not
 * restored at start-up) must not be re-bound to another identity just because the store
 * lookup failed. Before the fix a failed `getValue('tofu:<id>')` counted as "no binding": the
 * impostor was accepted and its binding overwrote the genuine one in the store.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bytesToHex } from '../../src/bytes.js';
import { StoreError, isPqbleError } from '../../src/errors.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { StoreCallOptions } from '../../src/session/store.js';
import { BleTransport } from '../../src/transport/index.js';
import { CENTRAL_ID, OTHER_ID, PERIPHERAL_ID, identity, makePair, tempDir } from './helpers.js';

/** A memory store whose `tofu:` lookups fail while `failing` is set. */
class FlakyTofuStore extends MemorySessionStore {
  failing = false;
  override getValue(name: string, options?: StoreCallOptions): Promise<Uint8Array | undefined> {
    if (this.failing && name.startsWith('tofu:')) return Promise.reject(new StoreError('PQBLE_ERR_STORE_TIMEOUT', 'the store did not answer'));
    return super.getValue(name, options);
  }
}

describe('review: tofu binding lookup that fails', () => {
  it('tofu store failure accepts an impostor and overwrites the genuine binding (must refuse and keep it)', async () => {
    const store = new FlakyTofuStore();
    const pair = await makePair({ peripheral: { sessionStore: store } });
    try {
      // Another gateway of the shared store bound CENTRAL_ID to identity 0 after this one started.
      const genuine = bytesToHex(identity(0).fingerprint);
      await store.putValue(`tofu:${CENTRAL_ID}`, identity(0).fingerprint);
      // An impostor (identity 3) connects from CENTRAL_ID while the store's lookups fail.
      store.failing = true;
      await pair.central.close();
      await pair.radio.getDevice(CENTRAL_ID)?.close();
      pair.central = await BleTransport.create({ identity: identity(3), link: pair.radio.createDevice({ deviceId: CENTRAL_ID }), logger: pair.logger });
      const accepted = pair.peripheral.accept().catch(() => undefined);
      const outcome = await pair.central.connectToDevice(PERIPHERAL_ID).then(
        () => 'connected',
        (err: unknown) => (isPqbleError(err, 'PQBLE_ERR_PEER_UNTRUSTED') ? 'untrusted' : `other: ${String(err)}`),
      );
      store.failing = false;
      assert.equal(outcome, 'untrusted', 'the impostor is refused while the binding cannot be looked up');
      assert.equal(pair.peripheral.stats().connectionsOpened, 0);
      const stored = await store.getValue(`tofu:${CENTRAL_ID}`);
      assert.equal(stored === undefined ? undefined : bytesToHex(stored), genuine, 'the genuine binding stays in the store');
      void accepted;
    } finally {
      await pair.close();
      await store.close();
    }
  });

  it('tofu store failure lets a resumption from a device id bound elsewhere rebind it (must refuse and keep it)', async () => {
    const { dir, cleanup } = await tempDir();
    const bStore = join(dir, 'b.sessions');
    const store = new FlakyTofuStore();
    const pair = await makePair({ peripheral: { sessionStore: store } });
    // B (identity 2) gets a genuine session from its own device id.
    let b = await BleTransport.create({
      identity: identity(2),
      link: pair.radio.createDevice({ deviceId: OTHER_ID }),
      logger: pair.logger,
      sessionPersistPath: bStore,
    });
    try {
      const accepted = pair.peripheral.accept();
      await b.connectToDevice(PERIPHERAL_ID);
      await accepted;
      await b.close();
      // CENTRAL_ID is bound to identity 0 in the shared store by another gateway.
      const genuine = bytesToHex(identity(0).fingerprint);
      await store.putValue(`tofu:${CENTRAL_ID}`, identity(0).fingerprint);
      // B, with its valid session, resumes from CENTRAL_ID while the store's tofu lookups fail.
      await pair.central.close();
      await pair.radio.getDevice(CENTRAL_ID)?.close();
      b = await BleTransport.create({
        identity: identity(2),
        link: pair.radio.createDevice({ deviceId: CENTRAL_ID }),
        logger: pair.logger,
        sessionPersistPath: bStore,
      });
      store.failing = true;
      const incoming = pair.peripheral.accept().catch(() => undefined);
      const outcome = await b.connectToDevice(PERIPHERAL_ID).then(
        (c) => c.connectionType,
        (err: unknown) => (isPqbleError(err, 'PQBLE_ERR_PEER_UNTRUSTED') ? 'untrusted' : `other: ${String(err)}`),
      );
      store.failing = false;
      void incoming;
      assert.equal(outcome, 'untrusted', 'B is refused at a device id whose binding cannot be looked up');
      const stored = await store.getValue(`tofu:${CENTRAL_ID}`);
      assert.equal(stored === undefined ? undefined : bytesToHex(stored), genuine, 'the genuine binding stays in the store');
    } finally {
      await b.close();
      await pair.close();
      await store.close();
      await cleanup();
    }
  });
});
