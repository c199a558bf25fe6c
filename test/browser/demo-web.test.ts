// The browser demo in a real browser (docs/web.md): the page is bundled from the sources
// (as `npm run build` does), written to a folder and served from it by the server of
// `pqble demo --web`; Debian's Chromium loads it through playwright-core, the demo runs in
// the page, and the test checks the DOM against `pqble demo`'s own figures (run in Node),
// that the page fetched nothing but its own files, and the screenshot's size and colours.
// Skips with one line when /usr/bin/chromium is absent (.ci/run installs it).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { runDemo, type DemoReport } from '../../src/demo/scenario.js';
import { bundleWebPage } from '../../src/web/bundle.js';
import { readPageFiles } from '../../src/web/page-files.js';
import { startPageServer, type PageServer } from '../../src/web/server.js';
import { COLOR_TO_CENTRAL, COLOR_TO_PERIPHERAL, TIMELINE_HEIGHT, TIMELINE_WIDTH } from '../../src/web/timeline-svg.js';
import { ROOT } from '../cli/helpers.js';
import { countColor, decodePng, distinctColors } from './png.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1000, height: 1100 };
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium); the browser demo test is skipped`;

/** The part of a DOM element the page callbacks read (the test's types have no DOM library). */
interface DomElement {
  readonly textContent: string | null;
  readonly dataset: Readonly<Record<string, string | undefined>>;
  readonly clientWidth: number;
  readonly clientHeight: number;
  querySelectorAll(selector: string): ArrayLike<DomElement> & Iterable<DomElement>;
}

interface PageRow {
  step: string;
  connectionType: string;
  bytesOnAirToPeripheral: number;
  bytesOnAirToCentral: number;
  roundTrips: number;
  airtimeMs: number;
  timeToFirstMessageMs: number;
}

describe('the browser demo in headless Chromium', { skip }, () => {
  let dir = '';
  let server: PageServer | undefined;
  let browser: BrowserContext | undefined;
  let profile = '';
  let node: DemoReport;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pqble-web-page-'));
    for (const f of await bundleWebPage(ROOT)) writeFileSync(join(dir, f.name), f.body);
    server = await startPageServer({ files: await readPageFiles(dir) });
    node = await runDemo();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    if (profile !== '') rmSync(profile, { recursive: true, force: true });
  });

  it('runs the first connect and the resumed reconnect in the page, with the Node demo figures, and draws them', async (t) => {
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'pqble-chromium-'));
    // A fresh profile folder for this run (launchPersistentContext passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, viewport: VIEWPORT, timeout: 30_000 });
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => requests.push(r.url()));
    const url = server!.url;
    await page.goto(url, { timeout: 15_000 });
    await page.waitForSelector('#status[data-state="done"], #status[data-state="failed"]', { timeout: 30_000 });
    const status = (await page.textContent('#status')) ?? '';
    assert.equal(await page.getAttribute('#status', 'data-state'), 'done', status);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith(url)),
      [],
      'the page loads nothing but its own files',
    );
    assert.deepEqual(requests.map((u) => u.slice(url.length)).sort(), ['', 'app.js', 'style.css']);

    // The table, read as the user sees it.
    const rows = await page.$$eval('#figures tbody tr', (trs: unknown[]) =>
      (trs as DomElement[]).map(
        (tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.field ?? '', td.textContent ?? ''])) as Record<string, string>,
      ),
    );
    const num = (s: string | undefined): number => Number((s ?? '').replace(/,/g, ''));
    const parsed: PageRow[] = rows.map((r) => ({
      step: r.step ?? '',
      connectionType: r.connectionType ?? '',
      bytesOnAirToPeripheral: num(r.bytesOnAirToPeripheral),
      bytesOnAirToCentral: num(r.bytesOnAirToCentral),
      roundTrips: num(r.roundTrips),
      airtimeMs: num(r.airtimeMs),
      timeToFirstMessageMs: num(r.timeToFirstMessageMs),
    }));
    assert.deepEqual(
      parsed.map((r) => [r.step, r.connectionType]),
      [
        ['first connect', 'full'],
        ['reconnect', 'resumed'],
      ],
    );
    // Same radio, same seed, same steps: the browser moves exactly the bytes `pqble demo` reports.
    for (const [i, row] of parsed.entries()) {
      const n = node.steps[i];
      assert.equal(n.step, row.step);
      assert.equal(row.bytesOnAirToPeripheral, n.bytesOnAirToPeripheral, `${row.step}: bytes on air to the sensor`);
      assert.equal(row.bytesOnAirToCentral, n.bytesOnAirToCentral, `${row.step}: bytes on air to the hub`);
      assert.equal(row.roundTrips, n.roundTrips);
      assert.equal(row.airtimeMs, Math.round(n.airtimeMs));
      assert.equal(row.timeToFirstMessageMs, Math.round(n.timeToFirstMessageMs));
    }
    const [first, again] = parsed;
    const total = (r: PageRow): number => r.bytesOnAirToPeripheral + r.bytesOnAirToCentral;
    assert.ok(total(first) > 10_000, `the full handshake moves the ~13 KB of keys and signatures (${total(first)})`);
    assert.ok(total(first) > 20 * total(again), `the resumed setup moves far fewer bytes (${total(again)} vs ${total(first)})`);

    // Two timelines, one bar per packet, both directions present in each.
    const svgs = await page.$$eval('#timelines svg', (els: unknown[]) =>
      (els as DomElement[]).map((s) => ({
        toSensor: s.querySelectorAll('rect.packet.to-sensor').length,
        toHub: s.querySelectorAll('rect.packet.to-hub').length,
        width: s.clientWidth,
        height: s.clientHeight,
      })),
    );
    assert.equal(svgs.length, 2);
    for (const s of svgs) {
      assert.ok(s.toSensor > 0 && s.toHub > 0, JSON.stringify(s));
      assert.deepEqual([s.width, s.height], [TIMELINE_WIDTH, TIMELINE_HEIGHT], 'drawn at its own size');
    }
    assert.ok(svgs[0].toSensor + svgs[0].toHub > 40, 'the full handshake is dozens of packets');
    assert.ok(svgs[1].toSensor + svgs[1].toHub < 20, 'the resumed reconnect is a handful');

    // The screenshot: the viewport's size, not blank, the timeline colours where the timelines are.
    const png = await page.screenshot({ type: 'png' });
    const image = decodePng(new Uint8Array(png));
    assert.deepEqual([image.width, image.height], [VIEWPORT.width, VIEWPORT.height]);
    assert.ok(distinctColors(image) > 20, 'the screenshot is not blank');
    const blue = countColor(image, COLOR_TO_PERIPHERAL);
    const orange = countColor(image, COLOR_TO_CENTRAL);
    assert.ok(blue > 2_000, `hub-to-sensor colour on screen: ${blue} pixels`);
    assert.ok(orange > 2_000, `sensor-to-hub colour on screen: ${orange} pixels`);
    const out = join(dir, 'screenshot.png');
    writeFileSync(out, png);
    const app = (await readPageFiles(dir)).find((f) => f.name === 'app.js')!;
    t.diagnostic(`page bundle app.js: ${app.body.length} bytes minified, ${gzipSync(app.body).length} bytes gzipped; ${status}`);
  });
});
