// Test helpers for the CLI tests: build dist/ when it is missing or older than src/, run the
// BUILT tool as a subprocess, temp folders, a benchmark-report fixture, and a small XML
// well-formedness check for the SVG chart.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../../src/bench/types.js';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The built entry point the tests run. */
export const CLI = join(ROOT, 'dist/cli/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Removes what tsc emitted for a source that no longer exists (a file moved or deleted since
 * the last build), so a rebuilt dist/ holds what a clean `npm run build` would. The page
 * bundle under dist/web/page comes from a script of its own and is left alone.
 */
function pruneStaleOutputs(dir: string, rel = ''): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (relPath !== 'web/page') pruneStaleOutputs(path, relPath);
      continue;
    }
    const match = /^(.*)\.(?:js|d\.ts)(?:\.map)?$/.exec(relPath);
    if (match !== null && !existsSync(join(ROOT, 'src', `${match[1]}.ts`))) rmSync(path, { force: true });
  }
}

/**
 * Runs `tsc -p tsconfig.build.json` if dist/cli/main.js is missing or older than any file in
 * src/. Test files run in parallel, so the build holds a lock folder; a waiting process
 * re-checks after the holder is done. Type errors elsewhere do not stop tsc from emitting.
 */
export function ensureBuilt(): void {
  const lock = join(ROOT, 'dist', '.cli-test-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (mtime(CLI) >= newestMtime(join(ROOT, 'src'))) return;
    try {
      mkdirSync(lock);
    } catch {
      // Another test process is building; a lock older than 2 minutes is stale.
      if (Date.now() - mtime(lock) > 120_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another build of dist/');
      spawnSync(process.execPath, ['-e', 'setTimeout(() => {}, 200)']);
      continue;
    }
    try {
      if (mtime(CLI) >= newestMtime(join(ROOT, 'src'))) return;
      spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
      if (mtime(CLI) === 0) throw new Error('the build did not produce dist/cli/main.js');
      pruneStaleOutputs(join(ROOT, 'dist'));
      return;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** What one run of the tool gave. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stderr split into non-empty lines. */
  readonly stderrLines: string[];
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  readonly cwd?: string;
  readonly input?: string;
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** Runs `node dist/cli/main.js ...args` and collects its output. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): CliRun {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  delete env.PQBLE_DEBUG;
  delete env.FORCE_COLOR;
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input ?? '',
    env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
  });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, stderrLines: r.stderr.split('\n').filter((l) => l !== '') };
}

