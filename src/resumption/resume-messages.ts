/**
 * The wire format of resumption version 2 (docs/resumption.md "Messages"): byte layouts,
 * sizes and cheap decoders that do no cryptography.
 *
 * ```
 * request  = 0x10 || 0x02 || mode(1) || ticketId(16) || Ni(16) || [ei(32)] || binder(16)   51 / 83 B
 * accept   = 0x11 || Nr(16) || [er(32)] || confirm(16)                                    33 / 65 B
 * finished = 0x13 || mac(8)                                                                     9 B
 * reject   = 0x12 || reason(1)                                                                  2 B  (./reject.ts)
 * ```
 *
 * `[...]` is present in mode `psk-dhe` (0x01) only; mode `psk` is 0x00.
 *
 * @module
 */

import { checkBytes } from '../bytes.js';
import { HandshakeError, ResumptionError } from '../errors.js';
import { MessageType } from '../wire.js';
import { RESUME_TICKET_ID_BYTES } from './resume-schedule.js';

/** How a version 2 resumption derives its keys: from the direction secret alone, or also from a fresh X25519 exchange. */
export type ResumeMode = 'psk' | 'psk-dhe';

/** The version byte of a version 2 resume request. */
export const RESUME_VERSION = 0x02;

/** Mode byte of each {@link ResumeMode}. */
export const RESUME_MODE_CODES: Readonly<Record<ResumeMode, number>> = { psk: 0x00, 'psk-dhe': 0x01 };

/** Sizes of the fields of version 2 messages, in bytes. */
export const RESUME_V2_FIELD_BYTES = {
  /** Ticket id (lookup key of the responder's inbound secret). */
  ticketId: RESUME_TICKET_ID_BYTES,
  /** Initiator nonce `Ni` and responder nonce `Nr`. */
  nonce: 16,
  /** X25519 public key `ei` / `er` (mode `psk-dhe`). */
  ephemeral: 32,
  /** Binder: truncated HMAC proving possession of the direction secret. */
  binder: 16,
  /** Responder's confirmation MAC in an accept. */
  confirm: 16,
  /** Initiator's MAC in the finished message. */
  finishedMac: 8,
} as const;

const F = RESUME_V2_FIELD_BYTES;

/** Bytes of each version 2 message, per mode (type byte included, framing excluded). */
export const RESUME_V2_MESSAGE_BYTES: Readonly<Record<ResumeMode, { readonly request: number; readonly accept: number; readonly finished: number }>> = {
  psk: { request: 3 + F.ticketId + F.nonce + F.binder, accept: 1 + F.nonce + F.confirm, finished: 1 + F.finishedMac },
  'psk-dhe': {
    request: 3 + F.ticketId + F.nonce + F.ephemeral + F.binder,
    accept: 1 + F.nonce + F.ephemeral + F.confirm,
    finished: 1 + F.finishedMac,
  },
};

/** Bytes of a finished message: `0x13 || mac(8)`. */
export const RESUME_FINISHED_BYTES = 1 + F.finishedMac;

/** A decoded version 2 resume request (fresh copies of its fields). */
export interface ResumeRequestV2 {
  /** Always {@link RESUME_VERSION}. */
  readonly version: typeof RESUME_VERSION;
  readonly mode: ResumeMode;
  /** 16 bytes: where the responder looks up its inbound direction secret. */
  readonly ticketId: Uint8Array;
  /** `Ni`, 16 bytes. */
  readonly initiatorNonce: Uint8Array;
  /** `ei`, the initiator's 32-byte X25519 public key in mode `psk-dhe`; `undefined` in mode `psk`. */
  readonly initiatorEphemeral: Uint8Array | undefined;
  /** 16 bytes. */
  readonly binder: Uint8Array;
}

/** A decoded version 2 accept (subarrays of the message, not copies). */
export interface ResumeAcceptV2 {
  /** `Nr`, 16 bytes. */
  readonly responderNonce: Uint8Array;
  /** `er`, 32 bytes in mode `psk-dhe`; `undefined` in mode `psk`. */
  readonly responderEphemeral: Uint8Array | undefined;
  /** The message without its confirm (`acceptPrefix`, an input of th1). */
  readonly prefix: Uint8Array;
  /** 16 bytes. */
  readonly confirm: Uint8Array;
}

