/**
 * BENCHMARK BASELINE, not shipped: the first release's version-1 session cache file store, removed from the package in 0.2
 * (docs/api.md "Removed in 0.2") and kept here unchanged but for import paths, so that `pqble bench cache` and the main benchmark's cache rows
 * measure today's code against what it replaced.
 * Over 400 lines: it is the version-1 store as it shipped, frozen for the comparison.
 *
 * The session cache file and its storage-key file (docs/cache-file.md; docs/security.md
 * "Properties" 9).
 *
 * The cache file is versioned JSON with readable metadata; the only secret in it is each
 * entry's resumption secret, sealed with ChaCha20-Poly1305 under a key derived from a
 * 32-byte storage key that lives elsewhere (a key file, mode 0600, or the caller's key),
 * with the entry's metadata as associated data. Files are replaced atomically (temp file,
 * fsync, rename, fsync of the directory). A damaged, foreign or unusable file is set aside
 * as `<path>.corrupt-<timestamp>` with a warning and the store starts empty; `load()` never
 * throws.
 *
 * @module
 */

import { chmod, link, lstat, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkBytes, equalBytes, utf8ToBytes, wipe, writeU32 } from '../../src/bytes.js';
import { SIZES, type CryptoProvider } from '../../src/crypto/index.js';
import { nodeCrypto } from '../../src/crypto/node.js';
import { FileFormatError, PqbleError } from '../../src/errors.js';
import { consoleLogger, type Logger } from '../../src/logger.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS, DEFAULT_SESSION_TTL_MS, isSessionExpired } from './session-cache-v1.js';
import type { SnapshotSessionStore } from './snapshot-store-v1.js';
import type { CachedSession } from '../../src/session/types.js';
import { checkOptionKeys, freezeChecked, isChecked, isFingerprint, isId16, MAX_TIME_MS, normaliseSession, RESUMPTION_SECRET_BYTES } from './validate-v1.js';
import { isDeviceId } from '../../src/ids.js';
import { errnoCode, readSmallFile, syncDir, writeFileAtomic, writeTemp, type RawFile } from '../../src/util/fs.js';

/** `format` field of a cache file. */
export const CACHE_FILE_FORMAT = 'pqble-session-cache';
/** `version` field of a cache file this code reads and writes. */
export const CACHE_FILE_VERSION = 1;
/** `type` field of a storage-key file. */
export const KEY_FILE_TYPE = 'pqble-storage-key';
/** Default {@link FileSessionStoreOptions.maxFileBytes}: 64 MiB. */
export const DEFAULT_MAX_CACHE_FILE_BYTES = 64 * 1024 * 1024;
/** Bytes of a storage key. */
export const STORAGE_KEY_BYTES = 32;

/** Largest accepted `maxFileBytes` (a JavaScript string must hold the whole file). */
const MAX_FILE_BYTES_LIMIT = 512 * 1024 * 1024;
/** A key file is tiny; anything bigger is not one. */
const MAX_KEY_FILE_BYTES = 4096;
/** nonce || ciphertext || tag of a 32-byte secret. */
const SEALED_SECRET_BYTES = SIZES.aeadNonce + RESUMPTION_SECRET_BYTES + SIZES.aeadTag;
/** Bytes of the associated data of one sealed secret (see docs/cache-file.md "Seal"). */
const AAD_BYTES = 1 + 32 + 6 + 16 + 16 + 8 + 8;
const HKDF_SALT = utf8ToBytes('pqble session cache v1');
const HKDF_INFO = utf8ToBytes('pqble session cache seal key');
const SEALED_RE = /^[A-Za-z0-9_-]{80}$/;
const KEY_B64_RE = /^[A-Za-z0-9+/]{43}=$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TOP_KEYS = ['version', 'format', 'savedAt', 'sessions'];
const ENTRY_KEYS = ['peerFingerprint', 'deviceId', 'sessionId', 'established', 'lastActive', 'ticketId', 'sealedSecret'];
const OPTION_KEYS = ['path', 'storageKey', 'keyPath', 'logger', 'maxFileBytes', 'crypto', 'now'] as const;

/** Options of {@link FileSessionStore}. */
export interface FileSessionStoreOptions {
  /** Path of the cache file. Its parent directory is created (mode 0700) on the first save if missing. */
  readonly path: string;
  /**
   * The 32-byte storage key that seals the resumption secrets (copied). When given, no key
   * file is read or written. Default: the key kept in the key file at `keyPath`.
   */
  readonly storageKey?: Uint8Array;
  /** Path of the key file. Default `${path}.key`. Created (mode 0600, atomically) on the first save if missing. */
  readonly keyPath?: string;
  /** Where warnings go (a corrupt file set aside, a file mode tightened). Default `consoleLogger`. */
  readonly logger?: Logger;
  /** A bigger cache file is treated as corrupt and not read; a save that would exceed it fails. Default 64 MiB. */
  readonly maxFileBytes?: number;
  /** The crypto backend (AEAD, HKDF, random). Default `nodeCrypto` (noble with node:crypto's ChaCha20-Poly1305). */
  readonly crypto?: CryptoProvider;
  /** Wall clock in ms, for `savedAt` and the `.corrupt-<timestamp>` suffix. Default `Date.now`. */
  readonly now?: () => number;
}

/** The readable metadata of one session in a cache file (no secret). */
export interface CacheFileSessionMetadata {
  /** 64 hex digits: the peer's identity fingerprint. */
  readonly peerFingerprint: string;
  /** 12 hex digits: the BLE address the peer was last seen at. */
  readonly deviceId: string;
  /** 32 hex digits: the session id. */
  readonly sessionId: string;
  /** Wall-clock ms of the last full handshake (`established`). */
  readonly establishedMs: number;
  /** Wall-clock ms of the last use (`lastActive`). */
  readonly lastActiveMs: number;
  /** 32 hex digits: the current ticket id. */
  readonly ticketId: string;
}

