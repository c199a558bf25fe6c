/**
 * Reading a version-1 session cache file (docs/cache-file.md) for migration to the
 * version-2 store (docs/store.md "Migration from version 1"). This is the whole version-1
 * code that ships: a decoder of the JSON file (every field checked as in version 1), the
 * unsealing of each entry's resumption secret with the same storage key file, and setting a
 * damaged file aside. The version-1 store itself (writing, pruning, the snapshot seam) was
 * removed in 0.2 (docs/api.md "Removed in 0.2").
 *
 * A version-1 entry holds ONE resumption secret for both directions; deriving the two
 * direction-separated secrets from it belongs to the resumption protocol, so the transport
 * supplies that conversion.
 *
 * @module
 */

import { wipe, writeU32 } from '../../bytes.js';
import { SIZES, type CryptoProvider } from '../../crypto/index.js';
import { FileFormatError } from '../../errors.js';
import { isDeviceId, isFingerprint, isSessionId as isId16 } from '../../ids.js';
import type { Logger } from '../../logger.js';
import { errnoCode, readSmallFile } from '../../util/fs.js';
import { MAX_TIME_MS, RESUMPTION_SECRET_BYTES } from '../validate.js';
import { setWholeFileAside } from './files.js';
import { readStorageKeyFile } from './storage-key.js';

/** One entry of a version-1 cache file, as handed to `migrateV1`. */
export interface V1Entry {
  /** 64 lowercase hex digits. */
  readonly peerFingerprint: string;
  /** 12 lowercase hex digits. */
  readonly deviceId: string;
  /** Wall-clock ms of the last full handshake. */
  readonly establishedMs: number;
  /** Wall-clock ms of the last use. */
  readonly lastActiveMs: number;
  /** 32 bytes: the single version-1 resumption secret (wiped after the callback returns). */
  readonly resumptionSecret: Uint8Array;
}

/** Options of {@link migrateV1File}. */
export interface MigrateV1Options {
  readonly logger: Logger;
  readonly crypto: CryptoProvider;
  readonly keyPath: string;
  readonly storageKey?: Uint8Array;
}

/** `format` of a version-1 cache file. */
const V1_FORMAT = 'pqble-session-cache';
/** `version` of a version-1 cache file. */
const V1_VERSION = 1;
/** The largest version-1 file read (the version-1 default limit). */
const MAX_V1_FILE_BYTES = 64 * 1024 * 1024;
/** nonce || ciphertext || tag of a 32-byte secret. */
const SEALED_SECRET_BYTES = SIZES.aeadNonce + RESUMPTION_SECRET_BYTES + SIZES.aeadTag;
/** version(1) || fingerprint(32) || deviceId(6) || sessionId(16) || ticketId(16) || established(8) || lastActive(8). */
const AAD_BYTES = 1 + 32 + 6 + 16 + 16 + 8 + 8;
const TEXT_ENCODER = new TextEncoder();
const HKDF_SALT = TEXT_ENCODER.encode('pqble session cache v1');
const HKDF_INFO = TEXT_ENCODER.encode('pqble session cache seal key');
const SEALED_RE = /^[A-Za-z0-9_-]{80}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TOP_KEYS = ['version', 'format', 'savedAt', 'sessions'];
const ENTRY_KEYS = ['peerFingerprint', 'deviceId', 'sessionId', 'established', 'lastActive', 'ticketId', 'sealedSecret'];
const TEXT_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The readable metadata of one entry of a version-1 file (no secret). */
export interface V1EntryMetadata {
  /** 64 lowercase hex digits: the peer's identity fingerprint. */
  readonly peerFingerprint: string;
  /** 12 lowercase hex digits: the BLE address the peer was last seen at. */
  readonly deviceId: string;
  /** 32 lowercase hex digits: the session id. */
  readonly sessionId: string;
  /** 32 lowercase hex digits: the current ticket id. */
  readonly ticketId: string;
  /** Wall-clock ms of the last full handshake (`established`). */
  readonly establishedMs: number;
  /** Wall-clock ms of the last use (`lastActive`). */
  readonly lastActiveMs: number;
}

/** What {@link readV1FileMetadata} reports: metadata only, never a secret. */
export interface V1FileMetadata {
  /** Wall-clock ms of the save that wrote the file (`savedAt`). */
  readonly savedAtMs: number;
  /** Size of the file in bytes. */
  readonly sizeBytes: number;
  /** The sessions, least recently used first. */
  readonly sessions: V1EntryMetadata[];
}

/** One checked entry of a version-1 file: its metadata and its sealed secret. */
interface ParsedEntry extends V1EntryMetadata {
  /** base64url of nonce || ciphertext || tag (60 bytes). */
  readonly sealed: string;
}

