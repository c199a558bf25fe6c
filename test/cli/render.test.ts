// In-process tests of the CLI's pure parts: argument parsing, number and table formats, the
// demo and bench renderers on fixtures, the SVG chart (well-formed XML, escaping, scale),
// and terminal-safe printing of received messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzz } from '../support/fuzz.js';
import { UsageError, parseCommand, parseNumberOption, wrapText } from '../../src/cli/args.js';
import type { LinkBenchReport } from '../../bench/link.js';
import { referenceScenario, renderBenchChart, renderBenchReport, scenarioLabel } from '../../bench/cli/bench-view.js';
import { escapeXml, niceTicks, renderBarChart } from '../../bench/cli/chart.js';
import { printable } from '../../src/cli/chat.js';
import { renderDemoReport, summarizeDemo } from '../../src/cli/demo-view.js';
import { ansiStyle, formatDuration, formatMs, formatRatio, plainStyle, renderTable, styleFor, visibleWidth } from '../../src/cli/format.js';
import type { DemoReport } from '../../src/demo/scenario.js';
import { assertWellFormedXml, benchFixture } from './helpers.js';

const OPTS = { path: { type: 'string', description: 'p' }, json: { type: 'boolean', description: 'j' } } as const;

function demoFixture(): DemoReport {
  const step = (name: string, type: 'resumed' | 'full-handshake', fellBack: boolean, toP: number, toC: number, rt: number, ms: number, cpu: number) => ({
    step: name,
    description: `what happened in ${name}, told at some length so that it has to be wrapped over more than one line of the terminal`,
    connectionType: type,
    fellBack,
    bytesOnAirToPeripheral: toP,
    bytesOnAirToCentral: toC,
    setupPayloadBytes: Math.round((toP + toC) * 0.8),
    roundTrips: rt,
    airtimeMs: ms * 0.7,
    timeToFirstMessageMs: ms,
    connectionEstablishmentMs: 530,
    reconnectMs: ms + 530,
    cpuMsCentral: cpu,
    cpuMsPeripheral: cpu * 0.9,
  });
  return {
    phy: 'coded',
    connectionIntervalMs: 30,
    realtime: false,
    hubFingerprint: 'a1'.repeat(32),
    sensorFingerprint: 'b2'.repeat(32),
    messagesPerStep: 4,
    steps: [
      step('first connect', 'full-handshake', false, 4210, 6602, 2, 1034, 12.1),
      step('reconnect', 'resumed', false, 58, 52, 1, 95, 0.21),
      step('both restarted', 'resumed', false, 58, 52, 1, 96, 0.22),
      step('sensor lost its cache', 'full-handshake', true, 4290, 6680, 3, 1130, 12.4),
    ],
  };
}

describe('argument parsing', () => {
  it('parses a strict option table', () => {
    const p = parseCommand('x', ['--path', 'a', '--json', 'list'], OPTS, 1);
    assert.deepEqual({ ...p.values }, { path: 'a', json: true });
    assert.deepEqual(p.positionals, ['list']);
    assert.equal(p.help, false);
    assert.equal(parseCommand('x', ['--frob', '--help'], OPTS).help, true);
  });

  it('turns every parse problem into a UsageError', () => {
    for (const args of [['--frob'], ['--path'], ['--json=1'], ['extra'], ['-z']]) {
      assert.throws(
        () => parseCommand('x', args, OPTS),
        (err: unknown) => err instanceof UsageError && !err.message.includes('\n'),
        args.join(' '),
      );
    }
  });

  it('checks numbers strictly', () => {
    assert.equal(parseNumberOption('n', '7.5', { min: 7.5, max: 10 }), 7.5);
    assert.equal(parseNumberOption('n', undefined, { min: 0, max: 1 }), undefined);
    for (const bad of ['', ' ', '1e3', '0x10', 'NaN', 'Infinity', '11', '7', '8.5x']) {
      assert.throws(() => parseNumberOption('n', bad, { min: 7.5, max: 10 }), UsageError, bad);
    }
    assert.throws(() => parseNumberOption('n', '8.5', { min: 0, max: 10, integer: true }), UsageError);
  });

  it('wraps text within the width', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{1,12}$/), { maxLength: 40 }), fc.integer({ min: 20, max: 100 }), (words, width) => {
        const lines = wrapText(words.join(' '), width, 4);
        for (const line of lines) assert.ok(line.length <= width, line);
        assert.deepEqual(
          lines
            .join(' ')
            .split(/\s+/)
            .filter((w) => w !== ''),
          words,
        );
      }),
    );
  });
});

