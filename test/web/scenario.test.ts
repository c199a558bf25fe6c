// The browser demo's scenario, run in Node: the same figures as `pqble demo`'s first two
// steps (same radio, seed and device ids), and packets that account for every setup byte.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runDemo, type DemoReport } from '../../src/demo/scenario.js';
import { runWebDemo, WEB_DEMO_STEPS, type WebDemoReport, type WebDemoOptions } from '../../src/web/scenario.js';

describe('runWebDemo', () => {
  let web: WebDemoReport;
  let node: DemoReport;
  const progress: string[] = [];

  before(async () => {
    web = await runWebDemo({ onProgress: (e) => progress.push(`${e.phase} ${e.step}`) });
    node = await runDemo();
  });

  it('runs the first connect (full handshake) and the resumed reconnect, and reports progress', () => {
    assert.deepEqual(
      web.steps.map((s) => [s.step, s.figures.connectionType, s.figures.fellBack]),
      [
        ['first connect', 'full-handshake', false],
        ['reconnect', 'resumed', false],
      ],
    );
    assert.deepEqual(WEB_DEMO_STEPS, ['first connect', 'reconnect']);
    assert.deepEqual(progress, ['start first connect', 'end first connect', 'start reconnect', 'end reconnect']);
    assert.equal(web.phy, 'coded');
    assert.equal(web.connectionIntervalMs, 30);
    assert.equal(web.messagesPerStep, 4);
    assert.match(web.hubFingerprint, /^[0-9a-f]{64}$/);
    assert.notEqual(web.hubFingerprint, web.sensorFingerprint);
  });

  it('moves exactly the bytes `pqble demo` reports for the same steps', () => {
    for (const [i, s] of web.steps.entries()) {
      const n = node.steps[i];
      assert.equal(s.step, n.step);
      for (const key of [
        'connectionType',
        'bytesOnAirToPeripheral',
        'bytesOnAirToCentral',
        'setupPayloadBytes',
        'roundTrips',
        'airtimeMs',
        'timeToFirstMessageMs',
      ] as const) {
        assert.equal(s.figures[key], n[key], `${s.step}: ${key}`);
      }
    }
  });

  it('records every packet: in time order, bytes on air only growing, the setup packets adding up to the setup payload', () => {
    for (const s of web.steps) {
      assert.ok(s.packets.length > s.setupPackets && s.setupPackets > 0, `${s.step}: setup and message packets`);
      let prev = { timeMs: 0, toP: 0, toC: 0 };
      for (const p of s.packets) {
        assert.ok(p.timeMs >= prev.timeMs && p.bytesOnAirToPeripheral >= prev.toP && p.bytesOnAirToCentral >= prev.toC);
        assert.ok(p.attBytes > 0 && p.attBytes <= 244, `${p.attBytes}-byte ATT value`);
        prev = { timeMs: p.timeMs, toP: p.bytesOnAirToPeripheral, toC: p.bytesOnAirToCentral };
      }
      const setup = s.packets.slice(0, s.setupPackets);
      assert.equal(
        setup.reduce((sum, p) => sum + p.attBytes, 0),
        s.figures.setupPayloadBytes,
      );
      assert.equal(s.setupDoneMs, setup[setup.length - 1].timeMs);
      assert.ok(s.totalBytesOnAirToPeripheral >= prev.toP && s.totalBytesOnAirToCentral >= prev.toC);
      // The whole step carries more than the setup (the messages, their echoes, the close).
      assert.ok(s.totalBytesOnAirToPeripheral > s.figures.bytesOnAirToPeripheral);
      assert.ok(s.durationMs >= prev.timeMs);
      // Messages: `messagesPerStep` from the hub, as many echoes from the sensor, then the hub's close alert.
      const after = s.packets.slice(s.setupPackets);
      assert.equal(after.filter((p) => p.from === 'central').length, web.messagesPerStep + 1);
      assert.equal(after.filter((p) => p.from === 'peripheral').length, web.messagesPerStep);
    }
    const [first, again] = web.steps;
    assert.ok(first.packets.length > 40 && again.packets.length < 20, `${first.packets.length} vs ${again.packets.length} packets`);
  });

  it('passes phy and connectionIntervalMs to the radio', async () => {
    const fast = await runWebDemo({ phy: '2m', connectionIntervalMs: 15, messagesPerStep: 1 });
    assert.equal(fast.phy, '2m');
    assert.ok(fast.steps[0].figures.airtimeMs < web.steps[0].figures.airtimeMs / 8, 'LE 2M is 16 times faster on air than LE Coded');
    assert.equal(fast.steps[1].packets.length - fast.steps[1].setupPackets, 3, 'one message, its echo, the close');
  });

  it('checks its options', async () => {
    await assert.rejects(runWebDemo({ phy: '3m' } as unknown as WebDemoOptions), RangeError);
    await assert.rejects(runWebDemo({ messagesPerStep: 0 }), RangeError);
    await assert.rejects(runWebDemo({ messagesPerStep: 1.5 }), RangeError);
    await assert.rejects(runWebDemo({ connectionIntervalMs: 1 }), RangeError);
    await assert.rejects(runWebDemo({ realtime: true } as unknown as WebDemoOptions), TypeError);
    await assert.rejects(runWebDemo({ onProgress: 'x' } as unknown as WebDemoOptions), TypeError);
    await assert.rejects(runWebDemo(null as unknown as WebDemoOptions), TypeError);
  });
});
