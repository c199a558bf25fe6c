/**
 * Session resumption (docs/resumption.md; docs/security.md "Properties" 2-7 and 11): the
 * pure protocol functions and the per-link attempt limiter.
 *
 * @module
 */

export * from './rate-limiter.js';

// Resumption version 2 (docs/resumption.md): direction-separated secrets, key confirmation
// both ways, modes 'psk' and 'psk-dhe'. The reject message is the same as in version 1.
export * from './reject.js';
export * from './resume.js';
export {
  RESUME_FINISHED_BYTES,
  RESUME_MODE_CODES,
  RESUME_V2_FIELD_BYTES,
  RESUME_V2_MESSAGE_BYTES,
  RESUME_VERSION,
  decodeResumeFinished,
  decodeResumeRequestV2,
  type ResumeMode,
  type ResumeRequestV2,
} from './resume-messages.js';
export { deriveDirectionSecret, deriveDirectionSecrets, deriveResumeTicketId, RESUME_TICKET_ID_BYTES, type DirectionSecrets } from './resume-schedule.js';