/** What {@link readCacheFileMetadata} reports about a cache file: metadata only, never a secret. */
export interface CacheFileMetadata {
  /** The path that was read. */
  readonly path: string;
  /** Always `"pqble-session-cache"`. */
  readonly format: typeof CACHE_FILE_FORMAT;
  /** Always 1. */
  readonly version: typeof CACHE_FILE_VERSION;
  /** Wall-clock ms of the save that wrote the file (`savedAt`). */
  readonly savedAtMs: number;
  /** Size of the file in bytes. */
  readonly sizeBytes: number;
  /** Permission bits of the file (0o600 expected). */
  readonly mode: number;
  /** The sessions, least recently used first. */
  readonly sessions: CacheFileSessionMetadata[];
}

/** Options of {@link pruneCacheFile}. */
export interface PruneCacheFileOptions {
  /** Wall clock: ms since the epoch, or a function returning it. Default `Date.now()`. */
  readonly now?: number | (() => number);
  /** Session life from the last full handshake, in ms. Default 24 h. */
  readonly ttlMs?: number;
  /** Tolerated future skew of `established`/`lastActive`, in ms (see `SessionCacheOptions`). Default 5 min. */
  readonly maxClockSkewMs?: number;
  /** Largest file read. Default 64 MiB. */
  readonly maxFileBytes?: number;
}

/** Options of {@link readCacheFileMetadata} and {@link clearCacheFile}. */
export interface ReadCacheFileOptions {
  /** Largest file read. Default 64 MiB. */
  readonly maxFileBytes?: number;
}

// ---------------------------------------------------------------------------------------
// Parsing (no key needed)

/** One parsed, validated entry of a cache file. */
interface ParsedEntry {
  readonly meta: CacheFileSessionMetadata;
  /** `sealedSecret`: base64url of nonce || ciphertext || tag, validated to be 60 bytes. */
  readonly sealed: string;
}

interface ParsedFile {
  readonly savedAtMs: number;
  readonly entries: ParsedEntry[];
}

/** A cache file that is not usable; `reason` is safe to log (never content or key material). */
function corrupt(reason: string, cause?: unknown): FileFormatError {
  return new FileFormatError('PQBLE_ERR_CACHE_FILE', reason, cause === undefined ? {} : { cause });
}

function keyFileError(reason: string, cause?: unknown): FileFormatError {
  return new FileFormatError('PQBLE_ERR_KEY_FILE', reason, cause === undefined ? {} : { cause });
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
}

/**
 * Parses a canonical `YYYY-MM-DDTHH:MM:SS.mmmZ` UTC timestamp (exactly what
 * `Date.prototype.toISOString` writes for years 1970..9999); undefined for anything else.
 */
function parseIsoMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ISO_RE.test(value)) return undefined;
  const y = digits(value, 0, 4);
  const mo = digits(value, 5, 2);
  const d = digits(value, 8, 2);
  const h = digits(value, 11, 2);
  const mi = digits(value, 14, 2);
  const sec = digits(value, 17, 2);
  const ms = digits(value, 20, 3);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return undefined;
  if (d > (mo === 2 && isLeapYear(y) ? 29 : DAYS_IN_MONTH[mo - 1])) return undefined;
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms;
}

function pad(v: number, width: number): string {
  return String(v).padStart(width, '0');
}

