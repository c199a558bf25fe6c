/**
 * Soak over the REAL noble and bleno on btvirt (test/hci/harness.ts): many connect /
 * message / disconnect cycles between two processes, then the same handles, timers and
 * library listeners as before, no connection left, and every close callback called once.
 * `npm test` runs a short version; `npm run test:hci:soak` runs 1,000 cycles
 * (PQBLE_HCI_SOAK_CYCLES).
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { HciEmulator, hciSkipReason } from './harness.js';

const SKIP = hciSkipReason();
const CYCLES = Number.parseInt(process.env.PQBLE_HCI_SOAK_CYCLES ?? '25', 10);

interface Resources {
  readonly active: Record<string, number>;
  readonly listeners: Record<string, number>;
  readonly links: number;
  readonly connections: number;
}

/** Handle types whose count grew by more than `slack` (timers of a pending save may come and go). */
function grown(before: Resources, after: Resources, slack: number): string[] {
  return Object.entries(after.active)
    .filter(([type, n]) => n > (before.active[type] ?? 0) + slack)
    .map(([type, n]) => `${type}: ${before.active[type] ?? 0} -> ${n}`);
}

describe('soak: connect/disconnect cycles on the real libraries over btvirt', { skip: SKIP === undefined ? false : `HCI soak skipped: ${SKIP}` }, () => {
  it(
    `${CYCLES} resumed connect, echo, disconnect cycles leak no handle or listener and call no callback twice`,
    { timeout: 120_000 + CYCLES * 500 },
    async (t: TestContext) => {
      assert.ok(Number.isInteger(CYCLES) && CYCLES > 0, 'PQBLE_HCI_SOAK_CYCLES must be a positive integer');
      const emu = await HciEmulator.start();
      try {
        const pc = await emu.addController('soak-p');
        const cc = await emu.addController('soak-c');
        const [peripheral, central] = await Promise.all([
          emu.startAgent(pc, { role: 'peripheral', seed: '44'.repeat(32), echo: true, sessions: join(emu.dir, 'soak-p.sessions') }),
          emu.startAgent(cc, { role: 'central', seed: '55'.repeat(32), sessions: join(emu.dir, 'soak-c.sessions') }),
        ]);
        // The first connection runs the full handshake and warms up every code path.
        const warm = await central.request<{ types: Record<string, number> }>('cycle', { device: pc.deviceId, count: 2 });
        assert.deepEqual(warm.types, { 'full-handshake': 1, resumed: 1 });
        const peripheralBefore = await peripheral.request<Resources>('info');
        const r = await central.request<{ types: Record<string, number>; ms: number; maxCloseCalls: number; before: Resources; after: Resources }>(
          'cycle',
          { device: pc.deviceId, count: CYCLES },
          60_000 + CYCLES * 400,
        );
        assert.deepEqual(r.types, { resumed: CYCLES }, 'every cycle resumed');
        assert.equal(r.maxCloseCalls, 1, 'a close callback was called more than once');
        assert.deepEqual(r.after.listeners, r.before.listeners, 'listeners on noble');
        assert.equal(r.after.links, 0);
        assert.equal(r.after.connections, 0);
        assert.deepEqual(grown(r.before, r.after, 2), [], "the central's handles grew");

        // The last disconnect reaches the peripheral a little after the central saw it close.
        let peripheralAfter = await peripheral.request<Resources>('info');
        for (let i = 0; i < 40 && (peripheralAfter.links !== 0 || peripheralAfter.connections !== 0); i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          peripheralAfter = await peripheral.request<Resources>('info');
        }
        assert.deepEqual(peripheralAfter.listeners, peripheralBefore.listeners, 'listeners on bleno');
        assert.equal(peripheralAfter.links, 0);
        assert.equal(peripheralAfter.connections, 0);
        assert.deepEqual(grown(peripheralBefore, peripheralAfter, 2), [], "the peripheral's handles grew");
        assert.equal(peripheral.events.filter((e) => e.event === 'closed').length, 0, 'a close callback was called twice on the peripheral');
        assert.equal(central.events.filter((e) => e.event === 'warning').length + peripheral.events.filter((e) => e.event === 'warning').length, 0);
        t.diagnostic(`${CYCLES} cycles in ${r.ms} ms (${(r.ms / CYCLES).toFixed(1)} ms per resumed connect + echo + disconnect)`);
        const [c, p] = await Promise.all([central.exit(), peripheral.exit()]);
        assert.ok(c.exitMs < 5000 && p.exitMs < 5000, `exit took central ${c.exitMs} ms, peripheral ${p.exitMs} ms`);
      } finally {
        await emu.close();
      }
    },
  );
});
