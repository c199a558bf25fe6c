/**
 * The cached-session record shared by the session cache, its stores and the transport
 * (docs/cache-file.md "Each session"; docs/security.md "Properties" 9 and 10).
 *
 * @module
 */

/**
 * One cached session with a peer, keyed by the peer's identity fingerprint.
 *
 * Objects handed out by {@link SessionCache} are frozen snapshots: change an entry with
 * `SessionCache.update()` / `touch()`, then read it again. Their `resumptionSecret` is the
 * cache's own buffer and is wiped (zeroed) when the entry is replaced, ratcheted, evicted,
 * expired or deleted.
 */
export interface CachedSession {
  /** 64 lowercase hex digits: SHA-256 fingerprint of the peer's ML-DSA public key; the key of the cache. */
  readonly peerFingerprint: string;
  /** 12 lowercase hex digits: the BLE address the peer was last seen at; only a lookup hint. */
  deviceId: string;
  /** 32 lowercase hex digits (16 bytes): public id of the session, renewed on every resumption. */
  sessionId: string;
  /** Wall-clock ms (Unix epoch) of the last FULL handshake; resumptions never change it. */
  readonly establishedMs: number;
  /** Wall-clock ms (Unix epoch) of the last use (send, receive, resumption). */
  lastActiveMs: number;
  /** 32 bytes: the resumption secret, ratcheted forward on every resumption. */
  resumptionSecret: Uint8Array;
  /** 32 lowercase hex digits (16 bytes): the current ticket id, derived from the secret by the caller. */
  ticketId: string;
}
