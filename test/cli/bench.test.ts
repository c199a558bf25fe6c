// `pqble bench --quick` through the built tool: the --json document is the BenchReport
// (bench/types.ts, docs/cli.md), the table names every scenario, and --chart writes a
// well-formed SVG. One quick run takes several seconds, so the run is shared by the tests.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BenchReport } from '../../bench/types.js';
import { scenarioLabel } from '../../bench/cli/bench-view.js';
import { defaultCrypto, nodeCryptoSupport } from '../../src/crypto/index.js';
import { assertWellFormedXml, requireBuilt, runCli, tempDir, type CliRun } from './helpers.js';

const tmp = tempDir();
let run: CliRun;
let report: BenchReport;
const chart = join(tmp.dir, 'bench.svg');

before(() => {
  requireBuilt();
  run = runCli(['bench', '--quick', '--json', '--chart', chart], { timeoutMs: 50_000 });
  report = JSON.parse(run.stdout) as BenchReport;
});
after(() => tmp.remove());

describe('pqble bench --quick', () => {
  it('--json prints the benchmark report', () => {
    assert.equal(run.status, 0, run.stderr);
    assert.equal(report.quick, true);
    assert.equal(report.phy, 'coded');
    assert.equal(typeof report.connectionIntervalMs, 'number');
    assert.ok(!Number.isNaN(Date.parse(report.date)));
    assert.equal(report.node, process.version);
    assert.equal(report.cryptoBackend, defaultCrypto().name);
    assert.ok(Array.isArray(report.phys) && Array.isArray(report.notes));
    assert.equal(typeof report.ratios, 'object');
    const kinds = report.scenarios.map((s) => `${s.group}/${s.kind}`);
    for (const k of [
      'pqble/full-cold',
      'pqble/full',
      'pqble/resumed',
      'pqble/resumed-psk',
      'pqble/resumed-from-disk',
      'pqble/fallback',
      'tls13/full-cold',
      'tls13/full',
      'tls13/resumed-psk_dhe_ke',
      'tls13/resumed-psk_ke',
    ]) {
      assert.ok(kinds.includes(k), k);
    }
    assert.equal(report.energyProfile.supplyVolts, 3);
    for (const s of report.scenarios) {
      const fields = [
        'bytesOnAirToPeripheral',
        'bytesOnAirToCentral',
        'payloadBytes',
        'roundTrips',
        'timeToFirstMessageMs',
        'cpuMsCentral',
        'cpuMsPeripheral',
        'cpuSamples',
        'connectionEstablishmentMs',
        'airtimeToPeripheralMs',
        'airtimeToCentralMs',
      ] as const;
      for (const f of fields) assert.ok(Number.isFinite(s[f]) && s[f] >= 0, `${s.name}.${f}`);
      assert.ok(s.kind === 'full-cold' ? s.cpuSamples === 1 : s.cpuSamples >= 5, `${s.name}: ${s.cpuSamples} CPU samples`);
      assert.ok(s.radioEnergyMicrojoules.central > 0 && s.radioEnergyMicrojoules.peripheral > 0, `${s.name} energy`);
      if (s.group !== 'pqble') assert.equal(typeof s.tlsHello?.serverKeyShare, 'boolean', s.name);
    }
    const find = (group: string, kind: string) => report.scenarios.find((s) => s.group === group && s.kind === kind)!;
    assert.ok(find('tls13', 'resumed-psk_ke').payloadBytes < find('tls13', 'resumed-psk_dhe_ke').payloadBytes);
    assert.ok(find('pqble', 'resumed-psk').payloadBytes < find('pqble', 'resumed').payloadBytes);
  });

  it('shows a progress report on stderr and says where the chart went', () => {
    assert.ok(run.stderrLines.length >= 2, run.stderr);
    assert.ok(
      run.stderrLines.every((l) => l.startsWith('bench: ') || l.startsWith('chart written to ')),
      run.stderr,
    );
    assert.equal(run.stderrLines.at(-1), `chart written to ${chart}`);
  });

  it('--chart writes a well-formed SVG with both panels and every scenario', () => {
    assert.ok(existsSync(chart));
    const svg = readFileSync(chart, 'utf8');
    assertWellFormedXml(svg, 'svg');
    assert.match(svg, /Reconnect time/);
    assert.match(svg, /Bytes on air/);
    for (const s of report.scenarios) assert.equal(svg.split(`>${scenarioLabel(s)}<`).length - 1, 2, scenarioLabel(s));
  });

  it('--crypto takes auto, noble or node; a bad name, or node without native ML-KEM/ML-DSA, fails before the run', () => {
    const bad = runCli(['bench', '--quick', '--crypto', 'openssl']);
    assert.equal(bad.status, 2);
    assert.deepEqual(bad.stderrLines, ["pqble: --crypto must be one of auto, noble, node, got 'openssl'"]);
    if (!nodeCryptoSupport().available) {
      const r = runCli(['bench', '--quick', '--crypto', 'node']);
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderrLines.length, 1, r.stderr);
      assert.match(r.stderrLines[0], /^pqble: crypto backend "node" is not available: node:crypto on Node /);
    }
  });

  it('a chart path in a missing folder fails before the run, with one line', () => {
    const r = runCli(['bench', '--quick', '--chart', join(tmp.dir, 'no', 'such', 'dir', 'c.svg')]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderrLines.length, 1, r.stderr);
    assert.match(r.stderrLines[0], /^pqble: cannot write the chart to .*c\.svg: ENOENT$/);
  });
});
