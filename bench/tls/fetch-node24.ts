/**
 * Command line: fetch the Node 24 binary the hybrid post-quantum TLS baseline runs on
 * (docs/benchmarks-tls.md "Getting the post-quantum variant").
 *
 *   npx tsx src/bench/tls/fetch-node24.ts     # -> node_modules/.cache/pqble-node24/...
 *
 * Uses only the npm registry (`npm pack node-<platform>-<arch>@24.x`); runs no install
 * scripts; idempotent. Set PQBLE_NODE24_CACHE to choose the folder.
 *
 * @module
 */

import { fetchNode24, node24CacheDir } from './node24.js';

fetchNode24().then(
  (path) => {
    process.stdout.write(`${path}\n`);
  },
  (err: unknown) => {
    process.stderr.write(`fetch-node24: ${err instanceof Error ? err.message : String(err)} (cache: ${node24CacheDir()})\n`);
    process.exitCode = 1;
  },
);
