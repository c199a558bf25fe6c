/**
 * Resumption version 2 (docs/resumption.md "State machines"), the responder's check of the
 * initiator's finished message (`0x13` + an 8-byte MAC): one try, constant-time, after which
 * the responder may hand the connection to the application.
 *
 * @module
 */

import { checkBytes, equalBytes, wipe } from '../bytes.js';
import { ResumptionError } from '../errors.js';
import { decodeResumeFinished } from './resume-messages.js';
import { authFailed } from './resume-common.js';

/** Where a {@link ResumeFinishedCheck} is. */
export type ResumeFinishedState = 'awaiting-finished' | 'verified' | 'failed';

/**
 * The responder's check of the initiator's finished message. One try: the first call to
 * {@link ResumeFinishedCheck.verify} decides, every later call throws
 * `PQBLE_ERR_RESUME_UNEXPECTED`.
 */
export interface ResumeFinishedCheck {
  /** Where the check is. */
  readonly state: ResumeFinishedState;
  /**
   * Checks the finished message (constant-time). Returns only if it is the initiator's
   * MAC over this exchange: the responder may then hand the connection to the application.
   * @throws ResumptionError `PQBLE_ERR_RESUME_MALFORMED` (not `0x13` + 8 bytes),
   *   `PQBLE_ERR_RESUME_AUTH_FAILED` (wrong MAC), `PQBLE_ERR_RESUME_UNEXPECTED` (not the
   *   first call, or destroyed); TypeError if `message` is not a Uint8Array
   */
  verify(message: Uint8Array): void;
  /** Abandons the check (for example on a timeout or a HandshakeInit instead): wipes the expected MAC. */
  destroy(): void;
}

/** The {@link ResumeFinishedCheck} {@link acceptResumeV2} hands out, expecting `expected`. */
export class FinishedCheck implements ResumeFinishedCheck {
  #expected: Uint8Array | undefined;
  #state: ResumeFinishedState = 'awaiting-finished';

  constructor(expected: Uint8Array) {
    this.#expected = expected;
  }

  /** {@inheritDoc ResumeFinishedCheck.state} */
  get state(): ResumeFinishedState {
    return this.#state;
  }

  /** {@inheritDoc ResumeFinishedCheck.verify} */
  verify(message: Uint8Array): void {
    checkBytes(message, 'message');
    const expected = this.#expected;
    this.#expected = undefined;
    if (expected === undefined || this.#state !== 'awaiting-finished') {
      this.#state = 'failed';
      throw new ResumptionError('PQBLE_ERR_RESUME_UNEXPECTED', 'the finished message was already checked, or the check was destroyed');
    }
    let mac: Uint8Array | undefined;
    try {
      mac = decodeResumeFinished(message);
      if (!equalBytes(mac, expected)) throw authFailed('the resume finished MAC does not verify');
      this.#state = 'verified';
    } finally {
      wipe(expected, mac);
      if (this.#state !== 'verified') this.#state = 'failed';
    }
  }

  /** {@inheritDoc ResumeFinishedCheck.destroy} */
  destroy(): void {
    wipe(this.#expected);
    this.#expected = undefined;
    if (this.#state === 'awaiting-finished') this.#state = 'failed';
  }
}