/** `new Date(ms).toISOString()` for ms in [0, MAX_TIME_MS], without allocating a Date. */
function toIso(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rem = ms - days * 86_400_000;
  // civil_from_days (H. Hinnant)
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const mi = Math.floor(rem / 60_000);
  rem -= mi * 60_000;
  const sec = Math.floor(rem / 1000);
  const milli = rem - sec * 1000;
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(sec, 2)}.${pad(milli, 3)}Z`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOnlyKeys(obj: Record<string, unknown>, allowed: readonly string[]): boolean {
  const keys = Object.keys(obj);
  if (keys.length !== allowed.length) return false;
  for (const k of keys) if (!allowed.includes(k)) return false;
  return true;
}

const TEXT_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Validates the text of a cache file. Throws `PQBLE_ERR_CACHE_FILE` with a loggable reason.
 */
function parseCacheFile(bytes: Uint8Array): ParsedFile {
  let text: string;
  try {
    text = TEXT_DECODER.decode(bytes);
  } catch (err) {
    throw corrupt('not UTF-8 text', err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // The parser's message may quote file content; keep only a fixed reason.
    throw corrupt('not valid JSON (truncated or damaged)', err);
  }
  if (!isPlainObject(doc)) throw corrupt('not a JSON object');
  if (doc.format !== CACHE_FILE_FORMAT) throw corrupt(`not a pqble session cache file (format is not "${CACHE_FILE_FORMAT}")`);
  if (doc.version !== CACHE_FILE_VERSION) {
    const v = typeof doc.version === 'number' ? String(doc.version) : typeof doc.version;
    throw corrupt(`unsupported version ${v.slice(0, 20)} (this code reads version ${CACHE_FILE_VERSION})`);
  }
  if (!hasOnlyKeys(doc, TOP_KEYS)) throw corrupt('unexpected or missing top-level fields');
  const savedAtMs = parseIsoMs(doc.savedAt);
  if (savedAtMs === undefined) throw corrupt('savedAt is not a UTC timestamp like 2026-01-24T12:00:00.000Z');
  const sessions = doc.sessions;
  if (!Array.isArray(sessions)) throw corrupt('sessions is not an array');
  const entries: ParsedEntry[] = new Array<ParsedEntry>(sessions.length);
  const fingerprints = new Set<string>();
  const tickets = new Set<string>();
  for (let i = 0; i < sessions.length; i++) {
    const raw: unknown = sessions[i];
    const where = `sessions[${i}]`;
    if (!isPlainObject(raw)) throw corrupt(`${where} is not an object`);
    if (!hasOnlyKeys(raw, ENTRY_KEYS)) throw corrupt(`${where} has unexpected or missing fields`);
    const { peerFingerprint, deviceId, sessionId, ticketId, sealedSecret } = raw;
    if (!isFingerprint(peerFingerprint)) throw corrupt(`${where}.peerFingerprint is not 64 lowercase hex digits`);
    if (!isDeviceId(deviceId)) throw corrupt(`${where}.deviceId is not 12 lowercase hex digits`);
    if (!isId16(sessionId)) throw corrupt(`${where}.sessionId is not 32 lowercase hex digits`);
    if (!isId16(ticketId)) throw corrupt(`${where}.ticketId is not 32 lowercase hex digits`);
    const establishedMs = parseIsoMs(raw.established);
    if (establishedMs === undefined) throw corrupt(`${where}.established is not a UTC timestamp`);
    const lastActiveMs = parseIsoMs(raw.lastActive);
    if (lastActiveMs === undefined) throw corrupt(`${where}.lastActive is not a UTC timestamp`);
    if (typeof sealedSecret !== 'string' || !SEALED_RE.test(sealedSecret)) {
      throw corrupt(`${where}.sealedSecret is not ${SEALED_SECRET_BYTES} bytes of base64url`);
    }
    if (fingerprints.has(peerFingerprint)) throw corrupt(`${where}: peerFingerprint appears twice`);
    if (tickets.has(ticketId)) throw corrupt(`${where}: ticketId appears twice`);
    fingerprints.add(peerFingerprint);
    tickets.add(ticketId);
    entries[i] = { meta: { peerFingerprint, deviceId, sessionId, establishedMs, lastActiveMs, ticketId }, sealed: sealedSecret };
  }
  return { savedAtMs, entries };
}

// ---------------------------------------------------------------------------------------
// Sealing

const HEX_VALUES = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) t[97 + i] = 10 + i;
  return t;
})();

const B64URL_VALUES = (() => {
  const t = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
})();

/** Decodes validated unpadded base64url whose length is a multiple of 4 into `out`. */
function base64urlInto(out: Uint8Array, text: string): void {
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const v =
      (B64URL_VALUES[text.charCodeAt(i)] << 18) |
      (B64URL_VALUES[text.charCodeAt(i + 1)] << 12) |
      (B64URL_VALUES[text.charCodeAt(i + 2)] << 6) |
      B64URL_VALUES[text.charCodeAt(i + 3)];
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 0xff;
    out[o++] = v & 0xff;
  }
}

/** Writes validated lowercase hex into `out` at `offset`. */
function hexInto(out: Uint8Array, offset: number, hex: string): number {
  for (let i = 0; i < hex.length; i += 2) {
    out[offset++] = (HEX_VALUES[hex.charCodeAt(i)] << 4) | HEX_VALUES[hex.charCodeAt(i + 1)];
  }
  return offset;
}

/**
 * The associated data of one sealed secret: a canonical, fixed-length encoding of the file
 * version and every metadata field, so that editing or swapping metadata breaks the seal.
 * `version(1) || fingerprint(32) || deviceId(6) || sessionId(16) || ticketId(16) ||
 * established u64 BE ms(8) || lastActive u64 BE ms(8)`.
 */
function sealAadInto(aad: Uint8Array, meta: CacheFileSessionMetadata): Uint8Array {
  aad[0] = CACHE_FILE_VERSION;
  let o = hexInto(aad, 1, meta.peerFingerprint);
  o = hexInto(aad, o, meta.deviceId);
  o = hexInto(aad, o, meta.sessionId);
  o = hexInto(aad, o, meta.ticketId);
  writeTime(aad, o, meta.establishedMs);
  writeTime(aad, o + 8, meta.lastActiveMs);
  return aad;
}

/** Big-endian u64 of a whole number of ms in [0, 2^53), as two u32 (no BigInt on this hot path). */
function writeTime(out: Uint8Array, offset: number, ms: number): void {
  writeU32(out, offset, Math.floor(ms / 0x1_0000_0000));
  writeU32(out, offset + 4, ms >>> 0);
}

/**
 * Scratch space reused for every entry of one load or save: 4-byte-aligned views for the
 * nonce, the sealed bytes and the associated data, in one buffer larger than V8's on-heap
 * typed-array limit, so the AEAD never has to copy or externalise a fresh small buffer.
 */
class SealScratch {
  readonly buffer = Buffer.alloc(256);
  /** nonce(12) || ciphertext(32) || tag(16), as in the file. */
  readonly sealed = this.buffer.subarray(0, SEALED_SECRET_BYTES);
  readonly nonce = this.buffer.subarray(0, SIZES.aeadNonce);
  readonly cipherText = this.buffer.subarray(SIZES.aeadNonce, SEALED_SECRET_BYTES);
  readonly aad = this.buffer.subarray(64, 64 + AAD_BYTES);

  wipe(): void {
    this.buffer.fill(0);
  }
}

/** The AEAD key that seals secrets, derived from the storage key (HKDF-SHA-256). */
function deriveSealKey(crypto: CryptoProvider, storageKey: Uint8Array): Uint8Array {
  const prk = crypto.hkdfExtract(HKDF_SALT, storageKey);
  try {
    return crypto.hkdfExpand(prk, HKDF_INFO, SIZES.aeadKey);
  } finally {
    wipe(prk);
  }
}

/** The metadata of one entry as written to the file. */
type EntryFields = Pick<CachedSession, 'peerFingerprint' | 'deviceId' | 'sessionId' | 'establishedMs' | 'lastActiveMs' | 'ticketId'>;

/** The constant parts of one entry's line, around its seven fixed-length fields. */
const LINE_PARTS = [
  '    {"peerFingerprint":"',
  '","deviceId":"',
  '","sessionId":"',
  '","established":"',
  '","lastActive":"',
  '","ticketId":"',
  '","sealedSecret":"',
  '"}',
].map((t) => Buffer.from(t, 'latin1'));
const ISO_CHARS = 24;
/** Every line has the same length: all fields are fixed-length ASCII. */
const LINE_BYTES = LINE_PARTS.reduce((n, b) => n + b.length, 0) + 64 + 12 + 32 + ISO_CHARS * 2 + 32 + 80;
const LINE_SEPARATOR = Buffer.from(',\n', 'latin1');

/** Writes `toIso(ms)` as ASCII into `out` at `offset`; returns the offset after it. */
function writeIso(out: Buffer, offset: number, ms: number): number {
  return offset + out.write(toIso(ms), offset, ISO_CHARS, 'latin1');
}

/**
 * Renders a cache file: a readable header and one JSON line per session, written straight
 * into one buffer (every field is validated hex, an ISO timestamp or base64url, so nothing
 * needs escaping and every line has the same length).
 */
function renderCacheFile(savedAtMs: number, entries: readonly EntryFields[], sealed: readonly string[]): Buffer {
  const n = entries.length;
  const head = Buffer.from(fileHead(toIso(savedAtMs), n), 'latin1');
  const tail = Buffer.from(fileTail(n), 'latin1');
  const out = Buffer.allocUnsafe(renderedSize(n));
  let o = head.copy(out, 0);
  const [p0, p1, p2, p3, p4, p5, p6, p7] = LINE_PARTS;
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    if (i > 0) o += LINE_SEPARATOR.copy(out, o);
    o += p0.copy(out, o);
    o += out.write(e.peerFingerprint, o, 64, 'latin1');
    o += p1.copy(out, o);
    o += out.write(e.deviceId, o, 12, 'latin1');
    o += p2.copy(out, o);
    o += out.write(e.sessionId, o, 32, 'latin1');
    o += p3.copy(out, o);
    o = writeIso(out, o, e.establishedMs);
    o += p4.copy(out, o);
    o = writeIso(out, o, e.lastActiveMs);
    o += p5.copy(out, o);
    o += out.write(e.ticketId, o, 32, 'latin1');
    o += p6.copy(out, o);
    o += out.write(sealed[i], o, 80, 'latin1');
    o += p7.copy(out, o);
  }
  o += tail.copy(out, o);
  if (o !== out.length) throw new PqbleError('PQBLE_ERR_INTERNAL', 'cache file rendering produced an unexpected length');
  return out;
}

function fileHead(savedAtIso: string, n: number): string {
  return `{\n  "version": ${CACHE_FILE_VERSION},\n  "format": "${CACHE_FILE_FORMAT}",\n  "savedAt": "${savedAtIso}",\n  "sessions": [${n === 0 ? '' : '\n'}`;
}

function fileTail(n: number): string {
  return n === 0 ? ']\n}\n' : '\n  ]\n}\n';
}

/** The exact byte size {@link renderCacheFile} produces for `n` sessions. */
function renderedSize(n: number): number {
  const fixed = fileHead('x'.repeat(ISO_CHARS), n).length + fileTail(n).length;
  return fixed + n * LINE_BYTES + Math.max(0, n - 1) * LINE_SEPARATOR.length;
}

// ---------------------------------------------------------------------------------------
// Files

/** `20260124T120000123Z`: a file-name-safe UTC timestamp. */
function fileStamp(ms: number): string {
  return toIso(ms).replace(/[-:.]/g, '');
}

/** Renames `path` to `${path}.corrupt-<timestamp>` (or `-<n>` if taken); undefined if it cannot. */
async function setAside(path: string, nowMs: number): Promise<string | undefined> {
  const base = `${path}.corrupt-${fileStamp(nowMs)}`;
  for (let n = 0; n < 100; n++) {
    const target = n === 0 ? base : `${base}-${n}`;
    try {
      await lstat(target);
      continue;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') return undefined;
    }
    try {
      await rename(path, target);
      return target;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function readCacheBytes(path: string, maxBytes: number): Promise<RawFile | undefined> {
  try {
    return await readSmallFile(path, maxBytes, corrupt);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function decodeKeyFile(bytes: Uint8Array): Uint8Array {
  let doc: unknown;
  try {
    doc = JSON.parse(TEXT_DECODER.decode(bytes));
  } catch (err) {
    throw keyFileError('not valid JSON', err);
  }
  if (!isPlainObject(doc) || doc.type !== KEY_FILE_TYPE) throw keyFileError(`not a pqble storage key file (type is not "${KEY_FILE_TYPE}")`);
  if (doc.version !== 1) throw keyFileError('unsupported version');
  if (!hasOnlyKeys(doc, ['version', 'type', 'key'])) throw keyFileError('unexpected or missing fields');
  if (typeof doc.key !== 'string' || !KEY_B64_RE.test(doc.key)) throw keyFileError(`key is not ${STORAGE_KEY_BYTES} bytes of base64`);
  return new Uint8Array(Buffer.from(doc.key, 'base64'));
}

function checkMaxFileBytes(value: unknown, label: string): number {
  if (typeof value !== 'number') throw new TypeError(`${label} must be a number`);
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_FILE_BYTES_LIMIT) {
    throw new RangeError(`${label} must be a whole number in 1..${MAX_FILE_BYTES_LIMIT}, got ${value}`);
  }
  return value;
}

function checkPath(value: unknown, label: string): string {
  if (typeof value !== 'string') throw new TypeError(`${label} must be a string`);
  if (value.length === 0 || value.includes('\0')) throw new RangeError(`${label} must be a non-empty path without NUL`);
  return value;
}

// ---------------------------------------------------------------------------------------
// The store

/**
 * A save's snapshot: the sessions' metadata (immutable records, shared with the caller) and
 * a private copy of every secret, `secrets[32 i .. 32 i + 32]` for `sessions[i]`.
 */
type PendingOp = { kind: 'save'; sessions: CachedSession[]; secrets: Uint8Array } | { kind: 'clear' };

/**
 * A seal already computed for one session under the current seal key, reused by the next
 * save while the session's metadata and secret are unchanged (most entries between two
 * saves), so a periodic save of a large cache seals only the entries that changed.
 */
interface SealMemo {
  /** The metadata the seal was made for (an immutable record; its own secret is not used). */
  readonly meta: EntryFields;
  /** A copy of the sealed secret, wiped when the memo entry is dropped. */
  readonly secret: Uint8Array;
  /** base64url of nonce || ciphertext || tag. */
  readonly sealed: string;
}

function memoMatches(m: SealMemo, s: EntryFields, secret: Uint8Array): boolean {
  const a = m.meta;
  return (
    (a === s ||
      (a.deviceId === s.deviceId &&
        a.sessionId === s.sessionId &&
        a.ticketId === s.ticketId &&
        a.establishedMs === s.establishedMs &&
        a.lastActiveMs === s.lastActiveMs)) &&
    equalBytes(m.secret, secret)
  );
}

interface Pending {
  /** What to do when the queued job starts; replaced by later calls until then. */
  op: PendingOp;
  /** Settles when the job has run. */
  done: Promise<void>;
}

/**
 * A {@link SnapshotSessionStore} in a JSON file (docs/cache-file.md) with the storage key in a
 * separate key file (or supplied by the caller).
 *
 * - `load()` never throws: a missing file gives `[]` silently; a damaged, foreign, too big,
 *   unreadable or unverifiable file (any entry with a bad seal counts as tampering with the
 *   whole file) is logged, set aside as `<path>.corrupt-<timestamp>`, and gives `[]`. A file
 *   other users may read is kept but its mode is tightened to 0600 with a warning.
 * - `save()` copies the sessions at the call, then writes them atomically. Saves are
 *   serialized: a save issued while another runs waits, and of several waiting saves only
 *   the last state is written (every caller's promise settles when it is).
 * - `clear()` atomically replaces an existing file with an empty one (the key file stays).
 *
 * @example
 * ```ts
 * const store = new FileSessionStore({ path: '/var/lib/myapp/pqble-sessions.json' });
 * for (const s of await store.load()) cache.set(s);
 * await store.save(cache.entries());
 * ```
 */
export class FileSessionStore implements SnapshotSessionStore {
  /** Path of the cache file. */
  readonly path: string;
  /** Path of the key file (unused when a storage key was supplied). */
  readonly keyPath: string;
  readonly #storageKey: Uint8Array | undefined;
  readonly #logger: Logger;
  readonly #maxFileBytes: number;
  readonly #crypto: CryptoProvider;
  readonly #now: () => number;
  #tail: Promise<unknown> = Promise.resolve();
  #pending: Pending | undefined;
  /** Seals valid under `#memoKey`, by fingerprint (see {@link SealMemo}). */
  #memo = new Map<string, SealMemo>();
  #memoKey: Uint8Array | undefined;

  /**
   * @param options - see {@link FileSessionStoreOptions}; unknown keys are rejected
   * @throws TypeError / RangeError for a malformed option
   */
  constructor(options: FileSessionStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('FileSessionStore options must be an object');
    checkOptionKeys(options, OPTION_KEYS, 'FileSessionStore');
    this.path = checkPath(options.path, 'path');
    this.keyPath = options.keyPath === undefined ? `${this.path}.key` : checkPath(options.keyPath, 'keyPath');
    if (this.keyPath === this.path) throw new RangeError('keyPath must differ from path');
    if (options.storageKey !== undefined) {
      checkBytes(options.storageKey, 'storageKey', STORAGE_KEY_BYTES);
      this.#storageKey = options.storageKey.slice();
    }
    const logger = options.logger ?? consoleLogger;
    if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
      throw new TypeError('logger must have a warn(message, fields) method');
    }
    this.#logger = logger;
    this.#maxFileBytes = options.maxFileBytes === undefined ? DEFAULT_MAX_CACHE_FILE_BYTES : checkMaxFileBytes(options.maxFileBytes, 'maxFileBytes');
    const crypto = options.crypto ?? nodeCrypto;
    if (typeof crypto !== 'object' || crypto === null || typeof crypto.aeadSeal !== 'function') {
      throw new TypeError('crypto must be a CryptoProvider');
    }
    this.#crypto = crypto;
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') throw new TypeError('now must be a function');
    this.#now = now;
  }

  /**
   * Every stored session, least recently used first, expired ones included (prune them
   * with the cache). Never rejects: see the class description.
   */
  load(): Promise<CachedSession[]> {
    return this.#serialize(async () => {
      try {
        return await this.#load();
      } catch (err) {
        // Safety net: nothing above should throw, but a load must never take the transport down.
        this.#warn(`pqble: could not load the session cache file ${this.path}: ${reasonOf(err)}; started with an empty session cache`, {
          path: this.path,
          reason: reasonOf(err),
        });
        return [];
      }
    });
  }

  /** Logs a warning; a throwing logger is ignored (loading must not fail because of it). */
  #warn(message: string, fields: Record<string, unknown>): void {
    try {
      this.#logger.warn(message, fields);
    } catch {
      // ignored
    }
  }

  /**
   * Replaces the file's content with `sessions`. The sessions are validated and copied
   * before this returns, so the caller may change or wipe them right away.
   * @throws TypeError / RangeError (synchronously) for a malformed session;
   *   rejects with `PQBLE_ERR_CACHE_FILE` / `PQBLE_ERR_KEY_FILE` if a file cannot be written
   *   or the file would exceed `maxFileBytes`
   */
  save(sessions: Iterable<CachedSession>): Promise<void> {
    if (sessions === null || typeof sessions !== 'object' || typeof (sessions as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
      throw new TypeError('sessions must be an iterable of CachedSession');
    }
    const records: CachedSession[] = [];
    const fingerprints = new Set<string>();
    const tickets = new Set<string>();
    let secrets = new Uint8Array(RESUMPTION_SECRET_BYTES * 64);
    try {
      for (const s of sessions) {
        // A checked record is frozen: keep it and copy only its secret (which its owner may
        // wipe later). Anything else is checked and copied first.
        let record = s;
        if (!isChecked(s)) {
          record = normaliseSession(s, `sessions[${records.length}]`);
        }
        if (fingerprints.has(record.peerFingerprint) || tickets.has(record.ticketId)) {
          if (record !== s) wipe(record.resumptionSecret);
          throw new RangeError(`sessions[${records.length}] repeats a peerFingerprint or ticketId of an earlier session`);
        }
        fingerprints.add(record.peerFingerprint);
        tickets.add(record.ticketId);
        const at = records.length * RESUMPTION_SECRET_BYTES;
        if (at + RESUMPTION_SECRET_BYTES > secrets.length) {
          const bigger = new Uint8Array(secrets.length * 2);
          bigger.set(secrets);
          wipe(secrets);
          secrets = bigger;
        }
        secrets.set(record.resumptionSecret, at);
        if (record !== s) wipe(record.resumptionSecret);
        records.push(record);
      }
    } catch (err) {
      wipe(secrets);
      throw err;
    }
    return this.#queue({ kind: 'save', sessions: records, secrets: secrets.subarray(0, records.length * RESUMPTION_SECRET_BYTES) });
  }

  /** Forgets every stored session: an existing cache file is replaced by an empty one. */
  clear(): Promise<void> {
    return this.#queue({ kind: 'clear' });
  }

  /** Queues a save or clear; a queued one that has not started yet is replaced (last state wins). */
  #queue(op: PendingOp): Promise<void> {
    const pending = this.#pending;
    if (pending !== undefined) {
      dropOp(pending.op);
      pending.op = op;
      return pending.done;
    }
    const next: Pending = { op, done: Promise.resolve() };
    next.done = this.#serialize(async () => {
      if (this.#pending === next) this.#pending = undefined;
      const current = next.op;
      try {
        if (current.kind === 'save') await this.#write(current.sessions, current.secrets);
        else await this.#clear();
      } finally {
        dropOp(current);
      }
    });
    this.#pending = next;
    return next.done;
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #load(): Promise<CachedSession[]> {
    let raw: RawFile | undefined;
    let parsed: ParsedFile;
    try {
      raw = await readCacheBytes(this.path, this.#maxFileBytes);
      if (raw === undefined) return [];
      parsed = parseCacheFile(raw.bytes);
    } catch (err) {
      await this.#setAsideCache(reasonOf(err));
      return [];
    }
    await this.#tightenMode(this.path, raw.mode, 'session cache file');
    if (parsed.entries.length === 0) return [];
    let storageKey: Uint8Array | undefined;
    try {
      storageKey = await this.#readStorageKey();
    } catch (err) {
      const aside = await setAside(this.keyPath, this.#nowMs());
      this.#warn(`pqble: storage key file ${this.keyPath} is unusable: ${reasonOf(err)}${aside === undefined ? '' : `; set it aside as ${aside}`}`, {
        path: this.keyPath,
        reason: reasonOf(err),
        ...(aside === undefined ? {} : { movedTo: aside }),
      });
      await this.#setAsideCache('its storage key file is unusable, so the sealed secrets cannot be opened');
      return [];
    }
    if (storageKey === undefined) {
      await this.#setAsideCache(`the storage key file ${this.keyPath} is missing, so the sealed secrets cannot be opened`);
      return [];
    }
    const sealKey = deriveSealKey(this.#crypto, storageKey);
    if (storageKey !== this.#storageKey) wipe(storageKey);
    const out: CachedSession[] = [];
    const memo = new Map<string, SealMemo>();
    const scratch = new SealScratch();
    try {
      for (let i = 0; i < parsed.entries.length; i++) {
        const { meta, sealed } = parsed.entries[i];
        base64urlInto(scratch.sealed, sealed);
        const secret = this.#crypto.aeadOpen(sealKey, scratch.nonce, scratch.cipherText, sealAadInto(scratch.aad, meta));
        if (secret === undefined || secret.length !== RESUMPTION_SECRET_BYTES) {
          wipe(secret);
          throw corrupt(`sessions[${i}].sealedSecret does not verify (the file was tampered with, or sealed under another storage key)`);
        }
        const { peerFingerprint, deviceId, sessionId, establishedMs, lastActiveMs, ticketId } = meta;
        const record = freezeChecked({ peerFingerprint, deviceId, sessionId, establishedMs, lastActiveMs, resumptionSecret: secret, ticketId });
        out.push(record);
        memo.set(peerFingerprint, { meta: record, secret: secret.slice(), sealed });
      }
    } catch (err) {
      for (const s of out) wipe(s.resumptionSecret);
      dropMemo(memo);
      wipe(sealKey);
      await this.#setAsideCache(reasonOf(err));
      return [];
    } finally {
      scratch.wipe();
    }
    this.#setMemo(memo, sealKey);
    return out;
  }

  async #write(sessions: CachedSession[], secrets: Uint8Array): Promise<void> {
    const size = renderedSize(sessions.length);
    if (size > this.#maxFileBytes) {
      throw corrupt(`cannot save ${sessions.length} sessions to ${this.path}: the file would be ${size} bytes, over maxFileBytes (${this.#maxFileBytes})`);
    }
    const storageKey = await this.#storageKeyForSave();
    const sealKey = deriveSealKey(this.#crypto, storageKey);
    if (storageKey !== this.#storageKey) wipe(storageKey);
    const sealed = new Array<string>(sessions.length);
    const oldMemo = this.#memoKey !== undefined && equalBytes(this.#memoKey, sealKey) ? this.#memo : undefined;
    const memo = new Map<string, SealMemo>();
    const scratch = new SealScratch();
    const nonces = new NoncePool(this.#crypto);
    try {
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i];
        const secret = secrets.subarray(i * RESUMPTION_SECRET_BYTES, (i + 1) * RESUMPTION_SECRET_BYTES);
        const fp = s.peerFingerprint;
        let m = oldMemo?.get(fp);
        if (m !== undefined && memoMatches(m, s, secret)) {
          oldMemo!.delete(fp);
        } else {
          nonces.next(scratch.nonce);
          const ct = this.#crypto.aeadSeal(sealKey, scratch.nonce, secret, sealAadInto(scratch.aad, s));
          if (ct.length !== RESUMPTION_SECRET_BYTES + SIZES.aeadTag) throw corrupt('the crypto provider returned a sealed secret of the wrong length');
          scratch.cipherText.set(ct);
          m = { meta: s, secret: secret.slice(), sealed: scratch.sealed.toString('base64url') };
        }
        memo.set(fp, m);
        sealed[i] = m.sealed;
      }
    } catch (err) {
      dropMemo(memo);
      wipe(sealKey);
      throw err;
    } finally {
      scratch.wipe();
      nonces.wipe();
    }
    // The seals are valid whether or not the write below succeeds.
    this.#setMemo(memo, sealKey);
    const text = renderCacheFile(this.#nowMs(), sessions, sealed);
    try {
      await writeFileAtomic(this.path, text);
    } catch (err) {
      throw corrupt(`cannot write the session cache file ${this.path} (${errnoCode(err) ?? 'unknown error'})`, err);
    }
  }

  async #clear(): Promise<void> {
    dropMemo(this.#memo);
    this.#memo = new Map();
    try {
      await lstat(this.path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
    }
    try {
      await writeFileAtomic(this.path, renderCacheFile(this.#nowMs(), [], []));
    } catch (err) {
      throw corrupt(`cannot clear the session cache file ${this.path} (${errnoCode(err) ?? 'unknown error'})`, err);
    }
  }

  /** Replaces the seal memo (wiping what is dropped); takes ownership of `sealKey`. */
  #setMemo(memo: Map<string, SealMemo>, sealKey: Uint8Array): void {
    for (const [fp, m] of this.#memo) if (memo.get(fp) !== m) wipe(m.secret);
    wipe(this.#memoKey);
    this.#memo = memo;
    this.#memoKey = sealKey;
  }

  /** The storage key: the caller's, or the key file's; undefined if the key file does not exist. */
  async #readStorageKey(): Promise<Uint8Array | undefined> {
    if (this.#storageKey !== undefined) return this.#storageKey;
    let raw: RawFile;
    try {
      raw = await readSmallFile(this.keyPath, MAX_KEY_FILE_BYTES, keyFileError);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const key = decodeKeyFile(raw.bytes);
      await this.#tightenMode(this.keyPath, raw.mode, 'storage key file');
      return key;
    } finally {
      wipe(raw.bytes);
    }
  }

  /** The key to seal with: reads the key file, or creates it (0600, atomically, never overwriting). */
  async #storageKeyForSave(): Promise<Uint8Array> {
    let key: Uint8Array | undefined;
    try {
      key = await this.#readStorageKey();
    } catch (err) {
      const aside = await setAside(this.keyPath, this.#nowMs());
      this.#warn(`pqble: storage key file ${this.keyPath} is unusable: ${reasonOf(err)}; creating a new one`, {
        path: this.keyPath,
        reason: reasonOf(err),
        ...(aside === undefined ? {} : { movedTo: aside }),
      });
      if (aside === undefined) throw keyFileError(`cannot replace the unusable storage key file ${this.keyPath}`, err);
    }
    if (key !== undefined) return key;
    const fresh = this.#crypto.randomBytes(STORAGE_KEY_BYTES);
    const text = `${JSON.stringify({ version: 1, type: KEY_FILE_TYPE, key: Buffer.from(fresh).toString('base64') })}\n`;
    let tmp: string;
    try {
      tmp = await writeTemp(this.keyPath, text);
    } catch (err) {
      wipe(fresh);
      throw keyFileError(`cannot create the storage key file ${this.keyPath} (${errnoCode(err) ?? 'unknown error'})`, err);
    }
    try {
      await link(tmp, this.keyPath);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') {
        // Another process created the key first: use theirs.
        wipe(fresh);
        await unlink(tmp).catch(() => undefined);
        const theirs = await this.#readStorageKey();
        if (theirs === undefined) throw keyFileError(`the storage key file ${this.keyPath} vanished while being created`);
        return theirs;
      }
      // File systems without hard links: rename (atomic, but may replace a racing writer's key).
      try {
        await rename(tmp, this.keyPath);
      } catch (err2) {
        wipe(fresh);
        await unlink(tmp).catch(() => undefined);
        throw keyFileError(`cannot create the storage key file ${this.keyPath} (${errnoCode(err2) ?? 'unknown error'})`, err2);
      }
    }
    await unlink(tmp).catch(() => undefined);
    await syncDir(dirname(this.keyPath));
    return fresh;
  }

  async #tightenMode(path: string, mode: number, what: string): Promise<void> {
    if (process.platform === 'win32' || (mode & 0o077) === 0) return;
    const octal = mode.toString(8).padStart(4, '0');
    try {
      await chmod(path, 0o600);
      this.#warn(`pqble: ${what} ${path} had mode ${octal}, which lets other users access it; changed it to 0600`, { path, mode: octal });
    } catch (err) {
      this.#warn(`pqble: ${what} ${path} has mode ${octal}, which lets other users access it, and it could not be changed to 0600`, {
        path,
        mode: octal,
        reason: errnoCode(err) ?? 'unknown error',
      });
    }
  }

  async #setAsideCache(reason: string): Promise<void> {
    const aside = await setAside(this.path, this.#nowMs());
    const where = aside === undefined ? 'it could not be set aside' : `set it aside as ${aside}`;
    this.#warn(`pqble: session cache file ${this.path} is unusable: ${reason}; ${where} and started with an empty session cache`, {
      path: this.path,
      reason,
      ...(aside === undefined ? {} : { movedTo: aside }),
    });
  }

  #nowMs(): number {
    const now = this.#now();
    return Number.isFinite(now) && now >= 0 && now <= MAX_TIME_MS ? Math.floor(now) : Date.now();
  }
}

