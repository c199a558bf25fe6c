/**
 * Resumption version 2 (docs/resumption.md), what both roles share: the keys a resumption
 * yields, the random source, and the checks and steps (random draws, the X25519 exchange,
 * wiping the key schedule) both sides run.
 *
 * @module
 */

import { checkBytes, wipe } from '../bytes.js';
import type { CryptoProvider } from '../crypto/index.js';
import { ResumptionError } from '../errors.js';
import { optFunction } from '../util/options.js';
import { RESUME_V2_FIELD_BYTES as F, type ResumeMode } from './resume-messages.js';
import type { ResumeSecrets } from './resume-schedule.js';

/** The keys one side gets from a successful version 2 resumption, from its own point of view. */
export interface ResumeKeysV2 {
  /** Traffic key this side sends with (initiator: i2r; responder: r2i). 32 bytes. */
  readonly sendKey: Uint8Array;
  /** Traffic key this side receives with (initiator: r2i; responder: i2r). 32 bytes. */
  readonly receiveKey: Uint8Array;
  /** The direction secret replacing the one just used (same direction, forward ratchet). 32 bytes. */
  readonly nextSecret: Uint8Array;
  /** Public id of the resumed session, equal on both sides. 16 bytes. */
  readonly sessionId: Uint8Array;
}

/** A source of random bytes: `random(n)` returns `n` fresh bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** A `PQBLE_ERR_RESUME_AUTH_FAILED` error. */
export function authFailed(message: string): ResumptionError {
  return new ResumptionError('PQBLE_ERR_RESUME_AUTH_FAILED', message);
}

/** @throws TypeError unless `mode` is `'psk'` or `'psk-dhe'`. */
export function checkMode(mode: unknown): ResumeMode {
  if (mode !== 'psk' && mode !== 'psk-dhe') throw new TypeError(`mode must be 'psk' or 'psk-dhe', got ${String(mode)}`);
  return mode;
}

/** The `random` option, checked, or `crypto.randomBytes`. */
export function checkRandom(random: unknown, crypto: CryptoProvider): RandomSource {
  return optFunction<RandomSource>(random, 'random') ?? ((n) => crypto.randomBytes(n));
}

/** `length` bytes from `random`, checked (`label` names them in the error). */
export function draw(random: RandomSource, length: number, label: string): Uint8Array {
  const bytes = random(length);
  checkBytes(bytes, label, length);
  return bytes;
}

/** X25519 with every failure (a throwing provider, an all-zero shared secret) as AUTH_FAILED. */
export function sharedSecret(crypto: CryptoProvider, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = crypto.x25519(secretKey, publicKey);
  } catch (cause) {
    throw new ResumptionError('PQBLE_ERR_RESUME_AUTH_FAILED', 'invalid X25519 public key in the resumption', { cause });
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0 || shared.length !== F.ephemeral) {
    wipe(shared);
    throw authFailed('the X25519 shared secret of the resumption is all zero');
  }
  return shared;
}

/** Wipes every secret of a resumption key schedule. */
export function wipeSecrets(s: ResumeSecrets | undefined): void {
  if (s !== undefined) wipe(s.i2r, s.r2i, s.rConfirmKey, s.iConfirmKey, s.nextSecret, s.sessionId);
}
