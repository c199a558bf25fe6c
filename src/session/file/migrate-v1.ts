/**
 * Reading a version-1 session cache file (docs/cache-file.md) for migration to the
 * version-2 store (docs/store.md "Migration from version 1"). The version-1 reader does the
 * work (parsing, unsealing with the same storage key file, setting a damaged file aside);
 * this module only hands its entries over in the shape the store's `migrateV1` callback
 * takes. A version-1 entry holds ONE resumption secret for both directions; deriving the
 * two direction-separated secrets from it belongs to the resumption protocol, so the
 * transport supplies that conversion.
 *
 * @module
 */

import type { CryptoProvider } from '../../crypto/index.js';
import type { Logger } from '../../logger.js';
import { FileSessionStore as VersionOneFileStore } from '../file-store.js';

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

/**
 * The entries of the version-1 file at `path` (an empty list if it is damaged, in which
 * case the version-1 reader has set it aside with a warning). Does not change a readable file.
 */
export async function migrateV1File(path: string, options: MigrateV1Options): Promise<V1Entry[]> {
  const v1 = new VersionOneFileStore({
    path,
    logger: options.logger,
    crypto: options.crypto,
    keyPath: options.keyPath,
    ...(options.storageKey === undefined ? {} : { storageKey: options.storageKey }),
  });
  const sessions = await v1.load();
  return sessions.map((s) => ({
    peerFingerprint: s.peerFingerprint,
    deviceId: s.deviceId,
    establishedMs: s.establishedMs,
    lastActiveMs: s.lastActiveMs,
    resumptionSecret: s.resumptionSecret,
  }));
}
