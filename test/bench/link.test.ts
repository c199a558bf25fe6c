// The link benchmark rows (bench/link.ts): shapes and the relations the figures must keep.
// Virtual-clock figures only, from one run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLinkBench } from '../../bench/link.js';

describe('link bench rows', () => {
  it('reconnect from connectToDevice, packet sizes, loss and crowding keep their relations', async () => {
    const r = await runLinkBench();
    const row = (name: string) => {
      const found = r.reconnect.find((x) => x.name.startsWith(name));
      assert.ok(found, name);
      return found;
    };
    const full = row('full handshake');
    const discovered = row('resumed, GATT discovery');
    const cached = row('resumed, cached GATT');
    for (const x of r.reconnect) {
      assert.ok(x.connectionEstablishmentMs > 0 && x.reconnectMs > x.connectionEstablishmentMs, x.name);
      assert.ok(Math.abs(x.reconnectMs - x.connectionEstablishmentMs - x.setupMs) < 1e-6, x.name);
    }
    assert.equal(full.connectionType, 'full-handshake');
    assert.equal(cached.connectionType, 'resumed');
    assert.ok(cached.connectionEstablishmentMs < discovered.connectionEstablishmentMs);
    assert.ok(full.reconnectMs > 2 * discovered.reconnectMs);
    for (const f of r.fragmentation) assert.ok(f.airtimeAwareMs <= f.fixedMs, `${f.phy} MTU ${f.attMtu}`);
    assert.equal(r.sweep.length, 3 * 5 * 5);
    for (const p of r.sweep) assert.ok(p.airtimeAwareMs <= p.fixedMs, `sweep ${p.phy} ${p.connectionIntervalMs} ms MTU ${p.attMtu}`);
    assert.ok(r.sweep.some((p) => p.airtimeAwareMs < 0.7 * p.fixedMs));
    const coded247 = r.fragmentation.find((f) => f.phy === 'coded' && f.attMtu === 247);
    assert.ok(coded247 !== undefined && coded247.airtimeAwareMs < 0.7 * coded247.fixedMs);
    const lossOf = (kind: string) => r.loss.filter((x) => x.name.startsWith(kind)).sort((a, b) => a.packetLossRate - b.packetLossRate);
    for (const kind of ['full handshake', 'resumed']) {
      const rows = lossOf(kind);
      assert.deepEqual(
        rows.map((x) => x.packetLossRate),
        [0, 0.01, 0.05],
      );
      for (let i = 1; i < rows.length; i++)
        assert.ok(rows[i].reconnectMs >= rows[i - 1].reconnectMs && rows[i].retransmissions >= rows[i - 1].retransmissions, kind);
      assert.ok(rows[2].retransmissions > 0, kind);
    }
    assert.deepEqual(
      r.crowding.map((c) => c.devices),
      [1, 4, 8],
    );
    for (let i = 1; i < r.crowding.length; i++) assert.ok(r.crowding[i].allReconnectedMs > r.crowding[i - 1].allReconnectedMs);
    assert.ok(r.crowding[2].skippedEvents > 0);
  });
});
