/**
 * Resumption version 2 (docs/resumption.md): the initiator's state machine and the
 * responder's accept, pure and synchronous (no I/O, no timers). One round trip for the
 * initiator; direction-separated secrets bound to both identities; a binder from the
 * initiator, a confirmation from the responder and a finished MAC from the initiator
 * (key confirmation, so a replayed request never yields a connection on the responder); an
 * optional fresh X25519 exchange from both sides (mode `psk-dhe`, as TLS 1.3 `psk_dhe_ke`).
 *
 * ```
 * initiator                                                    responder
 *   request = 0x10|0x02|mode|ticketId|Ni|[ei]|binder  ──────▶   look up rs by ticketId,
 *                                                               acceptResumeV2: binder ok,
 *                                                               store nextSecret durably
 *           ◀──────  accept = 0x11|Nr|[er]|confirm
 *   readReply: confirm ok, store nextSecret,
 *   finished = 0x13|mac8                               ──────▶  ResumeFinishedCheck.verify
 *   (records may follow at once)                                 -> the connection is up
 * ```
 *
 * Finding, storing and ratcheting the secrets is the session keeper's job; moving the
 * messages is the transport's.
 *
 * One file per part, re-exported here: resume-initiator.ts (`ResumeInitiator`),
 * resume-accept.ts (`acceptResumeV2`), resume-finished.ts (the responder's finished check)
 * and resume-common.ts (what both roles share); the message layouts are in
 * resume-messages.ts, the key schedule in resume-schedule.ts.
 *
 * @module
 */

export type { RandomSource, ResumeKeysV2 } from './resume-common.js';
export { ResumeInitiator, type ResumeInitiatorOptions, type ResumeInitiatorState, type ResumeReplyV2 } from './resume-initiator.js';
export { acceptResumeV2, type AcceptResumeV2Options, type AcceptedResumeV2 } from './resume-accept.js';
export type { ResumeFinishedCheck, ResumeFinishedState } from './resume-finished.js';
