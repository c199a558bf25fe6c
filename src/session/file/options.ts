/**
 * The options of the version-2 file store (docs/store.md "The file store"), their defaults
 * and checks.
 *
 * @module
 */

import type { CryptoProvider } from '../../crypto/index.js';
import type { Logger } from '../../logger.js';
import type { StoredSession } from '../store.js';
import type { V1Entry } from './migrate-v1.js';
import { checkInteger } from '../../util/options.js';

/** Default `timeoutMs` of a `FileSessionStore` call: 10 s. */
export const DEFAULT_FILE_STORE_TIMEOUT_MS = 10_000;
/** Default {@link FileSessionStoreOptions.maxFileBytes}: 2 GiB. */
export const DEFAULT_MAX_STORE_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** Default {@link FileSessionStoreOptions.compactMinBytes}: 1 MiB. */
export const DEFAULT_COMPACT_MIN_BYTES = 1024 * 1024;

/** Every key {@link FileSessionStoreOptions} has (others are a `TypeError`). */
export const FILE_STORE_OPTION_KEYS = [
  'path',
  'storageKey',
  'keyPath',
  'logger',
  'crypto',
  'now',
  'timeoutMs',
  'maxFileBytes',
  'compactMinBytes',
  'migrateV1',
  'readOnly',
  'maxEntries',
] as const;

/** Options of `FileSessionStore.open`. */
export interface FileSessionStoreOptions {
  /** The store file. Its folder is created (mode 0700) if missing. */
  readonly path: string;
  /** The 32-byte storage key (copied). Default: the key in the key file at `keyPath` (created on first open). */
  readonly storageKey?: Uint8Array;
  /** The key file. Default `${path}.key`. */
  readonly keyPath?: string;
  /** Where warnings go (damage set aside, migration, a loose file mode). Default `consoleLogger`. */
  readonly logger?: Logger;
  /** AEAD, HKDF and random bytes. Default `nodeCrypto`. */
  readonly crypto?: CryptoProvider;
  /** Wall clock in ms (`.corrupt-<timestamp>` names). Default `Date.now`. */
  readonly now?: () => number;
  /** Default `timeoutMs` of every call. Default {@link DEFAULT_FILE_STORE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /**
   * Most entries kept: a `put` of a new peer beyond it evicts the least recently active of
   * 32 entries sampled round-robin over the index (an approximate LRU, O(1) at any size;
   * counted in `counters.evictions`). Default unbounded (the transport passes
   * `maxCachedSessions`).
   */
  readonly maxEntries?: number;
  /** A bigger file is not opened (`PQBLE_ERR_STORE_IO`). Default 2 GiB (at most 4 GiB). */
  readonly maxFileBytes?: number;
  /** Compaction starts once the file is bigger than this and than twice its live content. Default 1 MiB. */
  readonly compactMinBytes?: number;
  /**
   * Converts one entry of a version-1 cache file found at `path` (one resumption secret) to
   * the direction-separated model; `undefined` drops it. The transport supplies it (the
   * derivation belongs to the resumption protocol). Without it a version-1 file is set aside
   * as `<path>.v1-<timestamp>` and the store starts empty.
   */
  readonly migrateV1?: (entry: V1Entry) => StoredSession | undefined;
  /**
   * Inspection only (`pqble sessions list`): no lock is taken and the file is never changed
   * (no migration, nothing set aside or cut off, no key file created); every change rejects
   * with `PQBLE_ERR_STORE_IO`. A missing or unusable file or key file rejects the open.
   * Reads what a running owner had written when the file was read. Default `false`.
   */
  readonly readOnly?: boolean;
}

/** A checked path option. */
export function checkPath(value: unknown, label: string): string {
  if (typeof value !== 'string') throw new TypeError(`${label} must be a string`);
  if (value.length === 0 || value.includes('\0')) throw new RangeError(`${label} must be a non-empty path without NUL`);
  return value;
}

/** A checked whole number in `1..max`. */
export function checkPositive(value: unknown, label: string, max: number): number {
  return checkInteger(value, label, 1, max);
}
