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
import { COMPACT_CONTINUATION_HEADER_BYTES, CONTINUATION_FRAGMENT_HEADER_BYTES } from './header.js';

/** Message sizes whose choice a policy remembers. */
const MEMO_ENTRIES = 256;
/** Packet sizes, besides the largest, whose finite transfer time a policy compares for each message. */
const SHORTLIST = 8;
/** Packets in the reference stream that ranks the sizes. */
const REFERENCE_PACKETS = 16;

/**
 * A {@link PacketSizePolicy} for a link with this timing. Once per largest packet size it
 * ranks every size from `maxPacketBytes` down to 20 by the payload rate of a stream of such
 * packets (by {@link oneWayTransferUs}, headers counted); for each message it then compares the
 * time the whole message takes with the largest size and with the 8 best-ranked ones, and picks
 * the fastest, the largest among equals. The full size is always compared, so the choice is
 * never slower than fixed-size packets in the model. Choices are remembered per (message
 * length, largest packet), up to 256 of them.
 * @param timing - the link's `timing`
 * @param continuation - the header of later fragments the sender uses, default `'compact'`
 * @throws TypeError if `timing` is not a {@link LinkTiming}; RangeError for an unknown PHY or a
 *   bad interval or LL payload limit
 */
export function airtimePacketPolicy(timing: LinkTiming, continuation: ContinuationHeader = 'compact'): PacketSizePolicy {
  if (timing === null || typeof timing !== 'object') throw new TypeError('timing must be an object');
  checkOptionKeys(timing, ['phy', 'connectionIntervalMs', 'maxLlPayloadBytes'], 'timing');
  const params = { phy: timing.phy, connectionIntervalMs: timing.connectionIntervalMs, maxLlPayloadBytes: timing.maxLlPayloadBytes };
  oneWayTransferUs(params, [20]); // checks the timing once, here
  const header = continuation === 'compact' ? COMPACT_CONTINUATION_HEADER_BYTES : CONTINUATION_FRAGMENT_HEADER_BYTES;
  const shortlists = new Map<number, number[]>();
  const shortlist = (maxPacketBytes: number): number[] => {
    const known = shortlists.get(maxPacketBytes);
    if (known !== undefined) return known;
    const ranked: { size: number; rate: number }[] = [];
    for (let size = maxPacketBytes; size >= MIN_PACKET_BYTES; size--) {
      const us = oneWayTransferUs(params, new Array<number>(REFERENCE_PACKETS).fill(size));
      ranked.push({ size, rate: (REFERENCE_PACKETS * (size - header)) / us });
    }
    ranked.sort((a, b) => b.rate - a.rate || b.size - a.size);
    const list = ranked.slice(0, SHORTLIST).map((r) => r.size);
    shortlists.set(maxPacketBytes, list);
    return list;
  };
  const memo = new Map<number, number>();
  return (messageBytes, maxPacketBytes) => {
    const key = messageBytes * 1024 + maxPacketBytes;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let best = maxPacketBytes;
    let bestUs = oneWayTransferUs(params, fragmentSizes(messageBytes, maxPacketBytes, continuation));
    for (const size of shortlist(maxPacketBytes)) {
      const us = oneWayTransferUs(params, fragmentSizes(messageBytes, size, continuation));
      if (us < bestUs || (us === bestUs && size > best)) {
        best = size;
        bestUs = us;
      }
    }
    if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value as number);
    memo.set(key, best);
    return best;
  };
}
