// Shared helpers of the session tests: temp dirs, a capturing logger, sample sessions.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import type { Logger } from '../../src/logger.js';
import type { CachedSession } from '../../src/session/types.js';

/** A logger that records every warning. */
export interface CapturingLogger extends Logger {
  readonly warnings: { message: string; fields: Record<string, unknown> | undefined }[];
  /** Every warning as one string (message and fields). */
  text(): string;
}

/** A fresh capturing logger. */
export function capturingLogger(): CapturingLogger {
  const warnings: CapturingLogger['warnings'] = [];
  return {
    warnings,
    warn(message, fields) {
      warnings.push({ message, fields });
    },
    text: () => warnings.map((w) => `${w.message} ${JSON.stringify(w.fields)}`).join('\n'),
  };
}

/** A temp directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pqble-session-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** `n` random sessions, established `ageMs` before `nowMs`, least recently used first. */
export function sampleSessions(n: number, nowMs = Date.now(), ageMs = 60_000): CachedSession[] {
  const out: CachedSession[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      peerFingerprint: bytesToHex(randomBytes(32)),
      deviceId: bytesToHex(randomBytes(6)),
      sessionId: bytesToHex(randomBytes(16)),
      establishedMs: nowMs - ageMs,
      lastActiveMs: nowMs - ageMs + i,
      resumptionSecret: randomBytes(32),
      ticketId: bytesToHex(randomBytes(16)),
    });
  }
  return out;
}

/** The comparable fields of a session (secret as hex). */
export function plain(s: CachedSession): Record<string, unknown> {
  return {
    peerFingerprint: s.peerFingerprint,
    deviceId: s.deviceId,
    sessionId: s.sessionId,
    establishedMs: s.establishedMs,
    lastActiveMs: s.lastActiveMs,
    ticketId: s.ticketId,
    secret: bytesToHex(s.resumptionSecret),
  };
}
