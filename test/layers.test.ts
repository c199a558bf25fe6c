// The layer order of the README's "Layout": a module of src/ imports only from its own layer or
// a layer listed before it, so no import runs back up and there is no cycle between folders.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Layers from the bottom up: a file's layer is its folder under src/, or its name at the top. */
const ORDER = [
  'bytes',
  'errors',
  'clock',
  'logger',
  'wire',
  'util',
  'crypto',
  'ids',
  'link',
  'radio',
  'adapters',
  'framing',
  'identity',
  'handshake',
  'record',
  'resumption',
  'session',
  'transport',
  'node',
  'demo',
  'web',
  'cli',
  'index',
];

function layerOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('layers', () => {
  it('every src/ module imports only from its own layer or one below it', () => {
    const files = sources(SRC);
    assert.ok(files.length > 100, `found only ${files.length} sources`);
    const wrong: string[] = [];
    let imports = 0;
    for (const file of files) {
      const from = layerOf(file);
      const rank = ORDER.indexOf(from);
      if (rank < 0) {
        wrong.push(`${relative(SRC, file)}: layer '${from}' is not in the README's order`);
        continue;
      }
      for (const m of readFileSync(file, 'utf8').matchAll(/\bfrom '(\.{1,2}\/[^']+)'|\bimport\('(\.{1,2}\/[^']+)'\)/g)) {
        const target = normalize(join(dirname(file), (m[1] ?? m[2]).replace(/\.js$/, '.ts')));
        if (!target.startsWith(SRC)) continue;
        imports++;
        const to = layerOf(target);
        if (to !== from && ORDER.indexOf(to) > rank) wrong.push(`${relative(SRC, file)} imports ${to} (${m[1] ?? m[2]})`);
      }
    }
    assert.ok(imports > 500, `found only ${imports} imports`);
    assert.deepEqual(wrong, []);
  });
});
