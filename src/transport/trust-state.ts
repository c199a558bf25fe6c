/**
 * The trust state the session keeper persists with the sessions (docs/security.md "Trust",
 * docs/store.md): learned ML-DSA-65 public keys (`pk:<fingerprint>`, pinned in the peer
 * directory) and TOFU bindings (`tofu:<device id>`), restored at start-up, plus the identity
 * last seen at each device id (memory only). Both in-memory maps are bounded LRUs.
 *
 * @module
 */

import { bytesToHex, hexToBytes } from '../bytes.js';
import type { CryptoProvider } from '../crypto/index.js';
import { HandshakeError } from '../errors.js';
import type { PeerDirectory } from '../handshake/index.js';
import { identityFingerprint } from '../identity/identity.js';
import { FINGERPRINT_BYTES, IDENTITY_PUBLIC_KEY_BYTES, parseFingerprint, type Fingerprint } from '../ids.js';
import type { SessionStore } from '../session/store.js';
import { LruMap } from '../util/lru.js';
import { collect, storedFingerprint, type StoreCalls } from './store-calls.js';

/** Most persisted public keys and TOFU bindings restored at start-up (and keys kept in memory). */
const MAX_RESTORED_TRUST = 10_000;
/** Device ids whose last identity is remembered in memory. */
const MAX_IDENTITY_AT = 1024;

/** What {@link TrustState} works with. */
export interface TrustStateOptions {
  readonly store: SessionStore;
  readonly calls: StoreCalls;
  readonly directory: PeerDirectory;
  readonly crypto: CryptoProvider;
}

/** Learned keys, TOFU bindings and the identity last seen per device id. */
export class TrustState {
  readonly #o: TrustStateOptions;
  readonly #keys = new LruMap<Uint8Array>();
  readonly #identityAt = new LruMap<Fingerprint>();

  constructor(options: TrustStateOptions) {
    this.#o = options;
  }

  /** The peer's learned public key, if any (memory first, then the store). */
  async keyFor(peerHex: Fingerprint, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const cached = this.#keys.get(peerHex) ?? this.#o.directory.keyOf(peerHex);
    if (cached !== undefined) return cached.slice();
    const stored = await this.#o.calls.call('getValue', (o) => this.#o.store.getValue(`pk:${peerHex}`, o), signal);
    if (stored === undefined || stored.length !== IDENTITY_PUBLIC_KEY_BYTES || bytesToHex(identityFingerprint(stored, this.#o.crypto)) !== peerHex)
      return undefined;
    this.#remember(peerHex, stored);
    return stored.slice();
  }

  /**
   * Initiator, pinned mode: the public key of the identity expected at `deviceId` (the one
   * the caller insists on, or the one last seen there), if it is known.
   */
  async pinnedKeyFor(deviceId: string, expected: Fingerprint | undefined, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    let hex = expected ?? this.#identityAt.get(deviceId);
    if (hex === undefined) {
      const entry = await this.#o.calls.call('getByDevice', (o) => this.#o.store.getByDevice(deviceId, o), signal);
      if (entry !== undefined) hex = storedFingerprint(entry);
    }
    return hex === undefined ? undefined : this.keyFor(hex, signal);
  }

  /** Remembers (bounded, in memory) which identity last authenticated at a device id. */
  noteIdentityAt(deviceId: string, peerHex: Fingerprint): void {
    this.#identityAt.set(deviceId, peerHex);
    if (this.#identityAt.size > MAX_IDENTITY_AT) this.#identityAt.delete(this.#identityAt.oldestKey()!);
  }

  /** Pins a learned public key and persists it (once). */
  async learnKey(peerHex: string, publicKey: Uint8Array): Promise<void> {
    const known = this.#keys.has(peerHex);
    this.#remember(peerHex, publicKey);
    this.#o.directory.pin(publicKey);
    if (!known) await this.#o.calls.call('putValue', (o) => this.#o.store.putValue(`pk:${peerHex}`, publicKey, o));
  }

  /** Forgets the learned key in memory (the caller removes it from the store). */
  forgetKey(peerHex: string): void {
    this.#keys.delete(peerHex);
  }

  /**
   * The fingerprint (hex) bound to a device id under `tofu`: the trust policy's binding, else
   * one in the store (made by another process sharing it, or not restored at start-up), which
   * is then bound here too.
   * @throws HandshakeError `PQBLE_ERR_PEER_UNTRUSTED` if the store fails (logged): a binding
   *   that cannot be looked up is not taken for none, so no other identity is bound over it
   */
  async tofuBinding(deviceId: string, signal?: AbortSignal): Promise<string | undefined> {
    const directory = this.#o.directory;
    const known = directory.boundAt(deviceId);
    if (known !== undefined) return known;
    const found = await this.#o.calls.attempt('getValue', (o) => this.#o.store.getValue(`tofu:${deviceId}`, o), signal);
    if (!found.ok)
      throw new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'the trust-on-first-use binding of this device id could not be looked up in the session store');
    const stored = found.value;
    if (stored === undefined || stored.length !== FINGERPRINT_BYTES) return undefined;
    const hex = parseFingerprint(stored, 'stored TOFU binding');
    directory.bind(deviceId, hex);
    return hex;
  }

  /** Persists a TOFU binding made by the trust policy. */
  async persistBinding(deviceId: string, peerHex: string): Promise<void> {
    await this.#o.calls.call('putValue', (o) => this.#o.store.putValue(`tofu:${deviceId}`, hexToBytes(peerHex), o));
  }

  /** Restores the persisted keys (pinned) and TOFU bindings (bound), at most {@link MAX_RESTORED_TRUST} each. */
  async restore(): Promise<void> {
    const store = this.#o.store;
    const directory = this.#o.directory;
    const keys = (await this.#o.calls.call('listValues', (o) => collect(store.listValues('pk:', o), MAX_RESTORED_TRUST))) ?? [];
    for (const [name, value] of keys) {
      const hex = name.slice(3);
      if (value.length === IDENTITY_PUBLIC_KEY_BYTES && bytesToHex(identityFingerprint(value, this.#o.crypto)) === hex) {
        this.#remember(hex, value);
        directory.pin(value);
      }
    }
    const bindings = (await this.#o.calls.call('listValues', (o) => collect(store.listValues('tofu:', o), MAX_RESTORED_TRUST))) ?? [];
    for (const [name, value] of bindings) if (value.length === FINGERPRINT_BYTES) directory.bind(name.slice(5), parseFingerprint(value, 'stored TOFU binding'));
  }

  #remember(peerHex: string, key: Uint8Array): void {
    this.#keys.set(peerHex, key.slice());
    if (this.#keys.size > MAX_RESTORED_TRUST) this.#keys.delete(this.#keys.oldestKey()!);
  }
}
