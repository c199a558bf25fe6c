/**
 * The page's timeline (docs/web.md "The timeline"): one SVG per demo step, drawn from the
 * packets the simulated radio delivered. The upper plot is the bytes on air so far in each
 * direction over virtual time; the lane below has one bar per application packet (height:
 * its size), hub to sensor above the axis and sensor to hub below; a dashed line marks the
 * end of the setup. All steps share one scale, so the resumed reconnect is drawn as small
 * as it is.
 *
 * Pure: returns SVG markup (numbers and fixed labels only, names escaped), no DOM, so the
 * Node tests check it too.
 *
 * @module
 */

import type { WebDemoStep } from './scenario.js';

/** Colour of hub-to-sensor traffic (central to peripheral). */
export const COLOR_TO_PERIPHERAL = '#1f6feb';
/** Colour of sensor-to-hub traffic (peripheral to central). */
export const COLOR_TO_CENTRAL = '#e8590c';

/** Size of each step's SVG, in CSS pixels. */
export const TIMELINE_WIDTH = 880;
/** See {@link TIMELINE_WIDTH}. */
export const TIMELINE_HEIGHT = 300;

/** The scale every step's timeline shares. */
export interface TimelineScale {
  /** The time axis ends here, ms. */
  readonly maxTimeMs: number;
  /** The bytes axis ends here. */
  readonly maxBytes: number;
  /** The largest packet (the lane's full height), bytes. */
  readonly maxPacketBytes: number;
}

const M = { left: 64, right: 16, top: 34, bottom: 34 };
const LANE = 70; // packet lane height (both directions)
const PLOT_BOTTOM = TIMELINE_HEIGHT - M.bottom - LANE - 16;

/** The shared scale: the longest step and the most bytes on air in one direction, rounded up. */
export function timelineScale(steps: readonly WebDemoStep[]): TimelineScale {
  let maxTimeMs = 1;
  let maxBytes = 1;
  let maxPacketBytes = 1;
  for (const s of steps) {
    maxTimeMs = Math.max(maxTimeMs, s.durationMs);
    maxBytes = Math.max(maxBytes, s.totalBytesOnAirToPeripheral, s.totalBytesOnAirToCentral);
    for (const p of s.packets) maxPacketBytes = Math.max(maxPacketBytes, p.attBytes);
  }
  return { maxTimeMs: niceCeil(maxTimeMs), maxBytes: niceCeil(maxBytes), maxPacketBytes };
}

