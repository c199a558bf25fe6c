import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { PQBLE_RX_CHARACTERISTIC_UUID, PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID } from '../src/adapters/gatt.js';

describe('docs/protocol.md GATT table', () => {
  it('names the UUIDs the adapters use', async () => {
    const doc = await readFile('docs/protocol.md', 'utf8');
    for (const uuid of [PQBLE_SERVICE_UUID, PQBLE_TX_CHARACTERISTIC_UUID, PQBLE_RX_CHARACTERISTIC_UUID]) assert.ok(doc.includes(`\`${uuid}\``), uuid);
  });
});
