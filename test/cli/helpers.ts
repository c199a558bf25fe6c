// Test helpers for the CLI tests: the tool driven in process with a fake context (the usual
// way: fast, no subprocess), the BUILT tool as a subprocess for the few smoke tests that need a
// real process, the check that dist/ is built and fresh, temp folders, a benchmark-report
// fixture, and a small XML well-formedness check for the SVG chart.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { formatWithOptions } from 'node:util';
import type { BenchReport } from '../../bench/types.js';
import type { CliContext, OutputStream } from '../../src/cli/context.js';
import { styleFor } from '../../src/cli/format.js';
import { runCli as dispatch } from '../../src/cli/run.js';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The built entry point the smoke tests run. */
export const CLI = join(ROOT, 'dist/cli/main.js');

/** The `.ts` sources under `dir` (relative to `base`, without the extension), skipping `skip`. */
function sources(dir: string, base: string, skip: string): { rel: string; mtimeMs: number }[] {
  const out: { rel: string; mtimeMs: number }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = path.slice(base.length + 1);
    if (entry.isDirectory()) {
      if (rel !== skip) out.push(...sources(path, base, skip));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      out.push({ rel: rel.slice(0, -'.ts'.length), mtimeMs: statSync(path).mtimeMs });
    }
  }
  return out;
}

/** The compiled `.js` files under `dir` (relative to `base`, without the extension), skipping `skip`. */
function outputs(dir: string, base: string, skip: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = path.slice(base.length + 1);
    if (entry.isDirectory()) {
      if (rel !== skip) out.push(...outputs(path, base, skip));
    } else if (entry.name.endsWith('.js')) {
      out.push(rel.slice(0, -'.js'.length));
    }
  }
  return out;
}

const BUILD_HINT = 'run `npm run build` first';

/**
 * Why `root`/dist cannot be used as it is, or undefined if it is built and fresh: no
 * dist/cli/main.js, a file in src/ changed after the build, a source with no compiled file (new
 * or moved since), or a compiled file whose source is gone. The page bundle (src/web/page,
 * dist/web/page) has a build step of its own and is left out. The tests never build: `npm ci`
 * runs `prepare` (`npm run build`) and `.ci/run` builds before the tests.
 */
export function distProblem(root: string = ROOT): string | undefined {
  const src = join(root, 'src');
  const dist = join(root, 'dist');
  let built: number;
  try {
    built = statSync(join(dist, 'cli/main.js')).mtimeMs;
  } catch {
    return `dist/ is not built (no dist/cli/main.js): ${BUILD_HINT}`;
  }
  const inSrc = sources(src, src, 'web/page');
  const newer = inSrc.find((f) => f.mtimeMs > built);
  if (newer !== undefined) return `dist/ is older than src/ (src/${newer.rel}.ts changed after the last build): ${BUILD_HINT}`;
  const inDist = new Set(outputs(dist, dist, 'web/page'));
  const unbuilt = inSrc.find((f) => !inDist.has(f.rel));
  if (unbuilt !== undefined) return `dist/ is older than src/ (src/${unbuilt.rel}.ts is not built): ${BUILD_HINT}`;
  const known = new Set(inSrc.map((f) => f.rel));
  const orphan = [...inDist].find((rel) => !known.has(rel));
  if (orphan !== undefined) return `dist/ is older than src/ (dist/${orphan}.js has no source any more): ${BUILD_HINT}`;
  return undefined;
}

/**
 * Throws one clear error telling to run `npm run build` if dist/ is missing or older than
 * src/. Tests of the built output (the smoke tests of the binary, the package, the source maps,
 * the browser bundle) call it first; it never builds.
 */
export function requireBuilt(): void {
  const problem = distProblem();
  if (problem !== undefined) throw new Error(problem);
}

/** What one run of the tool gave. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stderr split into non-empty lines. */
  readonly stderrLines: string[];
}

/** Options of {@link runCli} and {@link runInProcess}. */
export interface RunCliOptions {
  readonly input?: string;
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** The environment a test run sees: this one without debug or colour forcing, NO_COLOR set. */
function testEnv(extra: Record<string, string> | undefined): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.PQBLE_DEBUG;
  delete env.FORCE_COLOR;
  return env;
}

