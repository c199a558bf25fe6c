// pqble/redis is loaded only when imported: ioredis is an optional peer dependency, the
// "./redis" export points at the built store, and nothing outside src/session/redis (and
// the Redis benchmarks) imports ioredis or the Redis store.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

it('package.json: "./redis" export, ioredis an optional peer dependency (never a dependency)', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, Record<string, unknown>>;
  assert.deepEqual(pkg.exports['./redis'], { types: './dist/session/redis/index.d.ts', import: './dist/session/redis/index.js' });
  assert.equal(typeof pkg.peerDependencies?.ioredis, 'string');
  assert.deepEqual(pkg.peerDependenciesMeta?.ioredis, { optional: true });
  assert.equal(pkg.dependencies?.ioredis, undefined);
  assert.equal(pkg.optionalDependencies?.ioredis, undefined);
});

it('only src/session/redis imports ioredis or the Redis store', () => {
  const offenders = sources('src').filter((path) => {
    if (path.startsWith(join('src', 'session', 'redis'))) return false;
    const text = readFileSync(path, 'utf8');
    return /from\s+['"]ioredis['"]|import\(\s*['"]ioredis['"]|from\s+['"][^'"]*session\/redis[^'"]*['"]|from\s+['"]\.\/redis\//.test(text);
  });
  assert.deepEqual(offenders, []);
});
