/**
 * Opens the embedded file store for `sessionPersistPath`, loaded only when asked for, so
 * that importing the transport never loads `node:fs`.
 *
 * @module
 */

import { hexToBytes } from '../bytes.js';
import type { CryptoProvider } from '../crypto/index.js';
import type { Logger } from '../logger.js';
import { deriveDirectionSecret, deriveResumeTicketId } from '../resumption/index.js';
import type { SessionStore } from '../session/store.js';

/** What the transport gives the file store. */
export interface FileStoreInit {
  readonly path: string;
  readonly maxEntries: number;
  readonly selfFingerprint: Uint8Array;
  readonly crypto: CryptoProvider;
  readonly logger: Logger;
  readonly storageKey?: Uint8Array;
}

/** Opens (and locks) the session file; a version-1 file is migrated to direction secrets. */
export async function openFileStore(init: FileStoreInit): Promise<SessionStore> {
  const { FileSessionStore } = await import('../session/file/index.js');
  const self = init.selfFingerprint;
  return FileSessionStore.open({
    path: init.path,
    maxEntries: init.maxEntries,
    crypto: init.crypto,
    logger: init.logger,
    ...(init.storageKey === undefined ? {} : { storageKey: init.storageKey }),
    migrateV1: (entry) => {
      const peer = hexToBytes(entry.peerFingerprint);
      const outbound = deriveDirectionSecret(entry.resumptionSecret, self, peer, init.crypto);
      const inbound = deriveDirectionSecret(entry.resumptionSecret, peer, self, init.crypto);
      return {
        peerFingerprint: entry.peerFingerprint,
        deviceId: entry.deviceId,
        establishedMs: entry.establishedMs,
        lastActiveMs: entry.lastActiveMs,
        outbound,
        inbound: { secret: inbound, ticketId: deriveResumeTicketId(inbound, peer, self, init.crypto) },
      };
    },
  });
}
