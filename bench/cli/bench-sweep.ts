/**
 * `pqble bench sweep [--json] [--chart FILE.svg] [--quick]` (docs/benchmarks.md "Operating
 * point sweep"): pqble's full handshake and resumption at every PHY × connection interval ×
 * ATT MTU of a grid on the simulated radio, as a table, a JSON document or an SVG chart.
 *
 * @module
 */

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SweepPoint, SweepReport } from '../sweep.js';
import { errnoCode } from '../../src/util/fs.js';
import { EXIT_OK, formatHelp, parseCommand, requireOption, type CommandHelp, type OptionTable } from '../../src/cli/args.js';
import { phyLabel } from './bench-view.js';
import { renderBarChart, type BarPanel } from './chart.js';
import type { CliContext } from '../../src/cli/context.js';
import { formatInt, formatMs, renderTable } from '../../src/cli/format.js';

const OPTIONS = {
  json: { type: 'boolean', description: 'Print the sweep as one JSON document instead of the table.' },
  chart: { type: 'string', value: 'FILE.svg', description: 'Also write an SVG bar chart of full-handshake and resumption time per operating point.' },
  quick: { type: 'boolean', description: 'A smaller grid: intervals 15, 30 and 100 ms, ATT MTUs 23, 203 and 247.' },
} as const satisfies OptionTable;

const HELP: CommandHelp = {
  usage: 'bench sweep [--json] [--chart FILE.svg] [--quick]',
  summary:
    'Runs a pqble full handshake and a resumption at every PHY (coded, 1M, 2M) × connection interval (7.5, 15, 30, 50, ' +
    '100 ms) × ATT MTU (23, 65, 131, 185, 203, 247, 517) on the simulated radio and reports time to the first message, ' +
    'airtime, bytes on air and radio energy of each. Every figure comes from one run.',
  notes: ['Examples:', '  pqble bench sweep', '  pqble bench sweep --quick --chart sweep.svg', '  pqble bench sweep --json > sweep.json'],
};

const PHY_COLOR: Readonly<Record<string, string>> = { coded: '#0d9488', '1m': '#2563eb', '2m': '#7c3aed' };

/** Bar colour of the full handshake with full-size packets (`packetSizing: 'fixed'`). */
const FIXED_COLOR = '#9ca3af';

/**
 * The SVG chart of a sweep: one panel per PHY and setup kind, one bar per (interval, MTU); in
 * the full-handshake panels a grey bar with full-size packets under each airtime-aware one.
 */
export function renderSweepChart(report: SweepReport): string {
  const phys = [...new Set(report.points.map((p) => p.phy))];
  const panels: BarPanel[] = [];
  const bar = (p: SweepPoint, value: number, color: string, suffix = ''): BarPanel['bars'][number] => ({
    label: `${formatMs(p.connectionIntervalMs)} ms · MTU ${p.attMtu}${suffix}`,
    value,
    valueText: `${formatMs(value)} ms`,
    color,
  });
  for (const [key, title] of [
    ['fullHandshake', 'full handshake, airtime-aware (colour) vs full-size packets (grey)'],
    ['resumed', 'resumption (psk-dhe)'],
  ] as const) {
    for (const phy of phys) {
      const points = report.points.filter((p) => p.phy === phy);
      const color = PHY_COLOR[phy] ?? '#6b7280';
      panels.push({
        title: `${phyLabel(phy)}: ${title}, link ready to first message`,
        axisLabel: 'milliseconds on the simulated radio',
        tickFormat: (v) => formatInt(v),
        bars: points.flatMap((p: SweepPoint) =>
          key === 'fullHandshake'
            ? [bar(p, p.fullHandshake.timeToFirstMessageMs, color), bar(p, p.fullHandshakeFixedPackets.timeToFirstMessageMs, FIXED_COLOR, ' · full-size')]
            : [bar(p, p.resumed.timeToFirstMessageMs, color)],
        ),
      });
    }
  }
  return renderBarChart({
    title: 'pqble: setup time by operating point (PHY × connection interval × ATT MTU)',
    subtitle: `Simulated radio, one run, ${report.date.slice(0, 16).replace('T', ' ')} UTC, Node ${report.node}, crypto ${report.cryptoBackend}. Shorter is better.`,
    legend: [...phys.map((phy) => ({ label: phyLabel(phy), color: PHY_COLOR[phy] ?? '#6b7280' })), { label: 'full-size packets', color: FIXED_COLOR }],
    panels,
  });
}

/** Runs `pqble bench sweep`. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseCommand('bench sweep', args, OPTIONS);
  if (parsed.help) {
    context.stdout.write(formatHelp(HELP, OPTIONS));
    return EXIT_OK;
  }
  const chartPath = parsed.values.chart === undefined ? undefined : resolve(requireOption('bench sweep', 'chart', parsed.values.chart));
  const { runSweep } = await import('../sweep.js');
  const quick = parsed.values.quick === true;
  const report = await runSweep({
    ...(quick ? { connectionIntervalsMs: [15, 30, 100], attMtus: [23, 203, 247] } : {}),
    onProgress: ({ done, total }) => {
      if (context.stderr.isTTY === true) context.stderr.write(`\r\x1b[Kbench sweep: ${done}/${total}`);
    },
  });
  if (context.stderr.isTTY === true) context.stderr.write('\r\x1b[K');
  if (chartPath !== undefined) {
    try {
      await writeFile(chartPath, renderSweepChart(report));
    } catch (err) {
      throw new Error(`cannot write the chart to ${chartPath}: ${errnoCode(err) ?? 'error'}`, { cause: err });
    }
  }
  if (parsed.values.json === true) {
    context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT_OK;
  }
  const rows = report.points.map((p) => [
    p.phy,
    formatMs(p.connectionIntervalMs),
    String(p.attMtu),
    formatMs(p.fullHandshake.timeToFirstMessageMs),
    formatMs(p.fullHandshakeFixedPackets.timeToFirstMessageMs),
    formatMs(p.resumed.timeToFirstMessageMs),
    (p.fullHandshake.timeToFirstMessageMs / p.resumed.timeToFirstMessageMs).toFixed(1),
    formatInt(p.fullHandshake.radioEnergyMicrojoules),
    formatInt(p.resumed.radioEnergyMicrojoules),
  ]);
  const lines = [
    'pqble operating point sweep (simulated radio, one run)',
    'ms from the link being ready to the first message; full-size packets: the full',
    "handshake with the radio's packetSizing 'fixed' (default: airtime-aware)",
    '',
    ...renderTable(
      [
        { header: '\nPHY' },
        { header: 'interval\nms', align: 'right' },
        { header: 'ATT\nMTU', align: 'right' },
        { header: 'full\nms', align: 'right' },
        { header: 'full-size\npackets', align: 'right' },
        { header: 'resumed\nms', align: 'right' },
        { header: 'full /\nresumed', align: 'right' },
        { header: 'energy µJ\nfull', align: 'right' },
        { header: 'energy µJ\nresumed', align: 'right' },
      ],
      rows,
      context.style,
    ),
  ];
  if (chartPath !== undefined) lines.push('', `Chart written to ${chartPath}`);
  context.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}
