/**
 * Child-process entry of the hybrid post-quantum TLS baseline (docs/benchmarks-tls.md
 * "Getting the post-quantum variant"): started by `runTlsBaseline({ postQuantum: true })`
 * with a Node >= 24 binary when the parent's Node is older. Reads the resolved settings
 * (JSON) from argv[2], measures, and prints one line `PQBLE_TLS_RESULT <json>` on stdout:
 * `{ ok: true, figures }` or `{ ok: false, code, message }`.
 *
 * @module
 */

import { isPqbleError } from '../../src/errors.js';
import { measureTlsHere, pqTlsUnsupportedReason, type TlsMeasureSettings } from './measure.js';
import { RESULT_MARKER } from './node24.js';

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as TlsMeasureSettings;
  const why = pqTlsUnsupportedReason();
  if (why !== undefined) {
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ ok: false, code: 'PQBLE_ERR_UNSUPPORTED', message: why })}\n`);
    return;
  }
  const figures = await measureTlsHere({ ...settings, postQuantum: true });
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ ok: true, figures })}\n`);
}

main().catch((err: unknown) => {
  const code = isPqbleError(err) ? err.code : 'PQBLE_ERR_INTERNAL';
  const message = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ ok: false, code, message })}\n`);
});
