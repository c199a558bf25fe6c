/**
 * Arithmetic on a link's counters (`LinkStats`, src/link/types.ts).
 *
 * @module
 */

import type { LinkStats } from './types.js';

/**
 * What a link counted between the snapshots `before` and `after`: every counter as the
 * difference, the other fields (such as `connectionEstablishmentMs`) as `after` has them.
 */
export function linkStatsSince(after: LinkStats, before: LinkStats): LinkStats {
  return {
    ...after,
    packetsSent: after.packetsSent - before.packetsSent,
    packetsReceived: after.packetsReceived - before.packetsReceived,
    bytesSent: after.bytesSent - before.bytesSent,
    bytesReceived: after.bytesReceived - before.bytesReceived,
    bytesOnAirSent: after.bytesOnAirSent - before.bytesOnAirSent,
    bytesOnAirReceived: after.bytesOnAirReceived - before.bytesOnAirReceived,
    airtimeSentMs: after.airtimeSentMs - before.airtimeSentMs,
    airtimeReceivedMs: after.airtimeReceivedMs - before.airtimeReceivedMs,
  };
}
