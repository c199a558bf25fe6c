#!/usr/bin/env node
/**
 * Entry point of the `pqble` command-line tool (docs/cli.md). Runs one command, waits for
 * stdout to drain, and exits with its status: 0 success, 1 failure, 2 bad command line.
 * The explicit exit keeps a radio library's open handles from holding the process.
 *
 * @module
 */

import { processContext } from './context.js';
import { runCli } from './run.js';

const { context, dispose } = processContext();
const status = await runCli(process.argv.slice(2), context);
dispose();
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(status);
