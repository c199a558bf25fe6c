/**
 * Airtime-aware packet sizes (docs/framing.md "Packet sizes"): for a link whose PHY and
 * connection interval are known, the packet size that delivers a message soonest. On LE
 * Coded at 30 ms, for example, one 251-byte LL PDU (ATT MTU 247) lasts 16.8 ms, so only one
 * fits in a connection event and 40 % of every event stays idle; packets of 200 bytes fit two
 * per event. The framing core stays pure: this module only computes a size, from the radio
 * model's formulas, and `fragmentMessage` takes it as a {@link PacketSizePolicy}.
 *
 * @module
 */

import type { LinkTiming } from '../link/types.js';
import { oneWayTransferUs } from '../radio/airtime.js';
import { checkOptionKeys } from '../util/options.js';
import { fragmentSizes, MIN_PACKET_BYTES, type ContinuationHeader, type PacketSizePolicy } from './fragment.js';

/** Message sizes whose choice a policy remembers. */
const MEMO_ENTRIES = 256;

/**
 * A {@link PacketSizePolicy} for a link with this timing: of every packet size from
 * `maxPacketBytes` down to 20 it picks the one with which the whole message arrives
 * soonest (by {@link oneWayTransferUs}, headers counted), the largest among equals. The full
 * size is a candidate, so the choice is never slower than fixed-size packets in the model.
 * Choices are remembered per (message length, largest packet), up to 256 of them.
 * @param timing - the link's `timing`
 * @param continuation - the header of later fragments the sender uses, default `'compact'`
 * @throws TypeError if `timing` is not a {@link LinkTiming}
 */
export function airtimePacketPolicy(timing: LinkTiming, continuation: ContinuationHeader = 'compact'): PacketSizePolicy {
  if (timing === null || typeof timing !== 'object') throw new TypeError('timing must be an object');
  checkOptionKeys(timing, ['phy', 'connectionIntervalMs', 'maxLlPayloadBytes'], 'timing');
  const params = { phy: timing.phy, connectionIntervalMs: timing.connectionIntervalMs, maxLlPayloadBytes: timing.maxLlPayloadBytes };
  oneWayTransferUs(params, [20]); // checks the timing once, here
  const memo = new Map<number, number>();
  return (messageBytes, maxPacketBytes) => {
    const key = messageBytes * 1024 + maxPacketBytes;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let best = maxPacketBytes;
    let bestUs = oneWayTransferUs(params, fragmentSizes(messageBytes, maxPacketBytes, continuation));
    for (let size = maxPacketBytes - 1; size >= MIN_PACKET_BYTES; size--) {
      const us = oneWayTransferUs(params, fragmentSizes(messageBytes, size, continuation));
      if (us < bestUs) {
        best = size;
        bestUs = us;
      }
    }
    if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value as number);
    memo.set(key, best);
    return best;
  };
}