/** Internal: a malformed-message error. */
export function malformed(message: string): ResumptionError {
  return new ResumptionError('PQBLE_ERR_RESUME_MALFORMED', message);
}

const MODE_BY_CODE: readonly (ResumeMode | undefined)[] = ['psk', 'psk-dhe'];

/**
 * Decodes a version 2 resume request from untrusted bytes, without any cryptography (the
 * responder then looks up `ticketId`; `acceptResumeV2` checks the binder).
 * @returns fresh copies of the fields
 * @throws HandshakeError `PQBLE_ERR_PROTOCOL_VERSION` for a resume request of another
 *   version (answer `'unsupported'`); ResumptionError `PQBLE_ERR_RESUME_MALFORMED` for anything else that is
 *   not a well-formed request (answer `'malformed'`), an unknown mode byte included;
 *   TypeError if `message` is not a Uint8Array
 */
export function decodeResumeRequestV2(message: Uint8Array): ResumeRequestV2 {
  checkBytes(message, 'message');
  const parts = splitRequest(message);
  return {
    version: RESUME_VERSION,
    mode: parts.mode,
    ticketId: parts.ticketId.slice(),
    initiatorNonce: parts.initiatorNonce.slice(),
    initiatorEphemeral: parts.initiatorEphemeral?.slice(),
    binder: parts.binder.slice(),
  };
}

/** Internal: a request split into subarrays of `message` (never modified). Same errors as {@link decodeResumeRequestV2}. */
export function splitRequest(message: Uint8Array): ResumeRequestV2 & { readonly body: Uint8Array } {
  if (message.length < 2 || message[0] !== MessageType.ResumeRequest) throw malformed('not a resume request');
  if (message[1] !== RESUME_VERSION) {
    throw new HandshakeError('PQBLE_ERR_PROTOCOL_VERSION', `unsupported resumption protocol version ${message[1]}`);
  }
  const mode = message.length < 3 ? undefined : MODE_BY_CODE[message[2]];
  if (mode === undefined) throw malformed('missing or unknown resumption mode');
  const expected = RESUME_V2_MESSAGE_BYTES[mode].request;
  if (message.length !== expected) throw malformed(`a ${mode} resume request is ${expected} bytes, got ${message.length}`);
  let at = 3;
  const ticketId = message.subarray(at, (at += F.ticketId));
  const initiatorNonce = message.subarray(at, (at += F.nonce));
  const initiatorEphemeral = mode === 'psk-dhe' ? message.subarray(at, (at += F.ephemeral)) : undefined;
  const body = message.subarray(0, at);
  const binder = message.subarray(at, (at += F.binder));
  return { version: RESUME_VERSION, mode, ticketId, initiatorNonce, initiatorEphemeral, binder, body };
}

/** Internal: splits an accept for a request of `mode`. @throws PQBLE_ERR_RESUME_MALFORMED for a wrong type byte or length */
export function splitAccept(message: Uint8Array, mode: ResumeMode): ResumeAcceptV2 {
  const expected = RESUME_V2_MESSAGE_BYTES[mode].accept;
  if (message[0] !== MessageType.ResumeAccept || message.length !== expected) throw malformed(`a ${mode} resume accept is ${expected} bytes starting 0x11`);
  let at = 1;
  const responderNonce = message.subarray(at, (at += F.nonce));
  const responderEphemeral = mode === 'psk-dhe' ? message.subarray(at, (at += F.ephemeral)) : undefined;
  const prefix = message.subarray(0, at);
  const confirm = message.subarray(at, (at += F.confirm));
  return { responderNonce, responderEphemeral, prefix, confirm };
}

/**
 * Decodes a finished message from untrusted bytes.
 * @returns the 8-byte MAC (a copy)
 * @throws ResumptionError `PQBLE_ERR_RESUME_MALFORMED` unless `0x13` followed by 8 bytes;
 *   TypeError if `message` is not a Uint8Array
 */
export function decodeResumeFinished(message: Uint8Array): Uint8Array {
  checkBytes(message, 'message');
  if (message.length !== RESUME_FINISHED_BYTES || message[0] !== MessageType.ResumeFinished) {
    throw malformed(`a resume finished message is ${RESUME_FINISHED_BYTES} bytes starting 0x13`);
  }
  return message.slice(1);
}
