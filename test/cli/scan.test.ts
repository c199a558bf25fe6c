/**
 * `pqble scan` in-process against the noble/bleno fakes (test/adapters/fakes): the table and
 * the JSON document list the pqble peripherals advertising (strongest first, others filtered
 * out), `--timeout-ms` bounds the scan, bad options are usage errors, and without a radio
 * the dispatcher fails with one line (and, under --json, a JSON error on stdout).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBlenoPeripheral } from '../../src/adapters/bleno.js';
import { createNobleCentral } from '../../src/adapters/noble.js';
import { runCli as dispatch } from '../../src/cli/run.js';
import { run, type ScanJson } from '../../src/cli/scan.js';
import type { CliContext } from '../../src/cli/context.js';
import { plainStyle } from '../../src/cli/format.js';
import { UsageError } from '../../src/cli/args.js';
import { FakeAir } from '../adapters/fakes/index.js';
import { runInProcess } from './helpers.js';

function context(): { ctx: CliContext; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    stdin: process.stdin,
    env: {},
    style: plainStyle,
    errStyle: plainStyle,
    signal: new AbortController().signal,
    now: () => Date.now(),
  };
  return { ctx, out, err };
}

describe('pqble scan (fake radio)', () => {
  const air = new FakeAir();
  const blenos = [air.createBleno(), air.createBleno()];
  let peripherals: { close(): Promise<void> }[] = [];
  before(async () => {
    peripherals = await Promise.all(blenos.map((bleno, i) => createBlenoPeripheral({ bleno, name: `sensor-${i}` })));
    air.rssiOf.set(blenos[0].address, -70);
    air.rssiOf.set(blenos[1].address, -40);
    const other = air.createBleno();
    other.on('stateChange', () => undefined);
    other.startAdvertising('heart-rate', ['180d']);
  });
  after(async () => {
    await Promise.all(peripherals.map((p) => p.close()));
  });
  const deps = { createCentral: (o: Parameters<typeof createNobleCentral>[0]) => createNobleCentral({ ...o, noble: air.createNoble() }) };

  it('--json lists the pqble peripherals, strongest first, with address, RSSI, name and time', async () => {
    const { ctx, out, err } = context();
    const before = Date.now();
    assert.equal(await run(['--timeout-ms', '200', '--json'], ctx, deps), 0);
    const doc = JSON.parse(out.join('')) as ScanJson;
    assert.equal(doc.durationMs, 200);
    assert.deepEqual(
      doc.devices.map((d) => [d.name, d.rssi, d.address]),
      [
        ['sensor-1', -40, blenos[1].address.toLowerCase()],
        ['sensor-0', -70, blenos[0].address.toLowerCase()],
      ],
    );
    for (const d of doc.devices) {
      assert.equal(d.deviceId, d.address.replace(/:/g, ''));
      const seen = Date.parse(d.lastSeen);
      assert.ok(seen >= before - 5 && seen <= Date.now(), d.lastSeen);
    }
    assert.deepEqual(err, [], 'nothing on stderr under --json');
  });

  it('prints a table by default', async () => {
    const { ctx, out, err } = context();
    assert.equal(await run(['--timeout-ms', '200'], ctx, deps), 0);
    const lines = out.join('').trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ADDRESS\s+RSSI\s+NAME\s+LAST SEEN$/);
    assert.match(lines[2] ?? '', new RegExp(`^${blenos[1].address.toLowerCase()}\\s+-40 dBm\\s+sensor-1\\s+\\d+ s ago$`));
    assert.match(lines[3] ?? '', /sensor-0/);
    assert.equal(lines.length, 4);
    assert.deepEqual(err, ['scanning for 200 ms ...\n']);
  });

  it('says so when nothing advertises', async () => {
    const empty = new FakeAir();
    const { ctx, out } = context();
    assert.equal(await run(['--timeout-ms', '100'], ctx, { createCentral: (o) => createNobleCentral({ ...o, noble: empty.createNoble() }) }), 0);
    assert.equal(out.join(''), 'no pqble peripheral seen\n');
  });

  it('refuses a bad --timeout-ms as a usage error', async () => {
    for (const v of ['0', '99', 'soon', '600001']) {
      const { ctx } = context();
      await assert.rejects(run(['--timeout-ms', v], ctx, deps), UsageError);
    }
    const { ctx, out } = context();
    assert.equal(await dispatch(['scan', '--timeout-ms', 'x', '--json'], ctx), 2);
    assert.deepEqual(JSON.parse(out.join('')), {
      error: { code: 'PQBLE_ERR_USAGE', message: "--timeout-ms must be a whole number from 100 to 600000, got 'x'" },
    });
  });
});

describe('pqble scan without a radio', () => {
  it('fails with one line, exit 1; under --json the error is also a JSON document on stdout', async () => {
    const plain = await runInProcess(['scan', '--timeout-ms', '100'], { timeoutMs: 15_000 });
    assert.equal(plain.status, 1, plain.stderr);
    assert.equal(plain.stdout, '');
    assert.equal(plain.stderrLines.length, 1, plain.stderr);
    assert.match(plain.stderrLines[0], /^pqble: radio unavailable \(.+\)$/);
    const json = await runInProcess(['scan', '--json', '--timeout-ms', '100'], { timeoutMs: 15_000 });
    assert.equal(json.status, 1);
    const doc = JSON.parse(json.stdout) as { error: { code: string; message: string } };
    assert.equal(doc.error.code, 'PQBLE_ERR_RADIO_UNAVAILABLE');
    assert.equal(`pqble: ${doc.error.message}`, json.stderrLines[0]);
  });
});
