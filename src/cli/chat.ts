/**
 * `pqble peripheral` and `pqble central` (docs/cli.md "pqble peripheral / central";
 * docs/hardware.md): a line-based chat over a real radio through the bleno and noble
 * adapters and {@link BleTransport}. Each connection's type (full handshake or resumed)
 * and the peer's fingerprint go to stderr; received messages go to stdout; stdin lines
 * are sent. Without a radio they fail at once: `pqble: radio unavailable (...)`, exit 1.
 *
 * @module
 */

import { createInterface } from 'node:readline';
import { formatWithOptions } from 'node:util';
import { ADVERTISED_NAME_RE } from '../adapters/bleno/advertiser.js';
import { utf8ToBytes, wipe } from '../bytes.js';
import { isPqbleError } from '../errors.js';
import { fingerprintToHex, generateIdentity, loadIdentity, type Identity } from '../identity/index.js';
import { formatDeviceId, parseDeviceId, type DeviceId } from '../ids.js';
import type { LinkEndpoint } from '../link/types.js';
import type { Logger } from '../logger.js';
import type { BleConnection, BleTransport, BleTransportOptions } from '../transport/index.js';
import { EXIT_OK, UsageError, formatHelp, parseCommand, parseNumberOption, requireOption, type CommandHelp, type OptionTable } from './args.js';
import type { CliContext } from './context.js';
import { formatInt, formatMs, oneLine, shortHex } from './format.js';

const COMMON = {
  identity: { type: 'string', value: 'FILE', description: "This side's identity key file (see `pqble identity new`). Default: a throwaway identity." },
  sessions: { type: 'string', value: 'FILE', description: 'Session cache file, so that connections resume across restarts. Default: in memory only.' },
  'session-hours': { type: 'string', value: 'N', description: 'Session lifetime from the last full handshake (sessionCacheDurationMs), in hours. Default 24.' },
  'max-sessions': { type: 'string', value: 'N', description: 'Most cached sessions, least recently active evicted first (maxCachedSessions). Default 100.' },
  'cleanup-minutes': {
    type: 'string',
    value: 'N',
    description: 'How often expired sessions are pruned (sessionCleanupIntervalMs); 0 turns it off. Default 10.',
  },
} as const satisfies OptionTable;

const SESSION_USAGE = '[--sessions FILE] [...]';

/** The session cache options of `BleTransport.create()` from the command line. */
type SessionOptions = Pick<BleTransportOptions, 'sessionPersistPath' | 'sessionCacheDurationMs' | 'maxCachedSessions' | 'sessionCleanupIntervalMs'>;

function sessionOptions(command: string, values: Partial<Record<'sessions' | 'session-hours' | 'max-sessions' | 'cleanup-minutes', string>>): SessionOptions {
  const path = optionalPath(command, 'sessions', values.sessions);
  const hours = parseNumberOption('session-hours', values['session-hours'], { min: 0.001, max: 365 * 24 });
  const max = parseNumberOption('max-sessions', values['max-sessions'], { min: 1, max: 10_000_000, integer: true });
  const cleanup = parseNumberOption('cleanup-minutes', values['cleanup-minutes'], { min: 0, max: 35_000 });
  return {
    ...(path === undefined ? {} : { sessionPersistPath: path }),
    ...(hours === undefined ? {} : { sessionCacheDurationMs: Math.round(hours * 3_600_000) }),
    ...(max === undefined ? {} : { maxCachedSessions: max }),
    ...(cleanup === undefined ? {} : { sessionCleanupIntervalMs: cleanup === 0 ? null : Math.max(1, Math.round(cleanup * 60_000)) }),
  };
}

const PERIPHERAL_OPTIONS = {
  name: { type: 'string', value: 'NAME', description: 'Advertised name, 1 to 29 ASCII characters (default "pqble").' },
  ...COMMON,
} as const satisfies OptionTable;

