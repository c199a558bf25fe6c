/**
 * Transport-level events (docs/api.md "Transport events"): what `transport.onEvent(listener)`
 * reports about connections of both roles: opened (and how), closed (and why), a resumption
 * that fell back to the full handshake (and why), a peer the trust policy refused (here or at
 * the peer), and a setup that failed. Listeners run synchronously, in subscription order; a
 * listener that throws is reported through the transport's logger and never stops the
 * others or the transport.
 *
 * @module
 */

import type { PqbleErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ResumeRejectReason } from '../resumption/reject.js';
import type { BleConnection } from './connection.js';

/**
 * How a connection was set up: `full` (a full handshake, no resumption tried), `psk` or
 * `psk-dhe` (resumed in that mode), `fallback` (a resumption was tried and did not happen,
 * and the full handshake ran on the same link).
 */
export type SetupHow = 'full' | 'psk' | 'psk-dhe' | 'fallback';

/**
 * Why a resumption did not happen and a full handshake runs instead.
 *
 * Initiator, before sending anything (its cached session was not usable): `expired`,
 * `untrusted` (the trust policy refuses the session's peer now), `needs-key` (a trust
 * callback needs the peer's public key, which is not known), `store-timeout` (the store
 * failed or timed out). After sending the request: `peer-rejected` (the peer said "cannot
 * resume"; its reason, unauthenticated, is in `peerReason`), `accept-invalid` (an accept that
 * did not verify), `commit-conflict` (another user of a shared store ratcheted the session
 * first), `store-timeout` (the ratchet could not be made durable).
 *
 * Responder (the reason it sent, or why it abandoned): `unknown-ticket`, `expired`,
 * `rate-limited`, `unsupported`, `malformed`, `needs-key`, `commit-conflict` (the ticket was
 * used already: a replay), `store-timeout`, `peer-abandoned` (the initiator went on with a
 * full handshake after the accept).
 */
export type ResumeFallbackReason =
  | 'unknown-ticket'
  | 'expired'
  | 'untrusted'
  | 'needs-key'
  | 'store-timeout'
  | 'peer-rejected'
  | 'accept-invalid'
  | 'commit-conflict'
  | 'rate-limited'
  | 'unsupported'
  | 'malformed'
  | 'peer-abandoned';

/** Fields every transport event carries. */
export interface TransportEventBase {
  /** This side's role in the connection or setup. */
  readonly role: 'initiator' | 'responder';
  /** The peer's device id (12 lowercase hex digits; only a hint, addresses rotate). */
  readonly deviceId: string;
}

/** A connection was established (both roles; incoming ones also reach `onConnection`). */
export interface ConnectionOpenedEvent extends TransportEventBase {
  readonly type: 'connection-opened';
  readonly connection: BleConnection;
  /** The peer's identity fingerprint, 64 hex digits. */
  readonly peerFingerprint: string;
  readonly how: SetupHow;
  /** Setup time in ms on the radio's clock (the connect included, for an initiator). */
  readonly setupMs: number;
}

/** An established connection closed. */
export interface ConnectionClosedEvent extends TransportEventBase {
  readonly type: 'connection-closed';
  readonly connection: BleConnection;
  /** The peer's identity fingerprint, 64 hex digits. */
  readonly peerFingerprint: string;
  /** Why, as an error code; `undefined` for a close in order (`close()` on either side). */
  readonly code: PqbleErrorCode | undefined;
  /** The close reason's message, if any (no secrets). */
  readonly message: string | undefined;
}

/** A resumption did not happen; the full handshake runs on the same link. */
export interface ResumeFallbackEvent extends TransportEventBase {
  readonly type: 'resume-fallback';
  readonly reason: ResumeFallbackReason;
  /** Initiator, `reason: 'peer-rejected'`: the reason the peer gave (unauthenticated, a hint). */
  readonly peerReason: ResumeRejectReason | undefined;
}

/**
 * The trust policy refused an authenticated peer (`by: 'local'`), or the peer refused this
 * side (`by: 'peer'`, its `untrusted` alert). The setup then fails with `code`. A local
 * refusal destroys no state of the genuine peer (under `tofu` a refusal is about a device
 * id, which anyone can claim).
 */
export interface PeerRefusedEvent extends TransportEventBase {
  readonly type: 'peer-refused';
  /** The refused identity (local refusals), 64 hex digits; `undefined` when the peer refused us. */
  readonly peerFingerprint: string | undefined;
  /** Whether the refused authentication was a full handshake or a resumption. */
  readonly stage: 'full-handshake' | 'resumption';
  readonly by: 'local' | 'peer';
  readonly code: 'PQBLE_ERR_PEER_UNTRUSTED';
  readonly message: string;
}

/** A setup failed (the radio connect included, for an initiator); the link is closed. */
export interface SetupFailedEvent extends TransportEventBase {
  readonly type: 'setup-failed';
  readonly code: PqbleErrorCode;
  readonly message: string;
}

/** Every event `transport.onEvent()` reports. */
export type TransportEvent = ConnectionOpenedEvent | ConnectionClosedEvent | ResumeFallbackEvent | PeerRefusedEvent | SetupFailedEvent;

/** A listener of {@link TransportEvent}s. */
export type TransportEventListener = (event: TransportEvent) => void;

/** The listeners of one transport. */
export class TransportEvents {
  readonly #listeners: TransportEventListener[] = [];
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** True if anyone listens (build no event otherwise). */
  get active(): boolean {
    return this.#listeners.length > 0;
  }

  /** Adds a listener; returns its unsubscribe function (idempotent). */
  subscribe(listener: TransportEventListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const entry: TransportEventListener = (e) => listener(e);
    this.#listeners.push(entry);
    return () => {
      const i = this.#listeners.indexOf(entry);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Calls every listener (a snapshot) with the event `build()` makes, if any listens. */
  emit(build: () => TransportEvent): void {
    if (this.#listeners.length === 0) return;
    const event = build();
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#logger.warn('pqble: a transport event listener threw', { event: event.type, error: String(err) });
      }
    }
  }
}
