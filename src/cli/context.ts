/**
 * What a `pqble` command runs against (docs/cli.md "Conventions"): its output streams with
 * their styles, the environment, stdin, and a signal that aborts on Ctrl-C. Commands never
 * touch `process` directly, so they can be driven in-process by tests.
 *
 * @module
 */

import { getEventListeners } from 'node:events';
import { styleFor, type Style } from './format.js';

/** A stream the tool writes to. */
export interface OutputStream {
  /** True on a terminal (enables colour and live progress lines). */
  readonly isTTY?: boolean;
  /** Terminal width, when known. */
  readonly columns?: number;
  write(text: string): unknown;
}

/** The world of one command run. */
export interface CliContext {
  /** Where results go (the table, or the one JSON document). */
  readonly stdout: OutputStream;
  /** Where progress, warnings and the one-line error go. */
  readonly stderr: OutputStream;
  /** Lines to send, for `peripheral` and `central`. */
  readonly stdin: NodeJS.ReadableStream;
  /** Environment variables (`NO_COLOR`, `PQBLE_DEBUG`). */
  readonly env: NodeJS.ProcessEnv;
  /** Style for stdout. */
  readonly style: Style;
  /** Style for stderr. */
  readonly errStyle: Style;
  /**
   * Aborted when the user presses Ctrl-C (SIGINT) or the process gets SIGTERM, if the command
   * listens to it; a command that does not is simply ended (exit status 130).
   */
  readonly signal: AbortSignal;
  /** Wall clock, ms since the epoch (tests may pin it). */
  now(): number;
}

/**
 * The context of the real process. The returned `dispose()` removes the signal handlers.
 */
export function processContext(): { context: CliContext; dispose: () => void } {
  const controller = new AbortController();
  // A command that can stop cleanly listens to `signal`; otherwise, or on a second Ctrl-C, exit at once.
  const onSignal = (): void => {
    if (controller.signal.aborted || getEventListeners(controller.signal, 'abort').length === 0) {
      if (process.stderr.isTTY) process.stderr.write('\n');
      process.exit(130);
    }
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const context: CliContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    style: styleFor(process.stdout, process.env),
    errStyle: styleFor(process.stderr, process.env),
    signal: controller.signal,
    now: () => Date.now(),
  };
  return {
    context,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
