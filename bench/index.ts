/**
 * `npm run bench`: the benchmark, printed side by side from one run (docs/benchmarks.md).
 * The measurements live in src/bench (so that `npx pqble bench` ships them too); this entry
 * runs them through the CLI's `bench` command. Arguments are passed through:
 * `npm run bench -- --quick`, `-- --json`, `-- --chart bench.svg`.
 */
import { processContext } from '../src/cli/context.js';
import { runCli } from '../src/cli/run.js';

const { context, dispose } = processContext();
const status = await runCli(['bench', ...process.argv.slice(2)], context);
dispose();
process.exitCode = status;
