/**
 * The public types of `BleTransport`'s methods (docs/api.md): its counters, the options of
 * `connectToDevice()` and `cacheSession()`, and what `lookupSession()` tells.
 *
 * @module
 */

/** Session cache counters (`transport.cacheStats()`). */
export interface CacheStats {
  /** Lookups that found a usable session (initiator by device id, responder by ticket id). */
  readonly hits: number;
  /** Lookups that found none. */
  readonly misses: number;
  /** Connections set up by resumption (both roles). */
  readonly resumptions: number;
  /** Connections set up by a full handshake (both roles). */
  readonly fullHandshakes: number;
  /** Resumptions refused ("cannot resume") that fell back to the full handshake (both roles). */
  readonly fallbacks: number;
  /** Sessions evicted because the store was full (least recently active first); 0 where the store does not report it. */
  readonly evictions: number;
  /** Sessions dropped because they outlived `sessionCacheDurationMs`. */
  readonly expired: number;
  /** Sessions whose resumption the trust policy refused (and which were purged). */
  readonly refused: number;
  /** Session store calls that failed or timed out (each cost at most a full handshake). */
  readonly storeFailures: number;
  /** Sessions in the store now (as last seen). */
  readonly size: number;
}

/** Transport-wide counters (`transport.stats()`). */
export interface TransportStats extends CacheStats {
  /** Connections open now (both directions). */
  readonly activeConnections: number;
  /** Connections established since creation. */
  readonly connectionsOpened: number;
  /** Setups that failed (timeouts, untrusted peers, malformed messages, lost links). */
  readonly failedSetups: number;
  /** Application messages and bytes, all connections. */
  readonly messagesSent: number;
  /** See {@link TransportStats.messagesSent}. */
  readonly messagesReceived: number;
  /** See {@link TransportStats.messagesSent}. */
  readonly bytesSent: number;
  /** See {@link TransportStats.messagesSent}. */
  readonly bytesReceived: number;
  /** Bytes on air over all closed and open connections (this side sent / received). */
  readonly bytesOnAirSent: number;
  /** See {@link TransportStats.bytesOnAirSent}. */
  readonly bytesOnAirReceived: number;
}

/** Options of `BleTransport.connectToDevice`. */
export interface ConnectOptions {
  /** Cancels the attempt (the link is closed). */
  readonly signal?: AbortSignal | undefined;
  /**
   * The identity the device must prove (32 bytes or 64 hex digits). Another identity fails
   * with `PQBLE_ERR_PEER_UNTRUSTED`. If its key is pinned, the handshake runs in pinned mode.
   */
  readonly peerFingerprint?: Uint8Array | string | undefined;
}

/** Options of `BleTransport.cacheSession`. */
export interface CacheSessionInit {
  /** The peer's identity fingerprint: 32 bytes or 64 hex digits. */
  readonly peerFingerprint: Uint8Array | string;
  /** The peer's device id (hint). */
  readonly deviceId: string;
  /** The 32-byte resumption master secret both sides were given (copied). */
  readonly resumptionSecret: Uint8Array;
  /** Deprecated and ignored (checked if given): 16 bytes or 32 hex digits. */
  readonly sessionId?: Uint8Array | string;
  /** Wall-clock ms of the full handshake. Default: now. */
  readonly establishedMs?: number;
  /** The peer's ML-DSA-65 public key (1,952 bytes), if known: pinned, and shown to a trust callback on resumption. */
  readonly peerPublicKey?: Uint8Array;
}

/** What `BleTransport.lookupSession` tells about a cached session (no secrets). */
export interface SessionInfo {
  /** The peer's identity fingerprint, 64 hex digits. */
  readonly peerFingerprint: string;
  /** Where the peer was last seen (a hint). */
  readonly deviceId: string;
  /** Wall-clock ms of the last full handshake. */
  readonly establishedMs: number;
  /** Wall-clock ms of the last use. */
  readonly lastActiveMs: number;
  /** Wall-clock ms after which the session can no longer be resumed. */
  readonly expiresMs: number;
  /** True if this side can start a resumption with it. */
  readonly canResume: boolean;
}
