/**
 * Review findings on the file store and the docs it implements (see the review report).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileSessionStore } from '../../src/session/file/index.js';
import { CapturingLogger, tempDir } from '../transport/helpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('review: file store lock', () => {
  it('a lock left by a killed process that had the same pid (a restarted container: pid 1 again) is taken over', async () => {
    // docs (lock.ts header): "A lock whose process no longer runs on this host is stale and is
    // taken over". A container restarted after kill -9 runs node as the same pid (often 1) on
    // the same hostname: the lock names this very process, yet no store in it holds the lock.
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 's.sessions');
    try {
      const first = await FileSessionStore.open({ path, logger: new CapturingLogger() });
      await first.close();
      // What kill -9 leaves behind, written by "the previous run" with our pid and host.
      await writeFile(`${path}.lock`, `pqble-store-lock v1 ${process.pid} ${hostname().replace(/\s/g, '_') || 'localhost'}\n`, { mode: 0o600 });
      const again = await FileSessionStore.open({ path, logger: new CapturingLogger() });
      await again.close();
    } finally {
      await cleanup();
    }
  });

  it('a second open in the same process is still refused', async () => {
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 's.sessions');
    try {
      const first = await FileSessionStore.open({ path, logger: new CapturingLogger() });
      try {
        await assert.rejects(FileSessionStore.open({ path, logger: new CapturingLogger() }), { code: 'PQBLE_ERR_STORE_LOCKED' });
      } finally {
        await first.close();
      }
    } finally {
      await cleanup();
    }
  });
});

describe('review: docs stand alone', () => {
  it('every docs/*.md file that docs/ and src/ link to exists', async () => {
    const missing = new Set<string>();
    const scan = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await scan(p);
        else if (/\.(md|ts)$/.test(e.name)) {
          const text = await readFile(p, 'utf8');
          for (const m of text.matchAll(/docs\/([a-z0-9-]+\.md)|\]\(([a-z0-9-]+\.md)/g)) {
            const name = m[1] ?? m[2];
            const inDocs = p.startsWith(join(ROOT, 'docs'));
            if (m[2] !== undefined && !inDocs) continue;
            if (!existsSync(join(ROOT, 'docs', name))) missing.add(`${name} (from ${p.slice(ROOT.length + 1)})`);
          }
        }
      }
    };
    await scan(join(ROOT, 'docs'));
    await scan(join(ROOT, 'src'));
    assert.deepEqual([...missing].sort(), []);
  });
});
