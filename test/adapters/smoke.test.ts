import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNobleCentral } from '../../src/adapters/noble.js';
import { createBlenoPeripheral } from '../../src/adapters/bleno.js';
import type { Link } from '../../src/link/types.js';
import { createFakeBlePair } from './fakes/index.js';

describe('smoke (fakes)', () => {
  it('connects and exchanges', async () => {
    const { noble, bleno } = createFakeBlePair();
    const peripheral = await createBlenoPeripheral({ bleno });
    const central = await createNobleCentral({ noble, scanTimeoutMs: 500 });
    const incoming = new Promise<Link>((resolve) => peripheral.onIncoming(resolve));
    const link = await central.connect(peripheral.deviceId);
    const plink = await incoming;
    assert.equal(link.peerDeviceId, peripheral.deviceId);
    assert.equal(plink.peerDeviceId, central.deviceId);
    assert.equal(link.attMtu, 256);
    assert.equal(plink.attMtu, 256);
    const got: number[] = [];
    const done = new Promise<void>((resolve) => plink.onPacket((p) => { got.push(p[0]); if (got.length === 100) resolve(); }));
    for (let i = 0; i < 100; i++) await link.send(new Uint8Array([i, 1, 2]));
    await done;
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
    const back = new Promise<Uint8Array>((resolve) => link.onPacket(resolve));
    await plink.send(new Uint8Array(253).fill(7));
    assert.equal((await back).length, 253);
    const closed = new Promise((resolve) => plink.onClose(resolve));
    await link.close();
    const reason = await closed;
    assert.equal((reason as { code?: string }).code, 'PQBLE_ERR_DISCONNECTED');
    await central.close();
    await peripheral.close();
  });
});
