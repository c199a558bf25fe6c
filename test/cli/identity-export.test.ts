/**
 * Review finding: `pqble identity export-public --out FILE --force` with FILE the identity
 * file itself replaced the secret key file with the public key: the identity was lost. The
 * command must refuse (a usage error) and leave the key file as it was.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { CliContext } from '../../src/cli/context.js';
import { plainStyle } from '../../src/cli/format.js';
import { run } from '../../src/cli/identity.js';
import { generateIdentity, loadIdentity, saveIdentity } from '../../src/identity/index.js';

function context(): CliContext {
  const sink = { write: () => true };
  return {
    stdout: sink,
    stderr: sink,
    stdin: new PassThrough(),
    env: {},
    style: plainStyle,
    errStyle: plainStyle,
    signal: new AbortController().signal,
    now: () => Date.now(),
  };
}

describe('review: identity export-public', () => {
  for (const how of ['the same path', 'a symlink to it'] as const) {
    it(`export-public --force --out over the identity file itself (${how}) destroys the secret key (must refuse)`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pqble-review-'));
      try {
        const path = join(dir, 'hub.identity.json');
        await saveIdentity(path, generateIdentity());
        const before = await readFile(path, 'utf8');
        let out = path;
        if (how === 'a symlink to it') {
          out = join(dir, 'hub.pub');
          await symlink(path, out);
        }
        const status = await run(['export-public', '--path', path, '--out', out, '--force'], context()).then(
          (s) => `exit ${s}`,
          (err: unknown) => (err instanceof Error ? err.name : String(err)),
        );
        assert.equal(await readFile(path, 'utf8'), before, 'the identity file is unchanged');
        await loadIdentity(path);
        assert.notEqual(status, 'exit 0');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
