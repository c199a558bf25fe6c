/**
 * Finding (and fetching) a Node >= 24 for the hybrid post-quantum TLS baseline
 * (docs/benchmarks-tls.md "Getting the post-quantum variant"). X25519MLKEM768 and ML-DSA
 * certificates need OpenSSL 3.5, which ships inside Node 24; the project itself supports
 * Node 20, so the PQ measurement runs in a child process with a Node 24 binary taken from:
 *
 * 1. the current process, if it already is Node >= 24 with OpenSSL >= 3.5;
 * 2. the `PQBLE_NODE24` environment variable (path to a node binary);
 * 3. the cache folder filled by {@link fetchNode24}, which is the repository's one Node
 *    downloader, scripts/fetch-node.mjs (`npm pack` of the registry package
 *    `node-<platform>-<arch>`, which contains the official binary), by default
 *    `node_modules/.cache/pqble-node24/` in the package root, or `PQBLE_NODE24_CACHE`.
 *    Fetch it with `npm run bench:fetch-node24` (`node scripts/fetch-node.mjs 24`).
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NODE_VERSIONS, fetchNode, nodeBinaryPath, nodeCacheDir, nodePackageName } from '../../scripts/fetch-node.mjs';
import { pqTlsUnsupportedReason } from './measure.js';

/** Prefix of the result line the PQ worker child process prints on stdout. */
export const RESULT_MARKER = 'PQBLE_TLS_RESULT ';

/** The Node 24 release {@link fetchNode24} downloads (pinned for reproducible figures, in scripts/fetch-node.mjs). */
export const NODE24_VERSION: string = NODE_VERSIONS[24];

/** Result of {@link findPqNode} (and of the public `pqTlsAvailable()`). */
export interface PqTlsAvailability {
  /** True if the hybrid post-quantum TLS baseline can run. */
  readonly available: boolean;
  /** The node binary that runs it (`process.execPath` if the current process can). */
  readonly nodePath?: string;
  /** Why it cannot run (when `available` is false). */
  readonly reason?: string;
}

/** The cache folder for fetched Node binaries: `PQBLE_NODE24_CACHE`, else `<package root>/node_modules/.cache/pqble-node24`. */
export const node24CacheDir: () => string = nodeCacheDir;

/** Where {@link fetchNode24} puts the binary for this platform and {@link NODE24_VERSION}. */
function cachedNode24Path(): string | undefined {
  return nodePackageName() === undefined ? undefined : nodeBinaryPath(NODE24_VERSION);
}

function run(file: string, args: readonly string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${err.message.trim()}${stderr.trim() === '' ? '' : ` (${stderr.trim().slice(-500)})`}`, { cause: err }));
      else resolve({ stdout, stderr });
    });
  });
}

const PROBE = `
const tls = require('node:tls'); const crypto = require('node:crypto');
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) { console.log(JSON.stringify({ ok: false, reason: 'Node ' + process.versions.node + ' is older than 24' })); process.exit(0); }
try {
  crypto.generateKeyPairSync('ml-dsa-65');
  tls.createSecureContext({ minVersion: 'TLSv1.3', ecdhCurve: 'X25519MLKEM768' });
  console.log(JSON.stringify({ ok: true, node: process.versions.node, openssl: process.versions.openssl }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, reason: 'Node ' + process.versions.node + ' (OpenSSL ' + process.versions.openssl + '): ' + err.message }));
}`;

/**
 * Runs `nodePath` with a small probe: is it Node >= 24 with ML-DSA-65 and X25519MLKEM768?
 * @returns undefined if it is usable, else the reason it is not
 */
async function probePqNode(nodePath: string): Promise<string | undefined> {
  if (!existsSync(nodePath)) return `${nodePath} does not exist`;
  try {
    const { stdout } = await run(nodePath, ['-e', PROBE], 20_000);
    const answer = JSON.parse(stdout.trim()) as { ok?: unknown; reason?: unknown };
    if (answer.ok === true) return undefined;
    return typeof answer.reason === 'string' ? answer.reason : `${nodePath}: unexpected probe answer`;
  } catch (err) {
    return `${nodePath} could not be run: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Looks for a Node that can run the hybrid post-quantum TLS baseline (see the module comment for the order). */
export async function findPqNode(): Promise<PqTlsAvailability> {
  const here = pqTlsUnsupportedReason();
  if (here === undefined) return { available: true, nodePath: process.execPath };
  const reasons = [`this process: ${here}`];
  const fromEnv = process.env.PQBLE_NODE24;
  if (fromEnv !== undefined && fromEnv !== '') {
    const why = await probePqNode(fromEnv);
    if (why === undefined) return { available: true, nodePath: fromEnv };
    reasons.push(`PQBLE_NODE24: ${why}`);
  }
  const cached = cachedNode24Path();
  if (cached === undefined) {
    reasons.push(`no Node 24 registry package is known for ${process.platform}-${process.arch}`);
  } else if (existsSync(cached)) {
    const why = await probePqNode(cached);
    if (why === undefined) return { available: true, nodePath: cached };
    reasons.push(`cached binary: ${why}`);
  } else {
    reasons.push(`no cached Node ${NODE24_VERSION} at ${cached} (run: npm run bench:fetch-node24)`);
  }
  return { available: false, reason: `hybrid post-quantum TLS needs Node >= 24 (OpenSSL 3.5); ${reasons.join('; ')}` };
}

/** Options of {@link fetchNode24}. */
export interface FetchNode24Options {
  /** Where to put it. Default {@link node24CacheDir}(). */
  readonly cacheDir?: string;
  /** Node version. Default {@link NODE24_VERSION}. */
  readonly version?: string;
  /** The npm executable. Default `npm` (on PATH). */
  readonly npm?: string;
}

/**
 * Downloads Node 24 from the npm registry into the cache folder, if it is not there yet, with
 * scripts/fetch-node.mjs (`npm pack node-<platform>-<arch>@<version>`, no install scripts run,
 * then `tar` extracts `package/bin/node`). Returns the binary's path after probing it.
 * @throws Error if this platform has no known package, or npm/tar/the probe fail
 */
export async function fetchNode24(options: FetchNode24Options = {}): Promise<string> {
  const version = options.version ?? NODE24_VERSION;
  if (!/^24\.\d+\.\d+$/.test(version)) throw new RangeError(`version must be a 24.x.y release, got ${version}`);
  const binary = await fetchNode(version, {
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.npm === undefined ? {} : { npm: options.npm }),
  });
  const why = await probePqNode(binary);
  if (why !== undefined) throw new Error(`fetched Node is not usable: ${why}`);
  return binary;
}