/** A fresh temp folder; remove it with the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pqble-cli-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A plausible benchmark report (figures of the right order, not measured). */
export function benchFixture(overrides: Partial<BenchReport> = {}): BenchReport {
  const scenario = (
    name: string,
    group: BenchReport['scenarios'][number]['group'],
    kind: BenchReport['scenarios'][number]['kind'],
    toP: number,
    toC: number,
    rt: number,
    ms: number,
    cpu: number,
  ): BenchReport['scenarios'][number] => ({
    name,
    group,
    kind,
    bytesOnAirToPeripheral: toP,
    bytesOnAirToCentral: toC,
    payloadBytes: Math.round((toP + toC) * 0.8),
    roundTrips: rt,
    timeToFirstMessageMs: ms,
    cpuMsCentral: cpu,
    cpuMsPeripheral: cpu * 0.9,
    cpuSamples: 5,
    connectionEstablishmentMs: 530,
    reconnectMs: 530 + ms,
    gattDatabase: 'discovered',
    airtimeToPeripheralMs: toP / 16,
    airtimeToCentralMs: toC / 16,
    radioEnergyMicrojoules: { central: (toP * 4.8 + toC * 4.6) * 3 / 16, peripheral: (toC * 4.8 + toP * 4.6) * 3 / 16 },
  });
  return {
    date: '2026-01-24T12:00:00.000Z',
    node: 'v20.20.2',
    cryptoBackend: 'noble',
    quick: true,
    phy: 'coded',
    connectionIntervalMs: 30,
    energyProfile: { name: 'nRF52840, 3 V, DC/DC', supplyVolts: 3, txMilliamps: 4.8, rxMilliamps: 4.6 },
    scenarios: [
      scenario('pqble full handshake', 'pqble', 'full', 4210, 6602, 2, 1034, 12.1),
      scenario('pqble full handshake, key pinned', 'pqble', 'full-pinned', 2290, 4680, 2, 702, 11.8),
      scenario('pqble resumed', 'pqble', 'resumed', 58, 52, 1, 95, 0.21),
      scenario('pqble resumed from disk', 'pqble', 'resumed-from-disk', 58, 52, 1, 96, 0.22),
      scenario('pqble fallback', 'pqble', 'fallback', 4290, 6680, 3, 1130, 12.4),
      scenario('TLS 1.3 full handshake', 'tls13', 'full', 1320, 3980, 2, 620, 3.1),
      scenario('TLS 1.3 ticket resumption (psk_dhe_ke)', 'tls13', 'resumed-psk_dhe_ke', 540, 327, 2, 180, 0.9),
    ],
    phys: [
      { phy: 'coded', fullHandshakeMs: 1034, fullHandshakePinnedMs: 702, resumedMs: 95 },
      { phy: '1m', fullHandshakeMs: 180, fullHandshakePinnedMs: 130, resumedMs: 61 },
      { phy: '2m', fullHandshakeMs: 120, fullHandshakePinnedMs: 95, resumedMs: 60 },
    ],
    goodput: {
      messageBytes: 10_000,
      messages: 20,
      attMtu: 247,
      goodputBytesPerSecond: 11_400,
      linkPayloadBytesPerSecond: 12_900,
      linkPacketBytes: 244,
      percentOfLinkCapacity: 88.4,
      framingOnlyPercent: { compact: 97.1, sequence16: 95.0 },
    },
    cache: { entries: 100_000, lookupNsPerOp: 120, touchNsPerOp: 180, insertWithEvictionNsPerOp: 950, saveMs: 380, loadMs: 420, fileBytes: 27_500_000, bytesPerEntry: 275 },
    ratios: { 'resumed vs full, bytes on air': 98.3, 'resumed vs full, time to first message': 10.9, 'TLS 1.3 resumption vs pqble resumed, bytes': 7.9 },
    notes: ['PQ TLS 1.3 not measured: this Node has no ML-KEM key exchange in TLS (Node >= 24 needed).'],
    ...overrides,
  };
}

/**
 * Checks that `xml` is well-formed enough for a browser: one root element named `root`,
 * properly nested and closed tags, quoted unique attributes, only the predefined or numeric
 * entities, no stray `<`. Throws an Error describing the first problem.
 */
export function assertWellFormedXml(xml: string, root: string): void {
  let i = 0;
  const stack: string[] = [];
  let roots = 0;
  const NAME = /^[A-Za-z_:][-A-Za-z0-9_.:]*/;
  const checkText = (text: string, at: number): void => {
    if (text.includes('<')) throw new Error(`stray '<' at ${at}`);
    for (const m of text.matchAll(/&([^;\s]*);?/g)) {
      if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(m[0])) throw new Error(`bad entity '${m[0]}' at ${at}`);
    }
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root element at ${i}`);
    checkText(text, i);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error(`unterminated tag at ${lt}`);
    let tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open ?? 'nothing'}> at ${lt}`);
    } else {
      const selfClosing = tag.endsWith('/');
      if (selfClosing) tag = tag.slice(0, -1);
      const name = NAME.exec(tag)?.[0];
      if (name === undefined) throw new Error(`bad tag name at ${lt}`);
      let rest = tag.slice(name.length);
      const seen = new Set<string>();
      while (rest.trim() !== '') {
        const m = /^\s+([A-Za-z_:][-A-Za-z0-9_.:]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(rest);
        if (m === null) throw new Error(`bad attribute syntax in <${name}> at ${lt}: '${rest.slice(0, 30)}'`);
        if (seen.has(m[1])) throw new Error(`duplicate attribute ${m[1]} in <${name}> at ${lt}`);
        seen.add(m[1]);
        checkText(m[3] ?? m[4] ?? '', lt);
        rest = rest.slice(m[0].length);
      }
      if (stack.length === 0) {
        roots++;
        if (name !== root) throw new Error(`root element is <${name}>, expected <${root}>`);
      }
      if (!selfClosing) stack.push(name);
    }
    i = gt + 1;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('> <')}>`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}
