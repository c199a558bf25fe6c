/**
 * Where `pqble bench` comes from (docs/benchmarks.md "Where the benchmark lives"). The
 * benchmark, its TLS baseline with fixtures and the Node downloader are not part of the
 * published package: they live as TypeScript in the repository's `bench/` folder. So:
 *
 * - running from the sources under tsx (`npm run bench`, the tests): the command module
 *   `bench/cli/bench.ts` is imported into this module graph;
 * - the built CLI (`dist/cli/main.js`) inside a checkout: the source CLI's `bench` command is
 *   run under tsx (a devDependency), so the benchmark and the modules it measures are one
 *   graph of sources;
 * - an installed package (no `bench/` next to `dist/`): the command fails with
 *   `PQBLE_ERR_UNSUPPORTED`, saying that the benchmark runs from a checkout.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { PqbleError } from '../errors.js';
import type { CliContext } from './context.js';

/** What a command module gives the dispatcher (the shape of `CommandModule` in ./run.ts). */
interface BenchCommand {
  run(args: readonly string[], context: CliContext): Promise<number>;
}

/** The tsx loader API used from the built CLI (kept in a variable: the published code has no tsx import). */
const TSX_API = 'tsx/esm/api';

const NOT_SHIPPED =
  'the benchmark is not part of the installed package: it runs from a checkout of the pqble repository ' +
  '(git clone, npm ci, npm run bench; docs/benchmarks.md)';

function hasRun(value: unknown): value is BenchCommand {
  return typeof value === 'object' && value !== null && 'run' in value && typeof value.run === 'function';
}

/**
 * Loads the `bench` command from the checkout this CLI runs in.
 * @throws PqbleError `PQBLE_ERR_UNSUPPORTED` in an installed package (no `bench/` folder), or
 *   in a checkout without its devDependencies (no tsx)
 */
export async function loadBenchCommand(): Promise<BenchCommand> {
  const entry = new URL('../../bench/cli/bench.ts', import.meta.url);
  if (!existsSync(entry)) throw new PqbleError('PQBLE_ERR_UNSUPPORTED', NOT_SHIPPED);
  if (new URL(import.meta.url).pathname.endsWith('.ts')) {
    const mod: unknown = await import(entry.href);
    if (!hasRun(mod)) throw new PqbleError('PQBLE_ERR_INTERNAL', `${entry.pathname} is not a command module`);
    return mod;
  }
  let tsImport: (specifier: string, parentURL: string) => Promise<unknown>;
  try {
    const api = (await import(TSX_API)) as { tsImport?: unknown };
    if (typeof api.tsImport !== 'function') throw new TypeError('tsx/esm/api has no tsImport');
    tsImport = api.tsImport as typeof tsImport;
  } catch (err) {
    throw new PqbleError(
      'PQBLE_ERR_UNSUPPORTED',
      'the benchmark runs its TypeScript sources under tsx, which is not installed here: run npm ci in the checkout',
      { cause: err },
    );
  }
  const source = (await tsImport(new URL('../../src/cli/run.ts', import.meta.url).href, import.meta.url)) as { runCli?: unknown };
  if (typeof source.runCli !== 'function') throw new PqbleError('PQBLE_ERR_INTERNAL', 'src/cli/run.ts has no runCli');
  const runCli = source.runCli as (args: readonly string[], context: CliContext) => Promise<number>;
  return { run: (args, context) => runCli(['bench', ...args], context) };
}
