/**
 * A small SVG renderer for horizontal bar charts (docs/cli.md "pqble bench --chart"): one or
 * more stacked panels, each with a title, one labelled bar per row, the value written on or
 * next to each bar, a linear x axis with gridlines, tick labels and an axis label. The output
 * is a standalone SVG 1.1 document that browsers display as is; no dependency.
 *
 * @module
 */

/** One bar. */
export interface Bar {
  /** Row label, left of the bar. */
  readonly label: string;
  /** The value (>= 0); the bar's length is proportional to it. */
  readonly value: number;
  /** Text written at the end of the bar, e.g. `"1,034 ms"`. */
  readonly valueText: string;
  /** Fill colour (CSS colour). */
  readonly color: string;
  /** Draw the row label in bold (to point at the row the chart is about). */
  readonly highlight?: boolean;
}

/** One panel: a titled set of bars sharing an x axis. */
export interface BarPanel {
  readonly title: string;
  /** Label under the x axis, with the unit. */
  readonly axisLabel: string;
  /** Formats an x-axis tick value. */
  readonly tickFormat: (value: number) => string;
  readonly bars: readonly Bar[];
}

/** A whole chart. */
export interface BarChart {
  readonly title: string;
  /** A smaller line under the title (conditions of the measurement). */
  readonly subtitle?: string;
  /** Colour key drawn under the subtitle. */
  readonly legend?: readonly { readonly label: string; readonly color: string }[];
  readonly panels: readonly BarPanel[];
  /** Total width in px. Default 960. */
  readonly width?: number;
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const ROW = 26;
const BAR = 18;
const LABEL_WIDTH = 190;
const MARGIN = 24;
const VALUE_ROOM = 90;
/** Average glyph width of the 12 px font, for placing value labels. */
const CHAR_PX = 6.8;

/** Escapes text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Round tick values from 0 covering `max`: steps of 1, 2 or 5 times a power of ten, about 5 ticks. */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => max / s <= target + 1) ?? 10 * power;
  if (!(step > 0) || !Number.isFinite(step)) return [0, max];
  const ticks: number[] = [];
  for (let i = 0; i <= target + 2; i++) {
    const v = Number((i * step).toPrecision(12));
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

function n(value: number): string {
  return Number(value.toFixed(1)).toString();
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs === '' ? '' : ` ${attrs}`}>${escapeXml(content)}</text>`;
}

/** Renders `chart` as a standalone SVG document. */
export function renderBarChart(chart: BarChart): string {
  const width = chart.width ?? 960;
  const plotLeft = MARGIN + LABEL_WIDTH;
  const plotWidth = width - plotLeft - MARGIN - VALUE_ROOM;
  const body: string[] = [];
  let y = MARGIN + 8;
  body.push(text(MARGIN, y + 12, chart.title, 'class="title"'));
  y += 24;
  if (chart.subtitle !== undefined) {
    body.push(text(MARGIN, y + 12, chart.subtitle, 'class="sub"'));
    y += 22;
  }
  if (chart.legend !== undefined && chart.legend.length > 0) {
    let x = MARGIN;
    for (const item of chart.legend) {
      body.push(`<rect x="${n(x)}" y="${n(y + 2)}" width="12" height="12" rx="2" fill="${escapeXml(item.color)}"/>`);
      body.push(text(x + 18, y + 12, item.label, 'class="legend"'));
      x += 18 + item.label.length * CHAR_PX + 24;
    }
    y += 24;
  }

  for (const panel of chart.panels) {
    y += 18;
    body.push(text(MARGIN, y + 14, panel.title, 'class="panel"'));
    y += 30;
    const max = Math.max(0, ...panel.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
    const ticks = niceTicks(max);
    const top = ticks[ticks.length - 1];
    const xOf = (v: number): number => plotLeft + (top > 0 ? (Math.max(0, v) / top) * plotWidth : 0);
    const plotHeight = panel.bars.length * ROW;
    const grid: string[] = [];
    for (const t of ticks) {
      const x = xOf(t);
      grid.push(`<line x1="${n(x)}" y1="${n(y)}" x2="${n(x)}" y2="${n(y + plotHeight)}" class="grid"/>`);
      grid.push(text(x, y + plotHeight + 16, panel.tickFormat(t), 'class="tick" text-anchor="middle"'));
    }
    body.push(`<g>${grid.join('')}</g>`);
    panel.bars.forEach((bar, i) => {
      const rowY = y + i * ROW;
      const barY = rowY + (ROW - BAR) / 2;
      const value = Number.isFinite(bar.value) ? bar.value : 0;
      const barWidth = Math.max(value > 0 ? 1.5 : 0, xOf(value) - plotLeft);
      const labelAttrs = `class="label${bar.highlight === true ? ' strong' : ''}" text-anchor="end"`;
      body.push(text(plotLeft - 10, barY + BAR / 2 + 4, bar.label, labelAttrs));
      body.push(
        `<rect x="${n(plotLeft)}" y="${n(barY)}" width="${n(barWidth)}" height="${BAR}" rx="2" fill="${escapeXml(bar.color)}"><title>${escapeXml(`${bar.label}: ${bar.valueText}`)}</title></rect>`,
      );
      const textWidth = bar.valueText.length * CHAR_PX;
      const inside = plotLeft + barWidth + 6 + textWidth > width - 8 && barWidth > textWidth + 12;
      body.push(
        inside
          ? text(plotLeft + barWidth - 6, barY + BAR / 2 + 4, bar.valueText, 'class="value inside" text-anchor="end"')
          : text(plotLeft + barWidth + 6, barY + BAR / 2 + 4, bar.valueText, 'class="value"'),
      );
    });
    body.push(`<line x1="${n(plotLeft)}" y1="${n(y + plotHeight)}" x2="${n(plotLeft + plotWidth)}" y2="${n(y + plotHeight)}" class="axis"/>`);
    body.push(`<line x1="${n(plotLeft)}" y1="${n(y)}" x2="${n(plotLeft)}" y2="${n(y + plotHeight)}" class="axis"/>`);
    body.push(text(plotLeft + plotWidth / 2, y + plotHeight + 36, panel.axisLabel, 'class="axislabel" text-anchor="middle"'));
    y += plotHeight + 44;
  }
  const height = Math.ceil(y + MARGIN / 2);
  const style = [
    `text { font-family: ${FONT}; fill: #1f2937; }`,
    '.title { font-size: 18px; font-weight: 600; }',
    '.sub { font-size: 12px; fill: #4b5563; }',
    '.legend { font-size: 12px; }',
    '.panel { font-size: 15px; font-weight: 600; }',
    '.label { font-size: 12px; }',
    '.strong { font-weight: 700; }',
    '.value { font-size: 12px; font-variant-numeric: tabular-nums; }',
    '.inside { fill: #ffffff; font-weight: 600; }',
    '.tick { font-size: 11px; fill: #6b7280; font-variant-numeric: tabular-nums; }',
    '.axislabel { font-size: 12px; fill: #374151; }',
    '.grid { stroke: #e5e7eb; stroke-width: 1; }',
    '.axis { stroke: #9ca3af; stroke-width: 1; }',
  ].join(' ');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<style>${style}</style>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
