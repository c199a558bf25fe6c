/**
 * The README's example, pasted as it is (with its 'pqble' imports pointed at the sources),
 * runs to completion, prints what its comments say and exits 0 by itself.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

describe('README example', () => {
  it('runs as pasted and exits 0 by itself', async () => {
    const readme = await readFile('README.md', 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block !== undefined && block.includes("from 'pqble'"), 'the README has a TypeScript example');
    const src = resolve('src');
    const code = block.replace("from 'pqble/radio'", `from '${join(src, 'radio/index.ts')}'`).replace("from 'pqble'", `from '${join(src, 'index.ts')}'`);
    const dir = await mkdtemp(join(tmpdir(), 'pqble-readme-'));
    try {
      const file = join(dir, 'example.mts');
      await writeFile(file, code);
      const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.signal, null, `killed: ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), ['full-handshake', 'temperature?']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