function corrupt(reason: string, cause?: unknown): FileFormatError {
  return new FileFormatError('PQBLE_ERR_CACHE_FILE', reason, cause === undefined ? {} : { cause });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOnlyKeys(obj: Record<string, unknown>, allowed: readonly string[]): boolean {
  const keys = Object.keys(obj);
  return keys.length === allowed.length && keys.every((k) => allowed.includes(k));
}

/** A canonical `YYYY-MM-DDTHH:MM:SS.mmmZ` UTC timestamp (years 1970..9999) in ms; undefined for anything else. */
function parseIsoMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ISO_RE.test(value)) return undefined;
  const ms = Date.parse(value);
  // Date.parse rolls over impossible dates (02-30); the round trip refuses them.
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME_MS || new Date(ms).toISOString() !== value) return undefined;
  return ms;
}

/** Checks the text of a version-1 file. @throws FileFormatError `PQBLE_ERR_CACHE_FILE` with a loggable reason */
function parseV1File(bytes: Uint8Array): { savedAtMs: number; entries: ParsedEntry[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(TEXT_DECODER.decode(bytes));
  } catch (err) {
    // The parser's message may quote file content; keep only a fixed reason.
    throw corrupt('not valid UTF-8 JSON (truncated or damaged)', err);
  }
  if (!isPlainObject(doc)) throw corrupt('not a JSON object');
  if (doc.format !== V1_FORMAT) throw corrupt(`not a pqble session cache file (format is not "${V1_FORMAT}")`);
  if (doc.version !== V1_VERSION) throw corrupt(`unsupported version (a version-1 file has version ${V1_VERSION})`);
  if (!hasOnlyKeys(doc, TOP_KEYS)) throw corrupt('unexpected or missing top-level fields');
  const savedAtMs = parseIsoMs(doc.savedAt);
  if (savedAtMs === undefined) throw corrupt('savedAt is not a UTC timestamp like 2026-01-24T12:00:00.000Z');
  const sessions = doc.sessions;
  if (!Array.isArray(sessions)) throw corrupt('sessions is not an array');
  const out: ParsedEntry[] = [];
  const fingerprints = new Set<string>();
  const tickets = new Set<string>();
  for (let i = 0; i < sessions.length; i++) {
    const raw: unknown = sessions[i];
    const where = `sessions[${i}]`;
    if (!isPlainObject(raw) || !hasOnlyKeys(raw, ENTRY_KEYS)) throw corrupt(`${where} is not an entry with exactly the version-1 fields`);
    const { peerFingerprint, deviceId, sessionId, ticketId, sealedSecret } = raw;
    if (!isFingerprint(peerFingerprint)) throw corrupt(`${where}.peerFingerprint is not 64 lowercase hex digits`);
    if (!isDeviceId(deviceId)) throw corrupt(`${where}.deviceId is not 12 lowercase hex digits`);
    if (!isId16(sessionId)) throw corrupt(`${where}.sessionId is not 32 lowercase hex digits`);
    if (!isId16(ticketId)) throw corrupt(`${where}.ticketId is not 32 lowercase hex digits`);
    const establishedMs = parseIsoMs(raw.established);
    const lastActiveMs = parseIsoMs(raw.lastActive);
    if (establishedMs === undefined || lastActiveMs === undefined) throw corrupt(`${where}: established or lastActive is not a UTC timestamp`);
    if (typeof sealedSecret !== 'string' || !SEALED_RE.test(sealedSecret))
      throw corrupt(`${where}.sealedSecret is not ${SEALED_SECRET_BYTES} bytes of base64url`);
    if (fingerprints.has(peerFingerprint) || tickets.has(ticketId)) throw corrupt(`${where}: peerFingerprint or ticketId appears twice`);
    fingerprints.add(peerFingerprint);
    tickets.add(ticketId);
    out.push({ peerFingerprint, deviceId, sessionId, ticketId, establishedMs, lastActiveMs, sealed: sealedSecret });
  }
  return { savedAtMs, entries: out };
}

function hexInto(out: Uint8Array, offset: number, hex: string): number {
  for (let i = 0; i < hex.length; i += 2) out[offset++] = Number.parseInt(hex.slice(i, i + 2), 16);
  return offset;
}

/** The associated data of one sealed secret (docs/cache-file.md "Seal"): the version and every metadata field. */
function sealAad(e: ParsedEntry): Uint8Array {
  const aad = new Uint8Array(AAD_BYTES);
  aad[0] = V1_VERSION;
  let o = hexInto(aad, 1, e.peerFingerprint);
  o = hexInto(aad, o, e.deviceId);
  o = hexInto(aad, o, e.sessionId);
  o = hexInto(aad, o, e.ticketId);
  for (const ms of [e.establishedMs, e.lastActiveMs]) {
    writeU32(aad, o, Math.floor(ms / 0x1_0000_0000));
    writeU32(aad, o + 4, ms >>> 0);
    o += 8;
  }
  return aad;
}