const CENTRAL_OPTIONS = {
  device: { type: 'string', value: 'ADDR', description: "The peripheral's BLE address, e.g. aa:bb:cc:dd:ee:ff." },
  ...COMMON,
} as const satisfies OptionTable;

const NOTES = [
  'Lines typed on stdin are sent; received messages are printed on stdout;',
  "connection events (full handshake or resumed, the peer's fingerprint) go to",
  'stderr. End with Ctrl-D or Ctrl-C. Needs a Bluetooth adapter (docs/hardware.md).',
];

const PERIPHERAL_HELP: CommandHelp = {
  usage: `peripheral [--name NAME] [--identity FILE] ${SESSION_USAGE}`,
  summary: 'Advertises the pqble service through bleno and chats with every central that connects.',
  notes: [...NOTES, '', 'Example:', '  pqble peripheral --name sensor --identity sensor.id.json \\', '    --sessions sensor.sessions'],
};

const CENTRAL_HELP: CommandHelp = {
  usage: `central --device ADDR [--identity FILE] ${SESSION_USAGE}`,
  summary:
    'Connects through noble to the pqble peripheral at ADDR and chats with it. If the link drops, the next line reconnects ' +
    '(resumed with a 32-byte token when the session is cached).',
  notes: [...NOTES, '', 'Example:', '  pqble central --device aa:bb:cc:dd:ee:ff --identity hub.id.json \\', '    --sessions hub.sessions'],
};

interface ChatSetup {
  readonly identity: Identity;
  readonly throwaway: boolean;
}

/**
 * Holds back what the radio libraries print with `console.*` (noble and bleno print multi-line
 * adapter warnings on stdout): while the radio starts it is buffered, so that a failure is
 * reported on one line (the buffer is shown with `PQBLE_DEBUG=1`); once the radio is up it
 * goes to stderr, so stdout carries only received messages.
 */
export function holdLibraryOutput(context: CliContext): { goLive(): void; release(failed: boolean): void } {
  const names = ['log', 'info', 'warn', 'error', 'debug'] as const;
  // The originals are put back as they were (unbound), exactly as console holds them.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const saved = names.map((n) => console[n]);
  const held: string[] = [];
  let live = false;
  const sink = (...args: unknown[]): void => {
    const text = formatWithOptions({ colors: false }, ...args);
    if (live) context.stderr.write(`${text}\n`);
    else held.push(text);
  };
  for (const n of names) console[n] = sink;
  const showHeld = (): void => {
    for (const text of held.splice(0)) context.stderr.write(`${context.errStyle.dim(text)}\n`);
  };
  return {
    goLive() {
      live = true;
      showHeld();
    },
    release(failed) {
      if (!failed || (context.env.PQBLE_DEBUG ?? '') !== '') showHeld();
      names.forEach((n, i) => (console[n] = saved[i]!));
    },
  };
}

/** Warnings of the transport, one line each on stderr. */
function stderrLogger(context: CliContext): Logger {
  return { warn: (message) => context.stderr.write(`${context.errStyle.yellow('warning:')} ${oneLine(message)}\n`) };
}

async function openIdentity(path: string | undefined): Promise<ChatSetup> {
  if (path === undefined) return { identity: generateIdentity(), throwaway: true };
  return { identity: await loadIdentity(path), throwaway: false };
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** Text received from a peer, made safe for a terminal (no control sequences). */
export function printable(bytes: Uint8Array): string {
  // eslint-disable-next-line no-control-regex
  return UTF8.decode(bytes).replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '\ufffd');
}

/**
 * One line about a new connection: its type, the peer, and what is known of the setup's
 * cost. A real radio reports no bytes on air (the link layer is the controller's) and the
 * responder waits for no round trip of its own, so those appear only when known; the ATT
 * payload bytes and packets, the ATT MTU (when `attMtu` is given) and the time always do.
 */