describe('formats', () => {
  it('numbers, ratios and durations', () => {
    assert.equal(formatMs(0.213), '0.21');
    assert.equal(formatMs(3.44), '3.4');
    assert.equal(formatMs(1034.4), '1,034');
    assert.equal(formatMs(9.96), '10');
    assert.equal(formatMs(0.999), '1.0');
    assert.equal(formatRatio(98.3), '98x');
    assert.equal(formatRatio(3.04), '3x');
    assert.equal(formatRatio(3.26), '3.3x');
    assert.equal(formatRatio(Number.NaN), '–');
    assert.equal(formatDuration(45_000), '45s');
    assert.equal(formatDuration(5 * 3600e3 + 12 * 60e3), '5h 12m');
    assert.equal(formatDuration(-90e3), '-1m');
    assert.equal(formatDuration(3 * 86400e3 + 4 * 3600e3), '3d 4h');
  });

  it('colour only on a TTY without NO_COLOR or TERM=dumb', () => {
    assert.equal(styleFor({ isTTY: true }, {}).color, true);
    assert.equal(styleFor({ isTTY: true }, { NO_COLOR: '1' }).color, false);
    assert.equal(styleFor({ isTTY: true }, { NO_COLOR: '' }).color, true);
    assert.equal(styleFor({ isTTY: true }, { TERM: 'dumb' }).color, false);
    assert.equal(styleFor({ isTTY: false }, {}).color, false);
    assert.equal(styleFor({}, {}).color, false);
  });

  it('tables align coloured cells by their visible width', () => {
    const rows = [
      [ansiStyle.green('resumed'), '58'],
      ['full', '4,210'],
    ];
    const lines = renderTable([{ header: 'type' }, { header: 'bytes', align: 'right' }], rows, ansiStyle);
    const widths = lines.slice(2).map((l) => visibleWidth(l));
    assert.deepEqual(widths, [widths[0], widths[0]]);
    assert.equal(visibleWidth(ansiStyle.bold('abc')), 3);
  });
});

describe('demo rendering', () => {
  it('tells the story in 80 columns with the reconnect ratios', () => {
    const report = demoFixture();
    const text = renderDemoReport(report, plainStyle);
    for (const line of text.split('\n')) assert.ok([...line].length <= 80, `too long: ${line}`);
    for (const s of report.steps) assert.ok(text.includes(s.step));
    assert.match(text, /reconnect: 98x fewer bytes on air and 11x faster than the first connect/);
    assert.match(text, /^sensor lost its cache\s+fallback\s+4,290\s+6,680\s+3\s/m);
    assert.match(text, /^reconnect\s+resumed\s+58\s+52\s+1\s+67\s+95\s+0\.21\/0\.19$/m);
    assert.ok(!text.includes('\x1b['), 'no colour in plain style');
    const coloured = renderDemoReport(report, ansiStyle);
    assert.ok(coloured.includes('\x1b['));
    for (const line of coloured.split('\n')) assert.ok(visibleWidth(line) <= 80, `too long: ${line}`);
  });

  it('summarizes the first resumed step against the first connect', () => {
    const summary = summarizeDemo(demoFixture());
    assert.equal(summary.comparedStep, 'reconnect');
    assert.ok(Math.abs(summary.bytesOnAirRatio! - 10812 / 110) < 1e-9);
    assert.ok(Math.abs(summary.timeToFirstMessageRatio! - 1034 / 95) < 1e-9);
    const noResume = { ...demoFixture(), steps: demoFixture().steps.filter((s) => s.connectionType !== 'resumed') };
    assert.deepEqual(summarizeDemo(noResume), { comparedStep: null, bytesOnAirRatio: null, timeToFirstMessageRatio: null });
  });
});