/** Opens every entry's secret. @throws FileFormatError `PQBLE_ERR_CACHE_FILE` if one does not verify */
function unseal(entries: readonly ParsedEntry[], storageKey: Uint8Array, crypto: CryptoProvider): V1Entry[] {
  const prk = crypto.hkdfExtract(HKDF_SALT, storageKey);
  const sealKey = crypto.hkdfExpand(prk, HKDF_INFO, SIZES.aeadKey);
  wipe(prk);
  const out: V1Entry[] = [];
  try {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const sealed = new Uint8Array(Buffer.from(e.sealed, 'base64url'));
      const secret = crypto.aeadOpen(sealKey, sealed.subarray(0, SIZES.aeadNonce), sealed.subarray(SIZES.aeadNonce), sealAad(e));
      if (secret?.length !== RESUMPTION_SECRET_BYTES) {
        wipe(secret);
        throw corrupt(`sessions[${i}].sealedSecret does not verify (the file was tampered with, or sealed under another storage key)`);
      }
      out.push({
        peerFingerprint: e.peerFingerprint,
        deviceId: e.deviceId,
        establishedMs: e.establishedMs,
        lastActiveMs: e.lastActiveMs,
        resumptionSecret: secret,
      });
    }
    return out;
  } catch (err) {
    for (const e of out) wipe(e.resumptionSecret);
    throw err;
  } finally {
    wipe(sealKey);
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof FileFormatError) return err.message;
  return `unexpected error (${errnoCode(err) ?? (err instanceof Error ? err.name : 'unknown')})`;
}

/**
 * The entries of the version-1 file at `path` (an empty list if there is none, or if it or
 * its storage key file is damaged, in which case the file is set aside with a warning).
 * Does not change a readable file.
 */
export async function migrateV1File(path: string, options: MigrateV1Options): Promise<V1Entry[]> {
  let reason: string;
  try {
    let bytes: Uint8Array;
    try {
      bytes = (await readSmallFile(path, MAX_V1_FILE_BYTES, corrupt)).bytes;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
    const { entries } = parseV1File(bytes);
    if (entries.length === 0) return [];
    const storageKey = options.storageKey ?? (await readStorageKeyFile(options.keyPath));
    if (storageKey === undefined) throw corrupt(`the storage key file ${options.keyPath} is missing, so the sealed secrets cannot be opened`);
    try {
      return unseal(entries, storageKey, options.crypto);
    } finally {
      if (storageKey !== options.storageKey) wipe(storageKey);
    }
  } catch (err) {
    reason = reasonOf(err);
  }
  // The store's own set-aside (files.ts); here a failure to rename only changes the warning.
  const aside = await setWholeFileAside(path, 'corrupt', Date.now()).catch(() => undefined);
  const where = aside === undefined ? 'it could not be set aside' : `set it aside as ${aside}`;
  try {
    options.logger.warn(`pqble: session cache file ${path} is unusable: ${reason}; ${where} and started with an empty session cache`, {
      path,
      reason,
      ...(aside === undefined ? {} : { movedTo: aside }),
    });
  } catch {
    // A throwing logger must not stop the store from opening.
  }
  return [];
}

/**
 * Reads and checks a version-1 file WITHOUT its storage key and returns its metadata only
 * (for `pqble sessions list` and `show`). Does not change the file.
 * @throws FileFormatError `PQBLE_ERR_CACHE_FILE` if the file is missing (`cause.code` is
 *   `ENOENT`), unreadable or not a valid version-1 file
 */
export async function readV1FileMetadata(path: string): Promise<V1FileMetadata> {
  let bytes: Uint8Array;
  try {
    bytes = (await readSmallFile(path, MAX_V1_FILE_BYTES, corrupt)).bytes;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw corrupt(`${path}: no such file`, err);
    throw corrupt(`${path}: ${reasonOf(err)}`, err);
  }
  let parsed: { savedAtMs: number; entries: ParsedEntry[] };
  try {
    parsed = parseV1File(bytes);
  } catch (err) {
    throw corrupt(`${path}: ${reasonOf(err)}`, err);
  }
  return {
    savedAtMs: parsed.savedAtMs,
    sizeBytes: bytes.length,
    sessions: parsed.entries.map(({ peerFingerprint, deviceId, sessionId, ticketId, establishedMs, lastActiveMs }) => ({
      peerFingerprint,
      deviceId,
      sessionId,
      ticketId,
      establishedMs,
      lastActiveMs,
    })),
  };
}
