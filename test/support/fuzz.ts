// The one place the property tests (fast-check) get their run settings from.
//
// - Each property names its own default number of runs (sized for the normal `npm test`).
// - PQBLE_FUZZ_RUNS=N runs every property N times instead (times its `weight`, for the
//   expensive ones that run a share of the runs, also of the default): `PQBLE_FUZZ_RUNS=50000 npm test` fuzzes hard.
// - PQBLE_FUZZ_SEED=S (and PQBLE_FUZZ_PATH=P) replay a failure: on failure the error message
//   carries fast-check's report (seed, path, counterexample) and the exact line to replay it.
import fc from 'fast-check';

/** A positive whole number from the environment variable `name`, or undefined. */
function envInt(name: string, env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${name} must be a whole number, got '${raw}'`);
  return n;
}

/**
 * Number of runs of a property: `weight` times PQBLE_FUZZ_RUNS when that is set, else times
 * `defaultRuns`, rounded up (at least 1).
 */
export function fuzzRuns(defaultRuns: number, weight = 1, env: NodeJS.ProcessEnv = process.env): number {
  const runs = envInt('PQBLE_FUZZ_RUNS', env);
  if (runs !== undefined && runs < 1) throw new RangeError(`PQBLE_FUZZ_RUNS must be at least 1, got ${runs}`);
  return Math.max(1, Math.ceil((runs ?? defaultRuns) * weight));
}

/** The line that replays a failed run. */
function replayHint(details: fc.RunDetails<unknown>): string {
  return `replay with: PQBLE_FUZZ_SEED=${details.seed} PQBLE_FUZZ_PATH=${details.counterexamplePath ?? ''}`;
}

/**
 * fast-check parameters for `fc.assert(property, fuzz(defaultRuns))`: the number of runs from
 * {@link fuzzRuns}, PQBLE_FUZZ_SEED / PQBLE_FUZZ_PATH when set, and a reporter that fails with
 * fast-check's report plus the replay line.
 */
export function fuzz<Ts>(defaultRuns: number, weight = 1, env: NodeJS.ProcessEnv = process.env): fc.Parameters<Ts> {
  const seed = envInt('PQBLE_FUZZ_SEED', env);
  const path = env.PQBLE_FUZZ_PATH;
  const reporter = (details: fc.RunDetails<Ts>): void => {
    if (!details.failed) return;
    throw new Error(`${fc.defaultReportMessage(details) ?? 'property failed'}\n${replayHint(details as fc.RunDetails<unknown>)}`, {
      cause: details.errorInstance,
    });
  };
  return {
    numRuns: fuzzRuns(defaultRuns, weight, env),
    reporter,
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined || path === '' ? {} : { path }),
  };
}