function result(status: number | null, stdout: string, stderr: string): CliRun {
  return { status, stdout, stderr, stderrLines: stderr.split('\n').filter((l) => l !== '') };
}

/**
 * Runs the BUILT tool, `node dist/cli/main.js ...args`, as a subprocess and collects its
 * output. Slow (a process and module loading per call): only for the smoke tests of the real
 * binary; everything else uses {@link runInProcess}. Call {@link requireBuilt} first.
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): CliRun {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    input: options.input ?? '',
    env: testEnv(options.env),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
  });
  if (r.error !== undefined) throw r.error;
  return result(r.status, r.stdout, r.stderr);
}

/** A fake output stream (not a terminal) that collects what is written. */
function collector(): OutputStream & { readonly text: () => string } {
  const chunks: string[] = [];
  return { isTTY: false, write: (t: string) => chunks.push(t), text: () => chunks.join('') };
}

/** Options of {@link runInProcess}. */
export interface InProcessOptions extends RunCliOptions {
  /** Aborting it is Ctrl-C for the command. */
  readonly signal?: AbortSignal;
  /** The wall clock the command sees (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * Runs `pqble ...args` in this process through the dispatcher of src/cli/run.ts with a fake
 * context: stdout and stderr collected (not terminals, so no colour or live lines), the test
 * environment (NO_COLOR set, PQBLE_DEBUG removed, `options.env` on top), `options.input` as
 * stdin, and `console.*` output of the run collected too (see captureConsole). Resolves to
 * the same {@link CliRun} the subprocess gives; rejects if the command has not finished within
 * `timeoutMs` (default 30 s).
 */
export async function runInProcess(args: readonly string[], options: InProcessOptions = {}): Promise<CliRun> {
  const stdout = collector();
  const stderr = collector();
  const env = testEnv(options.env);
  const context: CliContext = {
    stdout,
    stderr,
    stdin: Readable.from(options.input === undefined || options.input === '' ? [] : [options.input]),
    env,
    style: styleFor(stdout, env),
    errStyle: styleFor(stderr, env),
    signal: options.signal ?? new AbortController().signal,
    now: options.now ?? (() => Date.now()),
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pqble ${args.join(' ')} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  const restoreConsole = captureConsole(stdout, stderr);
  try {
    const status = await Promise.race([dispatch(args, context), timedOut]);
    return result(status, stdout.text(), stderr.text());
  } finally {
    restoreConsole();
    clearTimeout(timer);
  }
}

const CONSOLE_TO_STDOUT = ['log', 'info', 'debug'] as const;
const CONSOLE_TO_STDERR = ['warn', 'error', 'trace'] as const;

/**
 * Sends what is printed with `console.*` while a command runs (a radio library's chatter) to
 * the collected stdout or stderr, where the real process would show it, so a test that wants
 * clean output still sees such a leak. Returns the function that puts console back as it was.
 */
export function captureConsole(stdout: OutputStream, stderr: OutputStream): () => void {
  const names = [...CONSOLE_TO_STDOUT, ...CONSOLE_TO_STDERR];
  // The originals are put back as they were (unbound), exactly as console holds them.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const saved = names.map((n) => console[n]);
  const sink =
    (stream: OutputStream) =>
    (...parts: unknown[]): void => {
      stream.write(`${formatWithOptions({ colors: false }, ...parts)}\n`);
    };
  for (const n of CONSOLE_TO_STDOUT) console[n] = sink(stdout);
  for (const n of CONSOLE_TO_STDERR) console[n] = sink(stderr);
  return () => names.forEach((n, i) => (console[n] = saved[i]!));
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
    radioEnergyMicrojoules: { central: ((toP * 4.8 + toC * 4.6) * 3) / 16, peripheral: ((toC * 4.8 + toP * 4.6) * 3) / 16 },
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
    cache: {
      entries: 100_000,
      lookupNsPerOp: 120,
      touchNsPerOp: 180,
      insertWithEvictionNsPerOp: 950,
      saveMs: 380,
      loadMs: 420,
      fileBytes: 27_500_000,
      bytesPerEntry: 275,
    },
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
