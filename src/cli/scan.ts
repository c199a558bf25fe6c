/**
 * `pqble scan` (docs/cli.md "pqble scan"): lists the pqble peripherals advertising nearby,
 * through the noble adapter's `scan()` (`pqble/noble`), strongest first. Without a radio it
 * fails at once like `pqble central`: `pqble: radio unavailable (...)`, exit 1.
 *
 * @module
 */

import type { NobleCentral, NobleCentralOptions } from '../adapters/noble.js';
import { formatDeviceId } from '../ids.js';
import { EXIT_OK, formatHelp, parseCommand, parseNumberOption, type CommandHelp, type OptionTable } from './args.js';
import { holdLibraryOutput } from './chat.js';
import type { CliContext } from './context.js';
import { formatInt, oneLine, renderTable } from './format.js';

const OPTIONS = {
  'timeout-ms': { type: 'string', value: 'MS', description: 'How long to scan, in ms (100 to 600000). Default 5000.' },
  json: { type: 'boolean', description: 'Print one JSON document instead of a table.' },
} as const satisfies OptionTable;

const HELP: CommandHelp = {
  usage: 'scan [--timeout-ms MS] [--json]',
  summary:
    'Scans through noble for pqble peripherals (those advertising the pqble GATT service) and lists them, strongest signal ' +
    'first: the address to pass to `pqble central --device`, the RSSI, the advertised name and when each was last seen.',
  notes: ['Examples:', '  pqble scan', '  pqble scan --timeout-ms 10000 --json', '', 'Needs a Bluetooth adapter (docs/hardware.md).'],
};

/** Default scan duration, ms. */
const DEFAULT_SCAN_MS = 5000;

/** One device of `pqble scan --json`. */
export interface ScannedDeviceJson {
  /** The address to connect to, `aa:bb:cc:dd:ee:ff` (on macOS a local alias, docs/hardware.md "Device ids"). */
  readonly address: string;
  /** The device id: the same 12 lowercase hex digits without colons. */
  readonly deviceId: string;
  /** RSSI of its last advertisement, dBm. */
  readonly rssi: number;
  /** Its advertised local name, or `null`. */
  readonly name: string | null;
  /** When it was last seen, ISO 8601 (UTC). */
  readonly lastSeen: string;
}

/** The JSON document of `pqble scan --json`. */
export interface ScanJson {
  /** How long the scan ran, ms. */
  readonly durationMs: number;
  /** The devices seen, strongest first. */
  readonly devices: readonly ScannedDeviceJson[];
}

/** What `run` creates the central with (tests pass a fake noble). */
export interface ScanDeps {
  readonly createCentral?: (options: NobleCentralOptions) => Promise<NobleCentral>;
}

/** Runs `pqble scan`. */
export async function run(args: readonly string[], context: CliContext, deps: ScanDeps = {}): Promise<number> {
  const parsed = parseCommand('scan', args, OPTIONS);
  if (parsed.help) {
    context.stdout.write(formatHelp(HELP, OPTIONS));
    return EXIT_OK;
  }
  const durationMs = parseNumberOption('timeout-ms', parsed.values['timeout-ms'], { min: 100, max: 600_000, integer: true }) ?? DEFAULT_SCAN_MS;
  const json = parsed.values.json === true;
  const held = holdLibraryOutput(context);
  let failed = true;
  let central: NobleCentral | undefined;
  try {
    const create = deps.createCentral ?? (await import('../adapters/noble.js')).createNobleCentral;
    central = await create({ signal: context.signal });
    held.goLive();
    if (!json) context.stderr.write(`scanning for ${formatInt(durationMs)} ms ...\n`);
    const devices = await central.scan({ durationMs, signal: context.signal });
    const doc: ScanJson = {
      durationMs,
      devices: devices.map((d) => ({
        address: formatDeviceId(d.deviceId),
        deviceId: d.deviceId,
        rssi: d.rssi,
        name: d.name ?? null,
        lastSeen: new Date(d.lastSeenMs).toISOString(),
      })),
    };
    if (json) {
      context.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else if (doc.devices.length === 0) {
      context.stdout.write('no pqble peripheral seen\n');
    } else {
      const now = context.now();
      const rows = doc.devices.map((d) => [
        d.address,
        `${d.rssi} dBm`,
        d.name === null ? '-' : oneLine(d.name, 29),
        `${formatInt(Math.max(0, Math.round((now - Date.parse(d.lastSeen)) / 1000)))} s ago`,
      ]);
      const table = renderTable(
        [{ header: 'ADDRESS' }, { header: 'RSSI', align: 'right' }, { header: 'NAME' }, { header: 'LAST SEEN', align: 'right' }],
        rows,
        context.style,
      );
      context.stdout.write(`${table.join('\n')}\n`);
    }
    failed = false;
    return EXIT_OK;
  } finally {
    await central?.close();
    held.release(failed);
  }
}
