/**
 * The package ships source maps that resolve without src/ (which does not ship): every
 * dist/**\/*.js names its map, and every map carries the TypeScript source it points to
 * (`inlineSources`), so a stack trace or a debugger shows the original code. No declaration
 * map ships (its sources would be files outside the package).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { ROOT, requireBuilt } from './cli/helpers.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

before(() => requireBuilt());

describe('source maps in dist/', () => {
  it('every .js has a map whose sources are inlined and are the files in src/', () => {
    const dist = join(ROOT, 'dist');
    // dist/web/page/ is the demo page's one esbuild bundle (docs/web.md), served to a browser, not tsc output.
    const page = join(dist, 'web', 'page');
    const scripts = walk(dist).filter((p) => p.endsWith('.js') && !p.startsWith(page));
    assert.ok(scripts.length > 50, `${scripts.length} scripts`);
    for (const js of scripts) {
      const text = readFileSync(js, 'utf8');
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
      assert.ok(url !== undefined, `${relative(ROOT, js)} names no source map`);
      const mapPath = resolve(dirname(js), url);
      const map = JSON.parse(readFileSync(mapPath, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      assert.equal(map.sourcesContent?.length, map.sources.length, `${relative(ROOT, mapPath)} inlines its sources`);
      map.sources.forEach((source, i) => {
        const original = resolve(dirname(mapPath), source);
        assert.equal(map.sourcesContent?.[i], readFileSync(original, 'utf8'), `${relative(ROOT, mapPath)}: ${source}`);
      });
    }
  });

  it('ships no declaration map (a fresh build makes none)', () => {
    const dist = join(ROOT, 'dist');
    // A map older than its declaration file is left over from an earlier build.
    const fresh = walk(dist).filter((p) => p.endsWith('.d.ts.map') && statSync(p).mtimeMs >= statSync(p.slice(0, -4)).mtimeMs - 1000);
    assert.deepEqual(fresh, []);
  });
});
