/**
 * What one connection setup reports as it goes (docs/api.md "Transport events" and
 * "Diagnostics channels"): the setup driver calls down into a {@link SetupTrace}, which
 * publishes each step on the `pqble:*` diagnostics channels and emits the transport events.
 * Nothing is built when nobody listens; no payload holds a secret.
 *
 * @module
 */

import type { PqbleError } from '../errors.js';
import type { ResumeRejectReason } from '../resumption/reject.js';
import type { TrustPolicy } from '../handshake/index.js';
import { DIAGNOSTICS_CHANNELS as CH, messageTypeName, newSetupId, publish, type SetupScope } from './diagnostics.js';
import type { ResumeFallbackReason, SetupHow, TransportEvents } from './events.js';

/** The reporter of one setup. */
export class SetupTrace {
  readonly #scope: SetupScope;
  readonly #events: TransportEvents;
  /** What the setup is doing now: a peer's `untrusted` alert refers to it. */
  stage: 'full-handshake' | 'resumption' = 'full-handshake';
  #refusedReported = false;

  /** Publishes `pqble:setup:start`. */
  constructor(role: 'initiator' | 'responder', deviceId: string, localFingerprint: string, events: TransportEvents) {
    this.#scope = { setupId: newSetupId(), role, deviceId };
    this.#events = events;
    publish(CH.setupStart, () => ({ ...this.#scope, localFingerprint }));
  }

  /** The setup's id (as in every payload). */
  get setupId(): number {
    return this.#scope.setupId;
  }

  /** A whole setup message left (`packets` link packets) or arrived. */
  message(direction: 'sent' | 'received', message: Uint8Array, packets: number): void {
    publish(CH.setupMessage, () => ({
      ...this.#scope,
      direction,
      messageType: messageTypeName(message[0]),
      messageTypeByte: message[0] ?? 0,
      bytes: message.length,
      packets,
    }));
  }

  /** A full handshake attempt starts (attempt 2: the full-mode retry after a pinned miss). */
  handshakeStart(pinned: boolean, attempt: number): void {
    this.stage = 'full-handshake';
    publish(CH.handshakeStart, () => ({ ...this.#scope, pinned, attempt }));
  }

  /** A resumption starts (initiator: the request leaves; responder: a request arrived). */
  resumeStart(mode: 'psk' | 'psk-dhe' | undefined): void {
    this.stage = 'resumption';
    publish(CH.resumeStart, () => ({ ...this.#scope, mode }));
  }

  /** The trust policy's decision on an authenticated peer. */
  trust(stage: 'full-handshake' | 'resumption', peerFingerprint: string, mode: TrustPolicy['mode'], verdict: 'trusted' | 'refused' | 'needs-key'): void {
    publish(CH.trustDecision, () => ({ ...this.#scope, peerFingerprint, mode, stage, verdict }));
  }

  /** A resumption did not happen (or will not be tried: the initiator's session was unusable). */
  fallback(reason: ResumeFallbackReason, peerReason?: ResumeRejectReason): void {
    publish(CH.resumeFallback, () => ({ ...this.#scope, reason, ...(peerReason === undefined ? {} : { peerReason }) }));
    this.#events.emit(() => ({ type: 'resume-fallback', role: this.#scope.role, deviceId: this.#scope.deviceId, reason, peerReason }));
  }

  /** A resumption completed. */
  resumed(peerFingerprint: string, mode: 'psk' | 'psk-dhe'): void {
    publish(CH.resumeEnd, () => ({ ...this.#scope, peerFingerprint, mode }));
  }

  /** The trust policy here refused `peerFingerprint`, or (`by: 'peer'`) the peer refused us. */
  refused(by: 'local' | 'peer', stage: 'full-handshake' | 'resumption', peerFingerprint: string | undefined, error: PqbleError): void {
    if (this.#refusedReported) return;
    this.#refusedReported = true;
    this.#events.emit(() => ({
      type: 'peer-refused',
      role: this.#scope.role,
      deviceId: this.#scope.deviceId,
      peerFingerprint,
      stage,
      by,
      code: 'PQBLE_ERR_PEER_UNTRUSTED',
      message: error.message,
    }));
  }

  /** The setup established a connection: `pqble:setup:end` (the transport emits `connection-opened`). */
  established(how: SetupHow, peerFingerprint: string, durationMs: number): void {
    publish(CH.setupEnd, () => ({ ...this.#scope, ok: true, how, peerFingerprint, durationMs }));
  }

  /** The setup failed: `pqble:setup:end` and the `setup-failed` event. */
  failed(error: PqbleError, durationMs: number): void {
    publish(CH.setupEnd, () => ({ ...this.#scope, ok: false, code: error.code, durationMs }));
    this.#events.emit(() => ({ type: 'setup-failed', role: this.#scope.role, deviceId: this.#scope.deviceId, code: error.code, message: error.message }));
  }
}
