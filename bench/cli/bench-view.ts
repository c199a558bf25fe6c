/**
 * How `pqble bench` shows a {@link BenchReport} (docs/cli.md "pqble bench"; the figures are
 * defined in docs/benchmarks.md): a side-by-side table of the connection-setup scenarios
 * with ratios against pqble resumption, the per-PHY, goodput and cache figures, and the
 * two-panel SVG chart (reconnect time, bytes on air).
 *
 * @module
 */

import type { LinkBenchReport } from '../link.js';
import type { BenchReport, ScenarioFigures, ScenarioGroup, ScenarioKind } from '../types.js';
import { renderBarChart, type BarPanel } from './chart.js';
import { formatBytes, formatInt, formatMs, formatRatio, phyLabel, ratio, renderTable, type Style } from '../../src/cli/format.js';

export { PHY_LABEL, phyLabel } from '../../src/cli/format.js';
import { labelledText, wrapText } from '../../src/cli/args.js';

const GROUP_LABEL: Readonly<Record<ScenarioGroup, string>> = { pqble: 'pqble', tls13: 'TLS 1.3', 'tls13-pq': 'PQ TLS' };
const KIND_LABEL: Readonly<Record<ScenarioKind, string>> = {
  'full-cold': 'full, cold',
  full: 'full',
  'resumed-psk_dhe_ke': 'psk_dhe_ke',
  'resumed-psk_ke': 'psk_ke',
  'full-pinned': 'full, pinned',
  resumed: 'resumed',
  'resumed-psk': 'resumed, psk',
  'resumed-from-disk': 'resumed, disk',
  fallback: 'fallback',
};
const GROUP_COLOR: Readonly<Record<ScenarioGroup, string>> = { pqble: '#0d9488', tls13: '#64748b', 'tls13-pq': '#d97706' };

/** A short, table-friendly label of a scenario, e.g. `pqble resumed`, `TLS 1.3 full`. */
export function scenarioLabel(s: Pick<ScenarioFigures, 'group' | 'kind' | 'name'>): string {
  const group = GROUP_LABEL[s.group] as string | undefined;
  const kind = KIND_LABEL[s.kind] as string | undefined;
  return group === undefined || kind === undefined ? s.name : `${group} ${kind}`;
}

/** The reference row of every ratio: pqble resumption. */
export function referenceScenario(report: Pick<BenchReport, 'scenarios'>): ScenarioFigures | undefined {
  return report.scenarios.find((s) => s.group === 'pqble' && s.kind === 'resumed');
}

function onAir(s: ScenarioFigures): number {
  return s.bytesOnAirToPeripheral + s.bytesOnAirToCentral;
}

/** `2026-01-24 12:00 UTC` from an ISO time (anything else is returned as it is). */
function shortDate(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(iso);
  return m === null ? iso : `${m[1]} ${m[2]} UTC`;
}

function conditions(report: BenchReport): string {
  return `${phyLabel(report.phy)}, ${formatMs(report.connectionIntervalMs)} ms connection interval`;
}

/** A sentence wrapped to 80 columns, continuation lines indented. */
function sentence(text: string): string[] {
  return wrapText(text, 80, 2, 0);
}

