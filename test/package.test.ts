/**
 * What `npm install pqble` brings and what the tarball holds: the only runtime dependencies
 * are the noble crypto libraries; the radio libraries and ioredis are optional peer
 * dependencies (and devDependencies, so `npm ci` gives the repository's own tests them);
 * `npm pack` ships dist/, docs/, README.md, LICENSE and package.json and nothing else
 * (no test/, bench/, src/, scripts or scratch files), with every export target inside, and
 * no benchmark code, TLS fixtures, version-1 baseline or Node downloader inside dist/ either.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ROOT, requireBuilt } from './cli/helpers.js';

interface PackageJson {
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly bundleDependencies?: unknown;
  readonly bundledDependencies?: unknown;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly exports: Record<string, string | Record<string, string>>;
  readonly bin: Record<string, string>;
  readonly files: readonly string[];
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** Runtime dependencies allowed: the noble crypto libraries (pure JavaScript, no dependencies of their own beyond each other). */
const RUNTIME = ['@noble/ciphers', '@noble/curves', '@noble/hashes', '@noble/post-quantum'];
/** Optional peer dependencies: each subpath that needs one loads it only when used. */
const OPTIONAL_PEERS = ['@stoprocent/bleno', '@stoprocent/noble', 'ioredis'];

describe('package.json dependencies', () => {
  it('has no runtime dependency besides the noble crypto libraries', () => {
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}).sort(), RUNTIME);
    assert.equal(pkg.optionalDependencies, undefined, 'optionalDependencies are installed by default');
    assert.equal(pkg.bundleDependencies ?? pkg.bundledDependencies, undefined);
  });

  it('makes the radio libraries and ioredis optional peer dependencies, and devDependencies for the tests', () => {
    assert.deepEqual(Object.keys(pkg.peerDependencies ?? {}).sort(), OPTIONAL_PEERS);
    for (const name of OPTIONAL_PEERS) {
      assert.deepEqual(pkg.peerDependenciesMeta?.[name], { optional: true }, `${name} is an optional peer`);
      assert.equal(pkg.devDependencies?.[name], pkg.peerDependencies?.[name], `${name}: devDependency with the same range`);
    }
  });

  it('package-lock.json agrees (regenerated with npm install)', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, PackageJson & { dev?: boolean }> };
    const root = lock.packages[''];
    assert.deepEqual(root?.dependencies, pkg.dependencies);
    assert.deepEqual(root?.peerDependencies, pkg.peerDependencies);
    assert.equal(root?.optionalDependencies, undefined);
    for (const name of OPTIONAL_PEERS) assert.equal(lock.packages[`node_modules/${name}`]?.dev, true, `${name} is dev-only in the lockfile`);
  });
});

describe('npm pack', () => {
  let files: string[] = [];
  before(() => {
    requireBuilt();
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { files: { path: string }[] }[];
    files = report[0]?.files.map((f) => f.path) ?? [];
  });

  it('ships only dist/, docs/, README.md, LICENSE and package.json', () => {
    assert.deepEqual([...pkg.files].sort(), ['LICENSE', 'README.md', 'dist', 'docs']);
    const stray = files.filter((path) => !/^(dist|docs)\//.test(path) && !['package.json', 'README.md', 'LICENSE'].includes(path));
    assert.deepEqual(stray, []);
    for (const path of ['package.json', 'README.md', 'LICENSE']) assert.ok(files.includes(path), `${path} ships`);
    assert.ok(!files.some((path) => /(^|\/)(test|\.scratch|\.tmp|node_modules)\//.test(path) || /^(bench|src|scripts)\//.test(path)));
    assert.ok(!files.some((path) => path.endsWith('.test.js') || path.endsWith('.test.ts')));
  });

  it('ships no benchmark code, TLS fixtures, version-1 baseline or Node downloader', () => {
    const shipped = files.filter((path) => path.startsWith('dist/'));
    assert.ok(shipped.length > 100, 'the tarball lists dist/');
    const benchLike = shipped.filter(
      (path) =>
        /(^|\/)(bench|baseline|fleet|tls|fixtures)\//.test(path) ||
        /\.(pem|crt|key)$/.test(path) ||
        /(^|\/)(bench|bench-view|bench-sweep|bench-cache|chart|fetch-node|fetch-node24|node24|pq-worker|generate)\.(js|mjs|d\.ts|js\.map)$/.test(path) ||
        /(^|\/)(file-store|session-cache|snapshot-store|resumption)-v1\./.test(path),
    );
    assert.deepEqual(benchLike, []);
    assert.ok(files.includes('dist/cli/bench-loader.js'), 'the loader that says where the benchmark is ships');
    for (const path of shipped.filter((p) => p.endsWith('.js') || p.endsWith('.js.map'))) {
      const text = readFileSync(join(ROOT, path), 'utf8');
      assert.ok(!text.includes('-----BEGIN'), `${path} embeds a PEM key or certificate`);
      assert.ok(!text.includes('X25519MLKEM768') && !text.includes('runTlsBaseline'), `${path} holds the TLS baseline`);
      assert.ok(!/pack node-|\bnode-linux-x64\b/.test(text), `${path} holds the Node downloader`);
      assert.ok(!/from ['"](\.\.\/)+bench\//.test(text), `${path} imports the benchmark`);
    }
  });

  it('ships every docs/*.md the README and TSDoc point at', () => {
    const docs = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
    assert.ok(docs.includes('api.md'));
    for (const name of docs) assert.ok(files.includes(`docs/${name}`), `docs/${name} ships`);
  });

  it('ships the target of every export condition and the bin', () => {
    const targets = [...Object.values(pkg.bin)];
    for (const value of Object.values(pkg.exports)) targets.push(...(typeof value === 'string' ? [value] : Object.values(value)));
    assert.ok(targets.length > 10);
    for (const target of targets) assert.ok(files.includes(target.replace(/^\.\//, '')), `${target} is in the tarball (run npm run build if dist/ is stale)`);
  });
});
