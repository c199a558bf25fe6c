/**
 * `pqble sessions list|show|prune|clear|forget` (docs/cli.md "pqble sessions"). Works on
 * both session file formats and never prints a secret, sealed or not:
 *
 * - a version-1 cache file (docs/cache-file.md) WITHOUT its storage key: `list` and `show`
 *   print its readable metadata; `prune`, `clear` and `forget` refuse it (a transport that
 *   opens it migrates it to a version-2 store, which they then change);
 * - a version-2 store (docs/store.md) WITH its key file (`--key`, default `<path>.key`),
 *   since its fingerprints and device ids are sealed or blinded; `list` and `show` read it
 *   without the lock, `prune`, `clear` and `forget` take the lock, so they refuse while a
 *   transport has the store open.
 *
 * @module
 */

import { bytesToHex } from '../bytes.js';
import { FileFormatError, isPqbleError } from '../errors.js';
import { formatDeviceId } from '../ids.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS, DEFAULT_SESSION_TTL_MS, isSessionExpired } from '../session/expiry.js';
import { readV1FileMetadata, type V1EntryMetadata, type V1FileMetadata } from '../session/file/migrate-v1.js';
import {
  FileSessionStore,
  clearStoreFile,
  forgetStoreEntry,
  pruneStoreFile,
  readStoreFileMetadata,
  sessionFileKind,
  type StoreEntryMetadata,
  type StoreFileMetadata,
} from '../session/file/index.js';
import { EXIT_OK, UsageError, formatHelp, parseCommand, parseNumberOption, requireOption, type CommandHelp, type OptionTable } from './args.js';
import type { CliContext } from './context.js';
import { formatDuration, renderTable, shortHex, type Style } from './format.js';

const OPTIONS = {
  path: { type: 'string', value: 'FILE', description: 'The session cache file (the `sessionPersistPath` of a transport).' },
  key: { type: 'string', value: 'FILE', description: 'The storage key file of a version-2 store (default FILE.key); version-1 files need none.' },
  'ttl-hours': { type: 'string', value: 'N', description: 'Session life from the last full handshake, in hours (default 24, as the transport).' },
  json: { type: 'boolean', description: 'Print one JSON document instead of text.' },
} as const satisfies OptionTable;

const HELP: CommandHelp = {
  usage: 'sessions ACTION [PREFIX] --path FILE [options]',
  summary:
    'Inspects a session file and never prints a secret. ACTION is list, show PREFIX, prune, clear or forget PREFIX. `list` shows every cached session; ' +
    '`show PREFIX` one session, by a prefix of its peer fingerprint (or, in a version-1 file, session id); `prune` removes expired sessions; ' +
    '`clear` forgets all of them (every peer then needs a full handshake); `forget PREFIX` forgets one peer (version-2 stores). ' +
    'A version-1 cache file is only listed (without its key; a transport migrates it to version 2); a version-2 store needs its key file (--key, default FILE.key) and, to be changed, must not be open in a transport.',
  notes: [
    'Examples:',
    '  pqble sessions list --path hub.sessions',
    '  pqble sessions show 3f2a9c --path hub.sessions',
    '  pqble sessions prune --ttl-hours 12 --path hub.sessions',
    '  pqble sessions forget 3f2a9c --path hub.sessions.db',
  ],
};

const ACTIONS = ['list', 'show', 'prune', 'clear', 'forget'] as const;
type Action = (typeof ACTIONS)[number];

/** One session in the JSON documents of `pqble sessions`. */
export interface SessionJson {
  /** 64 hex digits. */
  readonly peerFingerprint: string;
  /** 12 hex digits. */
  readonly deviceId: string;
  /** 32 hex digits (version-1 files); `null` in a version-2 store, which has no session ids. */
  readonly sessionId: string | null;
  /** Version-2 stores: this side can start a resumption. */
  readonly outbound?: boolean;
  /** Version-2 stores: the peer can start a resumption. */
  readonly inbound?: boolean;
  /** ISO UTC time of the last full handshake. */
  readonly established: string;
  /** ISO UTC time of the last use. */
  readonly lastActive: string;
  /** ms since `established`. */
  readonly ageMs: number;
  /** ms since `lastActive`. */
  readonly idleMs: number;
  /** ms until the session expires (0 once expired). */
  readonly expiresInMs: number;
  readonly state: 'active' | 'expired';
}

/** The JSON document of `pqble sessions list --json` (and `show`, with one session). */
export interface SessionListJson {
  readonly path: string;
  /** The file's format version: 1 (cache file) or 2 (store). */
  readonly version: 1 | 2;
  /** ISO UTC time the file was last written (version 1: its savedAt; version 2: its mtime). */
  readonly savedAt: string;
  /** ISO UTC time the states were computed at. */
  readonly now: string;
  readonly ttlHours: number;
  readonly sessions: SessionJson[];
}

