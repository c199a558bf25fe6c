/**
 * The labelled checks `BleTransport.create` runs on the objects it is given: the identity,
 * the link endpoint, the store options and a session store of the caller's, the known peers.
 *
 * @module
 */

import { checkBytes } from '../bytes.js';
import type { Identity } from '../identity/index.js';
import { FINGERPRINT_BYTES, IDENTITY_PUBLIC_KEY_BYTES } from '../ids.js';
import type { LinkEndpoint } from '../link/types.js';
import type { SessionStore } from '../session/store.js';
import type { BleTransportOptions } from './options.js';

/** @throws TypeError / RangeError unless `identity` looks like an {@link Identity}. */
export function checkIdentity(identity: unknown): asserts identity is Identity {
  if (identity === null || typeof identity !== 'object') throw new TypeError('identity is required (generateIdentity() or loadIdentity())');
  const id = identity as Partial<Identity>;
  checkBytes(id.publicKey, 'identity.publicKey');
  checkBytes(id.secretKey, 'identity.secretKey');
  checkBytes(id.fingerprint, 'identity.fingerprint', FINGERPRINT_BYTES);
}

/** @throws TypeError unless `link` is a {@link LinkEndpoint}. */
export function checkEndpoint(link: unknown): asserts link is LinkEndpoint {
  const l = link as Partial<LinkEndpoint> | null;
  if (l === null || typeof l !== 'object' || typeof l.connect !== 'function' || typeof l.onIncoming !== 'function' || l.clock === undefined) {
    throw new TypeError('link must be a LinkEndpoint (for example a SimulatedRadio device)');
  }
}

/** @throws TypeError unless `store` has every {@link SessionStore} method. */
export function checkStore(store: unknown): asserts store is SessionStore {
  const s = store as Partial<SessionStore> | null;
  const methods = [
    'get',
    'getByTicket',
    'getByDevice',
    'put',
    'consumeInbound',
    'replaceOutbound',
    'delete',
    'touch',
    'prune',
    'entries',
    'size',
    'getValue',
    'putValue',
    'listValues',
    'close',
  ] as const;
  if (s === null || typeof s !== 'object' || methods.some((m) => typeof s[m] !== 'function')) {
    throw new TypeError(
      'sessionStore must be a SessionStore (get, getByTicket, getByDevice, put, consumeInbound, replaceOutbound, delete, touch, prune, entries, size, getValue, putValue, listValues, close)',
    );
  }
}

/**
 * The store options (`sessionPersistPath` or `sessionStore`, `storageKey`, a `sessionStore`'s
 * methods) and `knownPeers`.
 * @throws TypeError / RangeError naming the option
 */
export function checkStoreAndPeers(options: BleTransportOptions): void {
  if (options.sessionPersistPath !== undefined && options.sessionStore !== undefined) {
    throw new TypeError('give either sessionPersistPath or sessionStore, not both');
  }
  if (options.storageKey !== undefined) checkBytes(options.storageKey, 'storageKey', 32);
  if (options.knownPeers !== undefined) {
    if (!Array.isArray(options.knownPeers)) throw new TypeError('knownPeers must be an array of public keys');
    options.knownPeers.forEach((k, i) => checkBytes(k, `knownPeers[${i}]`, IDENTITY_PUBLIC_KEY_BYTES));
  }
  if (options.sessionStore !== undefined) checkStore(options.sessionStore);
}
