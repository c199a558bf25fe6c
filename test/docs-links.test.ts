/**
 * The docs stand alone: every docs/*.md file that docs/ and src/ link to exists (a review
 * finding; moved here from the review folder, it checks the whole tree).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('docs stand alone', () => {
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
