/**
 * `pqble bench fleet (--redis URL | --redis-cluster HOST:PORT,...) --gateways N --devices M
 * --reconnects K [--json]` (docs/fleet.md "The fleet benchmark"): opens one Redis store per
 * gateway on a fresh namespace with fresh fleet keys, runs one `BleTransport` per gateway and
 * per device on a simulated radio (bench/fleet/driver.ts), removes what it stored, and
 * prints the figures. Loads `pqble/redis` (and ioredis) only here.
 *
 * @module
 */

import { randomBytes, bytesToHex } from '../../src/bytes.js';
import { EXIT_OK, formatHelp, parseCommand, parseNumberOption, UsageError, type CommandHelp, type OptionTable } from '../../src/cli/args.js';
import type { CliContext } from '../../src/cli/context.js';
import { silentLogger } from '../../src/logger.js';
import type { SessionStore } from '../../src/session/store.js';
import { MAX_TIME_MS } from '../../src/session/validate.js';
import { runFleetBench, type FleetBenchReport } from './driver.js';

const OPTIONS = {
  redis: { type: 'string', value: 'URL', description: 'A Redis server (redis:// or rediss://).' },
  'redis-cluster': { type: 'string', value: 'HOST:PORT,...', description: 'Seed nodes of a Redis Cluster.' },
  gateways: { type: 'string', value: 'N', description: 'Gateways sharing the store (default 4).' },
  devices: { type: 'string', value: 'M', description: 'Devices roaming between them (default 200).' },
  reconnects: { type: 'string', value: 'K', description: 'Reconnects per device after its first contact (default 5).' },
  race: { type: 'string', value: 'SHARE', description: 'Share of reconnects where two gateways race (default 0.2).' },
  concurrency: { type: 'string', value: 'N', description: 'Devices reconnecting at the same time (default 8; 1 gives the bare round trip).' },
  'timeout-ms': { type: 'string', value: 'MS', description: 'Timeout of every store call (default 250).' },
  json: { type: 'boolean', description: 'Print the figures as one JSON object.' },
} as const satisfies OptionTable;

const HELP: CommandHelp = {
  usage: 'bench fleet (--redis URL | --redis-cluster HOST:PORT,...) [--gateways N] [--devices M] [--reconnects K] [--json]',
  summary:
    'Gateway transports sharing one Redis session store on a simulated radio: devices roam between them and are reconnected, ' +
    'two gateways race for the same device, captured resume requests are replayed to the device. Prints resumed reconnects, ' +
    'full handshakes, tickets used twice (must be 0), replays refused and store latency. Uses a fresh namespace and removes ' +
    'its sessions afterwards.',
  notes: [
    'Examples:',
    '  pqble bench fleet --redis redis://127.0.0.1:6379 --gateways 4 --devices 200 --reconnects 5',
    '  pqble bench fleet --redis-cluster 10.0.0.1:7000,10.0.0.2:7000 --json',
  ],
};

function parseCluster(text: string): { host: string; port: number }[] {
  return text.split(',').map((part) => {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(part.trim());
    const port = m === null ? Number.NaN : Number(m[2]);
    if (m === null || port < 1 || port > 65535) throw new UsageError(`--redis-cluster takes HOST:PORT,...; got '${part.slice(0, 40)}'`);
    return { host: m[1], port };
  });
}

/** Runs `pqble bench fleet`. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseCommand('bench fleet', args, OPTIONS);
  if (parsed.help) {
    context.stdout.write(formatHelp(HELP, OPTIONS));
    return EXIT_OK;
  }
  const v = parsed.values;
  if ((v.redis === undefined) === (v['redis-cluster'] === undefined))
    throw new UsageError("'pqble bench fleet' needs exactly one of --redis URL or --redis-cluster HOST:PORT,...");
  const gateways = parseNumberOption('gateways', v.gateways, { min: 1, max: 64, integer: true }) ?? 4;
  const devices = parseNumberOption('devices', v.devices, { min: 1, max: 1_000_000, integer: true }) ?? 200;
  const reconnects = parseNumberOption('reconnects', v.reconnects, { min: 1, max: 1000, integer: true }) ?? 5;
  const raceShare = parseNumberOption('race', v.race, { min: 0, max: 1 }) ?? 0.2;
  const concurrency = parseNumberOption('concurrency', v.concurrency, { min: 1, max: 1024, integer: true }) ?? 8;
  const timeoutMs = parseNumberOption('timeout-ms', v['timeout-ms'], { min: 1, max: 60_000, integer: true }) ?? 250;
  const target = v.redis !== undefined ? { url: v.redis } : { cluster: parseCluster(v['redis-cluster'] ?? '') };
  if ('url' in target && !/^rediss?:\/\//.test(target.url)) throw new UsageError('--redis takes a redis:// or rediss:// URL');

  const { RedisSessionStore } = await import('../../src/session/redis/index.js');
  const fleet = { storageKey: { id: 1, key: randomBytes(32) }, blindingKey: randomBytes(32), namespace: `pqble-bench-${bytesToHex(randomBytes(6))}` };
  const stores: SessionStore[] = [];
  let report: FleetBenchReport;
  try {
    for (let i = 0; i < gateways; i++) {
      // Ten minutes is enough for the run; tombstones and pointers expire with it.
      stores.push(await RedisSessionStore.open({ ...target, ...fleet, sessionLifetimeMs: 10 * 60_000, timeoutMs, logger: silentLogger }));
    }
    report = await runFleetBench({
      stores,
      devices,
      reconnects,
      raceShare,
      concurrency,
      onProgress: (done, total) => {
        if (context.stderr.isTTY === true) context.stderr.write(`\rbench fleet: ${done}/${total} devices`);
      },
    });
    if (context.stderr.isTTY === true) context.stderr.write('\n');
    await stores[0]?.prune(MAX_TIME_MS, { timeoutMs: 30_000 });
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
  if (v.json === true) {
    context.stdout.write(`${JSON.stringify(report)}\n`);
    return EXIT_OK;
  }
  const pct = (n: number): string => (report.reconnects === 0 ? '-' : `${((100 * n) / report.reconnects).toFixed(1)} %`);
  context.stdout.write(
    [
      `Fleet: ${report.gateways} gateways, ${report.devices} devices, ${report.reconnects} reconnects (roaming; ${report.races} with two gateways racing)`,
      `  resumed            ${report.resumed} (${pct(report.resumed)})`,
      `  full handshakes    ${report.fullHandshakes} (${pct(report.fullHandshakes)})`,
      `  failed             ${report.failed} (${pct(report.failed)})`,
      `  tickets used twice ${report.doubleUse}`,
      `  replays refused    ${report.replaysRefused} of ${report.replays}`,
      `  store p50 / p99    ${report.storeP50Ms} ms / ${report.storeP99Ms} ms  (store errors: ${report.storeErrors})`,
      `  slowest connect    ${report.slowestConnectMs} ms real, ${report.slowestConnectRadioMs} ms radio time`,
      '',
    ].join('\n'),
  );
  return EXIT_OK;
}