function describeConnection(connection: BleConnection, attMtu?: number): string {
  const st = connection.stats();
  const type = connection.connectionType === 'resumed' ? 'resumed' : st.fellBack ? 'full handshake (resumption refused)' : 'full handshake';
  const onAir = st.setupBytesOnAirSent + st.setupBytesOnAirReceived;
  const packets = st.link.packetsSent + st.link.packetsReceived;
  const parts = [
    ...(connection.role === 'initiator' ? [`${st.setupRoundTrips} round trip${st.setupRoundTrips === 1 ? '' : 's'}`] : []),
    onAir > 0
      ? `${formatInt(onAir)} bytes on air`
      : `${formatInt(st.setupBytesSent + st.setupBytesReceived)} ATT payload bytes in ${formatInt(packets)} packet${packets === 1 ? '' : 's'}`,
    ...(attMtu === undefined ? [] : [`ATT MTU ${attMtu}`]),
    `${formatMs(st.setupMs)} ms`,
  ];
  return `connected: ${type} with ${connection.peerFingerprint} (device ${formatDeviceId(connection.peerDeviceId)}; ${parts.join(', ')})`;
}

/** The ATT MTU of the endpoint's link to `connection`'s peer, if the endpoint lists its links. */
function attMtuOf(
  endpoint: LinkEndpoint & { links?: () => readonly { readonly peerDeviceId: string; readonly attMtu: number }[] },
  connection: BleConnection,
): number | undefined {
  return endpoint.links?.().find((l) => l.peerDeviceId === connection.peerDeviceId)?.attMtu;
}

/** Prints the messages of `connection` until it closes. */
async function printMessages(connection: BleConnection, context: CliContext): Promise<void> {
  const who = shortHex(connection.peerFingerprint, 8);
  try {
    for await (const message of connection.messages()) context.stdout.write(`${who}> ${printable(message)}\n`);
  } catch {
    // The close reason is reported below.
  }
  const reason = connection.closeReason;
  context.stderr.write(`disconnected: ${who}${reason === undefined ? '' : ` (${oneLine(reason.message, 120)})`}\n`);
}

/** Calls `onLine` for each stdin line until EOF or abort; waits for each call. */
async function forEachLine(context: CliContext, onLine: (line: string) => Promise<void>): Promise<void> {
  const rl = createInterface({ input: context.stdin, terminal: false });
  const stop = (): void => rl.close();
  context.signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const line of rl) {
      if (context.signal.aborted) break;
      if (line !== '') await onLine(line);
    }
  } finally {
    context.signal.removeEventListener('abort', stop);
    rl.close();
  }
}

/** Says on stderr why a line was not sent (nothing when the user is quitting). */
function reportNotSent(context: CliContext, err: unknown): void {
  if (!context.signal.aborted)
    context.stderr.write(`${context.errStyle.yellow('not sent:')} ${oneLine(err instanceof Error ? err.message : String(err), 160)}\n`);
}

async function send(connection: BleConnection, line: string, context: CliContext): Promise<void> {
  try {
    await connection.send(utf8ToBytes(line), { signal: context.signal });
  } catch (err) {
    reportNotSent(context, err);
  }
}

/** Creates the transport on `endpoint`, runs `body`, and always closes both. */
async function withTransport(
  context: CliContext,
  setup: ChatSetup,
  endpoint: LinkEndpoint,
  sessions: SessionOptions,
  body: (transport: BleTransport) => Promise<void>,
): Promise<void> {
  const { BleTransport } = await import('../transport/index.js');
  let transport: BleTransport | undefined;
  try {
    transport = await BleTransport.create({
      identity: setup.identity,
      link: endpoint,
      logger: stderrLogger(context),
      ...sessions,
    });
    const me = fingerprintToHex(setup.identity.fingerprint);
    context.stderr.write(`identity ${me}${setup.throwaway ? ' (throwaway; use --identity FILE to keep one)' : ''}\n`);
    await body(transport);
  } finally {
    await transport?.close();
    await endpoint.close();
  }
}

/** An optional file option: absent is fine, an empty value is not. */
function optionalPath(command: string, name: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : requireOption(command, name, value);
}

