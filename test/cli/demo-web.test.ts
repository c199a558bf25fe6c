// `pqble demo --web`: in process (the page's address on stdout, the page served from
// 127.0.0.1, the context's abort closing it with status 0), its usage errors, and the
// built tool as a process that Ctrl-C (SIGINT) ends cleanly with status 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { CliContext } from '../../src/cli/context.js';
import { plainStyle } from '../../src/cli/format.js';
import { runCli as dispatch } from '../../src/cli/run.js';
import { CLI, requireBuilt, runInProcess } from './helpers.js';

function context(signal: AbortSignal): { context: CliContext; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    context: {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      stdin: Readable.from([]),
      env: {},
      style: plainStyle,
      errStyle: plainStyle,
      signal,
      now: () => Date.now(),
    },
  };
}

async function waitFor<T>(fn: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pqble demo --web', () => {
  it('prints the page address, serves the page on 127.0.0.1 and stops with status 0 when aborted', async () => {
    const controller = new AbortController();
    const c = context(controller.signal);
    const running = dispatch(['demo', '--web', '--phy', '2m', '--interval-ms', '15'], c.context);
    const url = await waitFor(() => c.out.join('').split('\n')[0] || undefined);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?phy=2m&interval-ms=15$/);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<script type="module" src="app\.js"><\/script>/);
    const app = await fetch(new URL('app.js', url));
    assert.equal(app.status, 200);
    assert.ok((await app.text()).length > 50_000, 'the bundled demo');
    assert.match(c.err.join(''), /Ctrl-C/);
    controller.abort();
    assert.equal(await running, 0);
    await assert.rejects(fetch(url), 'the server is closed');
  });

  it('rejects --port without --web, --web with --json or --realtime, and a bad port', async () => {
    for (const args of [
      ['--port', '8080'],
      ['--web', '--json'],
      ['--web', '--realtime'],
      ['--web', '--port', '65536'],
      ['--web', '--port', 'x'],
    ]) {
      const r = await runInProcess(['demo', ...args]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderrLines.length, 1);
    }
  });

  it('the built tool: Ctrl-C (SIGINT) closes the server and exits 0', async () => {
    requireBuilt();
    const child = spawn(process.execPath, [CLI, 'demo', '--web', '--port', '0'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await waitFor(() => (out.includes('\n') ? out.split('\n')[0] : undefined));
      assert.equal((await fetch(url)).status, 200);
      child.kill('SIGINT');
      assert.equal(await exited, 0, err);
      await assert.rejects(fetch(url));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
