// Calibration of the radio model against published BLE throughput figures
// (docs/radio-model.md "Calibration"). Steady-state application throughput of a long one-way
// stream of Write Commands (MTU 247, 244-byte values, DLE on unless said otherwise) is measured
// on the simulator and compared (1) with the model's closed form, exactly, and (2) with the
// published figures, within the stated tolerance.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { streamThroughputBps, type Phy } from '../../src/radio/index.js';
import { openPair, steadyStateBps, streamOneWay } from './helpers.js';

interface Case {
  phy: Phy;
  connectionIntervalMs: number;
  dataLengthExtension?: boolean;
  attMtu?: number;
  /** Published application throughput, bit/s. */
  publishedBps: number;
  /** Relative tolerance against the published figure. */
  tolerance: number;
  source: string;
}

const CASES: Case[] = [
  // Bluetooth SIG, "Exploring Bluetooth 5 - how fast can it be?": ~1.4 Mbit/s on 2M, ~0.8 Mbit/s on 1M with DLE.
  { phy: '2m', connectionIntervalMs: 400, publishedBps: 1_400_000, tolerance: 0.05, source: 'Bluetooth SIG blog, 2M' },
  { phy: '1m', connectionIntervalMs: 400, publishedBps: 800_000, tolerance: 0.05, source: 'Bluetooth SIG blog, 1M + DLE' },
  { phy: '2m', connectionIntervalMs: 30, publishedBps: 1_400_000, tolerance: 0.05, source: 'Bluetooth SIG blog, 2M (30 ms interval)' },
  { phy: '1m', connectionIntervalMs: 30, publishedBps: 800_000, tolerance: 0.05, source: 'Bluetooth SIG blog, 1M + DLE (30 ms interval)' },
  // Nordic S140 SoftDevice specification, measured: 2M, MTU 247, DLE, notifications.
  { phy: '2m', connectionIntervalMs: 50, publishedBps: 1_327_500, tolerance: 0.05, source: 'Nordic S140, 2M, 50 ms' },
  { phy: '2m', connectionIntervalMs: 400, publishedBps: 1_376_200, tolerance: 0.05, source: 'Nordic S140, 2M, 400 ms' },
  // No DLE, MTU 23 (BLE 4.0/4.1 packets): ~236 kbit/s (20 bytes per 27-byte PDU) on 1M.
  { phy: '1m', connectionIntervalMs: 400, dataLengthExtension: false, attMtu: 23, publishedBps: 236_000, tolerance: 0.05, source: '1M without DLE' },
  // LE Coded S=8: ~0.1 Mbit/s (the SIG formula on coded timings; Nordic: "at least 8 times less than 1M").
  { phy: 'coded', connectionIntervalMs: 400, publishedBps: 100_000, tolerance: 0.15, source: 'LE Coded S=8' },
];

describe('calibration against published throughput', () => {
  for (const k of CASES) {
    for (const totalBytes of [8_800, 100_000]) {
      it(`${k.source}: ${k.phy}, ${k.connectionIntervalMs} ms, ${totalBytes} B`, async () => {
        const { radio, c, p } = await openPair({
          phy: k.phy,
          connectionIntervalMs: k.connectionIntervalMs,
          dataLengthExtension: k.dataLengthExtension ?? true,
          attMtu: k.attMtu ?? 247,
          connectTimeoutMs: 30_000, // establishment at 400 ms takes about 17 intervals
        });
        try {
          const r = await streamOneWay(() => radio.clock.now(), c, p, totalBytes);
          const measured = steadyStateBps(r);
          const model = streamThroughputBps({
            phy: k.phy,
            connectionIntervalMs: k.connectionIntervalMs,
            attMtu: k.attMtu ?? 247,
            dataLengthExtension: k.dataLengthExtension ?? true,
          });
          // The closed form describes whole events; a short stream may catch a partial one.
          const modelTolerance = totalBytes >= 100_000 ? 0.01 : 0.12;
          assert.ok(Math.abs(measured / model - 1) <= modelTolerance, `measured ${measured.toFixed(0)} vs model ${model.toFixed(0)} bit/s`);
          if (totalBytes >= 100_000) {
            const ratio = measured / k.publishedBps;
            assert.ok(
              Math.abs(ratio - 1) <= k.tolerance,
              `measured ${(measured / 1000).toFixed(1)} kbit/s vs published ${(k.publishedBps / 1000).toFixed(1)} kbit/s`,
            );
          }
        } finally {
          await radio.close();
        }
      });
    }
  }

  it('LE Coded at the default 30 ms interval carries one 251-byte PDU per event: 65 kbit/s', async () => {
    const { radio, c, p } = await openPair();
    try {
      const r = await streamOneWay(() => radio.clock.now(), c, p, 100_000);
      const expected = (244 * 8 * 1000) / 30;
      assert.ok(Math.abs(steadyStateBps(r) / expected - 1) < 0.01);
    } finally {
      await radio.close();
    }
  });

  it('8.8 KB on LE Coded takes on the order of a second of airtime (docs/radio-model.md)', async () => {
    const { radio, c, p } = await openPair();
    try {
      const before = radio.stats();
      const r = await streamOneWay(() => radio.clock.now(), c, p, 8_800);
      const airtimeMs = radio.stats().airtimeMs - before.airtimeMs;
      const elapsedMs = r.lastMs - r.startMs;
      assert.ok(airtimeMs > 400 && airtimeMs < 2000, `airtime ${airtimeMs} ms`);
      assert.ok(elapsedMs > 500 && elapsedMs < 2000, `elapsed ${elapsedMs} ms`);
      // The same bytes on 2M take about 16x less airtime.
      const fast = await openPair({ phy: '2m' });
      try {
        const b2 = fast.radio.stats();
        await streamOneWay(() => fast.radio.clock.now(), fast.c, fast.p, 8_800);
        const fastAirtimeMs = fast.radio.stats().airtimeMs - b2.airtimeMs;
        assert.ok(airtimeMs / fastAirtimeMs > 12 && airtimeMs / fastAirtimeMs < 20, `ratio ${airtimeMs / fastAirtimeMs}`);
      } finally {
        await fast.radio.close();
      }
    } finally {
      await radio.close();
    }
  });
});
