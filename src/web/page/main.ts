/**
 * The browser demo page's script (docs/web.md "The page"): runs the first connect and the
 * resumed reconnect on the simulated radio in this page, then shows their figures in a
 * table and draws each on a timeline. `?phy=1m|2m|coded` and `?interval-ms=N` choose the
 * radio; `#status` carries `data-state` (`running`, `done`, `failed`) for scripts and tests.
 *
 * @module
 */

import { PHYS, type Phy } from '../../radio/airtime.js';
import { runWebDemo, type WebDemoOptions, type WebDemoReport, type WebDemoStep } from '../scenario.js';
import { renderTimelineSvg, timelineScale } from '../timeline-svg.js';

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function setStatus(state: 'running' | 'done' | 'failed', text: string): void {
  const status = element('status');
  status.dataset.state = state;
  status.textContent = text;
}

/** Reads `phy` and `interval-ms` from the query string; the radio checks their ranges. */
function optionsFromQuery(search: string): WebDemoOptions {
  const q = new URLSearchParams(search);
  const phy = q.get('phy');
  const interval = q.get('interval-ms');
  if (phy !== null && !(PHYS as readonly string[]).includes(phy)) throw new RangeError(`phy must be one of ${PHYS.join(', ')}`);
  const connectionIntervalMs = interval === null ? undefined : Number(interval);
  return {
    ...(phy === null ? {} : { phy: phy as Phy }),
    ...(connectionIntervalMs === undefined ? {} : { connectionIntervalMs }),
    onProgress: (e) => {
      if (e.phase === 'start') setStatus('running', `Running: ${e.step}…`);
    },
  };
}

function cell(row: HTMLTableRowElement, field: string, text: string): void {
  const td = row.insertCell();
  td.dataset.field = field;
  td.textContent = text;
}

function addRow(body: HTMLTableSectionElement, s: WebDemoStep): void {
  const f = s.figures;
  const row = body.insertRow();
  row.dataset.step = s.step;
  cell(row, 'step', s.step);
  cell(row, 'connectionType', f.connectionType === 'resumed' ? 'resumed' : f.fellBack ? 'fallback' : 'full');
  cell(row, 'bytesOnAirToPeripheral', fmt(f.bytesOnAirToPeripheral));
  cell(row, 'bytesOnAirToCentral', fmt(f.bytesOnAirToCentral));
  cell(row, 'roundTrips', String(f.roundTrips));
  cell(row, 'airtimeMs', fmt(f.airtimeMs));
  cell(row, 'timeToFirstMessageMs', fmt(f.timeToFirstMessageMs));
  cell(row, 'cpuMs', `${fmt(f.cpuMsCentral, 1)} / ${fmt(f.cpuMsPeripheral, 1)}`);
}

function summary(report: WebDemoReport): string {
  const [first, again] = report.steps;
  if (first === undefined || again === undefined) return '';
  const bytes = (s: WebDemoStep): number => s.figures.bytesOnAirToPeripheral + s.figures.bytesOnAirToCentral;
  const ratio = bytes(first) / bytes(again);
  const faster = first.figures.timeToFirstMessageMs / again.figures.timeToFirstMessageMs;
  return (
    `Reconnect: ${fmt(ratio)}× fewer setup bytes on air (${fmt(bytes(again))} vs ${fmt(bytes(first))}) and the first message ` +
    `${fmt(faster)}× sooner (${fmt(again.figures.timeToFirstMessageMs)} vs ${fmt(first.figures.timeToFirstMessageMs)} ms of simulated time).`
  );
}

function show(report: WebDemoReport, wallMs: number): void {
  const table = element<HTMLTableElement>('figures');
  const body = table.tBodies[0] ?? table.createTBody();
  for (const s of report.steps) addRow(body, s);
  table.hidden = false;
  element('summary').textContent = summary(report);
  const scale = timelineScale(report.steps);
  // The markup holds numbers and fixed labels only (see timeline-svg.ts).
  element('timelines').innerHTML = report.steps.map((s) => renderTimelineSvg(s, scale)).join('\n');
  element('legend').hidden = false;
  const phy = report.phy === 'coded' ? 'LE Coded 125 kbit/s' : report.phy === '1m' ? 'LE 1M' : 'LE 2M';
  setStatus(
    'done',
    `Done: ${phy}, ${fmt(report.connectionIntervalMs, report.connectionIntervalMs % 1 === 0 ? 0 : 1)} ms interval, ${report.messagesPerStep} messages per step; ran in ${fmt(wallMs)} ms in this browser.`,
  );
}

async function main(): Promise<void> {
  setStatus('running', 'Running…');
  const started = performance.now();
  try {
    const report = await runWebDemo(optionsFromQuery(location.search));
    show(report, performance.now() - started);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? `${String(err.code)}: ` : '';
    setStatus('failed', `Failed: ${code}${err instanceof Error ? err.message : String(err)}`);
  }
}

void main();
