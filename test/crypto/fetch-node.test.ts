// scripts/fetch-node.mjs, the Node fetcher .ci/run uses: its command line and where it puts
// binaries (the fetch itself runs in .ci/run and in native.test.ts when Node 24 is missing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['scripts/fetch-node.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });

describe('scripts/fetch-node.mjs', () => {
  it('--print-only names the cached binary of the pinned release, under PQBLE_NODE24_CACHE when set', () => {
    const r = run(['24', '--print-only'], { PQBLE_NODE24_CACHE: '/tmp/pqble-cache-test' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), join('/tmp/pqble-cache-test', `node-${process.platform}-${process.arch}-24.21.0`, 'bin', 'node'));
    const full = run(['22.1.2', '--print-only'], { PQBLE_NODE24_CACHE: '/tmp/pqble-cache-test' });
    assert.match(full.stdout.trim(), /node-[a-z0-9]+-[a-z0-9]+-22\.1\.2\/bin\/node$/);
    const dflt = run(['22', '--print-only'], { PQBLE_NODE24_CACHE: '' });
    assert.equal(dflt.stdout.trim(), join(root, 'node_modules', '.cache', 'pqble-node24', `node-${process.platform}-${process.arch}-22.23.5`, 'bin', 'node'));
  });

  it('the pinned Node 24 is the one the benchmark looks for', async () => {
    const { NODE24_VERSION } = await import('../../bench/tls/node24.js');
    const r = run(['24', '--print-only']);
    assert.ok(r.stdout.trim().endsWith(`-${NODE24_VERSION}/bin/node`), r.stdout);
  });

  it('a bad command line exits 2 with usage; an unknown line exits 1 with one line', () => {
    for (const args of [[], ['22', '24'], ['24', '--fetch']]) {
      const r = run(args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /^usage: node scripts\/fetch-node\.mjs/);
    }
    const r = run(['19']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr.trim(), /^fetch-node: unknown Node line 19 \(expected one of 22, 24 or x\.y\.z\)/);
  });
});
