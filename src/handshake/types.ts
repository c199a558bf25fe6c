/**
 * Types shared by the handshake state machines (docs/protocol.md "API").
 *
 * @module
 */

import type { CryptoProvider } from '../crypto/index.js';
import type { Identity } from '../identity/identity.js';

/** The authenticated peer of a handshake. */
export interface HandshakePeer {
  /** The peer's 32-byte identity fingerprint. */
  readonly fingerprint: Uint8Array;
  /** The peer's 1,952-byte ML-DSA-65 public key. */
  readonly publicKey: Uint8Array;
}

/** What a completed handshake hands to the record layer and the session cache. Every buffer is fresh and owned by the caller. */
export interface HandshakeResult {
  /** Who the peer proved to be. */
  readonly peer: HandshakePeer;
  /** 32-byte application traffic key for what this side sends. */
  readonly sendKey: Uint8Array;
  /** 32-byte application traffic key for what this side receives. */
  readonly receiveKey: Uint8Array;
  /** 32-byte resumption secret (one-way derived; what the session cache stores). */
  readonly resumptionSecret: Uint8Array;
  /** 16-byte public session id. */
  readonly sessionId: Uint8Array;
  /** SHA-256 of the whole transcript (M1 || M2 || M3), 32 bytes. */
  readonly transcriptHash: Uint8Array;
  /** True if the handshake ran in pinned mode (fingerprints instead of public keys). */
  readonly pinned: boolean;
}

/** Options of `HandshakeInitiator`. */
export interface InitiatorOptions {
  /** This side's long-term identity (required). */
  readonly identity: Identity;
  /**
   * The responder's 1,952-byte public key, if pinned: the handshake then runs in pinned
   * mode (fingerprints instead of keys both ways). Default: none (full mode).
   */
  readonly peerKey?: Uint8Array;
  /** Primitives to use. Default: `nobleCrypto`. */
  readonly crypto?: CryptoProvider;
}

/** Options of `HandshakeResponder`. */
export interface ResponderOptions {
  /** This side's long-term identity (required). */
  readonly identity: Identity;
  /**
   * Looks up a pinned public key by fingerprint, for pinned-mode handshakes (called at most
   * once per handshake, synchronously, with a copy of the fingerprint). Return `undefined`
   * for an unknown peer: the handshake then fails with `PQBLE_ERR_PEER_UNKNOWN`.
   * Default: no pinned keys (every pinned-mode handshake fails with `PQBLE_ERR_PEER_UNKNOWN`).
   */
  readonly lookupPeerKey?: (fingerprint: Uint8Array) => Uint8Array | undefined;
  /** Primitives to use. Default: `nobleCrypto`. */
  readonly crypto?: CryptoProvider;
}

/** The states of `HandshakeInitiator`. */
export type InitiatorState = 'new' | 'awaiting-response' | 'authenticated' | 'done' | 'failed';

/** The states of `HandshakeResponder`. */
export type ResponderState = 'awaiting-init' | 'awaiting-finish' | 'done' | 'failed';
