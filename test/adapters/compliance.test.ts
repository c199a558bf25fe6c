/**
 * The shared link compliance suite (test/link/compliance.ts) run against the noble central
 * and bleno peripheral adapters, wired to each other through the in-memory noble/bleno
 * fakes (test/adapters/fakes). No Bluetooth hardware is involved.
 */

import { createBlenoPeripheral } from '../../src/adapters/bleno.js';
import { createNobleCentral } from '../../src/adapters/noble.js';
import { runLinkCompliance, type LinkHarness } from '../link/compliance.js';
import { HCI_REASON, createFakeBlePair } from './fakes/index.js';

async function makeHarness(): Promise<LinkHarness> {
  const { noble, bleno, air } = createFakeBlePair();
  const peripheral = await createBlenoPeripheral({ bleno });
  const central = await createNobleCentral({ noble, scanTimeoutMs: 300, mtuReport: 'attMtu' });
  return {
    central,
    peripheral,
    async cleanup() {
      await central.close();
      await peripheral.close();
    },
    dropLink(link) {
      const conn = air.findConnection(link.peerDeviceId, link.localDeviceId);
      if (conn !== undefined) air.drop(conn, HCI_REASON.connectionTimeout);
      return Promise.resolve();
    },
  };
}

runLinkCompliance('noble central <-> bleno peripheral adapters over the noble/bleno fakes', makeHarness, { unknownDevice: true });
