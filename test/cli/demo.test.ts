// `pqble demo` driven in process (helpers.ts runInProcess): the --json document's shape (docs/cli.md), the text
// table, options reaching the simulated radio, and --realtime progress on stderr.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInProcess } from './helpers.js';

interface DemoJson {
  phy: string;
  connectionIntervalMs: number;
  realtime: boolean;
  hubFingerprint: string;
  sensorFingerprint: string;
  messagesPerStep: number;
  steps: {
    step: string;
    description: string;
    connectionType: string;
    fellBack: boolean;
    bytesOnAirToPeripheral: number;
    bytesOnAirToCentral: number;
    setupPayloadBytes: number;
    roundTrips: number;
    airtimeMs: number;
    timeToFirstMessageMs: number;
    cpuMsCentral: number;
    cpuMsPeripheral: number;
  }[];
  summary: { comparedStep: string | null; bytesOnAirRatio: number | null; timeToFirstMessageRatio: number | null };
}

const NUMBER_FIELDS = [
  'bytesOnAirToPeripheral',
  'bytesOnAirToCentral',
  'setupPayloadBytes',
  'roundTrips',
  'airtimeMs',
  'timeToFirstMessageMs',
  'cpuMsCentral',
  'cpuMsPeripheral',
] as const;

describe('pqble demo', () => {
  it('--json prints one document of the documented shape', async () => {
    const r = await runInProcess(['demo', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress output when stderr is not a terminal');
    const doc = JSON.parse(r.stdout) as DemoJson;
    assert.deepEqual(Object.keys(doc).sort(), [
      'connectionIntervalMs',
      'hubFingerprint',
      'messagesPerStep',
      'phy',
      'realtime',
      'sensorFingerprint',
      'steps',
      'summary',
    ]);
    assert.equal(doc.phy, 'coded');
    assert.equal(doc.connectionIntervalMs, 30);
    assert.equal(doc.realtime, false);
    assert.match(doc.hubFingerprint, /^[0-9a-f]{64}$/);
    assert.match(doc.sensorFingerprint, /^[0-9a-f]{64}$/);
    assert.notEqual(doc.hubFingerprint, doc.sensorFingerprint);
    assert.equal(typeof doc.messagesPerStep, 'number');

    assert.deepEqual(
      doc.steps.map((s) => [s.connectionType, s.fellBack]),
      [
        ['full-handshake', false],
        ['resumed', false],
        ['resumed', false],
        ['full-handshake', true],
      ],
    );
    for (const s of doc.steps) {
      assert.equal(typeof s.step, 'string');
      assert.ok(s.description.length > 10);
      for (const f of NUMBER_FIELDS) assert.ok(Number.isFinite(s[f]) && s[f] >= 0, `${s.step}.${f} = ${s[f]}`);
    }
    const [first, reconnect] = doc.steps;
    assert.equal(reconnect.roundTrips, 1);
    const onAir = (s: typeof first): number => s.bytesOnAirToPeripheral + s.bytesOnAirToCentral;
    assert.ok(onAir(reconnect) < onAir(first));
    assert.equal(doc.summary.comparedStep, reconnect.step);
    assert.ok(Math.abs(doc.summary.bytesOnAirRatio! - onAir(first) / onAir(reconnect)) < 1e-9);
    assert.ok(Math.abs(doc.summary.timeToFirstMessageRatio! - first.timeToFirstMessageMs / reconnect.timeToFirstMessageMs) < 1e-9);
  });

  it('prints the story as a table in 80 columns with the reconnect summary, no colour when piped', async () => {
    const r = await runInProcess(['demo'], { env: { NO_COLOR: '' } });
    assert.equal(r.status, 0, r.stderr);
    for (const line of r.stdout.split('\n')) assert.ok([...line].length <= 80, `too long: ${line}`);
    assert.ok(!r.stdout.includes('\x1b['), 'no ANSI codes when stdout is not a terminal');
    assert.match(r.stdout, /^first connect\s+full\s+[\d,]+\s+[\d,]+\s+2\s/m);
    assert.match(r.stdout, /^reconnect\s+resumed\s+\d+\s+\d+\s+1\s/m);
    assert.match(r.stdout, /^sensor lost its cache\s+fallback\s/m);
    assert.match(r.stdout, /reconnect: [\d,]+x fewer bytes on air and [\d.,]+x faster than the first connect/);
  });

  it('passes --phy and --interval-ms to the radio; --realtime reports progress on stderr', async () => {
    const r = await runInProcess(['demo', '--json', '--realtime', '--phy', '2m', '--interval-ms', '7.5']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as DemoJson;
    assert.equal(doc.phy, '2m');
    assert.equal(doc.connectionIntervalMs, 7.5);
    assert.equal(doc.realtime, true);
    assert.equal(doc.steps[1].connectionType, 'resumed');
    // Not a terminal: plain lines, a start and an end line per step, no cursor control.
    assert.ok(!r.stderr.includes('\r') && !r.stderr.includes('\x1b['));
    assert.equal(r.stderrLines.length, 2 * doc.steps.length, r.stderr);
    assert.match(r.stderrLines[0], /^\[1\/4\] first connect \.\.\.$/);
    assert.match(r.stderrLines[1], /^✓ \[1\/4\] first connect {2}done in \d+\.\d s$/);
  });
});
