/**
 * Inspection and maintenance of a version-2 store file for `pqble sessions` (docs/cli.md
 * "pqble sessions", docs/store.md "Tools"). The store's fingerprints and device ids are
 * sealed or blinded, so these need the storage key (the key file, as the store itself).
 * They never return a secret. Reading takes no lock (a read-only open); changing takes the
 * store's lock, so it refuses while a transport has the file open.
 *
 * @module
 */

import { open as openFile, stat } from 'node:fs/promises';
import { StoreError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { isSessionExpired } from '../expiry.js';
import { MAX_TIME_MS } from '../validate.js';
import { checkOptionKeys } from '../../util/options.js';
import { errnoCode } from '../../util/fs.js';
import { FILE_HEADER_BYTES, classifyFile } from './format.js';
import { FileSessionStore } from './store.js';

/** What `pqble sessions` shows of one entry (no secret). */
export interface StoreEntryMetadata {
  /** 64 hex digits. */
  readonly peerFingerprint: string;
  /** 12 hex digits. */
  readonly deviceId: string;
  /** Wall-clock ms of the last full handshake. */
  readonly establishedMs: number;
  /** Wall-clock ms of the last use. */
  readonly lastActiveMs: number;
  /** This side can start a resumption. */
  readonly outbound: boolean;
  /** The peer can start a resumption. */
  readonly inbound: boolean;
}

/** What {@link readStoreFileMetadata} reports. */
export interface StoreFileMetadata {
  readonly path: string;
  /** Always 2. */
  readonly version: 2;
  /** Bytes of the file. */
  readonly sizeBytes: number;
  /** Permission bits of the file. */
  readonly mode: number;
  /** Wall-clock ms the file was last changed (its mtime). */
  readonly modifiedMs: number;
  /** Entries, least recently active first. */
  readonly entries: StoreEntryMetadata[];
}

/** Options of the tools. */
export interface StoreToolOptions {
  /** The key file. Default `${path}.key`. */
  readonly keyPath?: string;
  /** Where warnings (damage skipped) go. Default: nowhere. */
  readonly logger?: Logger;
}

/** Options of {@link pruneStoreFile}. */
export interface PruneStoreFileOptions extends StoreToolOptions {
  /** Wall clock, ms. */
  readonly now: number;
  /** Session life from the last full handshake, ms. */
  readonly ttlMs: number;
  /** Tolerated future skew of the times, ms. */
  readonly maxClockSkewMs: number;
}

/** What a file at a path is. */
export type SessionFileKind = 'v2' | 'v1' | 'missing' | 'other';

const SILENT: Logger = { warn: () => undefined };

/** Tells a version-2 store, a version-1 cache file, a missing file and anything else apart (reads 16 bytes). */
export async function sessionFileKind(path: string): Promise<SessionFileKind> {
  let fh;
  try {
    fh = await openFile(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 'missing';
    throw new StoreError('PQBLE_ERR_STORE_IO', `cannot open ${path} (${errnoCode(err) ?? 'unknown error'})`, { cause: err });
  }
  try {
    const head = new Uint8Array(FILE_HEADER_BYTES);
    const { bytesRead } = await fh.read(head, 0, FILE_HEADER_BYTES, 0);
    const kind = classifyFile(head.subarray(0, bytesRead));
    return kind === 'v2' ? 'v2' : kind === 'v1-json' ? 'v1' : 'other';
  } finally {
    await fh.close();
  }
}

function base(path: string, options: StoreToolOptions): { path: string; logger: Logger; keyPath?: string } {
  checkOptionKeys(options, ['keyPath', 'logger', 'now', 'ttlMs', 'maxClockSkewMs'], 'session store tool');
  return { path, logger: options.logger ?? SILENT, ...(options.keyPath === undefined ? {} : { keyPath: options.keyPath }) };
}

/**
 * Every entry's metadata, without taking the lock or changing the file.
 * @throws StoreError `PQBLE_ERR_STORE_IO` if the file or its key file is missing or unusable
 */
export async function readStoreFileMetadata(path: string, options: StoreToolOptions = {}): Promise<StoreFileMetadata> {
  const store = await FileSessionStore.open({ ...base(path, options), readOnly: true });
  try {
    const entries: StoreEntryMetadata[] = [];
    for await (const s of store.entries()) {
      entries.push({
        peerFingerprint: s.peerFingerprint,
        deviceId: s.deviceId,
        establishedMs: s.establishedMs,
        lastActiveMs: s.lastActiveMs,
        outbound: s.outbound !== undefined,
        inbound: s.inbound !== undefined,
      });
      s.outbound?.fill(0);
      s.inbound?.secret.fill(0);
    }
    entries.sort((a, b) => a.lastActiveMs - b.lastActiveMs || a.peerFingerprint.localeCompare(b.peerFingerprint));
    const st = await stat(path);
    return { path, version: 2, sizeBytes: st.size, mode: st.mode & 0o777, modifiedMs: Math.floor(st.mtimeMs), entries };
  } finally {
    await store.close();
  }
}

async function withStore<T>(path: string, options: StoreToolOptions, fn: (s: FileSessionStore) => Promise<T>): Promise<T> {
  if ((await sessionFileKind(path)) !== 'v2') throw new StoreError('PQBLE_ERR_STORE_IO', `${path} is not a version-2 session store file`);
  const store = await FileSessionStore.open(base(path, options));
  try {
    const out = await fn(store);
    await store.compact();
    return out;
  } finally {
    await store.close();
  }
}

/**
 * Removes expired entries (the cache's rule: `now >= established + ttl`, or a time more
 * than `maxClockSkewMs` ahead) and compacts the file. Takes the lock.
 * @returns how many went
 * @throws StoreError `PQBLE_ERR_STORE_LOCKED` while a transport has the file open; `PQBLE_ERR_STORE_IO`
 */
export function pruneStoreFile(path: string, options: PruneStoreFileOptions): Promise<number> {
  return withStore(path, options, async (store) => {
    const gone: string[] = [];
    for await (const s of store.entries()) {
      if (isSessionExpired(s, options.now, options.ttlMs, options.maxClockSkewMs)) gone.push(s.peerFingerprint);
      s.outbound?.fill(0);
      s.inbound?.secret.fill(0);
    }
    let n = 0;
    for (const fp of gone) if (await store.delete(fp)) n++;
    return n;
  });
}

/**
 * Forgets one peer's entry (the next connection to it needs a full handshake). Takes the lock.
 * @returns whether there was one
 */
export function forgetStoreEntry(path: string, peerFingerprint: string, options: StoreToolOptions = {}): Promise<boolean> {
  return withStore(path, options, (store) => store.delete(peerFingerprint));
}

/** Forgets every entry (named values such as trust state stay). Takes the lock. @returns how many went */
export function clearStoreFile(path: string, options: StoreToolOptions = {}): Promise<number> {
  return withStore(path, options, async (store) => store.prune(MAX_TIME_MS));
}
