/**
 * Identity key files (docs/protocol.md "Identity file"). A small versioned JSON file, mode
 * 0600, replaced atomically (temporary file, fsync, rename or link, fsync of the directory):
 *
 * ```json
 * { "version": 1, "type": "pqble-identity", "algorithm": "ML-DSA-65",
 *   "fingerprint": "<64 hex>", "publicKey": "<base64>", "seed": "<base64 of 32 bytes>" }
 * ```
 *
 * `seed` (preferred: the key pair is re-derived on load) or `secretKey` (4,032 bytes, for
 * identities imported from a key pair). On load the stored public key and fingerprint must
 * match what the secret derives; any problem is a `FileFormatError` `PQBLE_ERR_KEY_FILE`.
 *
 * @module
 */

import { link, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkBytes, equalBytes } from '../bytes.js';
import { SIZES, checkCrypto, type CryptoProvider } from '../crypto/index.js';
import { FileFormatError } from '../errors.js';
import { isFingerprint } from '../ids.js';
import { FINGERPRINT_BYTES, IDENTITY_SEED_BYTES, fingerprintToHex, identityFromKeyPair, identityFromSeed, isIdentity, type Identity } from './identity.js';
import { errnoCode, exists, readSmallFile, syncDir, writeTemp } from '../util/fs.js';
import { checkOptionKeys, checkOptions, optBoolean } from '../util/options.js';

/** Version number written to and required in identity files. */
export const IDENTITY_FILE_VERSION = 1;

/** Largest identity file `loadIdentity` reads (bytes); a bigger file is malformed. */
export const MAX_IDENTITY_FILE_BYTES = 65536;

const FILE_TYPE = 'pqble-identity';
const ALGORITHM = 'ML-DSA-65';
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const FILE_KEYS = ['version', 'type', 'algorithm', 'fingerprint', 'publicKey', 'seed', 'secretKey'];

/** Options of {@link saveIdentity}. */
export interface SaveIdentityOptions {
  /** Replace an existing file at `path`. Default: `false` (an existing file is an error). */
  readonly overwrite?: boolean;
}

/** Options of {@link loadIdentity}. */
export interface LoadIdentityOptions {
  /** Primitives used to re-derive and check the key pair. Default: `defaultCrypto()` (docs/crypto.md). */
  readonly crypto?: CryptoProvider;
}

function keyFileError(path: string, reason: string, cause?: unknown): FileFormatError {
  return new FileFormatError('PQBLE_ERR_KEY_FILE', `identity file ${path}: ${reason}`, cause === undefined ? {} : { cause });
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function fromBase64(value: unknown, length: number): Uint8Array | undefined {
  if (typeof value !== 'string' || !BASE64_RE.test(value)) return undefined;
  const buf = Buffer.from(value, 'base64');
  if (buf.length !== length) {
    buf.fill(0);
    return undefined;
  }
  const out = new Uint8Array(buf);
  buf.fill(0);
  return out;
}

/**
 * Writes `identity` to `path` as a versioned JSON key file with mode 0600, atomically:
 * a temporary file in the same directory is written and fsynced, then renamed over
 * `path` (with `overwrite`) or hard-linked to it (without: fails if `path` exists, with
 * no window in which a concurrent writer could be clobbered). The parent directory is
 * created (mode 0700) if missing. Stores the 32-byte seed when the identity has one,
 * otherwise the secret key.
 * @throws TypeError for a bad argument; FileFormatError `PQBLE_ERR_KEY_FILE` if the file
 *   exists (without `overwrite`) or cannot be written
 */
export async function saveIdentity(path: string, identity: Identity, options?: SaveIdentityOptions): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
  const overwrite = optBoolean(checkOptions(options, 'saveIdentity options', ['overwrite']).overwrite, 'saveIdentity options.overwrite', false);
  if (!isIdentity(identity)) throw new TypeError('identity must be an Identity whose fingerprint matches its public key');
  if (identity.seed !== undefined) checkBytes(identity.seed, 'identity.seed', IDENTITY_SEED_BYTES);

  const record: Record<string, unknown> = {
    version: IDENTITY_FILE_VERSION,
    type: FILE_TYPE,
    algorithm: ALGORITHM,
    fingerprint: fingerprintToHex(identity.fingerprint),
    publicKey: toBase64(identity.publicKey),
  };
  if (identity.seed !== undefined) record.seed = toBase64(identity.seed);
  else record.secretKey = toBase64(identity.secretKey);
  const data = Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8');

  const dir = dirname(path);
  let tmp: string | undefined;
  try {
    const written = await writeTemp(path, data);
    tmp = written;
    if (overwrite) {
      await rename(written, path);
    } else {
      try {
        await link(written, path);
      } catch (err) {
        if (errnoCode(err) === 'EEXIST') throw keyFileError(path, 'already exists (pass { overwrite: true } to replace it)');
        // No hard links on this file system: check, then rename (a small race, documented).
        if (await exists(path)) throw keyFileError(path, 'already exists (pass { overwrite: true } to replace it)');
        await rename(written, path);
      }
    }
    await syncDir(dir);
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw keyFileError(path, `cannot be written (${errnoCode(err) ?? 'error'})`, err);
  } finally {
    data.fill(0);
    if (tmp !== undefined) await unlink(tmp).catch(() => undefined);
  }
}

