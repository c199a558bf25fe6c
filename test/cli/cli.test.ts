// The `pqble` dispatcher driven in process (helpers.ts runInProcess): global help and version,
// and the one-line, exit-2 report of every kind of bad command line (docs/cli.md "Conventions").
// The built binary itself is checked by smoke.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runInProcess } from './helpers.js';

const COMMANDS = ['demo', 'bench', 'sessions', 'identity', 'peripheral', 'central'];

describe('pqble --help / --version', () => {
  it('lists every command and exits 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const r = await runInProcess([flag]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
    }
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runInProcess([flag]);
      assert.equal(r.status, 0);
      assert.equal(r.stdout, `${pkg.version}\n`);
    }
  });

  it('every command has --help with usage and options, within 80 columns', async () => {
    for (const c of COMMANDS) {
      const r = await runInProcess([c, '--help']);
      assert.equal(r.status, 0, `${c}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: pqble ${c}`));
      assert.match(r.stdout, /^Options:$/m);
      assert.match(r.stdout, /--help/);
      for (const line of r.stdout.split('\n')) assert.ok([...line].length <= 80, `${c} --help line too long: ${line}`);
    }
    assert.equal((await runInProcess(['help', 'demo'])).stdout, (await runInProcess(['demo', '--help'])).stdout);
  });
});

describe('bad command lines exit 2 with one line on stderr', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /^pqble: missing command/],
    ['unknown command', ['frobnicate'], /^pqble: unknown command 'frobnicate'/],
    ['unknown global option', ['--frob'], /^pqble: unknown option --frob/],
    ['unknown command option', ['demo', '--frob'], /^pqble: unknown option --frob for 'pqble demo'/],
    ['option without value', ['demo', '--phy'], /^pqble: option --phy needs a value/],
    ['value for a flag', ['demo', '--json=yes'], /^pqble: option --json does not take a value/],
    ['bad choice', ['demo', '--phy', '3m'], /^pqble: --phy must be one of coded, 1m, 2m/],
    ['number out of range', ['demo', '--interval-ms', '2'], /^pqble: --interval-ms must be a number from 7.5 to 4000/],
    ['not a number', ['demo', '--interval-ms', '30ms'], /^pqble: --interval-ms must be/],
    ['stray positional', ['demo', 'now'], /^pqble: unexpected argument 'now'/],
    ['missing action', ['sessions', '--path', 'x'], /^pqble: 'pqble sessions' needs list, show, prune, clear or forget/],
    ['unknown action', ['identity', 'burn', '--path', 'x'], /^pqble: unknown identity action 'burn'/],
    ['missing --path', ['sessions', 'list'], /^pqble: 'pqble sessions list' needs --path/],
    ['bad --ttl-hours', ['sessions', 'list', '--path', 'x', '--ttl-hours', '0'], /^pqble: --ttl-hours must be/],
    ['missing --device', ['central'], /^pqble: 'pqble central' needs --device/],
    ['bad --device', ['central', '--device', 'kitchen'], /^pqble: --device must be a BLE address/],
    ['bad --name', ['peripheral', '--name', 'x'.repeat(30)], /^pqble: --name must be 1 to 29/],
  ];
  for (const [title, args, message] of cases) {
    it(title, async () => {
      const r = await runInProcess(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderrLines.length, 1, r.stderr);
      assert.match(r.stderrLines[0], message);
    });
  }

  it('a --json run that fails prints the one-line error on stderr and a JSON error document on stdout', async () => {
    const r = await runInProcess(['sessions', 'list', '--json', '--path', join(ROOT, 'does-not-exist.json')]);
    assert.equal(r.status, 1);
    assert.deepEqual(r.stderrLines, [`pqble: no session cache file at ${join(ROOT, 'does-not-exist.json')}`]);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.match(doc.error.code, /^PQBLE_ERR_[A-Z_]+$/);
    assert.equal(doc.error.message, `no session cache file at ${join(ROOT, 'does-not-exist.json')}`);
    assert.deepEqual(Object.keys(doc), ['error']);
    assert.deepEqual(Object.keys(doc.error), ['code', 'message']);
  });

  it('a bad command line under --json: exit 2, code PQBLE_ERR_USAGE; without --json stdout stays empty', async () => {
    const r = await runInProcess(['demo', '--json', '--no-such-option']);
    assert.equal(r.status, 2);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'PQBLE_ERR_USAGE');
    const plain = await runInProcess(['demo', '--no-such-option']);
    assert.equal(plain.status, 2);
    assert.equal(plain.stdout, '');
  });
});
