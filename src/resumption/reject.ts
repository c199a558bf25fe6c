/**
 * The resume reject message, "cannot resume" (docs/resumption.md "Reject"): shared by every
 * resumption version, since its two bytes never changed.
 *
 * ```
 * reject = 0x12 || reason(1)        2 bytes, unauthenticated
 * ```
 *
 * A reject is a hint with no key behind it: whoever receives one falls back to the full
 * handshake on the same link and keeps its cached state (a forged reject must cost at most a
 * full handshake).
 *
 * @module
 */

import { checkBytes } from '../bytes.js';
import { ResumptionError, type PqbleErrorOptions } from '../errors.js';
import { MessageType } from '../wire.js';

/** Why a responder cannot resume; the initiator falls back to the full handshake. */
export type ResumeRejectReason = 'unknown-ticket' | 'expired' | 'rate-limited' | 'malformed' | 'unsupported';

/** Reason byte of each {@link ResumeRejectReason} (docs/resumption.md "Reject reasons"). */
export const RESUME_REJECT_REASON_CODES: Readonly<Record<ResumeRejectReason, number>> = {
  'unknown-ticket': 0x01,
  expired: 0x02,
  'rate-limited': 0x03,
  malformed: 0x04,
  unsupported: 0x05,
};

/** Bytes of a resume reject message: type, reason. */
export const RESUME_REJECT_BYTES = 2;

const REASON_BY_CODE: readonly (ResumeRejectReason | undefined)[] = [undefined, 'unknown-ticket', 'expired', 'rate-limited', 'malformed', 'unsupported'];

/** The responder refused to resume; `reason` says why. */
export class ResumeRejectedError extends ResumptionError {
  /** The responder's reason. */
  readonly reason: ResumeRejectReason;

  /**
   * @param reason - the responder's reason
   * @param options - cause, if any
   */
  constructor(reason: ResumeRejectReason, options?: PqbleErrorOptions) {
    super('PQBLE_ERR_RESUME_REJECTED', `the responder cannot resume: ${reason}`, options);
    this.reason = reason;
  }
}

/**
 * Builds a reject ("cannot resume") message: `0x12 || reason`.
 * @throws TypeError for an unknown reason
 */
export function encodeResumeReject(reason: ResumeRejectReason): Uint8Array {
  const code = Object.hasOwn(RESUME_REJECT_REASON_CODES, reason) ? RESUME_REJECT_REASON_CODES[reason] : undefined;
  if (code === undefined) throw new TypeError(`unknown resume reject reason "${String(reason)}"`);
  return Uint8Array.of(MessageType.ResumeReject, code);
}

/**
 * Decodes a reject message from untrusted bytes.
 * @returns the reason
 * @throws ResumptionError `PQBLE_ERR_RESUME_MALFORMED` unless `message` is `0x12` followed
 *   by one known reason byte; TypeError if `message` is not a Uint8Array
 */
export function decodeResumeReject(message: Uint8Array): ResumeRejectReason {
  checkBytes(message, 'message');
  if (message.length !== RESUME_REJECT_BYTES || message[0] !== MessageType.ResumeReject) {
    throw new ResumptionError('PQBLE_ERR_RESUME_MALFORMED', `a resume reject is ${RESUME_REJECT_BYTES} bytes starting 0x12`);
  }
  const reason = REASON_BY_CODE[message[1]];
  if (reason === undefined) throw new ResumptionError('PQBLE_ERR_RESUME_MALFORMED', 'unknown resume reject reason');
  return reason;
}
