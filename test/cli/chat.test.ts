// `pqble peripheral` and `pqble central` driven in process (helpers.ts runInProcess). This
// machine has no usable Bluetooth adapter, so both must fail quickly with one line, `pqble:
// radio unavailable (...)`, exit 1, and leave stdout clean (the radio libraries' own chatter is
// held back). The case of a radio library that is not installed runs the built tool, since
// hiding a package needs a loader hook from the process start.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { ROOT, requireBuilt, runCli, runInProcess, tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.remove());

describe('pqble peripheral / central without a radio', () => {
  const cases: [string, string[]][] = [
    ['peripheral', ['peripheral', '--name', 'sensor']],
    ['central', ['central', '--device', 'AA:BB:CC:DD:EE:FF']],
  ];
  for (const [title, args] of cases) {
    it(`${title} fails quickly: radio unavailable, exit 1`, async () => {
      const started = performance.now();
      const r = await runInProcess(args, { timeoutMs: 15_000 });
      const elapsed = performance.now() - started;
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderrLines.length, 1, r.stderr);
      assert.match(r.stderrLines[0], /^pqble: radio unavailable \(.+\)$/);
      assert.ok(elapsed < 10_000, `took ${Math.round(elapsed)} ms`);
    });
  }

  it('without the radio library installed, says in full which package to install (central: noble, peripheral: bleno)', () => {
    requireBuilt();
    const hide = pathToFileURL(join(ROOT, 'test/adapters/fixtures/hide-ble-libraries.mjs')).href;
    for (const [args, pkg] of [
      [['central', '--device', 'aa:bb:cc:dd:ee:ff'], '@stoprocent/noble'],
      [['peripheral'], '@stoprocent/bleno'],
    ] as const) {
      const r = runCli(args, { timeoutMs: 15_000, env: { NODE_OPTIONS: `--import ${hide}` } });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderrLines.length, 1, r.stderr);
      const line = r.stderrLines[0];
      assert.ok(line.startsWith(`pqble: radio unavailable (could not load ${pkg}: it is not installed.`), line);
      assert.ok(line.includes(`run \`npm install ${pkg}\``), line);
      assert.ok(line.endsWith('"Installing the radio libraries")'), `cut off: ${line}`);
      assert.doesNotMatch(line, /poweredOff|rebuild/);
    }
  });

  it('loads --identity before touching the radio (a bad identity file is reported first)', async () => {
    const r = await runInProcess(['central', '--device', 'aa:bb:cc:dd:ee:ff', '--identity', join(tmp.dir, 'none.json')]);
    assert.equal(r.status, 1);
    assert.equal(r.stderrLines.length, 1);
    assert.match(r.stderrLines[0], /^pqble: identity file .*none\.json/);
  });

  it('uses a given identity file and still fails cleanly without a radio', async () => {
    const key = join(tmp.dir, 'id.json');
    assert.equal((await runInProcess(['identity', 'new', '--path', key])).status, 0);
    const r = await runInProcess(['peripheral', '--identity', key, '--sessions', join(tmp.dir, 's.json')]);
    assert.equal(r.status, 1);
    assert.match(r.stderrLines.at(-1)!, /^pqble: radio unavailable/);
    assert.equal(r.stderrLines.length, 1, r.stderr);
  });

  it("takes the library's session cache options, and refuses bad values with exit 2 before touching the radio", async () => {
    const bad: [string, string][] = [
      ['--max-sessions', '0'],
      ['--session-hours', 'soon'],
      ['--cleanup-minutes', 'never'],
    ];
    for (const [flag, value] of bad) {
      const r = await runInProcess(['central', '--device', 'aa:bb:cc:dd:ee:ff', flag, value]);
      assert.equal(r.status, 2, `${flag} ${value}: ${r.stderr}`);
      assert.equal(r.stderrLines.length, 1);
      assert.match(r.stderrLines[0], new RegExp(`^pqble: ${flag}`));
    }
    const ok = await runInProcess(['peripheral', '--session-hours', '2', '--max-sessions', '10', '--cleanup-minutes', '0'], { timeoutMs: 15_000 });
    assert.equal(ok.status, 1, ok.stderr);
    assert.match(ok.stderrLines[0], /^pqble: radio unavailable/);
  });
});