describe('bench rendering', () => {
  it('a side-by-side table in 80 columns, with ratios vs pqble resumed', () => {
    const report = benchFixture();
    const text = renderBenchReport(report, plainStyle);
    for (const line of text.split('\n')) assert.ok([...line].length <= 80, `too long: ${line}`);
    for (const s of report.scenarios) assert.ok(text.includes(scenarioLabel(s)), scenarioLabel(s));
    assert.match(text, /^pqble resumed\s+58\s+52\s+1\s+95\s+0\.21\/0\.19\s+1x\s+1x$/m);
    // TLS 1.3 ticket resumption: 867 / 110 bytes, 180 / 95 ms.
    assert.match(text, /^TLS 1\.3 psk_dhe_ke\s+540\s+327\s+2\s+180\s+0\.90\/0\.81\s+7\.9x\s+1\.9x$/m);
    // the energy table: airtime per direction, µJ per side, CPU samples
    assert.match(text, /^pqble resumed\s+3\.6\/3\.3\s+97\/97\s+5$/m);
    assert.match(
      text,
      /Goodput at ATT MTU 247, 20 messages of 10 KB: 11\.4 KB\/s, 88\.4% of the\s+link's\s+payload capacity \(12\.9 KB\/s in 244-byte values\)/,
    );
    assert.match(text, /framing alone 97\.1% with\s+compact\s+continuation headers, 95\.0% with 4-byte ones/);
    // the whole reconnect: link establishment, setup and first message, total
    assert.match(text, /^pqble resumed\s+530\s+95\s+625\s+–$/m);
    assert.match(text, /100,000 entries/);
    assert.match(text, /PQ TLS 1\.3 not measured/);
  });

  it('prints the link rows: discovery vs cached GATT, packet sizes, loss, crowding; and the cached-GATT resumption', () => {
    const base = benchFixture();
    const scenarios = base.scenarios.map((s) =>
      s.kind === 'resumed' ? { ...s, cachedGatt: { connectionEstablishmentMs: 231, reconnectMs: 326, timeToFirstMessageMs: 95 } } : s,
    );
    const row = (name: string, link: number, setup: number, retransmissions = 0): LinkBenchReport['reconnect'][number] => ({
      name,
      connectionType: name.startsWith('full') ? 'full-handshake' : 'resumed',
      connectionEstablishmentMs: link,
      setupMs: setup,
      reconnectMs: link + setup,
      airtimeMs: 10,
      retransmissions,
    });
    const link: LinkBenchReport = {
      phy: 'coded',
      connectionIntervalMs: 30,
      reconnect: [row('full, GATT discovery', 529.2, 1051.3), row('resumed, GATT discovery', 530.8, 64.2), row('resumed, cached GATT', 230.8, 64.2)],
      fragmentation: [{ phy: 'coded', connectionIntervalMs: 30, attMtu: 247, fixedMs: 1621.3, airtimeAwareMs: 1051.3 }],
      sweep: [],
      loss: [{ ...row('full, 5 % loss', 230.8, 1499.7, 10), packetLossRate: 0.05 }],
      crowding: [{ devices: 8, allReconnectedMs: 900.1, meanReconnectMs: 680.5, skippedEvents: 78 }],
    };
    const text = renderBenchReport({ ...base, scenarios, link }, plainStyle);
    for (const line of text.split('\n')) assert.ok([...line].length <= 80, `too long: ${line}`);
    assert.match(text, /^pqble resumed\s+530\s+95\s+625\s+326$/m);
    assert.match(text, /^resumed, GATT discovery\s+531\s+64\s+595$/m);
    assert.match(text, /^resumed, cached GATT\s+231\s+64\s+295$/m);
    assert.match(text, /^LE Coded 125 kbit\/s\s+30 ms\s+247\s+1,621\s+1,051$/m);
    assert.match(text, /^full, 5 % loss\s+5%\s+1,731\s+10$/m);
    assert.match(text, /^\s+8\s+900\s+681\s+78$/m);
  });

  it('copes with a report without the reference scenario or optional parts', () => {
    const report = benchFixture({
      scenarios: benchFixture().scenarios.filter((s) => s.kind !== 'resumed'),
      phys: [],
      goodput: undefined,
      cache: undefined,
      ratios: {},
      notes: [],
    });
    assert.equal(referenceScenario(report), undefined);
    const text = renderBenchReport(report, plainStyle);
    assert.match(text, /^pqble full\s.* –\s+–$/m);
    assertWellFormedXml(renderBenchChart(report), 'svg');
  });

  it('the chart is well-formed SVG with two labelled panels and a value on every bar', () => {
    const report = benchFixture();
    const svg = renderBenchChart(report);
    assertWellFormedXml(svg, 'svg');
    assert.match(svg, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /Reconnect time/);
    assert.match(svg, /Bytes on air/);
    assert.match(svg, /milliseconds on the simulated radio/);
    assert.match(svg, /bytes on air, BLE link-layer overhead included/);
    assert.equal(svg.match(/<rect [^>]*height="18"/g)?.length, report.scenarios.length * 2);
    assert.ok(svg.includes('>95 ms<'));
    assert.ok(svg.includes('>110 B<'));
    assert.ok(svg.includes('>10,812 B<'));
  });
});

