/**
 * The counters behind `BleTransport.cacheStats()` and `stats()`: what the transport counts
 * itself, what closed connections leave behind, and the sums with the open connections and
 * the session keeper's counters.
 *
 * @module
 */

import type { BleConnection } from './connection.js';
import type { SessionKeeper } from './session-keeper.js';
import type { CacheStats, TransportStats } from './types.js';

/** What one transport counts (mutable; closed connections' traffic included). */
export interface TransportCounters {
  resumptions: number;
  fullHandshakes: number;
  fallbacks: number;
  connectionsOpened: number;
  failedSetups: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  bytesOnAirSent: number;
  bytesOnAirReceived: number;
}

/** All counters at zero. */
export function newTransportCounters(): TransportCounters {
  return {
    resumptions: 0,
    fullHandshakes: 0,
    fallbacks: 0,
    connectionsOpened: 0,
    failedSetups: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    bytesOnAirSent: 0,
    bytesOnAirReceived: 0,
  };
}

/** Adds a closed connection's traffic to `c`. */
export function addClosedConnection(c: TransportCounters, connection: BleConnection): void {
  const s = connection.stats();
  c.messagesSent += s.messagesSent;
  c.messagesReceived += s.messagesReceived;
  c.bytesSent += s.bytesSent;
  c.bytesReceived += s.bytesReceived;
  c.bytesOnAirSent += s.link.bytesOnAirSent;
  c.bytesOnAirReceived += s.link.bytesOnAirReceived;
}

/** `BleTransport.cacheStats()`. */
export function cacheStats(c: TransportCounters, keeper: SessionKeeper): CacheStats {
  const k = keeper.counters;
  return {
    hits: k.hits,
    misses: k.misses,
    resumptions: c.resumptions,
    fullHandshakes: c.fullHandshakes,
    fallbacks: c.fallbacks,
    evictions: keeper.store.counters?.evictions ?? 0,
    expired: k.expired,
    refused: k.refused,
    storeFailures: k.storeFailures,
    size: keeper.size,
  };
}

/** `BleTransport.stats()`: `c` plus the traffic of the connections open now. */
export function transportStats(c: TransportCounters, open: ReadonlySet<BleConnection>, cache: CacheStats): TransportStats {
  let { messagesSent, messagesReceived, bytesSent, bytesReceived, bytesOnAirSent, bytesOnAirReceived } = c;
  for (const conn of open) {
    const s = conn.stats();
    messagesSent += s.messagesSent;
    messagesReceived += s.messagesReceived;
    bytesSent += s.bytesSent;
    bytesReceived += s.bytesReceived;
    bytesOnAirSent += s.link.bytesOnAirSent;
    bytesOnAirReceived += s.link.bytesOnAirReceived;
  }
  return {
    ...cache,
    activeConnections: open.size,
    connectionsOpened: c.connectionsOpened,
    failedSetups: c.failedSetups,
    messagesSent,
    messagesReceived,
    bytesSent,
    bytesReceived,
    bytesOnAirSent,
    bytesOnAirReceived,
  };
}
