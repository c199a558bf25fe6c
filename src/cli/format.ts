/**
 * Text output of the `pqble` tool (docs/cli.md "Conventions"): optional ANSI colour (only on
 * a TTY, never with `NO_COLOR`), column tables that fit 80 columns, and number formats.
 *
 * @module
 */

import type { Phy } from '../radio/airtime.js';

/** Colour and emphasis; the plain style returns its input unchanged. */
export interface Style {
  readonly color: boolean;
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const ansi = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

/** No colour, no emphasis. */
export const plainStyle: Style = {
  color: false,
  bold: (t) => t,
  dim: (t) => t,
  green: (t) => t,
  yellow: (t) => t,
  cyan: (t) => t,
};

/** ANSI colour and emphasis. */
export const ansiStyle: Style = {
  color: true,
  bold: ansi(1, 22),
  dim: ansi(2, 22),
  green: ansi(32, 39),
  yellow: ansi(33, 39),
  cyan: ansi(36, 39),
};

/**
 * The style for a stream: colour only on a TTY, and never when `NO_COLOR` is set to a
 * non-empty value (https://no-color.org) or `TERM` is `dumb`.
 */
export function styleFor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): Style {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return stream.isTTY === true && !noColor && env.TERM !== 'dumb' ? ansiStyle : plainStyle;
}

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;]*m/g;

/** `text` without ANSI colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}

/** Width of `text` on screen, ignoring ANSI colour codes. */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'left' ? text + fill : fill + text;
}

/** One column of a {@link renderTable} table. */
export interface Column {
  /** Header; `\n` splits it over several lines (bottom-aligned). */
  readonly header: string;
  /** Alignment of the cells and header. Default `'left'`. */
  readonly align?: 'left' | 'right';
  /** Spaces before this column. Default 2 (0 for the first column). */
  readonly gap?: number;
}

/**
 * Renders rows as aligned columns under a bold header and a rule. Cells may carry ANSI
 * colour; widths are measured without it. Returns lines without trailing newlines.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], style: Style, indent = 0): string[] {
  const headers = columns.map((c) => c.header.split('\n'));
  const headerLines = Math.max(...headers.map((h) => h.length));
  const widths = columns.map((_, i) => Math.max(...headers[i].map((h) => visibleWidth(h)), ...rows.map((r) => visibleWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    ' '.repeat(indent) +
    cells
      .map((cell, i) => ' '.repeat(i === 0 ? 0 : (columns[i].gap ?? 2)) + pad(cell, widths[i], columns[i].align ?? 'left'))
      .join('')
      .trimEnd();
  const out: string[] = [];
  for (let l = 0; l < headerLines; l++) {
    out.push(style.bold(line(headers.map((h) => h[l - (headerLines - h.length)] ?? ''))));
  }
  const total = widths.reduce((a, w, i) => a + w + (i === 0 ? 0 : (columns[i].gap ?? 2)), 0);
  out.push(' '.repeat(indent) + style.dim('─'.repeat(total)));
  for (const row of rows) out.push(line(row));
  return out;
}

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `12,345` (rounded to a whole number). */
export function formatInt(n: number): string {
  return INT.format(Math.round(n));
}

/** Milliseconds with sensible precision: `0.12`, `3.4`, `95`, `1,034`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const abs = Math.abs(ms);
  // Thresholds just below 1 and 10, so that 0.999 is "1.0", not "1.00", and 9.96 is "10".
  if (abs < 0.995) return ms.toFixed(2);
  if (abs < 9.95) return ms.toFixed(1);
  return formatInt(ms);
}

/** Bytes as `64 B`, `9.8 KB`, `10 KB` (1 KB = 1,000 B), `1.2 MB`. */
export function formatBytes(bytes: number): string {
  const trim = (t: string): string => (t.endsWith('.0') ? t.slice(0, -2) : t);
  if (bytes < 1000) return `${formatInt(bytes)} B`;
  if (bytes < 1e6) return `${trim((bytes / 1000).toFixed(bytes < 1e5 ? 1 : 0))} KB`;
  return `${trim((bytes / 1e6).toFixed(1))} MB`;
}

/** A ratio as `24x`, `3.2x` or `1x`. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return '–';
  if (ratio >= 10) return `${formatInt(ratio)}x`;
  const r = ratio.toFixed(1);
  return `${r.endsWith('.0') ? r.slice(0, -2) : r}x`;
}

/** `a / b`, or NaN when `b` is not positive (rendered as `–`). */
export function ratio(a: number, b: number): number {
  return b > 0 ? a / b : Number.NaN;
}

/** A duration for people: `45s`, `12m`, `5h 12m`, `3d 4h`; negative durations get a `-`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const sign = ms < 0 ? '-' : '';
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 60) return `${sign}${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${sign}${h}h ${m % 60}m`;
  return `${sign}${Math.floor(h / 24)}d ${h % 24}h`;
}

/** The first `n` hex digits of a fingerprint or id, with an ellipsis. */
export function shortHex(hex: string, n = 16): string {
  return hex.length > n ? `${hex.slice(0, n)}…` : hex;
}

/** Makes any text safe for the one-line error report: no control characters, at most `max` chars. */
export function oneLine(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Names of the simulated PHYs as people know them. */
export const PHY_LABEL: Readonly<Record<Phy, string>> = {
  coded: 'LE Coded 125 kbit/s',
  '1m': 'LE 1M 1 Mbit/s',
  '2m': 'LE 2M 2 Mbit/s',
};

/** The people's name of a PHY; unknown names are returned as they are. */
export function phyLabel(phy: string): string {
  return (PHY_LABEL as Readonly<Record<string, string>>)[phy] ?? phy;
}