function dropMemo(memo: Map<string, SealMemo>): void {
  for (const m of memo.values()) wipe(m.secret);
  memo.clear();
}

/** Random AEAD nonces drawn from the provider in large chunks (one call per 5,000 seals). */
class NoncePool {
  readonly #crypto: CryptoProvider;
  #pool: Uint8Array = new Uint8Array(0);
  #offset = 0;

  constructor(crypto: CryptoProvider) {
    this.#crypto = crypto;
  }

  /** Fills `out` (12 bytes) with a fresh nonce. */
  next(out: Uint8Array): void {
    if (this.#offset + SIZES.aeadNonce > this.#pool.length) {
      this.#pool = this.#crypto.randomBytes(SIZES.aeadNonce * 5000);
      this.#offset = 0;
    }
    out.set(this.#pool.subarray(this.#offset, this.#offset + SIZES.aeadNonce));
    this.#offset += SIZES.aeadNonce;
  }

  wipe(): void {
    this.#pool.fill(0);
  }
}

function dropOp(op: PendingOp): void {
  if (op.kind === 'save') wipe(op.secrets);
}

function reasonOf(err: unknown): string {
  if (err instanceof FileFormatError) return err.message;
  return `unexpected error (${errnoCode(err) ?? (err instanceof Error ? err.name : 'unknown')})`;
}

// ---------------------------------------------------------------------------------------
// CLI helpers (`pqble sessions`)

function checkReadOptions(options: ReadCacheFileOptions, allowed: readonly string[], label: string): number {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${label} options must be an object`);
  checkOptionKeys(options, allowed, label);
  return options.maxFileBytes === undefined ? DEFAULT_MAX_CACHE_FILE_BYTES : checkMaxFileBytes(options.maxFileBytes, 'maxFileBytes');
}

async function readAndParse(path: string, maxBytes: number): Promise<{ raw: RawFile; parsed: ParsedFile }> {
  let raw: RawFile | undefined;
  try {
    raw = await readCacheBytes(path, maxBytes);
  } catch (err) {
    throw corrupt(`${path}: ${reasonOf(err)}`, err);
  }
  if (raw === undefined) throw corrupt(`${path}: no such file`, Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
  try {
    return { raw, parsed: parseCacheFile(raw.bytes) };
  } catch (err) {
    throw corrupt(`${path}: ${reasonOf(err)}`, err);
  }
}

/**
 * Reads and validates a cache file WITHOUT the storage key and returns its metadata only
 * (no secret, sealed or not). For the `pqble sessions` command.
 * @throws FileFormatError `PQBLE_ERR_CACHE_FILE` if the file is missing (`cause.code` is
 *   `ENOENT`), unreadable or not a valid cache file
 */
export async function readCacheFileMetadata(path: string, options: ReadCacheFileOptions = {}): Promise<CacheFileMetadata> {
  checkPath(path, 'path');
  const maxBytes = checkReadOptions(options, ['maxFileBytes'], 'readCacheFileMetadata');
  const { raw, parsed } = await readAndParse(path, maxBytes);
  return {
    path,
    format: CACHE_FILE_FORMAT,
    version: CACHE_FILE_VERSION,
    savedAtMs: parsed.savedAtMs,
    sizeBytes: raw.bytes.length,
    mode: raw.mode,
    sessions: parsed.entries.map((e) => e.meta),
  };
}

/**
 * Removes expired sessions from a cache file without the storage key (the remaining
 * entries' seals stay valid) and rewrites it atomically in the same format. Uses the
 * cache's rule: expired when `now >= established + ttlMs`, or when `established` or
 * `lastActive` lies more than `maxClockSkewMs` in the future. The file is not rewritten when
 * nothing expired. A process holding the same file open in a `FileSessionStore` may later
 * overwrite the result with its own state.
 * @returns how many sessions were removed
 * @throws FileFormatError `PQBLE_ERR_CACHE_FILE` if the file is missing, unreadable, invalid or cannot be written
 */
export async function pruneCacheFile(path: string, options: PruneCacheFileOptions = {}): Promise<number> {
  checkPath(path, 'path');
  const maxBytes = checkReadOptions(options, ['now', 'ttlMs', 'maxClockSkewMs', 'maxFileBytes'], 'pruneCacheFile');
  const nowOpt = options.now ?? Date.now;
  const now = typeof nowOpt === 'function' ? nowOpt() : nowOpt;
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError('now must be a number of ms or a function returning one');
  const ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError('ttlMs must be a positive whole number of ms');
  const skew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (typeof skew !== 'number' || !Number.isSafeInteger(skew) || skew < 0) throw new RangeError('maxClockSkewMs must be a whole number of ms >= 0');
  const { parsed } = await readAndParse(path, maxBytes);
  const kept = parsed.entries.filter((e) => !isSessionExpired(e.meta, now, ttlMs, skew));
  const removed = parsed.entries.length - kept.length;
  if (removed === 0) return 0;
  const savedAt = Math.min(Math.max(0, Math.floor(now)), MAX_TIME_MS);
  const text = renderCacheFile(
    savedAt,
    kept.map((e) => e.meta),
    kept.map((e) => e.sealed),
  );
  try {
    await writeFileAtomic(path, text);
  } catch (err) {
    throw corrupt(`${path}: cannot be written (${errnoCode(err) ?? 'unknown error'})`, err);
  }
  return removed;
}

/**
 * Forgets every session in a cache file: atomically replaces it with an empty cache file
 * (mode 0600). A missing file is left missing. Refuses (and leaves untouched) a file that is
 * not a pqble session cache file, so a wrong path cannot destroy another file.
 * @throws FileFormatError `PQBLE_ERR_CACHE_FILE` if the file is not a cache file or cannot be written
 */
export async function clearCacheFile(path: string, options: ReadCacheFileOptions = {}): Promise<void> {
  checkPath(path, 'path');
  const maxBytes = checkReadOptions(options, ['maxFileBytes'], 'clearCacheFile');
  let raw: RawFile | undefined;
  try {
    raw = await readCacheBytes(path, maxBytes);
  } catch (err) {
    throw corrupt(`${path}: ${reasonOf(err)}`, err);
  }
  if (raw === undefined) return;
  let isCacheFile = false;
  try {
    const doc: unknown = JSON.parse(TEXT_DECODER.decode(raw.bytes));
    isCacheFile = isPlainObject(doc) && doc.format === CACHE_FILE_FORMAT;
  } catch {
    isCacheFile = false;
  }
  if (!isCacheFile) throw corrupt(`${path}: not a pqble session cache file; left untouched`);
  try {
    await writeFileAtomic(path, renderCacheFile(Date.now(), [], []));
  } catch (err) {
    throw corrupt(`${path}: cannot be written (${errnoCode(err) ?? 'unknown error'})`, err);
  }
}
