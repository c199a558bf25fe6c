// Airtime-aware packet sizes (docs/framing.md "Packet sizes"): the policy's choice is never
// slower than full-size packets on the simulated radio, and fills LE Coded events. Virtual clock only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { airtimePacketPolicy, fragmentMessage, fragmentSizes, type PacketSizePolicy } from '../../src/framing/index.js';
import { sleep } from '../../src/clock.js';
import { oneWayTransferUs, PHYS, type Phy } from '../../src/radio/index.js';
import { openPair } from '../radio/helpers.js';
import { filler } from './helpers.js';

/** Sends one message as framed packets over a fresh, idle link; ms from the send to its last packet's arrival. */
async function deliveryMs(phy: Phy, connectionIntervalMs: number, attMtu: number, messageBytes: number, policy: PacketSizePolicy | undefined): Promise<number> {
  const { radio, c, p } = await openPair({ phy, connectionIntervalMs, attMtu, seed: 2, connectTimeoutMs: 60_000 });
  const packets = fragmentMessage(filler(messageBytes), 1, c.maxPayloadBytes, policy === undefined ? {} : { packetSize: policy });
  let last = 0;
  let n = 0;
  const done = new Promise<void>((resolve) =>
    p.onPacket(() => {
      if (++n === packets.length) {
        last = radio.clock.now();
        resolve();
      }
    }),
  );
  // Let the link go idle, so the message starts at a connection event's anchor (as the model assumes).
  await sleep(radio.clock, 5 * connectionIntervalMs);
  const t0 = radio.clock.now();
  for (const packet of packets) await c.send(packet);
  await done;
  await radio.close();
  return last - t0;
}

describe('airtime-aware packet sizes', () => {
  it('are never slower than full-size packets (PHY x interval x MTU x message size, simulated)', async () => {
    for (const phy of PHYS) {
      for (const connectionIntervalMs of [7.5, 30, 100]) {
        const policy = airtimePacketPolicy({ phy, connectionIntervalMs, maxLlPayloadBytes: 251 });
        for (const attMtu of [23, 185, 247, 517]) {
          for (const messageBytes of [300, 2_000, 9_000]) {
            const fixed = await deliveryMs(phy, connectionIntervalMs, attMtu, messageBytes, undefined);
            const aware = await deliveryMs(phy, connectionIntervalMs, attMtu, messageBytes, policy);
            assert.ok(aware <= fixed + 1e-9, `${phy} ${connectionIntervalMs} ms MTU ${attMtu} ${messageBytes} B: ${aware} ms > ${fixed} ms`);
          }
        }
      }
    }
  });

  it('fill LE Coded events at 30 ms: 200-byte packets (ATT MTU 203), two per event, about 40 % faster than 244', async () => {
    const policy = airtimePacketPolicy({ phy: 'coded', connectionIntervalMs: 30, maxLlPayloadBytes: 251 });
    assert.equal(policy(9_000, 244), 200);
    const fixed = await deliveryMs('coded', 30, 247, 9_000, undefined);
    const aware = await deliveryMs('coded', 30, 247, 9_000, policy);
    assert.ok(aware < fixed * 0.7, `${aware} ms vs ${fixed} ms`);
  });

  it('keep full-size packets where they already fill events (1M at 30 ms, MTU 247)', () => {
    const policy = airtimePacketPolicy({ phy: '1m', connectionIntervalMs: 30, maxLlPayloadBytes: 251 });
    assert.equal(policy(9_000, 244), 244);
    assert.equal(policy(100, 244), 244);
  });

  it('the model behind the policy predicts the simulated delivery', async () => {
    for (const [phy, attMtu] of [
      ['coded', 247],
      ['1m', 185],
      ['2m', 517],
    ] as const) {
      const ms = await deliveryMs(phy, 30, attMtu, 5_000, undefined);
      const predicted = oneWayTransferUs({ phy, connectionIntervalMs: 30, maxLlPayloadBytes: 251 }, fragmentSizes(5_000, attMtu - 3)) / 1000;
      // The simulated time also holds the wait for the first anchor (at most one interval).
      assert.ok(ms >= predicted && ms <= predicted + 30, `${phy}: ${ms} ms, model ${predicted} ms`);
    }
  });

  it('checks its argument', () => {
    assert.throws(() => airtimePacketPolicy(null as never), TypeError);
    assert.throws(() => airtimePacketPolicy({ phy: 'coded', connectionIntervalMs: 30, maxLlPayloadBytes: 251, extra: 1 } as never), TypeError);
    assert.throws(() => airtimePacketPolicy({ phy: '3m' as never, connectionIntervalMs: 30, maxLlPayloadBytes: 251 }), RangeError);
  });
});