function toSessionJson(meta: V1EntryMetadata | StoreEntryMetadata, now: number, ttlMs: number): SessionJson {
  const expired = isSessionExpired(meta, now, ttlMs, DEFAULT_MAX_CLOCK_SKEW_MS);
  return {
    peerFingerprint: meta.peerFingerprint,
    deviceId: meta.deviceId,
    sessionId: 'sessionId' in meta ? meta.sessionId : null,
    ...('outbound' in meta ? { outbound: meta.outbound, inbound: meta.inbound } : {}),
    established: new Date(meta.establishedMs).toISOString(),
    lastActive: new Date(meta.lastActiveMs).toISOString(),
    ageMs: now - meta.establishedMs,
    idleMs: now - meta.lastActiveMs,
    expiresInMs: expired ? 0 : meta.establishedMs + ttlMs - now,
    state: expired ? 'expired' : 'active',
  };
}

/** True if `err` is the "no such file" report of the cache-file helpers. */
function isMissingFile(err: unknown): boolean {
  const cause: unknown = err instanceof Error ? err.cause : undefined;
  return isPqbleError(err, 'PQBLE_ERR_CACHE_FILE') && typeof cause === 'object' && cause !== null && 'code' in cause && cause.code === 'ENOENT';
}

/** Runs a cache-file helper, saying what failed: "no session cache file at X", "cannot prune the session cache: ...". */
async function cacheFile<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isMissingFile(err)) throw new FileFormatError('PQBLE_ERR_CACHE_FILE', `no session cache file at ${path}`, { cause: err });
    if (isPqbleError(err)) {
      err.message = `cannot ${what} the session cache: ${err.message}`; // keeps the class and code
      throw err;
    }
    throw err;
  }
}

function readMetadata(path: string): Promise<V1FileMetadata> {
  return cacheFile(path, 'read', () => readV1FileMetadata(path));
}

function stateText(state: SessionJson['state'], style: Style): string {
  return state === 'active' ? style.green('active') : style.yellow('expired');
}