describe('SVG chart renderer', () => {
  it('escapes text and stays well-formed for any labels', () => {
    assert.equal(escapeXml(`<a & "b" 'c'>`), '&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;');
    fc.assert(
      fc.property(
        fc.array(fc.record({ label: fc.string(), value: fc.double({ min: 0, max: 1e9, noNaN: true }) }), { minLength: 1, maxLength: 8 }),
        fc.string(),
        (bars, title) => {
          const svg = renderBarChart({
            title,
            panels: [{ title, axisLabel: title, tickFormat: String, bars: bars.map((b) => ({ ...b, valueText: b.label, color: '#000' })) }],
          });
          // Lone surrogates and control characters are not valid XML characters; the checker only sees the syntax.
          assertWellFormedXml(svg, 'svg');
        },
      ),
      fuzz(50),
    );
  });

  it('bars are proportional to their values on a 0-based axis', () => {
    const svg = renderBarChart({
      title: 't',
      width: 960,
      panels: [
        {
          title: 'p',
          axisLabel: 'x',
          tickFormat: String,
          bars: [
            { label: 'a', value: 50, valueText: '50', color: '#111' },
            { label: 'b', value: 100, valueText: '100', color: '#222' },
          ],
        },
      ],
    });
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="18"/g)].map((m) => Number(m[1]));
    assert.equal(widths.length, 2);
    assert.ok(Math.abs(widths[1] / widths[0] - 2) < 0.01, String(widths));
  });

  it('nice ticks start at 0 and cover the maximum in steps of 1, 2 or 5', () => {
    assert.deepEqual(niceTicks(1034), [0, 200, 400, 600, 800, 1000, 1200]);
    assert.deepEqual(niceTicks(100), [0, 20, 40, 60, 80, 100]);
    assert.deepEqual(niceTicks(0), [0, 1]);
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e12, noNaN: true }), (max) => {
        const ticks = niceTicks(max);
        assert.equal(ticks[0], 0);
        assert.ok(ticks.at(-1)! >= max);
        assert.ok(ticks.length >= 2 && ticks.length <= 12, String(ticks.length));
      }),
    );
  });
});

describe('received messages', () => {
  it('are printed without terminal control sequences', () => {
    assert.equal(printable(new TextEncoder().encode('hi \x1b[2J\x07there\tok')), 'hi \ufffd[2J\ufffdthere\tok');
    assert.equal(printable(new TextEncoder().encode('line\r\nnext')), 'line\ufffd\nnext');
    assert.equal(printable(Uint8Array.of(0xff, 0x41)), '\ufffdA');
  });
});
