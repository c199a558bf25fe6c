/**
 * BleTransport end to end over the real-radio adapters: the noble central adapter and the
 * bleno peripheral adapter, wired to each other through the in-memory noble/bleno fakes
 * (test/adapters/fakes). No Bluetooth hardware is involved; hardware runs are manual
 * (docs/hardware.md). Full handshake, messages, resumption, and resumption from disk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { createBlenoPeripheral } from '../../src/adapters/bleno.js';
import { createNobleCentral } from '../../src/adapters/noble.js';
import { BleTransport } from '../../src/transport/index.js';
import { CapturingLogger, identity, tempDir, text, utf8 } from '../transport/helpers.js';
import { createFakeBlePair } from './fakes/index.js';

describe('BleTransport over the noble/bleno adapters (fakes of both libraries)', () => {
  it('runs a full handshake, exchanges messages, resumes, and resumes again after both restart', async () => {
    const { dir, cleanup } = await tempDir();
    const { noble, bleno } = createFakeBlePair();
    const peripheralLink = await createBlenoPeripheral({ bleno });
    const centralLink = await createNobleCentral({ noble, scanTimeoutMs: 2000, mtuReport: 'attMtu' });
    const logger = new CapturingLogger();
    const open = (side: 'central' | 'peripheral') =>
      BleTransport.create({
        identity: identity(side === 'central' ? 0 : 1),
        link: side === 'central' ? centralLink : peripheralLink,
        sessionPersistPath: join(dir, `${side}.json`),
        logger,
      });
    let central = await open('central');
    let peripheral = await open('peripheral');
    try {
      const target = peripheralLink.deviceId;
      const connectOnce = async () => {
        const accepted = peripheral.accept();
        const c = await central.connectToDevice(target);
        const p = await accepted;
        await c.send(utf8(`hello over ${c.connectionType}`));
        assert.equal(text(await p.receive()), `hello over ${c.connectionType}`);
        const big = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
        await p.send(big);
        assert.deepEqual(await c.receive(), big);
        const type = c.connectionType;
        await c.close();
        return type;
      };
      assert.equal(await connectOnce(), 'full-handshake');
      assert.equal(await connectOnce(), 'resumed');
      await central.close();
      await peripheral.close();
      central = await open('central');
      peripheral = await open('peripheral');
      assert.equal(await connectOnce(), 'resumed');
      assert.equal(central.cacheStats().size, 1);
      assert.deepEqual(logger.warnings, []);
    } finally {
      await central.close();
      await peripheral.close();
      await centralLink.close();
      await peripheralLink.close();
      await cleanup();
    }
  });
});
