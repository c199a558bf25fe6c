/**
 * Command-line argument handling of the `pqble` tool (docs/cli.md "Conventions"): strict
 * per-command option tables on top of `node:util` `parseArgs`, help text generated from the
 * same tables, and {@link UsageError} for anything the user typed wrong (exit status 2).
 *
 * @module
 */

import { parseArgs } from 'node:util';
import { oneLine, visibleWidth } from './format.js';

/** Exit status of a command that succeeded. */
export const EXIT_OK = 0;
/** Exit status of a command that failed (radio, file, protocol). */
export const EXIT_FAILURE = 1;
/** Exit status of a command line that could not be understood. */
export const EXIT_USAGE = 2;

/** A command line the tool cannot understand: reported on one line, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a command. */
export interface OptionSpec {
  /** `'string'` takes a value (`--path FILE`), `'boolean'` is a flag. */
  readonly type: 'string' | 'boolean';
  /** Placeholder shown in the help for a string option, e.g. `FILE`. */
  readonly value?: string;
  /** One-line description for the help. */
  readonly description: string;
}

/** The options of one command, by long name (without `--`). */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** What the parser returns for an option table: strings for string options, booleans for flags. */
export type OptionValues<T extends OptionTable> = {
  [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean;
};

/** A parsed command line. */
export interface ParsedCommand<T extends OptionTable> {
  /** Option values; absent options are `undefined`. */
  readonly values: OptionValues<T>;
  /** Arguments that are not options, in order. */
  readonly positionals: string[];
  /** True if `--help`/`-h` was given (the other options were not checked). */
  readonly help: boolean;
}

/** Describes a command for the help text. */
export interface CommandHelp {
  /** Words after `pqble`, e.g. `sessions list|show|prune|clear`. */
  readonly usage: string;
  /** What the command does, one or more sentences (wrapped to 80 columns). */
  readonly summary: string;
  /** Extra lines printed verbatim after the options (examples, notes). */
  readonly notes?: readonly string[];
}

/**
 * Parses `args` against `table` (plus `--help`/`-h`), strictly: unknown options, missing
 * values and more than `maxPositionals` positionals are {@link UsageError}s naming `command`.
 */
export function parseCommand<T extends OptionTable>(command: string, args: readonly string[], table: T, maxPositionals = 0): ParsedCommand<T> {
  if (args.includes('--help') || args.includes('-h')) return { values: {}, positionals: [], help: true };
  const config: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [name, spec] of Object.entries(table)) config[name] = { type: spec.type };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: config, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(describeParseError(command, err));
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals];
    throw new UsageError(`unexpected argument '${oneLine(extra, 40)}' for 'pqble ${command}' (see pqble ${command} --help)`);
  }
  return { values: parsed.values as OptionValues<T>, positionals: parsed.positionals, help: false };
}

function describeParseError(command: string, err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : String(err);
  const option = /'(-[^' ]*)/.exec(message)?.[1];
  const hint = `(see pqble ${command} --help)`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${oneLine(option ?? '?', 40)} for 'pqble ${command}' ${hint}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option !== undefined && /argument missing|ambiguous/.test(message)
        ? `option ${oneLine(option.split(',')[0], 40)} needs a value ${hint}`
        : `option ${oneLine(option ?? '?', 40)} does not take a value ${hint}`;
    default:
      return `cannot parse the command line: ${oneLine(message.split('\n')[0] ?? '', 40)} ${hint}`;
  }
}

/** A string option that must be present. @throws UsageError if missing */
export function requireOption(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`'pqble ${command}' needs --${name} (see pqble ${command} --help)`);
  return value;
}

/** Options of {@link parseNumberOption}. */
export interface NumberOptionRange {
  readonly min: number;
  readonly max: number;
  /** Only whole numbers. Default false. */
  readonly integer?: boolean;
}

/**
 * Parses a numeric option value. @returns `undefined` when the option is absent
 * @throws UsageError for text that is not a number in `[min, max]`
 */
export function parseNumberOption(name: string, value: string | undefined, range: NumberOptionRange): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value.trim()) ? Number(value) : Number.NaN;
  const kind = range.integer === true ? 'a whole number' : 'a number';
  if (!Number.isFinite(n) || (range.integer === true && !Number.isInteger(n)) || n < range.min || n > range.max) {
    throw new UsageError(`--${name} must be ${kind} from ${range.min} to ${range.max}, got '${oneLine(value, 40)}'`);
  }
  return n;
}

/**
 * Checks a string option against a list of choices. @returns `undefined` when absent
 * @throws UsageError for any other text
 */
export function parseChoiceOption<C extends string>(name: string, value: string | undefined, choices: readonly C[]): C | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${oneLine(value, 40)}'`);
  return value as C;
}

/** Wraps `text` (ANSI colour allowed) to `width` columns, indenting continuation lines by `indent` spaces. */
export function wrapText(text: string, width: number, indent = 0, firstIndent = indent): string[] {
  const lines: string[] = [];
  let line = ' '.repeat(firstIndent);
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (!empty && visibleWidth(line) + 1 + visibleWidth(word) > width) {
      lines.push(line);
      line = ' '.repeat(indent);
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  if (!empty) lines.push(line);
  return lines;
}

/**
 * A labelled paragraph with a hanging indent: `label` in a column of `labelWidth` after
 * `indent` spaces, `text` wrapped to `width` beside it. A label wider than its column gets
 * a line of its own.
 */
export function labelledText(label: string, labelWidth: number, text: string, width = 80, indent = 2): string[] {
  const column = indent + labelWidth + 2;
  const body = wrapText(text, width, column, column);
  if (visibleWidth(label) > labelWidth) return [' '.repeat(indent) + label, ...body];
  const [first = '', ...rest] = body;
  return [' '.repeat(indent) + label + ' '.repeat(labelWidth - visibleWidth(label) + 2) + first.slice(column), ...rest];
}

/** The help text of a command, generated from its option table (80 columns). */
export function formatHelp(help: CommandHelp, table: OptionTable): string {
  const lines = [`Usage: pqble ${help.usage}`, '', ...wrapText(help.summary, 78, 2, 2), ''];
  const entries = [...Object.entries(table), ['help', { type: 'boolean', description: 'Show this help and exit.' }] as const];
  const labels = entries.map(([name, spec]) => `--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`);
  const labelWidth = Math.min(24, Math.max(...labels.map((l) => l.length)));
  lines.push('Options:');
  entries.forEach(([, spec], i) => lines.push(...labelledText(labels[i], labelWidth, spec.description, 78)));
  if (help.notes !== undefined && help.notes.length > 0) lines.push('', ...help.notes);
  return `${lines.join('\n')}\n`;
}
