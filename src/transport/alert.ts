/**
 * Alerts (docs/protocol.md "Alerts"): a plaintext two-byte message `[0x30, reason]` sent
 * just before a side closes a link (or, for `peer-unknown`, before a retry in full mode).
 * Alerts are unauthenticated hints: receiving one never changes cached state except that
 * the connection attempt ends; an attacker who forges one can only do what cutting the
 * link would do anyway.
 *
 * @module
 */

import { MessageType } from '../wire.js';

/** The alert reasons in wire order: reason byte = index + 1. */
const REASONS = ['handshake-failed', 'peer-unknown', 'untrusted', 'timeout', 'protocol-error', 'busy', 'closing', 'record-failure'] as const;

/** Why a side gave up. */
export type AlertReason = (typeof REASONS)[number];

/** Encodes an alert message. */
export function encodeAlert(reason: AlertReason): Uint8Array {
  return Uint8Array.of(MessageType.Alert, REASONS.indexOf(reason) + 1);
}

/** Decodes an alert message; unknown or malformed alerts read as `protocol-error`. */
export function decodeAlert(message: Uint8Array): AlertReason {
  if (message.length !== 2 || message[0] !== MessageType.Alert) return 'protocol-error';
  return REASONS[(message[1] ?? 0) - 1] ?? 'protocol-error';
}
