/**
 * How `pqble demo` tells the story of a {@link DemoReport} (docs/cli.md "pqble demo"): a
 * table with one row per step (connection type, bytes on air each way, round trips,
 * airtime, time to first message, CPU per side), what happened in each step, and closing
 * lines with the ratios of the reconnect against the first connect. Fits 80 columns.
 *
 * @module
 */

import type { DemoReport, DemoStep } from '../demo/scenario.js';
import { labelledText, wrapText } from './args.js';
import { formatInt, formatMs, formatRatio, phyLabel, ratio, renderTable, shortHex, type Style } from './format.js';

/** Ratios of the first resumed step against the first (full) step; `null` when there is none. */
export interface DemoSummary {
  /** Name of the step compared with the first one. */
  readonly comparedStep: string | null;
  /** Bytes on air (both ways) of the first step / of the compared step. */
  readonly bytesOnAirRatio: number | null;
  /** Time to first message of the first step / of the compared step. */
  readonly timeToFirstMessageRatio: number | null;
}

/** The JSON document of `pqble demo --json`: the report plus {@link DemoSummary}. */
export type DemoJson = DemoReport & { readonly summary: DemoSummary };

function onAir(s: DemoStep): number {
  return s.bytesOnAirToPeripheral + s.bytesOnAirToCentral;
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** The ratios the demo is about: the first reconnect against the first connect. */
export function summarizeDemo(report: DemoReport): DemoSummary {
  const first = report.steps[0];
  const resumed = report.steps.find((s) => s.connectionType === 'resumed');
  if (first === undefined || resumed === undefined) return { comparedStep: null, bytesOnAirRatio: null, timeToFirstMessageRatio: null };
  return {
    comparedStep: resumed.step,
    bytesOnAirRatio: finite(ratio(onAir(first), onAir(resumed))),
    timeToFirstMessageRatio: finite(ratio(first.timeToFirstMessageMs, resumed.timeToFirstMessageMs)),
  };
}

function setupText(s: DemoStep, style: Style): string {
  if (s.fellBack) return style.yellow('fallback');
  return s.connectionType === 'resumed' ? style.green('resumed') : 'full';
}

/** The demo's text output. */
export function renderDemoReport(report: DemoReport, style: Style): string {
  const phy = phyLabel(report.phy);
  const lines: string[] = [
    style.bold('pqble demo: a hub (central) and a sensor (peripheral) on a simulated BLE radio'),
    style.dim(
      `${phy} · ${formatMs(report.connectionIntervalMs)} ms interval · ${report.realtime ? 'real time' : 'virtual clock'} · ${report.messagesPerStep} messages per step`,
    ),
    style.dim(`hub ${shortHex(report.hubFingerprint, 16)}  sensor ${shortHex(report.sensorFingerprint, 16)}  (identity fingerprints)`),
    '',
  ];
  lines.push(
    ...renderTable(
      [
        { header: '\nstep' },
        { header: '\nsetup' },
        { header: 'bytes\nto sen', align: 'right' },
        { header: 'on air\nto hub', align: 'right', gap: 1 },
        { header: 'round\ntrips', align: 'right', gap: 1 },
        { header: 'airtime\nms', align: 'right', gap: 1 },
        { header: '1st msg\nms', align: 'right', gap: 1 },
        { header: 'CPU ms\nhub/sen', align: 'right', gap: 1 },
      ],
      report.steps.map((s) => [
        s.step,
        setupText(s, style),
        formatInt(s.bytesOnAirToPeripheral),
        formatInt(s.bytesOnAirToCentral),
        String(s.roundTrips),
        formatMs(s.airtimeMs),
        formatMs(s.timeToFirstMessageMs),
        `${formatMs(s.cpuMsCentral)}/${formatMs(s.cpuMsPeripheral)}`,
      ]),
      style,
    ),
  );
  lines.push(
    style.dim('on air: setup bytes incl. BLE link-layer overhead; 1st msg: from the link being'),
    style.dim('ready to the sensor receiving the first application message; CPU: setup crypto.'),
  );

  const nameWidth = Math.max(...report.steps.map((s) => s.step.length));
  lines.push('', style.bold('What happened'));
  for (const s of report.steps) lines.push(...labelledText(s.step, nameWidth, s.description));

  lines.push('');
  const first = report.steps[0];
  let comparedOnce = false;
  for (const s of report.steps.slice(1)) {
    if (first === undefined) break;
    if (s.connectionType === 'resumed' && !s.fellBack) {
      const bytes = formatRatio(ratio(onAir(first), onAir(s)));
      const time = formatRatio(ratio(first.timeToFirstMessageMs, s.timeToFirstMessageMs));
      const head = `${s.step}: ${bytes} fewer bytes on air and ${time} faster than the first connect`;
      const detail = `(${formatInt(onAir(s))} vs ${formatInt(onAir(first))} bytes, ${formatMs(s.timeToFirstMessageMs)} vs ${formatMs(first.timeToFirstMessageMs)} ms, ${s.roundTrips} round trip${s.roundTrips === 1 ? '' : 's'})`;
      lines.push(...wrapText(`${comparedOnce ? head : style.bold(head)} ${detail}`, 80, 2));
      if (!comparedOnce && s.connectionEstablishmentMs > 0) {
        const whole = formatRatio(ratio(first.reconnectMs, s.reconnectMs));
        lines.push(
          ...wrapText(
            `  from the connect call, with the BLE link's own establishment (${formatMs(s.connectionEstablishmentMs)} ms: advertising, connect request, MTU exchange, GATT discovery): ${formatMs(s.reconnectMs)} vs ${formatMs(first.reconnectMs)} ms, ${whole} faster`,
            80,
            2,
          ),
        );
      }
      comparedOnce = true;
    } else if (s.fellBack) {
      lines.push(
        ...wrapText(
          `${s.step}: the resumption was refused, so the full handshake ran on the same link (${formatInt(onAir(s))} bytes, ${formatMs(s.timeToFirstMessageMs)} ms): slower, never stuck.`,
          80,
          2,
        ),
      );
    } else {
      lines.push(...wrapText(`${s.step}: full handshake (${formatInt(onAir(s))} bytes, ${formatMs(s.timeToFirstMessageMs)} ms).`, 80, 2));
    }
  }
  return `${lines.join('\n')}\n`;
}