/** Runs `pqble peripheral`. */
export async function runPeripheral(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseCommand('peripheral', args, PERIPHERAL_OPTIONS);
  if (parsed.help) {
    context.stdout.write(formatHelp(PERIPHERAL_HELP, PERIPHERAL_OPTIONS));
    return EXIT_OK;
  }
  const name = parsed.values.name ?? 'pqble';
  if (!ADVERTISED_NAME_RE.test(name)) throw new UsageError('--name must be 1 to 29 printable ASCII characters');
  const identityPath = optionalPath('peripheral', 'identity', parsed.values.identity);
  const sessions = sessionOptions('peripheral', parsed.values);

  const setup = await openIdentity(identityPath);
  const held = holdLibraryOutput(context);
  let failed = true;
  try {
    const { createBlenoPeripheral } = await import('../adapters/bleno.js');
    const endpoint = await createBlenoPeripheral({ name, signal: context.signal });
    held.goLive();
    await withTransport(context, setup, endpoint, sessions, async (transport) => {
      context.stderr.write(`advertising as "${name}" (device ${formatDeviceId(endpoint.deviceId)}); waiting for centrals. Ctrl-D or Ctrl-C ends.\n`);
      const accepting = (async () => {
        try {
          for await (const connection of transport.incoming({ signal: context.signal })) {
            context.stderr.write(`${describeConnection(connection, attMtuOf(endpoint, connection))}\n`);
            void printMessages(connection, context);
          }
        } catch (err) {
          if (!isPqbleError(err, 'PQBLE_ERR_ABORTED')) throw err;
        }
      })();
      await forEachLine(context, async (line) => {
        const open = transport.connections().filter((c) => c.isOpen);
        if (open.length === 0) context.stderr.write('no central connected; not sent\n');
        await Promise.all(open.map((c) => send(c, line, context)));
      });
      await transport.close();
      await accepting;
    });
    failed = false;
    return EXIT_OK;
  } finally {
    held.release(failed);
    wipe(setup.identity.secretKey, setup.identity.seed);
  }
}

/** Runs `pqble central`. */
export async function runCentral(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseCommand('central', args, CENTRAL_OPTIONS);
  if (parsed.help) {
    context.stdout.write(formatHelp(CENTRAL_HELP, CENTRAL_OPTIONS));
    return EXIT_OK;
  }
  const deviceText = requireOption('central', 'device', parsed.values.device);
  let device: DeviceId;
  try {
    device = parseDeviceId(deviceText, '--device');
  } catch {
    throw new UsageError(`--device must be a BLE address like aa:bb:cc:dd:ee:ff, got '${oneLine(deviceText, 40)}'`);
  }
  const identityPath = optionalPath('central', 'identity', parsed.values.identity);
  const sessions = sessionOptions('central', parsed.values);

  const setup = await openIdentity(identityPath);
  const held = holdLibraryOutput(context);
  let failed = true;
  try {
    const { createNobleCentral } = await import('../adapters/noble.js');
    const endpoint = await createNobleCentral({ signal: context.signal });
    held.goLive();
    await withTransport(context, setup, endpoint, sessions, async (transport) => {
      let connection: BleConnection | undefined;
      const connect = async (): Promise<BleConnection> => {
        if (connection?.isOpen === true) return connection;
        context.stderr.write(`connecting to ${formatDeviceId(device)} ...\n`);
        const c = await transport.connectToDevice(device, { signal: context.signal });
        context.stderr.write(`${describeConnection(c, attMtuOf(endpoint, c))}\n`);
        void printMessages(c, context);
        connection = c;
        return c;
      };
      await connect();
      await forEachLine(context, async (line) => {
        let open: BleConnection;
        try {
          open = await connect();
        } catch (err) {
          reportNotSent(context, err);
          return;
        }
        await send(open, line, context);
      });
    });
    failed = false;
    return EXIT_OK;
  } finally {
    held.release(failed);
    wipe(setup.identity.secretKey, setup.identity.seed);
  }
}