/** The smallest 1, 2 or 5 times a power of ten that is at least `x`. */
function niceCeil(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function r1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** Returns the SVG markup of one step's timeline. */
export function renderTimelineSvg(step: WebDemoStep, scale: TimelineScale): string {
  const plotW = TIMELINE_WIDTH - M.left - M.right;
  const x = (ms: number): number => M.left + (Math.min(ms, scale.maxTimeMs) / scale.maxTimeMs) * plotW;
  const y = (bytes: number): number => PLOT_BOTTOM - (Math.min(bytes, scale.maxBytes) / scale.maxBytes) * (PLOT_BOTTOM - M.top);
  const laneMid = PLOT_BOTTOM + 16 + LANE / 2;
  const out: string[] = [];
  const f = step.figures;
  const setupBytes = f.bytesOnAirToPeripheral + f.bytesOnAirToCentral;
  const title =
    `${step.step}: ${f.connectionType === 'resumed' ? 'resumed' : 'full handshake'}, ` +
    `${fmt(setupBytes)} setup bytes on air, ${f.roundTrips} round trip${f.roundTrips === 1 ? '' : 's'}, ` +
    `setup done at ${fmt(step.setupDoneMs)} ms`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${TIMELINE_WIDTH}" height="${TIMELINE_HEIGHT}" viewBox="0 0 ${TIMELINE_WIDTH} ${TIMELINE_HEIGHT}" ` +
      `role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${TIMELINE_WIDTH}" height="${TIMELINE_HEIGHT}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="20" font-size="14" font-weight="600" fill="#111">${escapeXml(title)}</text>`,
  );
  // Axes and grid.
  for (let i = 0; i <= 4; i++) {
    const b = (scale.maxBytes * i) / 4;
    out.push(
      `<line x1="${M.left}" x2="${TIMELINE_WIDTH - M.right}" y1="${r1(y(b))}" y2="${r1(y(b))}" stroke="#e5e7eb"/>`,
      `<text x="${M.left - 6}" y="${r1(y(b) + 4)}" text-anchor="end" fill="#555">${fmt(b)}</text>`,
    );
  }
  for (let i = 0; i <= 10; i++) {
    const t = (scale.maxTimeMs * i) / 10;
    out.push(
      `<line x1="${r1(x(t))}" x2="${r1(x(t))}" y1="${M.top}" y2="${laneMid + LANE / 2}" stroke="#f0f1f3"/>`,
      `<text x="${r1(x(t))}" y="${TIMELINE_HEIGHT - M.bottom + 16}" text-anchor="middle" fill="#555">${fmt(t)}</text>`,
    );
  }
  out.push(
    `<text x="${TIMELINE_WIDTH - M.right}" y="${TIMELINE_HEIGHT - 4}" text-anchor="end" fill="#555">virtual time since connect (ms)</text>`,
    `<text x="12" y="${r1((M.top + PLOT_BOTTOM) / 2)}" fill="#555" transform="rotate(-90 12 ${r1((M.top + PLOT_BOTTOM) / 2)})" text-anchor="middle">bytes on air</text>`,
    `<line x1="${M.left}" x2="${TIMELINE_WIDTH - M.right}" y1="${laneMid}" y2="${laneMid}" stroke="#9ca3af"/>`,
    `<text x="${M.left - 6}" y="${laneMid - 6}" text-anchor="end" fill="${COLOR_TO_PERIPHERAL}">to sensor</text>`,
    `<text x="${M.left - 6}" y="${laneMid + 14}" text-anchor="end" fill="${COLOR_TO_CENTRAL}">to hub</text>`,
  );
  // Cumulative bytes on air, as steps, per direction.
  const lines: Record<'central' | 'peripheral', string[]> = { central: [`M${M.left} ${y(0)}`], peripheral: [`M${M.left} ${y(0)}`] };
  let last = { central: 0, peripheral: 0 };
  for (const p of step.packets) {
    const now = { central: p.bytesOnAirToPeripheral, peripheral: p.bytesOnAirToCentral };
    for (const dir of ['central', 'peripheral'] as const) {
      if (now[dir] !== last[dir]) lines[dir].push(`H${r1(x(p.timeMs))}V${r1(y(now[dir]))}`);
    }
    last = now;
  }
  lines.central.push(`H${r1(x(step.durationMs))}V${r1(y(step.totalBytesOnAirToPeripheral))}`);
  lines.peripheral.push(`H${r1(x(step.durationMs))}V${r1(y(step.totalBytesOnAirToCentral))}`);
  const endX = r1(Math.min(x(step.durationMs) + 6, TIMELINE_WIDTH - M.right - 60));
  const label = (bytes: number, color: string, dy: number): string =>
    `<text x="${endX}" y="${r1(y(bytes) + dy)}" fill="${color}" font-weight="600">${fmt(bytes)} B</text>`;
  const up = step.totalBytesOnAirToPeripheral >= step.totalBytesOnAirToCentral;
  out.push(
    label(step.totalBytesOnAirToPeripheral, COLOR_TO_PERIPHERAL, up ? -6 : 14),
    label(step.totalBytesOnAirToCentral, COLOR_TO_CENTRAL, up ? 14 : -6),
    `<path class="bytes-to-sensor" d="${lines.central.join('')}" fill="none" stroke="${COLOR_TO_PERIPHERAL}" stroke-width="3"/>`,
    `<path class="bytes-to-hub" d="${lines.peripheral.join('')}" fill="none" stroke="${COLOR_TO_CENTRAL}" stroke-width="3"/>`,
  );
  // One bar per packet, hub to sensor up, sensor to hub down.
  for (const p of step.packets) {
    const h = Math.max(2, Math.min(1, p.attBytes / scale.maxPacketBytes) * (LANE / 2 - 2));
    const toSensor = p.from === 'central';
    out.push(
      `<rect class="packet ${toSensor ? 'to-sensor' : 'to-hub'}" x="${r1(x(p.timeMs) - 1.5)}" y="${r1(toSensor ? laneMid - h : laneMid)}" width="3" height="${r1(h)}" ` +
        `fill="${toSensor ? COLOR_TO_PERIPHERAL : COLOR_TO_CENTRAL}"><title>${fmt(p.timeMs)} ms: ${p.attBytes} bytes ${toSensor ? 'to the sensor' : 'to the hub'}</title></rect>`,
    );
  }
  // End of the setup.
  const sx = r1(x(step.setupDoneMs));
  out.push(
    `<line x1="${sx}" x2="${sx}" y1="${M.top}" y2="${laneMid + LANE / 2}" stroke="#111" stroke-dasharray="4 3"/>`,
    `<text x="${r1(x(step.setupDoneMs) + 4)}" y="${M.top + 12}" fill="#111">setup done</text>`,
    `</svg>`,
  );
  return out.join('\n');
}
