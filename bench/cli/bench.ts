/**
 * `pqble bench` (docs/cli.md "pqble bench"; the figures are defined in docs/benchmarks.md):
 * runs the benchmark on the simulated radio with a progress bar on stderr, then prints the
 * scenarios side by side (or the report as one JSON document with `--json`) and can write
 * an SVG chart of reconnect time and bytes on air.
 *
 * @module
 */

import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errnoCode } from '../../src/util/fs.js';
import { CRYPTO_BACKEND_NAMES, cryptoBackend } from '../../src/crypto/index.js';
import { EXIT_OK, formatHelp, parseChoiceOption, parseCommand, requireOption, type CommandHelp, type OptionTable } from '../../src/cli/args.js';
import { renderBenchChart, renderBenchReport } from './bench-view.js';
import type { CliContext } from '../../src/cli/context.js';
import { createProgress, progressBar } from '../../src/cli/progress.js';

const OPTIONS = {
  quick: { type: 'boolean', description: 'Fewer repetitions and smaller goodput and cache runs (well under a minute).' },
  json: { type: 'boolean', description: 'Print the report as one JSON document instead of the tables.' },
  crypto: {
    type: 'string',
    value: 'NAME',
    description: 'Crypto backend of pqble: auto (default: node where node:crypto has ML-KEM and ML-DSA, else noble), noble or node.',
  },
  chart: { type: 'string', value: 'FILE.svg', description: 'Also write an SVG bar chart of reconnect time and bytes on air per scenario.' },
} as const satisfies OptionTable;

const HELP: CommandHelp = {
  usage: 'bench [--quick] [--json] [--crypto NAME] [--chart FILE.svg]',
  summary:
    'Measures connection setup on the simulated BLE radio (LE Coded, 30 ms interval): pqble full handshake (cold and warm), ' +
    'resumed in both modes, resumed from disk and fallback, against TLS 1.3 full and ticket resumption in psk_dhe_ke and ' +
    "psk_ke (and hybrid post-quantum TLS 1.3 where a Node 24 is available); per row bytes, round trips, time, each side's " +
    'whole-setup CPU (warm median) and radio energy; plus airtime per PHY, goodput and the session cache. Every figure comes from one run.',
  notes: [
    'Examples:',
    '  pqble bench --quick',
    '  pqble bench --quick --crypto noble',
    '  pqble bench --chart bench.svg',
    '  pqble bench --json > bench.json',
    '  pqble bench fleet --help   (gateways sharing a Redis session store)',
    '  pqble bench sweep --help   (PHY × interval × ATT MTU)',
  ],
};

/** Runs `pqble bench`. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  // `pqble bench fleet ...`: the Redis fleet benchmark (docs/fleet.md), loaded only when asked for.
  if (args[0] === 'fleet') return (await import('../fleet/command.js')).run(args.slice(1), context);
  // `pqble bench cache ...`: the session store benchmark (bench/cli/bench-cache.ts).
  if (args[0] === 'cache') return (await import('./bench-cache.js')).run(args.slice(1), context);
  // `pqble bench sweep ...`: the PHY × interval × ATT MTU sweep (bench/cli/bench-sweep.ts).
  if (args[0] === 'sweep') return (await import('./bench-sweep.js')).run(args.slice(1), context);
  const parsed = parseCommand('bench', args, OPTIONS);
  if (parsed.help) {
    context.stdout.write(formatHelp(HELP, OPTIONS));
    return EXIT_OK;
  }
  // Fails before the run if `node` is unavailable here.
  const crypto = cryptoBackend(parseChoiceOption('crypto', parsed.values.crypto, CRYPTO_BACKEND_NAMES) ?? 'auto');
  const chartPath = parsed.values.chart === undefined ? undefined : resolve(requireOption('bench', 'chart', parsed.values.chart));
  if (chartPath !== undefined) {
    // Fail before a long run, not after it.
    await access(dirname(chartPath), constants.W_OK).catch((err: unknown) => {
      throw new Error(`cannot write the chart to ${chartPath}: ${errnoCode(err) ?? 'directory not writable'}`, { cause: err });
    });
  }
  const { runBench } = await import('../index.js');
  const progress = createProgress(context.stderr);
  const s = context.errStyle;
  const tty = context.stderr.isTTY === true;
  const started = performance.now();
  let state: { label: string; done: number; total: number } | undefined;
  const draw = (): void => {
    if (state === undefined) return;
    const elapsed = `${((performance.now() - started) / 1000).toFixed(1)} s`;
    progress.update(
      tty ? `${s.cyan(progressBar(state.done, state.total))} ${state.done}/${state.total} ${state.label}  ${s.dim(elapsed)}` : `bench: ${state.label}`,
    );
  };
  // On a terminal the elapsed time keeps moving during long steps.
  const ticker = tty ? setInterval(draw, 200) : undefined;
  ticker?.unref();
  let report;
  try {
    report = await runBench({
      quick: parsed.values.quick === true,
      crypto,
      onProgress: (p) => {
        state = p;
        draw();
      },
    });
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    progress.done();
  }
  if (chartPath !== undefined) {
    try {
      await writeFile(chartPath, renderBenchChart(report));
    } catch (err) {
      throw new Error(`cannot write the chart to ${chartPath}: ${errnoCode(err) ?? 'error'}`, { cause: err });
    }
  }
  if (parsed.values.json === true) {
    context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (chartPath !== undefined) context.stderr.write(`chart written to ${chartPath}\n`);
  } else {
    context.stdout.write(renderBenchReport(report, context.style));
    if (chartPath !== undefined) context.stdout.write(`\nChart written to ${chartPath}\n`);
  }
  return EXIT_OK;
}
