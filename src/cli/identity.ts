/**
 * `pqble identity new|show|export-public` (docs/cli.md "pqble identity"): creates an
 * ML-DSA-65 identity key file (mode 0600, atomically, never over an existing file unless
 * `--force`), shows the fingerprint of one, or exports its public key (hex text or the raw
 * 1,952 bytes) for peers to pin (`knownPeers`) or to check against an allow-list. The secret never leaves the file: it is not printed, and the
 * in-memory copy is wiped when the command is done.
 *
 * @module
 */

import { lstat, stat, writeFile } from 'node:fs/promises';
import { exists } from '../util/fs.js';
import { bytesToHex, wipe } from '../bytes.js';
import { FileFormatError } from '../errors.js';
import { fingerprintToHex, generateIdentity, loadIdentity, saveIdentity, type Identity } from '../identity/index.js';
import { EXIT_OK, UsageError, formatHelp, parseChoiceOption, parseCommand, requireOption, type CommandHelp, type OptionTable } from './args.js';
import type { CliContext } from './context.js';

const OPTIONS = {
  path: { type: 'string', value: 'FILE', description: 'The identity key file.' },
  force: { type: 'boolean', description: '`new`: replace an existing file (its identity is lost); `export-public`: replace an existing --out file.' },
  out: { type: 'string', value: 'FILE', description: '`export-public`: write the public key to FILE (mode 0644) instead of stdout.' },
  format: {
    type: 'string',
    value: 'hex|raw',
    description: '`export-public`: 3,904 lowercase hex digits and a newline (default), or the raw 1,952 bytes (needs --out).',
  },
  json: { type: 'boolean', description: 'Print one JSON document instead of text.' },
} as const satisfies OptionTable;

const HELP: CommandHelp = {
  usage: 'identity new|show|export-public --path FILE [--out FILE] [...]',
  summary:
    '`new` creates a long-term ML-DSA-65 identity key file (mode 0600). `show` prints the fingerprint of an identity file: ' +
    'the 64-hex-digit name peers know this device by. `export-public` prints (or writes to --out) its 1,952-byte public key, ' +
    'for peers to pin with `knownPeers`. The secret key is never printed.',
  notes: [
    'Examples:',
    '  pqble identity new --path ~/.config/pqble/hub.identity.json',
    '  pqble identity show --path ~/.config/pqble/hub.identity.json',
    '  pqble identity export-public --path hub.identity.json --out hub.pub',
  ],
};

/** The JSON document of `pqble identity export-public --json`. */
export interface PublicKeyJson {
  readonly path: string;
  readonly algorithm: 'ML-DSA-65';
  /** 64 lowercase hex digits: what an allow-list (`trust: { mode: 'allow-list' }`) holds. */
  readonly fingerprint: string;
  /** 1,952. */
  readonly publicKeyBytes: number;
  readonly format: 'hex' | 'raw';
  /** The file written, or `null` when the key is in `publicKey`. */
  readonly out: string | null;
  /** The public key as hex when there is no --out, else `null`. */
  readonly publicKey: string | null;
}

