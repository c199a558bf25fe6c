// Smoke tests of the BUILT tool as a real process (dist/cli/main.js): the shebang, the
// version, one `demo --json` run, and the exit status and one-line stderr of failing commands
// (a bad command line: 2; a failure under --json: 1 and the JSON error document on stdout).
// Everything else about the commands runs in process (helpers.ts runInProcess); the other real
// processes are Ctrl-C of `demo --web` (demo-web.test.ts) and a missing radio library
// (chat.test.ts). dist/ must be built (`npm run build`); the tests say so if it is not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { CLI, ROOT, requireBuilt, runCli } from './helpers.js';

before(() => requireBuilt());

describe('the built pqble binary', () => {
  it('has a node shebang (in the source and the build) and prints the package version', () => {
    assert.ok(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n'));
    assert.ok(readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8').startsWith('#!/usr/bin/env node\n'));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = runCli(['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${pkg.version}\n`);
    assert.equal(r.stderr, '');
  });

  it('demo --json prints one JSON document: a full handshake, then a 1-RTT resumption', () => {
    const r = runCli(['demo', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const doc = JSON.parse(r.stdout) as { steps: { connectionType: string; roundTrips: number }[] };
    assert.equal(doc.steps.length, 4);
    assert.deepEqual(
      doc.steps.slice(0, 2).map((s) => [s.connectionType, s.roundTrips]),
      [
        ['full-handshake', 2],
        ['resumed', 1],
      ],
    );
  });

  it('a bad command line exits 2 with one line on stderr and nothing on stdout', () => {
    const r = runCli(['frobnicate']);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.deepEqual(r.stderrLines, ["pqble: unknown command 'frobnicate' (try pqble --help)"]);
  });

  it('a failing --json command exits 1: one line on stderr, the JSON error document on stdout', () => {
    const missing = join(ROOT, 'does-not-exist.json');
    const r = runCli(['sessions', 'list', '--json', '--path', missing]);
    assert.equal(r.status, 1);
    assert.deepEqual(r.stderrLines, [`pqble: no session cache file at ${missing}`]);
    assert.deepEqual(JSON.parse(r.stdout), { error: { code: 'PQBLE_ERR_CACHE_FILE', message: `no session cache file at ${missing}` } });
  });
});
