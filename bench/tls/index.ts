/**
 * The TLS 1.3 baseline of the benchmark (docs/benchmarks-tls.md: resumption bytes vs TLS 1.3
 * ticket resumption). What a user would pick
 * instead of pqble: TLS 1.3 with session-ticket resumption, carried over the same simulated
 * BLE link with the same fragmentation, so both pay the same airtime model.
 *
 * - classic: X25519 key exchange, ECDSA P-256 certificate; runs on any supported Node;
 * - hybrid post-quantum: X25519MLKEM768 key exchange, ML-DSA-65 certificate; needs
 *   Node >= 24 (OpenSSL 3.5), run in a child process when this Node is older.
 *
 * @module
 */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AbortError, PqbleError, throwIfAborted } from '../../src/errors.js';
import { PHYS } from '../../src/radio/index.js';
import { checkNumber, checkOptionKeys } from '../../src/util/options.js';
import type { ScenarioFigures } from '../types.js';
import { DEFAULT_SAMPLES, measureTlsHere, pqTlsUnsupportedReason, type TlsBaselinePhy, type TlsMeasureSettings } from './measure.js';
import { RESULT_MARKER, findPqNode, type PqTlsAvailability } from './node24.js';

export type { TlsBaselinePhy } from './measure.js';
export type { PqTlsAvailability, FetchNode24Options } from './node24.js';
export { NODE24_VERSION, fetchNode24, node24CacheDir } from './node24.js';

/** Options of {@link runTlsBaseline}. An unknown key is a `TypeError`. */
export interface TlsBaselineOptions {
  /** PHY of the simulated link. Default `'coded'` (LE Coded S=8, 125 kbit/s), as pqble's benchmark. */
  readonly phy?: TlsBaselinePhy | undefined;
  /** Connection interval of the simulated link, 7.5..4000 ms. Default 30. */
  readonly connectionIntervalMs?: number | undefined;
  /** Measure the hybrid post-quantum variant (X25519MLKEM768 + ML-DSA-65) instead of the classic one. Default false. */
  readonly postQuantum?: boolean | undefined;
  /** Measured repetitions per scenario after one warm-up (byte and CPU figures are medians), 1..50. Default 5. */
  readonly samples?: number | undefined;
  /** Cancels the measurement (`PQBLE_ERR_ABORTED`); also kills the PQ child process. */
  readonly signal?: AbortSignal | undefined;
}

const OPTION_KEYS: readonly string[] = ['phy', 'connectionIntervalMs', 'postQuantum', 'samples', 'signal'];
/** Wall-clock limit of the PQ child process. */
const CHILD_TIMEOUT_MS = 300_000;

function resolveOptions(options: TlsBaselineOptions): TlsMeasureSettings & { signal: AbortSignal | undefined } {
  checkOptionKeys(options, OPTION_KEYS, 'runTlsBaseline options');
  const phy = options.phy ?? 'coded';
  if (!PHYS.includes(phy)) throw new TypeError(`phy must be one of ${PHYS.join(', ')}`);
  const interval = checkNumber(options.connectionIntervalMs ?? 30, 'connectionIntervalMs', 7.5, 4000);
  const postQuantum = options.postQuantum ?? false;
  if (typeof postQuantum !== 'boolean') throw new TypeError('postQuantum must be a boolean');
  const samples = options.samples ?? DEFAULT_SAMPLES;
  if (typeof samples !== 'number' || !Number.isInteger(samples)) throw new TypeError('samples must be an integer');
  if (samples < 1 || samples > 50) throw new RangeError(`samples must be in 1..50, got ${samples}`);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  return { phy, connectionIntervalMs: interval, postQuantum, samples, signal };
}

/**
 * Whether the hybrid post-quantum TLS baseline can run here, and with which node binary:
 * this process if it is Node >= 24 with OpenSSL 3.5, else `PQBLE_NODE24`, else a binary
 * fetched by {@link fetchNode24} into {@link node24CacheDir}. When not available, `reason`
 * says why and how to get it. Never throws.
 */
