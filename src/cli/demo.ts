/**
 * `pqble demo` (docs/cli.md "pqble demo"; what it runs is src/demo/scenario.ts): the
 * product's story on the simulated radio, printed as a table, or as one JSON document with
 * `--json`. `--realtime` paces the radio on the wall clock with a live progress display on
 * stderr. `--web` serves the browser demo instead (src/cli/demo-web.ts, docs/web.md).
 *
 * @module
 */

import type { DemoOptions } from '../demo/scenario.js';
import { PHYS } from '../radio/airtime.js';
import { EXIT_OK, UsageError, formatHelp, parseChoiceOption, parseCommand, parseNumberOption, type CommandHelp, type OptionTable } from './args.js';
import type { CliContext } from './context.js';
import { renderDemoReport, summarizeDemo, type DemoJson } from './demo-view.js';
import { createProgress, spinnerFrame } from './progress.js';

const OPTIONS = {
  phy: { type: 'string', value: 'PHY', description: 'Radio PHY: coded (125 kbit/s, default), 1m or 2m.' },
  'interval-ms': { type: 'string', value: 'N', description: 'BLE connection interval in ms, 7.5 to 4000 (default 30).' },
  realtime: { type: 'boolean', description: 'Pace the radio on the wall clock (takes a few seconds) with a live progress display.' },
  json: { type: 'boolean', description: 'Print one JSON document instead of the table.' },
  web: { type: 'boolean', description: 'Serve a page on 127.0.0.1 that runs the demo in your browser and draws its timeline; Ctrl-C stops.' },
  port: { type: 'string', value: 'N', description: 'With --web: the TCP port, 0 to 65535 (default 0: a free one).' },
} as const satisfies OptionTable;

const HELP: CommandHelp = {
  usage: 'demo [--phy coded|1m|2m] [--interval-ms N] [--realtime] [--json]\n       pqble demo --web [--port N] [--phy coded|1m|2m] [--interval-ms N]',
  summary:
    'Runs two pqble transports, a hub and a sensor, on the simulated BLE radio: they meet (full post-quantum handshake), ' +
    'reconnect (resumed with a 32-byte token in one round trip), both restart and resume from their cache files, then the ' +
    'sensor loses its cache and they fall back to the full handshake. Prints bytes on air, round trips, airtime, time to the ' +
    'first message and CPU for each step. Nothing touches a real radio.',
  notes: [
    'With --web, the first connect and the resumed reconnect run in your browser,',
    'in a page served from 127.0.0.1 that needs no network, and are drawn on a',
    'timeline: packets and bytes on air per direction over time.',
    '',
    'Examples:',
    '  pqble demo',
    '  pqble demo --phy 2m --interval-ms 15',
    '  pqble demo --realtime',
    '  pqble demo --web --port 8080',
  ],
};

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs `pqble demo`. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseCommand('demo', args, OPTIONS);
  if (parsed.help) {
    context.stdout.write(formatHelp(HELP, OPTIONS));
    return EXIT_OK;
  }
  const phy = parseChoiceOption('phy', parsed.values.phy, PHYS);
  const connectionIntervalMs = parseNumberOption('interval-ms', parsed.values['interval-ms'], { min: 7.5, max: 4000 });
  const realtime = parsed.values.realtime === true;
  const port = parseNumberOption('port', parsed.values.port, { min: 0, max: 65535, integer: true });
  if (parsed.values.web === true) {
    if (realtime || parsed.values.json === true) throw new UsageError('--web runs the demo in the browser: leave out --realtime and --json');
    const query = new URLSearchParams();
    if (phy !== undefined) query.set('phy', phy);
    if (connectionIntervalMs !== undefined) query.set('interval-ms', String(connectionIntervalMs));
    const { serveDemoPage } = await import('./demo-web.js');
    return serveDemoPage(context, { port: port ?? 0, query: query.toString() });
  }
  if (port !== undefined) throw new UsageError('--port needs --web');
  const { runDemo } = await import('../demo/scenario.js');

  const progress = createProgress(context.stderr, { quietWhenPiped: !realtime });
  const s = context.errStyle;
  let current = '';
  let stepStarted = performance.now();
  const draw = (): void => {
    if (current === '') return;
    const elapsed = performance.now() - stepStarted;
    progress.update(realtime && context.stderr.isTTY === true ? `${s.cyan(spinnerFrame(elapsed))} ${current}  ${s.dim(seconds(elapsed))}` : `${current} ...`);
  };
  const ticker = context.stderr.isTTY === true ? setInterval(draw, 100) : undefined;
  ticker?.unref();
  const options: DemoOptions = {
    ...(phy === undefined ? {} : { phy }),
    ...(connectionIntervalMs === undefined ? {} : { connectionIntervalMs }),
    realtime,
    onProgress: (event) => {
      const label = `[${event.index + 1}/${event.total}] ${event.step}`;
      if (event.phase === 'start') {
        current = label;
        stepStarted = performance.now();
        draw();
      } else {
        progress.done();
        if (realtime) progress.log(`${s.green('✓')} ${label}  ${s.dim(`done in ${seconds(performance.now() - stepStarted)}`)}`);
        current = '';
      }
    },
  };
  try {
    const report = await runDemo(options);
    progress.done();
    if (parsed.values.json === true) {
      const doc: DemoJson = { ...report, summary: summarizeDemo(report) };
      context.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      context.stdout.write(renderDemoReport(report, context.style));
    }
    return EXIT_OK;
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    progress.done();
  }
}