/** True if `a` exists and is, after following links, the same file as `b`. */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Writes or prints the public key of `identity` (`pqble identity export-public`). */
async function exportPublic(
  path: string,
  identity: Identity,
  values: { out?: string; format?: string; force?: boolean; json?: boolean },
  context: CliContext,
): Promise<void> {
  const format = parseChoiceOption('format', values.format, ['hex', 'raw'] as const) ?? 'hex';
  const out = values.out === undefined ? undefined : requireOption('identity export-public', 'out', values.out);
  if (format === 'raw' && out === undefined) throw new UsageError('--format raw needs --out FILE (raw bytes are not written to a terminal)');
  if (values.force === true && out === undefined) throw new UsageError('--force only applies to `pqble identity export-public` with --out');
  const hex = bytesToHex(identity.publicKey);
  if (out !== undefined) {
    if (await sameFile(out, path)) throw new UsageError(`--out ${out} is the identity file itself (writing it would destroy the secret key)`);
    if (values.force !== true && (await exists(out))) {
      throw new FileFormatError('PQBLE_ERR_KEY_FILE', `${out} already exists (use --force to replace it)`);
    }
    await writeFile(out, format === 'raw' ? identity.publicKey : `${hex}\n`, { mode: 0o644 });
  }
  const fingerprint = fingerprintToHex(identity.fingerprint);
  if (values.json === true) {
    const doc: PublicKeyJson = {
      path,
      algorithm: 'ML-DSA-65',
      fingerprint,
      publicKeyBytes: identity.publicKey.length,
      format,
      out: out ?? null,
      publicKey: out === undefined ? hex : null,
    };
    context.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else if (out === undefined) {
    context.stdout.write(`${hex}\n`);
    context.stderr.write(`public key of ${fingerprint} (${identity.publicKey.length} bytes)\n`);
  } else {
    context.stdout.write(`${context.style.green('wrote')} ${out}: public key of ${fingerprint} (${identity.publicKey.length} bytes, ${format})\n`);
  }
}

/** The JSON document of `pqble identity new|show --json`. */
export interface IdentityJson {
  readonly path: string;
  /** `true` for `new`. */
  readonly created: boolean;
  readonly algorithm: 'ML-DSA-65';
  /** 64 lowercase hex digits. */
  readonly fingerprint: string;
  /** Length of the public key in bytes (1,952). */
  readonly publicKeyBytes: number;
  /**
   * What the file keeps of the secret: `"seed"` (the 32-byte key-generation seed, what
   * `identity new` writes) or `"secret-key"` (the 4,032-byte expanded key of an identity
   * imported from a key pair, whose seed cannot be recovered). Both work with every crypto
   * backend (docs/crypto.md "Identity files").
   */
  readonly secret: 'seed' | 'secret-key';
  /** Permission bits of the file, as octal text (`"0600"`). */
  readonly mode: string;
}

async function fileMode(path: string): Promise<number> {
  return (await lstat(path)).mode & 0o777;
}

/** Runs `pqble identity ...`. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseCommand('identity', args, OPTIONS, 1);
  if (parsed.help) {
    context.stdout.write(formatHelp(HELP, OPTIONS));
    return EXIT_OK;
  }
  const action = parsed.positionals[0];
  if (action !== 'new' && action !== 'show' && action !== 'export-public') {
    throw new UsageError(
      action === undefined
        ? "'pqble identity' needs new, show or export-public (see pqble identity --help)"
        : `unknown identity action '${action.slice(0, 40)}' (expected new, show or export-public)`,
    );
  }
  const path = requireOption(`identity ${action}`, 'path', parsed.values.path);
  if (action === 'show' && parsed.values.force === true) throw new UsageError('--force only applies to `pqble identity new` and `export-public`');
  if (action !== 'export-public' && (parsed.values.out !== undefined || parsed.values.format !== undefined)) {
    throw new UsageError('--out and --format only apply to `pqble identity export-public`');
  }
  if (action === 'export-public') {
    const identity = await loadIdentity(path);
    try {
      await exportPublic(path, identity, parsed.values, context);
      return EXIT_OK;
    } finally {
      wipe(identity.secretKey, identity.seed);
    }
  }

  let identity: Identity | undefined;
  try {
    if (action === 'new') {
      const force = parsed.values.force === true;
      if (!force && (await exists(path))) {
        throw new FileFormatError('PQBLE_ERR_KEY_FILE', `identity file ${path} already exists (use --force to replace it)`);
      }
      identity = generateIdentity();
      await saveIdentity(path, identity, { overwrite: force });
    } else {
      identity = await loadIdentity(path);
    }
    const doc: IdentityJson = {
      path,
      created: action === 'new',
      algorithm: 'ML-DSA-65',
      fingerprint: fingerprintToHex(identity.fingerprint),
      publicKeyBytes: identity.publicKey.length,
      secret: identity.seed === undefined ? 'secret-key' : 'seed',
      mode: (await fileMode(path)).toString(8).padStart(4, '0'),
    };
    if (parsed.values.json === true) {
      context.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      const s = context.style;
      const lines = [
        action === 'new' ? `${s.green('created')} ${path} (mode ${doc.mode})` : `${path} (mode ${doc.mode})`,
        `  algorithm    ${doc.algorithm}, public key ${doc.publicKeyBytes} bytes`,
        `  fingerprint  ${s.bold(doc.fingerprint)}`,
        doc.secret === 'seed' ? '  secret       32-byte seed' : '  secret       4,032-byte secret key (no seed)',
      ];
      if (doc.secret === 'secret-key') {
        lines.push(
          s.dim('  note: this file keeps the secret key of an imported key pair, not its seed'),
          s.dim('  (which cannot be recovered). It works with both crypto backends; for a seed'),
          s.dim('  file, create a new identity (pqble identity new) and have peers pin it.'),
        );
      }
      if ((Number.parseInt(doc.mode, 8) & 0o077) !== 0) {
        lines.push(s.yellow(`  warning: other users can read this file; run chmod 600 ${path}`));
      }
      context.stdout.write(`${lines.join('\n')}\n`);
    }
    return EXIT_OK;
  } finally {
    if (identity !== undefined) wipe(identity.secretKey, identity.seed);
  }
}