/** The text report of a benchmark run (fits 80 columns). */
export function renderBenchReport(report: BenchReport, style: Style): string {
  const ref = referenceScenario(report);
  const lines: string[] = [
    style.bold(`pqble bench${report.quick ? ' (quick run)' : ''}: connection setup on the simulated BLE radio`),
    style.dim(`crypto backend: ${report.cryptoBackend}`),
    style.dim(`${phyLabel(report.phy)} · ${formatMs(report.connectionIntervalMs)} ms interval · Node ${report.node} · ${shortDate(report.date)}`),
    '',
  ];
  const rows = report.scenarios.map((s) => {
    const isRef = s === ref;
    const label = isRef ? style.green(scenarioLabel(s)) : scenarioLabel(s);
    return [
      label,
      formatInt(s.bytesOnAirToPeripheral),
      formatInt(s.bytesOnAirToCentral),
      String(s.roundTrips),
      formatMs(s.timeToFirstMessageMs),
      `${formatMs(s.cpuMsCentral)}/${formatMs(s.cpuMsPeripheral)}`,
      ref === undefined ? '–' : isRef ? '1x' : formatRatio(ratio(onAir(s), onAir(ref))),
      ref === undefined ? '–' : isRef ? '1x' : formatRatio(ratio(s.timeToFirstMessageMs, ref.timeToFirstMessageMs)),
    ];
  });
  lines.push(
    ...renderTable(
      [
        { header: '\nscenario' },
        { header: 'bytes\nc→p', align: 'right' },
        { header: 'on air\np→c', align: 'right', gap: 1 },
        { header: 'round\ntrips', align: 'right' },
        { header: '1st msg\nms', align: 'right' },
        { header: 'CPU ms\nc/p', align: 'right' },
        { header: 'vs\nbytes', align: 'right' },
        { header: 'resumed\ntime', align: 'right', gap: 1 },
      ],
      rows,
      style,
    ),
  );
  lines.push(
    style.dim(
      wrapText(
        'c→p: central to peripheral, p→c: the other way; bytes on air include BLE link-layer overhead; 1st msg: from the start of the setup on a connected ' +
          "link until the peer has the first application message; CPU: each side's whole setup, warm median; vs resumed: how many times more than pqble resumed.",
        80,
      ).join('\n'),
    ),
  );

  lines.push('', style.bold('Radio energy per setup (µJ) and CPU samples'));
  lines.push(...sentence(style.dim(`TX and RX airtime × ${report.energyProfile.name}; CPU: median of the samples (the cold row is one sample).`)));
  lines.push(
    ...renderTable(
      [
        { header: 'scenario' },
        { header: 'airtime ms c→p/p→c', align: 'right' },
        { header: 'energy µJ c/p', align: 'right' },
        { header: 'CPU samples', align: 'right' },
      ],
      report.scenarios.map((s) => [
        scenarioLabel(s),
        `${formatMs(s.airtimeToPeripheralMs)}/${formatMs(s.airtimeToCentralMs)}`,
        `${formatInt(s.radioEnergyMicrojoules.central)}/${formatInt(s.radioEnergyMicrojoules.peripheral)}`,
        String(s.cpuSamples),
      ]),
      style,
    ),
  );

  lines.push('', style.bold('Reconnect from the connect call (ms)'));
  lines.push(
    ...sentence(
      style.dim(
        'link: the radio establishing the BLE link (advertising, connect request, MTU exchange, GATT discovery every time); setup: until the peer has the first message; ' +
          'cached GATT: the same resumption when the central keeps the GATT database.',
      ),
    ),
  );
  lines.push(
    ...renderTable(
      [
        { header: 'scenario' },
        { header: 'link', align: 'right' },
        { header: 'setup', align: 'right' },
        { header: 'reconnect', align: 'right' },
        { header: 'cached GATT', align: 'right' },
      ],
      report.scenarios.map((s) => [
        scenarioLabel(s),
        formatMs(s.connectionEstablishmentMs),
        formatMs(s.timeToFirstMessageMs),
        formatMs(s.reconnectMs),
        s.cachedGatt === undefined ? '–' : formatMs(s.cachedGatt.reconnectMs),
      ]),
      style,
    ),
  );
  if (report.link !== undefined) lines.push(...renderLinkRows(report.link, style));

  if (report.phys.length > 0) {
    lines.push('', style.bold('Setup airtime by PHY (ms)'));
    lines.push(
      ...renderTable(
        [
          { header: 'PHY' },
          { header: 'full', align: 'right' },
          { header: 'full, pinned', align: 'right' },
          { header: 'resumed', align: 'right' },
          { header: 'full / resumed', align: 'right' },
        ],
        report.phys.map((p) => [
          phyLabel(p.phy),
          formatMs(p.fullHandshakeMs),
          formatMs(p.fullHandshakePinnedMs),
          formatMs(p.resumedMs),
          formatRatio(ratio(p.fullHandshakeMs, p.resumedMs)),
        ]),
        style,
      ),
    );
  }
  for (const g of [report.goodput, report.goodputSmallMtu]) {
    if (g === undefined) continue;
    lines.push(
      '',
      ...sentence(
        `${style.bold('Goodput')} at ATT MTU ${g.attMtu}, ${formatInt(g.messages)} messages of ${formatBytes(g.messageBytes)}: ${formatBytes(g.goodputBytesPerSecond)}/s, ` +
          `${g.percentOfLinkCapacity.toFixed(1)}% of the link's payload capacity (${formatBytes(g.linkPayloadBytesPerSecond)}/s in ${formatInt(g.linkPacketBytes)}-byte values); ` +
          `framing alone ${g.framingOnlyPercent.compact.toFixed(1)}% with compact continuation headers, ${g.framingOnlyPercent.sequence16.toFixed(1)}% with 4-byte ones`,
      ),
    );
  }
  if (report.cache !== undefined) {
    const c = report.cache;
    lines.push(
      '',
      ...sentence(
        `${style.bold('Session cache')} with ${formatInt(c.entries)} entries: lookup ${formatInt(c.lookupNsPerOp)} ns, touch ${formatInt(c.touchNsPerOp)} ns, ` +
          `insert with eviction ${formatInt(c.insertWithEvictionNsPerOp)} ns; save ${formatMs(c.saveMs)} ms, load ${formatMs(c.loadMs)} ms; ` +
          `file ${formatBytes(c.fileBytes)} (${formatInt(c.bytesPerEntry)} B per entry)`,
      ),
    );
  }
  const ratios = Object.entries(report.ratios);
  if (ratios.length > 0) {
    lines.push('', style.bold('Ratios (same run)'));
    const width = Math.min(68, Math.max(...ratios.map(([k]) => k.length)));
    for (const [key, value] of ratios) {
      const text = formatRatio(value).padStart(5);
      lines.push(...(key.length <= width ? [`  ${key.padEnd(width)}  ${text}`] : labelledText(key, width, text)));
    }
  }
  if (report.notes.length > 0) {
    lines.push('', style.bold('Notes'));
    for (const note of report.notes) lines.push(...labelledText('-', 1, note));
  }
  return `${lines.join('\n')}\n`;
}