/** The `list` table (fits 80 columns). */
function renderSessionList(doc: SessionListJson, style: Style): string {
  const lines = [`${doc.path}: ${doc.sessions.length} session${doc.sessions.length === 1 ? '' : 's'}, saved ${doc.savedAt}, TTL ${doc.ttlHours} h`];
  if (doc.sessions.length > 0) {
    lines.push(
      '',
      ...renderTable(
        [
          { header: 'peer' },
          { header: 'device id' },
          { header: doc.version === 1 ? 'session' : 'resumes' },
          { header: 'age', align: 'right' },
          { header: 'idle', align: 'right' },
          { header: 'expires in', align: 'right' },
          { header: 'state' },
        ],
        // Most recently used first.
        [...doc.sessions]
          .reverse()
          .map((s) => [
            shortHex(s.peerFingerprint, 12),
            formatDeviceId(s.deviceId),
            s.sessionId === null ? `${s.outbound === true ? 'out' : '–'}/${s.inbound === true ? 'in' : '–'}` : s.sessionId.slice(0, 8),
            formatDuration(s.ageMs),
            formatDuration(s.idleMs),
            s.state === 'active' ? formatDuration(s.expiresInMs) : '–',
            stateText(s.state, style),
          ]),
        style,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The `show` view of one session. */
function renderSession(path: string, s: SessionJson, style: Style): string {
  const rows: [string, string][] = [
    ['peer fingerprint', s.peerFingerprint],
    ['device id', `${formatDeviceId(s.deviceId)} (last seen at; only a hint)`],
    ...(s.sessionId === null
      ? ([['resumes', `${s.outbound === true ? 'outbound' : 'no outbound'}, ${s.inbound === true ? 'inbound' : 'no inbound'} (version-2 store)`]] as [
          string,
          string,
        ][])
      : ([['session id', s.sessionId]] as [string, string][])),
    ['established', `${s.established} (${formatDuration(s.ageMs)} ago, last full handshake)`],
    ['last active', `${s.lastActive} (${formatDuration(s.idleMs)} ago)`],
    ['expires in', s.state === 'active' ? formatDuration(s.expiresInMs) : '–'],
    ['state', stateText(s.state, style)],
  ];
  return `${path}\n${rows.map(([k, v]) => `  ${style.bold(k.padEnd(16))}  ${v}`).join('\n')}\n`;
}

function readStore(path: string, keyPath: string | undefined): Promise<StoreFileMetadata> {
  return cacheFile(path, 'read', () => readStoreFileMetadata(path, keyPath === undefined ? {} : { keyPath }));
}

/** The one session whose fingerprint (or session id) starts with `prefix`. */
function pick<T extends SessionJson>(sessions: T[], prefix: string, path: string): T {
  const matches = sessions.filter((s) => s.peerFingerprint.startsWith(prefix) || (s.sessionId?.startsWith(prefix) ?? false));
  if (matches.length === 0) throw new Error(`no session in ${path} matches '${prefix}'`);
  if (matches.length > 1) throw new Error(`'${prefix}' matches ${matches.length} sessions in ${path}; give more digits`);
  return matches[0];
}

/** Writes `list` (every session) or `show` (the one `prefix` picks) of `doc`. */
function listOrShow(
  action: 'list' | 'show',
  doc: SessionListJson,
  prefix: string,
  path: string,
  write: (doc: unknown, text: string) => void,
  style: Style,
): number {
  if (action === 'list') {
    write(doc, renderSessionList(doc, style));
    return EXIT_OK;
  }
  const match = pick(doc.sessions, prefix, path);
  write({ ...doc, sessions: [match] }, renderSession(path, match, style));
  return EXIT_OK;
}

/** Runs `pqble sessions ...`. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseCommand('sessions', args, OPTIONS, 2);
  if (parsed.help) {
    context.stdout.write(formatHelp(HELP, OPTIONS));
    return EXIT_OK;
  }
  const [actionText, prefixText] = parsed.positionals;
  if (actionText === undefined) throw new UsageError("'pqble sessions' needs list, show, prune, clear or forget (see pqble sessions --help)");
  if (!(ACTIONS as readonly string[]).includes(actionText)) {
    throw new UsageError(`unknown sessions action '${actionText.slice(0, 40)}' (expected list, show, prune, clear or forget)`);
  }
  const action = actionText as Action;
  const takesPrefix = action === 'show' || action === 'forget';
  if (takesPrefix && prefixText === undefined)
    throw new UsageError(`'pqble sessions ${action}' needs a fingerprint${action === 'show' ? ' or session id' : ''} prefix`);
  const prefix = prefixText?.toLowerCase() ?? '';
  if (takesPrefix && !/^[0-9a-f]{1,64}$/.test(prefix)) throw new UsageError(`'${prefix.slice(0, 40)}' is not a hex prefix of a fingerprint or session id`);
  if (!takesPrefix && prefixText !== undefined) throw new UsageError(`unexpected argument '${prefixText.slice(0, 40)}' for 'pqble sessions ${action}'`);
  const path = requireOption(`sessions ${action}`, 'path', parsed.values.path);
  const keyPath = parsed.values.key;
  const ttlHours = parseNumberOption('ttl-hours', parsed.values['ttl-hours'], { min: 0.01, max: 24 * 365 }) ?? DEFAULT_SESSION_TTL_MS / 3_600_000;
  if ((action === 'clear' || action === 'forget') && parsed.values['ttl-hours'] !== undefined)
    throw new UsageError(`--ttl-hours does not apply to \`pqble sessions ${action}\``);
  const ttlMs = Math.round(ttlHours * 3_600_000);
  const now = context.now();
  const json = parsed.values.json === true;
  const write = (doc: unknown, text: string): void => {
    context.stdout.write(json ? `${JSON.stringify(doc, null, 2)}\n` : text);
  };
  const kind = await cacheFile(path, 'read', () => sessionFileKind(path));
  if (kind === 'v2') return runV2(action, path, keyPath, prefix, { now, ttlMs, ttlHours, write, context });
  if (keyPath !== undefined) throw new UsageError('--key applies to version-2 stores only; this file is a version-1 cache file (read without its key)');

  switch (action) {
    case 'list':
    case 'show': {
      const meta = await readMetadata(path);
      const doc: SessionListJson = {
        path,
        version: 1,
        savedAt: new Date(meta.savedAtMs).toISOString(),
        now: new Date(now).toISOString(),
        ttlHours,
        sessions: meta.sessions.map((m) => toSessionJson(m, now, ttlMs)),
      };
      return listOrShow(action, doc, prefix, path, write, context.style);
    }
    case 'prune':
    case 'clear':
    case 'forget': {
      if (kind === 'missing') {
        if (action !== 'clear') throw new FileFormatError('PQBLE_ERR_CACHE_FILE', `no session cache file at ${path}`);
        write({ path, removed: 0 }, `${path}: no such file, nothing to clear\n`);
        return EXIT_OK;
      }
      // A damaged or foreign file fails here with its reason; a readable version-1 file is refused below.
      await cacheFile(path, action, () => readV1FileMetadata(path));
      throw new FileFormatError(
        'PQBLE_ERR_CACHE_FILE',
        `cannot ${action} ${path}: it is a version-1 cache file, which this version only reads; a transport opening it migrates it to a version-2 store (docs/store.md "Migration from version 1"), which \`pqble sessions ${action}\` then changes`,
      );
    }
  }
}

/**
 * Removes what the transport's trust state keeps of a peer in a version-2 store: its learned
 * public key (`pk:<fingerprint>`) and every trust-on-first-use binding to it
 * (`tofu:<device id>`), as `transport.forgetPeer()` does. Takes the lock.
 * @returns the device ids that were bound to it
 */
async function forgetTrust(path: string, keyPath: string | undefined, fingerprint: string): Promise<string[]> {
  const store = await FileSessionStore.open({ path, logger: { warn: () => undefined }, ...(keyPath === undefined ? {} : { keyPath }) });
  try {
    const unbound: string[] = [];
    for await (const [name, value] of store.listValues('tofu:')) if (bytesToHex(value) === fingerprint) unbound.push(name.slice('tofu:'.length));
    for (const deviceId of unbound) await store.putValue(`tofu:${deviceId}`, undefined);
    await store.putValue(`pk:${fingerprint}`, undefined);
    return unbound.sort();
  } finally {
    await store.close();
  }
}

/**
 * The one fingerprint starting with `prefix` among a version-2 store's trust state (learned
 * keys `pk:<fingerprint>`, TOFU bindings `tofu:<device id>`), for a peer without a session.
 */
async function pickTrusted(path: string, keyPath: string | undefined, prefix: string): Promise<string> {
  const store = await FileSessionStore.open({ path, logger: { warn: () => undefined }, ...(keyPath === undefined ? {} : { keyPath }) });
  const found = new Set<string>();
  try {
    for await (const [name] of store.listValues('pk:')) if (name.slice('pk:'.length).startsWith(prefix)) found.add(name.slice('pk:'.length));
    for await (const [, value] of store.listValues('tofu:')) {
      const hex = bytesToHex(value);
      if (hex.startsWith(prefix)) found.add(hex);
    }
  } finally {
    await store.close();
  }
  if (found.size === 0) throw new Error(`no session in ${path} matches '${prefix}'`);
  if (found.size > 1) throw new Error(`'${prefix}' matches ${found.size} trusted peers in ${path}; give more digits`);
  return [...found][0];
}

interface V2Context {
  readonly now: number;
  readonly ttlMs: number;
  readonly ttlHours: number;
  readonly write: (doc: unknown, text: string) => void;
  readonly context: CliContext;
}

async function runV2(action: Action, path: string, keyPath: string | undefined, prefix: string, c: V2Context): Promise<number> {
  const { now, ttlMs, ttlHours, write, context } = c;
  const opts = keyPath === undefined ? {} : { keyPath };
  const listDoc = async (): Promise<SessionListJson> => {
    const meta = await readStore(path, keyPath);
    return {
      path,
      version: 2,
      savedAt: new Date(meta.modifiedMs).toISOString(),
      now: new Date(now).toISOString(),
      ttlHours,
      sessions: meta.entries.map((m) => toSessionJson(m, now, ttlMs)),
    };
  };
  switch (action) {
    case 'list':
    case 'show': {
      const doc = await listDoc();
      return listOrShow(action, doc, prefix, path, write, context.style);
    }
    case 'prune': {
      const removed = await cacheFile(path, 'prune', () => pruneStoreFile(path, { ...opts, now, ttlMs, maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS }));
      const remaining = (await readStore(path, keyPath)).entries.length;
      write({ path, removed, remaining }, `${path}: removed ${removed} expired session${removed === 1 ? '' : 's'}, ${remaining} left\n`);
      return EXIT_OK;
    }
    case 'clear': {
      const removed = await cacheFile(path, 'clear', () => clearStoreFile(path, opts));
      write({ path, removed }, `${path}: cleared (${removed} session${removed === 1 ? '' : 's'} forgotten)\n`);
      return EXIT_OK;
    }
    case 'forget': {
      const sessions = (await listDoc()).sessions;
      // A peer's trust state (its key, its TOFU bindings) outlives its session: with no
      // session matching, the prefix is looked up among the trust state.
      const hasSession = sessions.some((s) => s.peerFingerprint.startsWith(prefix));
      const fingerprint = hasSession ? pick(sessions, prefix, path).peerFingerprint : await cacheFile(path, 'read', () => pickTrusted(path, keyPath, prefix));
      if (hasSession) await cacheFile(path, 'forget', () => forgetStoreEntry(path, fingerprint, opts));
      const unbound = await cacheFile(path, 'forget', () => forgetTrust(path, keyPath, fingerprint));
      write(
        { path, forgotten: fingerprint, unbound },
        `${path}: forgot ${fingerprint} (its next connection needs a full handshake` +
          `${unbound.length === 0 ? '' : `; no longer bound to device ${unbound.map(formatDeviceId).join(', ')}`})\n`,
      );
      return EXIT_OK;
    }
  }
}