export async function pqTlsAvailable(): Promise<PqTlsAvailability> {
  try {
    return await findPqNode();
  } catch (err) {
    return { available: false, reason: `could not look for Node 24: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Measures TLS 1.3 over the simulated BLE radio: full handshakes, then resumptions with the
 * session ticket they yielded, in both PSK key exchange modes. Returns
 * `[full-cold, full, resumed-psk_dhe_ke, resumed-psk_ke]` for the chosen variant (group
 * `'tls13'` or `'tls13-pq'`). See docs/benchmarks-tls.md for what each figure counts.
 * @param options - see {@link TlsBaselineOptions}
 * @throws TypeError / RangeError for bad options; PqbleError `PQBLE_ERR_UNSUPPORTED` if the
 *   post-quantum variant was asked for and {@link pqTlsAvailable} finds no Node 24;
 *   `PQBLE_ERR_ABORTED` on abort; `PQBLE_ERR_TIMEOUT` / `PQBLE_ERR_INTERNAL` if a run fails
 */
export async function runTlsBaseline(options: TlsBaselineOptions = {}): Promise<ScenarioFigures[]> {
  const { signal, ...settings } = resolveOptions(options);
  throwIfAborted(signal);
  if (!settings.postQuantum || pqTlsUnsupportedReason() === undefined) return measureTlsHere(settings, signal);
  const availability = await pqTlsAvailable();
  if (!availability.available || availability.nodePath === undefined) {
    throw new PqbleError('PQBLE_ERR_UNSUPPORTED', availability.reason ?? 'hybrid post-quantum TLS is not available');
  }
  return runInChild(availability.nodePath, settings, signal);
}

/** The worker's entry file and the node arguments that run it (the benchmark is TypeScript, run through tsx). */
function workerCommand(): string[] {
  return ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./pq-worker.ts', import.meta.url))];
}

function isFigures(value: unknown): value is ScenarioFigures[] {
  if (!Array.isArray(value) || value.length !== 4) return false;
  const numeric = [
    'bytesOnAirToPeripheral',
    'bytesOnAirToCentral',
    'payloadBytes',
    'roundTrips',
    'timeToFirstMessageMs',
    'cpuMsCentral',
    'cpuMsPeripheral',
    'cpuSamples',
    'connectionEstablishmentMs',
    'reconnectMs',
    'airtimeToPeripheralMs',
    'airtimeToCentralMs',
  ];
  return value.every(
    (f: unknown) =>
      typeof f === 'object' &&
      f !== null &&
      typeof (f as Record<string, unknown>).name === 'string' &&
      (f as Record<string, unknown>).group === 'tls13-pq' &&
      numeric.every((k) => typeof (f as Record<string, unknown>)[k] === 'number') &&
      typeof (f as Record<string, unknown>).radioEnergyMicrojoules === 'object',
  );
}

/** Runs the PQ measurement with `nodePath` in a child process and parses its result line. */
async function runInChild(nodePath: string, settings: TlsMeasureSettings, signal: AbortSignal | undefined): Promise<ScenarioFigures[]> {
  const { stdout, stderr, exitCode } = await new Promise<{ stdout: string; stderr: string; exitCode: number | null }>((resolve, reject) => {
    const child = spawn(nodePath, [...workerCommand(), JSON.stringify(settings)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: CHILD_TIMEOUT_MS,
      ...(signal === undefined ? {} : { signal }),
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.on('error', (e) => {
      if (signal?.aborted === true) reject(new AbortError(undefined, { cause: signal.reason }));
      else reject(new PqbleError('PQBLE_ERR_INTERNAL', `could not run ${nodePath}`, { cause: e }));
    });
    child.on('close', (code) => resolve({ stdout: out, stderr: err, exitCode: code }));
  });
  throwIfAborted(signal);
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (line === undefined) {
    throw new PqbleError('PQBLE_ERR_INTERNAL', `PQ TLS worker (${nodePath}) exited with ${String(exitCode)} and no result: ${stderr.trim().slice(-800)}`);
  }
  let answer: { ok?: unknown; figures?: unknown; code?: unknown; message?: unknown };
  try {
    answer = JSON.parse(line.slice(RESULT_MARKER.length)) as typeof answer;
  } catch (cause) {
    throw new PqbleError('PQBLE_ERR_INTERNAL', 'PQ TLS worker printed an unreadable result', { cause });
  }
  if (answer.ok === true && isFigures(answer.figures)) return answer.figures;
  const code = answer.code === 'PQBLE_ERR_UNSUPPORTED' || answer.code === 'PQBLE_ERR_TIMEOUT' ? answer.code : 'PQBLE_ERR_INTERNAL';
  throw new PqbleError(code, `PQ TLS worker failed: ${typeof answer.message === 'string' ? answer.message : 'malformed result'}`);
}
