/**
 * The types the session keeper (session-keeper.ts) hands the setup driver and takes from the
 * transport: the sessions to resume with, why there is none, the outcome of a durable
 * ratchet step, its counters and its options.
 *
 * @module
 */

import type { Clock } from '../clock.js';
import type { CryptoProvider } from '../crypto/index.js';
import type { PeerDirectory } from '../handshake/index.js';
import type { Fingerprint } from '../ids.js';
import type { Logger } from '../logger.js';
import type { SessionStore } from '../session/store.js';

/** What the initiator needs to resume. */
export interface OutboundSession {
  readonly peerFingerprint: Uint8Array;
  readonly peerFingerprintHex: Fingerprint;
  /** A copy of the outbound secret (the caller wipes it). */
  readonly secret: Uint8Array;
}

/**
 * Why the initiator has no session to resume with: `none` (no session for the device id, or
 * not for the identity expected), `expired`, `untrusted` (the trust policy refused its peer),
 * `needs-key` (a trust callback needs the peer's key, which is not known) or `store-timeout`
 * (the store failed or timed out).
 */
export interface OutboundMiss {
  readonly miss: 'none' | 'expired' | 'untrusted' | 'needs-key' | 'store-timeout';
}

/** What a durable ratchet step came to. */
export type CommitOutcome = 'ok' | 'conflict' | 'store-timeout';

/** What the responder needs to answer a resume request. */
export interface InboundSession {
  readonly peerFingerprint: Uint8Array;
  readonly peerFingerprintHex: Fingerprint;
  /** A copy of the inbound secret (the caller wipes it). */
  readonly secret: Uint8Array;
  /** The ticket id that found it. */
  readonly ticketId: Uint8Array;
  readonly deviceId: string;
}

/** Counters the transport reports in `cacheStats()`. */
export interface KeeperCounters {
  hits: number;
  misses: number;
  expired: number;
  refused: number;
  storeFailures: number;
}

/** Options of {@link SessionKeeper.open}. */
export interface SessionKeeperOptions {
  readonly store: SessionStore;
  /** This side's identity fingerprint. */
  readonly selfFingerprint: Uint8Array;
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly directory: PeerDirectory;
  /** Session lifetime from the last full handshake, ms. */
  readonly lifetimeMs: number;
  /** Timeout of every store call, ms. */
  readonly storeTimeoutMs: number;
  /** How far in the future an entry's times may lie before it counts as expired, ms. */
  readonly maxClockSkewMs: number;
  /** How often batched touches and the clock high-water mark are written, ms. */
  readonly flushIntervalMs: number;
}