/** The link rows (bench/link.ts) as text tables: reconnect with GATT discovery or cache, packet sizes, loss, crowding. */
export function renderLinkRows(link: LinkBenchReport, style: Style): string[] {
  const lines: string[] = ['', style.bold(`Link rows: ${phyLabel(link.phy)}, ${formatMs(link.connectionIntervalMs)} ms, from connectToDevice() (ms)`)];
  lines.push(
    ...renderTable(
      [{ header: 'reconnect' }, { header: 'link', align: 'right' }, { header: 'setup', align: 'right' }, { header: 'total', align: 'right' }],
      link.reconnect.map((r) => [r.name, formatMs(r.connectionEstablishmentMs), formatMs(r.setupMs), formatMs(r.reconnectMs)]),
      style,
    ),
  );
  lines.push('', style.bold('Full handshake: full-size vs airtime-aware packets (ms after the link is ready)'));
  lines.push(
    ...renderTable(
      [
        { header: 'PHY' },
        { header: 'interval', align: 'right' },
        { header: 'ATT MTU', align: 'right' },
        { header: 'full-size', align: 'right' },
        { header: 'airtime-aware', align: 'right' },
      ],
      link.fragmentation.map((f) => [
        phyLabel(f.phy),
        `${formatMs(f.connectionIntervalMs)} ms`,
        String(f.attMtu),
        formatMs(f.fixedMs),
        formatMs(f.airtimeAwareMs),
      ]),
      style,
    ),
  );
  lines.push('', style.bold('Packet loss (cached GATT; resumed: mean of 10)'));
  lines.push(
    ...renderTable(
      [{ header: 'row' }, { header: 'loss', align: 'right' }, { header: 'total ms', align: 'right' }, { header: 'retransmissions', align: 'right' }],
      link.loss.map((r) => [r.name, `${String(Math.round(r.packetLossRate * 1000) / 10)}%`, formatMs(r.reconnectMs), formatInt(r.retransmissions)]),
      style,
    ),
  );
  lines.push('', style.bold('Devices resuming to one central at once (cached GATT)'));
  lines.push(
    ...renderTable(
      [
        { header: 'devices', align: 'right' },
        { header: 'all reconnected ms', align: 'right' },
        { header: 'mean per device ms', align: 'right' },
        { header: 'events missed', align: 'right' },
      ],
      link.crowding.map((c) => [String(c.devices), formatMs(c.allReconnectedMs), formatMs(c.meanReconnectMs), formatInt(c.skippedEvents)]),
      style,
    ),
  );
  return lines;
}

/** The SVG chart of a benchmark run: reconnect time and bytes on air per scenario. */
export function renderBenchChart(report: BenchReport): string {
  const ref = referenceScenario(report);
  const bars = (value: (s: ScenarioFigures) => number, unit: string): BarPanel['bars'] =>
    report.scenarios.map((s) => ({
      label: scenarioLabel(s),
      value: value(s),
      valueText: `${unit === 'ms' ? formatMs(value(s)) : formatInt(value(s))} ${unit}`,
      color: GROUP_COLOR[s.group] ?? '#6b7280',
      highlight: s === ref,
    }));
  const groups = [...new Set(report.scenarios.map((s) => s.group))];
  return renderBarChart({
    title: 'pqble vs TLS 1.3: setting up a secure BLE connection',
    subtitle: `Simulated ${conditions(report)}. One run, ${shortDate(report.date)}, Node ${report.node}, crypto ${report.cryptoBackend}${report.quick ? ' (quick run)' : ''}. Shorter is better.`,
    legend: groups.map((g) => ({ label: GROUP_LABEL[g] ?? g, color: GROUP_COLOR[g] ?? '#6b7280' })),
    panels: [
      {
        title: 'Reconnect time: connection setup to first message delivered',
        axisLabel: 'milliseconds on the simulated radio',
        tickFormat: (v) => formatInt(v),
        bars: bars((s) => s.timeToFirstMessageMs, 'ms'),
      },
      {
        title: 'Bytes on air during connection setup (both directions)',
        axisLabel: 'bytes on air, BLE link-layer overhead included',
        tickFormat: (v) => formatInt(v),
        bars: bars(onAir, 'B'),
      },
    ],
  });
}
