/**
 * The `pqble` command dispatcher (docs/cli.md): global `--help`/`--version`, one module per
 * command loaded on demand (so `pqble --help` does not load the cryptography), and the
 * error report: exactly one line `pqble: <message>` on stderr, exit status 2 for a bad
 * command line and 1 for a failure; under `--json` also one JSON document on stdout,
 * `{"error":{"code":"PQBLE_ERR_...","message":"..."}}`.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { isPqbleError } from '../errors.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './args.js';
import type { CliContext } from './context.js';
import { oneLine } from './format.js';

/** A command module: parses its own arguments and returns the exit status. */
export interface CommandModule {
  run(args: readonly string[], context: CliContext): Promise<number>;
}

interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  demo: {
    summary: 'Show first connect vs resumption on the simulated radio.',
    load: () => import('./demo.js'),
  },
  bench: {
    summary: 'Measure pqble against TLS 1.3 on the simulated radio (from a checkout).',
    load: () => import('./bench-loader.js').then((m) => m.loadBenchCommand()),
  },
  sessions: {
    summary: 'Inspect or tidy a session cache file (no key needed).',
    load: () => import('./sessions.js'),
  },
  identity: {
    summary: 'Create an identity key file or show its fingerprint.',
    load: () => import('./identity.js'),
  },
  scan: {
    summary: 'List the pqble peripherals advertising nearby (noble).',
    load: () => import('./scan.js'),
  },
  peripheral: {
    summary: 'Chat over a real radio as a BLE peripheral (bleno).',
    load: () => import('./chat.js').then((m) => ({ run: m.runPeripheral })),
  },
  central: {
    summary: 'Chat over a real radio as a BLE central (noble).',
    load: () => import('./chat.js').then((m) => ({ run: m.runCentral })),
  },
};

/** The version in package.json. */
function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
  return typeof version === 'string' ? version : 'unknown';
}

function globalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'Usage: pqble <command> [options]',
    '',
    '  Post-quantum secure BLE links with 1-RTT session resumption.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     Show this help (or `pqble <command> --help`).',
    '  --version, -V  Print the version.',
    '',
    'Start with `pqble demo`. Each command takes --help; details in docs/cli.md.',
    '',
  ].join('\n');
}

/** The text of the one-line error report for `err` (without the `pqble: ` prefix). */
function describeError(err: unknown): string {
  if (isPqbleError(err, 'PQBLE_ERR_RADIO_UNAVAILABLE')) {
    // Not cut at the usual 300 characters: the message ends with the commands that fix it.
    return /^radio unavailable/i.test(err.message) ? oneLine(err.message, 1000) : `radio unavailable (${oneLine(err.message, 1000)})`;
  }
  if (err instanceof Error) return oneLine(err.message === '' ? err.name : err.message);
  return oneLine(String(err));
}

/**
 * The code of the JSON error document: the error's `PQBLE_ERR_*` code, `PQBLE_ERR_USAGE` for
 * a command line that could not be understood, `PQBLE_ERR_INTERNAL` for anything else.
 */
function errorCode(err: unknown): string {
  if (isPqbleError(err)) return err.code;
  if (err instanceof UsageError) return 'PQBLE_ERR_USAGE';
  return 'PQBLE_ERR_INTERNAL';
}

/** True if `--json` is among a command's options (before a `--`). */
function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

/**
 * Runs the tool with `args` (without `node` and the script) and returns the exit status.
 * Never throws: every failure becomes one line on `context.stderr`.
 */
export async function runCli(args: readonly string[], context: CliContext): Promise<number> {
  const [first, ...rest] = args;
  try {
    if (first === undefined) throw new UsageError('missing command (try pqble --help)');
    if (first === '--help' || first === '-h' || first === 'help') {
      if (first === 'help' && rest[0] !== undefined) return await runCli([rest[0], '--help'], context);
      context.stdout.write(globalHelp());
      return EXIT_OK;
    }
    if (first === '--version' || first === '-V') {
      context.stdout.write(`${packageVersion()}\n`);
      return EXIT_OK;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option ${oneLine(first, 40)} (try pqble --help)`);
    const entry = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
    if (entry === undefined) throw new UsageError(`unknown command '${oneLine(first, 40)}' (try pqble --help)`);
    const command = await entry.load();
    return await command.run(rest, context);
  } catch (err) {
    const message = describeError(err);
    context.stderr.write(`pqble: ${message}\n`);
    if (wantsJson(rest)) context.stdout.write(`${JSON.stringify({ error: { code: errorCode(err), message } })}\n`);
    if (context.env.PQBLE_DEBUG !== undefined && context.env.PQBLE_DEBUG !== '' && err instanceof Error && err.stack !== undefined) {
      context.stderr.write(`${err.stack}\n`);
    }
    return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  }
}
