/**
 * Crash safety of the resumption (docs/security.md "What a crash can leave"): both
 * transports run in a child process on session files, which is killed with SIGKILL at each
 * step of a resumption; a new process on the same files must never accept the used ticket
 * again, and must resume or fall back, never be stuck.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bytesToHex, randomBytes } from '../../src/bytes.js';

const child = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const seeds = [bytesToHex(randomBytes(32)), bytesToHex(randomBytes(32))];

function run(dir: string, mode: string): { status: number | null; signal: NodeJS.Signals | null; json: Record<string, string> | undefined; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, dir, mode, ...seeds], { encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout.trim().split('\n').at(-1);
  return { status: r.status, signal: r.signal, json: line ? (JSON.parse(line) as Record<string, string>) : undefined, stderr: r.stderr };
}

describe('kill -9 at every step of a resumption', () => {
  const cases = [
    // point, replay before the genuine reconnect?, the genuine reconnect's type
    ['request', false, 'resumed'],
    ['accept', true, 'full-handshake (fell back)'],
    ['finished', true, 'resumed'],
    ['after', true, 'resumed'],
  ] as const;
  for (const [point, replayFirst, expected] of cases) {
    it(`killed when the ${point === 'after' ? 'connection is up' : `${point} is on air`}: the used ticket is never accepted again, the pair recovers`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pqble-crash-'));
      try {
        const setup = run(dir, 'setup');
        assert.equal(setup.status, 0, setup.stderr);
        assert.equal(setup.json?.first, 'full-handshake');
        const killed = run(dir, `kill:${point}`);
        assert.equal(killed.signal, 'SIGKILL', `the child was killed (${killed.stderr})`);
        const check = run(dir, `check:${replayFirst ? 1 : 0}`);
        assert.equal(check.status, 0, check.stderr);
        assert.equal(check.json?.replay, 'unknown-ticket', 'the used ticket is refused');
        assert.equal(check.json?.first, expected);
        assert.equal(check.json?.second, 'resumed', 'both sides agree afterwards');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