async function readLimited(path: string): Promise<Uint8Array> {
  try {
    return (await readSmallFile(path, MAX_IDENTITY_FILE_BYTES, (reason, cause) => keyFileError(path, reason, cause))).bytes;
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw keyFileError(path, errnoCode(err) === 'ENOENT' ? 'does not exist' : `cannot be read (${errnoCode(err) ?? 'error'})`, err);
  }
}

/**
 * Reads an identity key file written by {@link saveIdentity}, re-derives (or checks) the
 * key pair and verifies that the stored public key and fingerprint match it. Logs nothing.
 * @throws TypeError for a bad argument; FileFormatError `PQBLE_ERR_KEY_FILE` if the file is
 *   missing, unreadable, too large, not JSON, of another type, version or algorithm, has a
 *   missing, extra or malformed field, or its keys and fingerprint do not match
 */
export async function loadIdentity(path: string, options?: LoadIdentityOptions): Promise<Identity> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
  checkOptionKeys(options, ['crypto'], 'loadIdentity options');
  const crypto = checkCrypto(options?.crypto);
  const raw = await readLimited(path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw));
  } catch (err) {
    throw keyFileError(path, 'is not valid JSON', err);
  } finally {
    raw.fill(0);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw keyFileError(path, 'is not a JSON object');
  const file = parsed as Record<string, unknown>;
  for (const key of Object.keys(file)) {
    if (!FILE_KEYS.includes(key)) throw keyFileError(path, `has an unknown field "${key.slice(0, 40)}"`);
  }
  if (file.type !== FILE_TYPE) throw keyFileError(path, `is not a ${FILE_TYPE} file`);
  if (file.version !== IDENTITY_FILE_VERSION) throw keyFileError(path, `has unsupported version ${JSON.stringify(file.version) ?? 'undefined'}`);
  if (file.algorithm !== ALGORITHM) throw keyFileError(path, `has unsupported algorithm (expected ${ALGORITHM})`);
  if (!isFingerprint(file.fingerprint)) {
    throw keyFileError(path, `has a malformed fingerprint (expected ${FINGERPRINT_BYTES * 2} lowercase hex digits)`);
  }
  const publicKey = fromBase64(file.publicKey, SIZES.sigPublicKey);
  if (publicKey === undefined) throw keyFileError(path, 'has a malformed publicKey');
  if ('seed' in file === 'secretKey' in file) throw keyFileError(path, 'must hold exactly one of "seed" and "secretKey"');

  let identity: Identity | undefined;
  if ('seed' in file) {
    const seed = fromBase64(file.seed, IDENTITY_SEED_BYTES);
    if (seed === undefined) throw keyFileError(path, 'has a malformed seed');
    try {
      identity = identityFromSeed(seed, { crypto });
    } finally {
      seed.fill(0);
    }
    if (!equalBytes(identity.publicKey, publicKey)) throw keyFileError(path, 'public key does not match the seed');
  } else {
    const secretKey = fromBase64(file.secretKey, SIZES.sigSecretKey);
    if (secretKey === undefined) throw keyFileError(path, 'has a malformed secretKey');
    try {
      identity = identityFromKeyPair(publicKey, secretKey, { crypto });
    } finally {
      secretKey.fill(0);
    }
    if (identity === undefined) throw keyFileError(path, 'secret key does not match the public key');
  }
  if (fingerprintToHex(identity.fingerprint) !== file.fingerprint) throw keyFileError(path, 'fingerprint does not match the public key');
  return identity;
}
