/**
 * `pqble bench cache --entries N [--runs R] [--json] [--no-v1]` (docs/cli.md "pqble bench cache"; the
 * figures are defined in docs/benchmarks.md "Session store"): the version-2 session store
 * against the version-1 cache file, in R rounds (medians; the stalls the worst of any round).
 *
 * @module
 */

import { EXIT_OK, formatHelp, parseCommand, parseNumberOption, type CommandHelp, type OptionTable } from '../../src/cli/args.js';
import type { CliContext } from '../../src/cli/context.js';
import { renderTable } from '../../src/cli/format.js';

const OPTIONS = {
  entries: { type: 'string', value: 'N', description: 'Entries to save and load (default 100000).' },
  runs: { type: 'string', value: 'R', description: 'Rounds, each a v2 and a v1 run on fresh files; times are medians, stalls the worst (default 5).' },
  json: { type: 'boolean', description: 'Print the report as one JSON document.' },
  'no-v1': { type: 'boolean', description: 'Skip the version-1 store (it cannot hold a million entries in its JSON file).' },
} as const satisfies OptionTable;

const HELP: CommandHelp = {
  usage: 'bench cache [--entries N] [--runs R] [--json] [--no-v1]',
  summary:
    'Saves N sessions, from an array built before the clock starts, to the version-2 store (one durable putMany: entry ' +
    'blocks, group-committed) and to the version-1 cache file (one save of all), then loads each until the first lookup ' +
    'answers; prints save, load, the longest event-loop stall (save and compaction), bytes on disk, heap and all memory ' +
    'per entry after the load, and for version 2 a compaction and one durable ratchet (consumeInbound, fsync included). ' +
    'R rounds, each a v2 run then a v1 run: times are medians, stalls the worst of any round.',
  notes: ['Examples:', '  pqble bench cache --entries 100000', '  pqble bench cache --entries 1000000 --no-v1 --json'],
};

/** Runs `pqble bench cache`. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseCommand('bench cache', args, OPTIONS);
  if (parsed.help) {
    context.stdout.write(formatHelp(HELP, OPTIONS));
    return EXIT_OK;
  }
  const entries = parseNumberOption('entries', parsed.values.entries, { min: 1, max: 10_000_000, integer: true }) ?? 100_000;
  const { runCacheBench, DEFAULT_CACHE_BENCH_RUNS } = await import('../cache.js');
  const runs = parseNumberOption('runs', parsed.values.runs, { min: 1, max: 25, integer: true }) ?? DEFAULT_CACHE_BENCH_RUNS;
  const report = await runCacheBench({
    entries,
    runs,
    skipV1: parsed.values['no-v1'] === true,
    onProgress: (label) => {
      if (context.stderr.isTTY === true) context.stderr.write(`\r\x1b[Kbench cache: ${label}`);
    },
  });
  if (context.stderr.isTTY === true) context.stderr.write('\r\x1b[K');
  if (parsed.values.json === true) {
    context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT_OK;
  }
  const f = (v: number | undefined, d = 1): string => (v === undefined ? '–' : Number.isNaN(v) ? 'n/a' : v.toFixed(d));
  const rows = [report.v2, report.v1].map((s) => [
    s.store,
    f(s.saveMs),
    f(s.loadMs),
    f(s.maxStallMs),
    f(s.bytesPerEntry),
    f(s.heapBytesPerEntry, 0),
    f(s.memoryBytesPerEntry, 0),
    f(s.compactMs),
    f(s.ratchetMs, 2),
  ]);
  const lines = [
    `session store, ${entries} entries (${runs} rounds: median times in ms, worst stall; load average ${report.loadAverage[0]} -> ${report.loadAverage[1]})`,
    'save: every entry durable from an array (v2 putMany, v1 save); load: open until the first lookup answers;',
    'max stall: longest event-loop block during save and compaction; B/entry: file, heap, heap + outside-heap memory after load',
    '',
    ...renderTable(
      [
        { header: 'store' },
        { header: 'save', align: 'right' },
        { header: 'load', align: 'right' },
        { header: 'max\nstall', align: 'right' },
        { header: 'B/entry\ndisk', align: 'right' },
        { header: 'B/entry\nheap', align: 'right' },
        { header: 'B/entry\nmemory', align: 'right' },
        { header: 'compact', align: 'right' },
        { header: 'ratchet', align: 'right' },
      ],
      rows,
      context.style,
    ),
    '',
    `v1/v2: save ${f(report.ratios.save, 2)}x, load ${f(report.ratios.load, 2)}x, bytes ${f(report.ratios.bytesPerEntry, 2)}x, stall ${f(report.ratios.maxStall, 2)}x` +
      (report.v2.fsyncMs === undefined ? '' : `; one fsync here: ${f(report.v2.fsyncMs, 2)} ms`),
  ];
  for (const s of [report.v2, report.v1])
    if (s.runs > 1) lines.push(`${s.store} rounds: save ${s.saveRunsMs.map((v) => f(v)).join(', ')}; load ${s.loadRunsMs.map((v) => f(v)).join(', ')}`);
  for (const s of [report.v2, report.v1]) if (s.error !== undefined) lines.push(`${s.store}: ${s.error}`);
  context.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}
