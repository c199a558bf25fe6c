/**
 * Progress display on stderr (docs/cli.md "Conventions"): on a terminal one line redrawn in
 * place (a bar or a spinner with elapsed time), elsewhere plain lines, printed only when
 * the text changes, so logs stay short. Never writes to stdout.
 *
 * @module
 */

import type { OutputStream } from './context.js';
import { stripAnsi, visibleWidth } from './format.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A progress display. */
export interface Progress {
  /** Replaces the live line (TTY) or prints `text` if it differs from the last one (not a TTY). */
  update(text: string): void;
  /** Prints a permanent line above the live line. */
  log(text: string): void;
  /** Removes the live line. */
  done(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Print nothing but `log()` lines when not on a terminal. Default false. */
  readonly quietWhenPiped?: boolean;
}

/** A progress display on `stream`. */
export function createProgress(stream: OutputStream, options: ProgressOptions = {}): Progress {
  const tty = stream.isTTY === true;
  let live = '';
  let last = '';
  const clip = (text: string): string => {
    const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
    const width = Math.max(20, columns - 1);
    // Too wide: drop the colour rather than cut an escape sequence in half.
    return visibleWidth(text) <= width ? text : `${[...stripAnsi(text)].slice(0, width - 1).join('')}…`;
  };
  return {
    update(text) {
      if (tty) {
        live = clip(text);
        stream.write(`\r\x1b[2K${live}`);
      } else if (text !== last && options.quietWhenPiped !== true) {
        stream.write(`${text}\n`);
      }
      last = text;
    },
    log(text) {
      if (tty && live !== '') stream.write(`\r\x1b[2K${text}\n${live}`);
      else stream.write(`${text}\n`);
    },
    done() {
      if (tty && live !== '') stream.write('\r\x1b[2K');
      live = '';
    },
  };
}

/** A text bar `[#########-----------]` of `width` cells for `done` out of `total`. */
export function progressBar(done: number, total: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

/** The spinner frame for a time in ms. */
export function spinnerFrame(ms: number): string {
  return SPINNER[Math.floor(ms / 80) % SPINNER.length];
}
