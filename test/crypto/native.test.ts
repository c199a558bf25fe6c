// Runs test/crypto/native-cases.ts (the native backend against noble) where it can run:
// in this process if its node:crypto has ML-KEM-768 and ML-DSA-65 (Node 24), else in a
// Node 24 child process: PQBLE_NODE24, the binary `node scripts/fetch-node.mjs 24` (or the
// benchmark) put in the cache, or one fetched from the npm registry now. Skipped, with one
// line saying why, only if no Node 24 can be had.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fetchNode24, findPqNode } from '../../bench/tls/node24.js';
import { nodeCryptoSupport } from '../../src/crypto/index.js';

async function node24(): Promise<{ path?: string; reason?: string }> {
  const found = await findPqNode();
  if (found.available && found.nodePath !== undefined) return { path: found.nodePath };
  try {
    return { path: await fetchNode24() };
  } catch (err) {
    return { reason: `${found.reason ?? 'no Node 24'}; fetching one failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

if (nodeCryptoSupport().available) {
  await import('./native-cases.js');
} else {
  const found = await node24();
  describe('native crypto backend', () => {
    if (found.path === undefined) {
      void it.skip(`native backend cases not run: this Node lacks native ML-KEM/ML-DSA and no Node 24 could be had (${found.reason ?? ''})`);
      return;
    }
    const nodePath = found.path;
    it(`test/crypto/native-cases.ts passes in a Node 24 child process (${nodePath})`, () => {
      const root = fileURLToPath(new URL('../../', import.meta.url));
      const child = spawnSync(nodePath, ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/crypto/native-cases.ts'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 300_000,
        maxBuffer: 16 << 20,
        // Not NODE_TEST_CONTEXT: the child is a test run of its own, not a subprocess of this one.
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT' && k !== 'NODE_OPTIONS')),
      });
      const output = `${child.stdout}${child.stderr}`;
      assert.equal(child.status, 0, `Node 24 child failed (status ${String(child.status)}, signal ${String(child.signal)}):\n${output.slice(-6000)}`);
      const passed = /ℹ pass (\d+)/.exec(output);
      assert.ok(passed !== null && Number(passed[1]) >= 25, `expected the native cases to run, got:\n${output.slice(-2000)}`);
      assert.match(output, /ℹ fail 0/);
    });
  });
}
