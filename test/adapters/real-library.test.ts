/**
 * The adapters on the REAL `@stoprocent/noble` and `@stoprocent/bleno` installed on this
 * machine, each in a child process (test/adapters/fixtures/real-radio-child.ts). CI machines
 * have no Bluetooth adapter (or no kernel support), so creation must fail with
 * PQBLE_ERR_RADIO_UNAVAILABLE within a few seconds and the child must then exit by itself:
 * the libraries keep sockets and timers alive unless the adapter shuts them down properly.
 * On a machine with a working, permitted adapter the child may instead report 'created';
 * it must still exit by itself.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const CHILD = fileURLToPath(new URL('./fixtures/real-radio-child.ts', import.meta.url));
const BLOCK = fileURLToPath(new URL('./fixtures/block-ble-libraries.mjs', import.meta.url));
const HIDE = fileURLToPath(new URL('./fixtures/hide-ble-libraries.mjs', import.meta.url));
/** The child must be gone by then: poweredOnTimeoutMs (3 s) plus bleno's 1 s poll twice, plus start-up. */
const EXIT_WITHIN_MS = 15_000;

interface ChildResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly elapsedMs: number;
  readonly report: { outcome: string; code?: string; message?: string; loaded?: string[]; ms: number };
  readonly stderr: string;
}

function runChild(mode: string, extraArgs: readonly string[] = []): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', ...extraArgs, CHILD, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS);
    child.on('error', reject);
    child.on('exit', (exitCode, signal) => {
      clearTimeout(killer);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) {
        reject(new Error(`child printed no report (exit ${exitCode}, signal ${signal}); stdout: ${stdout}; stderr: ${stderr}`));
        return;
      }
      resolve({ exitCode, signal, elapsedMs: Date.now() - started, report: JSON.parse(line) as ChildResult['report'], stderr });
    });
  });
}

function assertExitedByItself(r: ChildResult): void {
  assert.equal(r.signal, null, `the child did not exit by itself within ${EXIT_WITHIN_MS} ms (killed); stderr: ${r.stderr}`);
  assert.equal(r.exitCode, 0, `the child failed: ${r.stderr}`);
}

describe('adapters on the real libraries of this machine (child processes)', () => {
  for (const mode of ['noble', 'bleno'] as const) {
    it(`${mode}: PQBLE_ERR_RADIO_UNAVAILABLE within a few seconds, then the process exits on its own`, { timeout: 30_000 }, async () => {
      const r = await runChild(mode);
      assertExitedByItself(r);
      if (r.report.outcome === 'created') {
        // A machine with a working Bluetooth adapter: nothing to assert beyond the clean exit.
        return;
      }
      assert.equal(r.report.outcome, 'error');
      assert.equal(r.report.code, 'PQBLE_ERR_RADIO_UNAVAILABLE', r.report.message);
      assert.ok(r.report.ms < 5000, `reported after ${r.report.ms} ms`);
    });

    it(`${mode}: a library whose native part cannot load gives PQBLE_ERR_RADIO_UNAVAILABLE with the install hint`, { timeout: 30_000 }, async () => {
      const r = await runChild(mode, ['--import', BLOCK]);
      assertExitedByItself(r);
      assert.equal(r.report.outcome, 'error');
      assert.equal(r.report.code, 'PQBLE_ERR_RADIO_UNAVAILABLE');
      assert.match(r.report.message ?? '', /npm install-scripts approve @stoprocent\//);
      assert.match(r.report.message ?? '', /npm rebuild @stoprocent\/(noble|bleno) @stoprocent\/bluetooth-hci-socket/);
      assert.doesNotMatch(r.report.message ?? '', /not installed/);
    });

    it(`${mode}: a library that is not installed gives PQBLE_ERR_RADIO_UNAVAILABLE naming the package to install`, { timeout: 30_000 }, async () => {
      const r = await runChild(mode, ['--import', HIDE]);
      assertExitedByItself(r);
      assert.equal(r.report.outcome, 'error');
      assert.equal(r.report.code, 'PQBLE_ERR_RADIO_UNAVAILABLE');
      assert.ok((r.report.message ?? '').includes(`run \`npm install @stoprocent/${mode}\``), r.report.message);
      assert.doesNotMatch(r.report.message ?? '', /rebuild/);
    });
  }

  it('importing the adapter modules loads no BLE library (they are imported lazily)', { timeout: 30_000 }, async () => {
    const r = await runChild('imports');
    assertExitedByItself(r);
    assert.equal(r.report.outcome, 'imported');
    assert.deepEqual(r.report.loaded, []);
  });
});
