/**
 * The session state a transport opens in `BleTransport.create`: the store it was given, or
 * the one it creates (the embedded file store at `sessionPersistPath`, else memory), and the
 * session keeper on it (clock high-water mark and trust state restored).
 *
 * @module
 */

import type { CryptoProvider } from '../crypto/index.js';
import type { PeerDirectory } from '../handshake/index.js';
import type { Logger } from '../logger.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '../session/expiry.js';
import { MemorySessionStore } from '../session/memory-store.js';
import type { SessionStore } from '../session/store.js';
import { openFileStore } from './file-store-loader.js';
import { MAX_MS, type BleTransportOptions, type ResolvedOptions } from './options.js';
import { SessionKeeper } from './session-keeper.js';

/** The keeper, and the store if the transport created it (and so closes it). */
export interface SessionState {
  readonly keeper: SessionKeeper;
  readonly ownStore: SessionStore | undefined;
}

/**
 * Opens the store (unless `options.sessionStore` is given) and the keeper on it; a store
 * opened here is closed again if the keeper cannot open.
 * @throws TypeError if `sessionPersistPath` is not a non-empty string; the store's errors
 */
export async function openSessionState(
  options: BleTransportOptions,
  resolved: ResolvedOptions,
  { crypto, logger, directory }: { readonly crypto: CryptoProvider; readonly logger: Logger; readonly directory: PeerDirectory },
): Promise<SessionState> {
  let ownStore: SessionStore | undefined;
  if (options.sessionPersistPath !== undefined) {
    if (typeof options.sessionPersistPath !== 'string' || options.sessionPersistPath === '')
      throw new TypeError('sessionPersistPath must be a non-empty string');
    ownStore = await openFileStore({
      path: options.sessionPersistPath,
      maxEntries: resolved.maxCachedSessions,
      selfFingerprint: options.identity.fingerprint,
      crypto,
      logger,
      ...(options.storageKey === undefined ? {} : { storageKey: options.storageKey }),
    });
  } else if (options.sessionStore === undefined) {
    ownStore = new MemorySessionStore({ maxEntries: resolved.maxCachedSessions });
  }
  const store = options.sessionStore ?? ownStore!;
  let keeper: SessionKeeper;
  try {
    keeper = await SessionKeeper.open({
      store,
      selfFingerprint: options.identity.fingerprint,
      crypto,
      clock: options.link.clock,
      logger,
      directory,
      lifetimeMs: resolved.sessionCacheDurationMs,
      storeTimeoutMs: resolved.storeTimeoutMs,
      maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
      flushIntervalMs: resolved.sessionSaveIntervalMs ?? MAX_MS,
    });
  } catch (err) {
    await ownStore?.close();
    throw err;
  }
  return { keeper, ownStore };
}
