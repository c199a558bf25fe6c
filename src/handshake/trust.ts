/**
 * Trust policy and pinned peer keys (docs/protocol.md "Trust" and "Identities and fingerprints":
 * peers are known by the fingerprint of their ML-DSA public key; the device id is only a
 * lookup hint). The handshake proves *who* the peer is; a {@link PeerDirectory} decides
 * whether that peer is welcome, and remembers pinned keys for pinned-mode handshakes.
 *
 * @module
 */

import { bytesToHex, checkBytes } from '../bytes.js';
import { SIZES, checkCrypto, nobleCrypto, type CryptoProvider } from '../crypto/index.js';
import { HandshakeError } from '../errors.js';
import { fingerprintToHex, identityFingerprint } from '../identity/identity.js';
import { FINGERPRINT_BYTES, fingerprintBytes, parseFingerprint, type Fingerprint } from '../ids.js';
import { LruMap } from '../util/lru.js';
import { checkOptionKeys, optFunction } from '../util/options.js';

/**
 * TOFU bindings a {@link PeerDirectory} keeps in memory. Beyond this the least recently bound
 * is dropped: a transport keeps every binding in its session store and looks up one that is
 * not in memory before it binds (docs/security.md "Trust").
 */
const MAX_TOFU_BINDINGS = 10_000;

/**
 * Public keys a {@link PeerDirectory} keeps pinned in memory. Beyond this the least recently
 * pinned is dropped: pinned mode then misses for that peer once and retries in full mode, and
 * the transport keeps every learned key in its session store (`pk:<fingerprint>`).
 */
const MAX_PINNED_KEYS = 10_000;

/** What a trust decision sees about an authenticated peer. */
export interface PeerInfo {
  /** The peer's 32-byte identity fingerprint. */
  readonly fingerprint: Uint8Array;
  /** The same fingerprint as 64 lowercase hex digits. */
  readonly fingerprintHex: string;
  /** The peer's 1,952-byte ML-DSA-65 public key. */
  readonly publicKey: Uint8Array;
  /** The peer's current BLE device id (12 hex digits); only a hint, addresses rotate. */
  readonly deviceId: string;
}

/**
 * Which authenticated peers to accept (docs/security.md "Trust").
 * - `tofu` (the default): trust on first use per device id: the first fingerprint that
 *   authenticates at a device id is bound to it; a different fingerprint later for the same
 *   device id is refused (`PQBLE_ERR_PEER_UNTRUSTED`). The transport persists the bindings in
 *   its session store.
 * - `any`: every peer that completed the handshake; only when chosen explicitly.
 * - `allow-list`: only the listed fingerprints (bytes or 64 hex digits).
 * - `callback`: `verify(peer)` decides; `false`, a rejected promise or a throw refuses.
 */
export type TrustPolicy =
  | { readonly mode: 'any' }
  | { readonly mode: 'allow-list'; readonly fingerprints: readonly (Uint8Array | string)[] }
  | { readonly mode: 'tofu' }
  | { readonly mode: 'callback'; readonly verify: (peer: PeerInfo) => boolean | Promise<boolean> };

/** Options of {@link PeerDirectory}. */
export interface PeerDirectoryOptions {
  /** Primitives used to compute fingerprints. Default: `nobleCrypto`. */
  readonly crypto?: CryptoProvider;
}

/**
 * Builds a {@link PeerInfo} from a peer's public key and device id.
 * @throws TypeError / RangeError for a key that is not 1,952 bytes or a device id that is not a string
 */
export function makePeerInfo(publicKey: Uint8Array, deviceId: string, crypto: CryptoProvider = nobleCrypto): PeerInfo {
  checkBytes(publicKey, 'publicKey', SIZES.sigPublicKey);
  if (typeof deviceId !== 'string') throw new TypeError('deviceId must be a string');
  const fingerprint = identityFingerprint(publicKey, crypto);
  return { fingerprint, fingerprintHex: bytesToHex(fingerprint), publicKey: publicKey.slice(), deviceId };
}

function untrusted(message: string, cause?: unknown): HandshakeError {
  return new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', message, cause === undefined ? {} : { cause });
}

function normalisePolicy(policy: TrustPolicy): { policy: TrustPolicy; allowed: Set<string> | undefined } {
  if (policy === null || typeof policy !== 'object') throw new TypeError('policy must be a TrustPolicy object');
  switch (policy.mode) {
    case 'any':
    case 'tofu':
      checkOptionKeys(policy, ['mode'], `${policy.mode} policy`);
      return { policy: { mode: policy.mode }, allowed: undefined };
    case 'allow-list': {
      checkOptionKeys(policy, ['mode', 'fingerprints'], 'allow-list policy');
      if (!Array.isArray(policy.fingerprints)) throw new TypeError('allow-list policy: fingerprints must be an array');
      const allowed = new Set<string>();
      for (const [i, fp] of policy.fingerprints.entries()) {
        allowed.add(parseFingerprint(fp, `allow-list policy: fingerprints[${i}]`));
      }
      return { policy: { mode: 'allow-list', fingerprints: [...allowed] }, allowed };
    }
    case 'callback':
      checkOptionKeys(policy, ['mode', 'verify'], 'callback policy');
      if (optFunction(policy.verify, 'callback policy: verify') === undefined) throw new TypeError('callback policy: verify must be a function');
      return { policy: { mode: 'callback', verify: policy.verify }, allowed: undefined };
    default:
      throw new TypeError(`unknown trust policy mode ${JSON.stringify((policy as { mode?: unknown }).mode) ?? 'undefined'}`);
  }
}

/**
 * Pinned peer keys (in memory, by fingerprint) plus the trust decision of one
 * {@link TrustPolicy}. The transport pins a peer's key after a successful full handshake,
 * offers it to later handshakes (pinned mode), and calls {@link PeerDirectory.check} on
 * every authenticated peer before it accepts application data.
 */
export class PeerDirectory {
  readonly #crypto: CryptoProvider;
  readonly #policy: TrustPolicy;
  readonly #allowed: Set<string> | undefined;
  /** Pinned keys by fingerprint hex, least recently pinned first (at most {@link MAX_PINNED_KEYS}). */
  readonly #keys = new LruMap<Uint8Array>();
  /** TOFU bindings: device id -> fingerprint hex, least recently bound first (at most {@link MAX_TOFU_BINDINGS}). */
  readonly #tofu = new LruMap<string>();

  /**
   * @param policy - the trust policy (default `{ mode: 'tofu' }`); copied, so later changes to
   *   an allow-list array have no effect
   * @param options - see {@link PeerDirectoryOptions}
   * @throws TypeError / RangeError for a malformed policy (unknown mode or key, a fingerprint
   *   that is not 32 bytes or 64 hex digits)
   */
  constructor(policy: TrustPolicy = { mode: 'tofu' }, options?: PeerDirectoryOptions) {
    checkOptionKeys(options, ['crypto'], 'PeerDirectory options');
    this.#crypto = checkCrypto(options?.crypto, 'options.crypto');
    const { policy: normalised, allowed } = normalisePolicy(policy);
    this.#policy = normalised;
    this.#allowed = allowed;
  }

  /** The policy's mode. */
  get mode(): TrustPolicy['mode'] {
    return this.#policy.mode;
  }

  /** Number of pinned keys (at most 10,000: the most recently pinned). */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * Pins a peer's public key (a copy) under its fingerprint.
   * @returns the key's 32-byte fingerprint
   * @throws TypeError / RangeError if `publicKey` is not 1,952 bytes
   */
  pin(publicKey: Uint8Array): Uint8Array {
    checkBytes(publicKey, 'publicKey', SIZES.sigPublicKey);
    const fingerprint = identityFingerprint(publicKey, this.#crypto);
    this.#pinAt(bytesToHex(fingerprint), publicKey);
    return fingerprint;
  }

  /** Pins in memory; past {@link MAX_PINNED_KEYS} the least recently pinned is dropped. */
  #pinAt(hex: string, publicKey: Uint8Array): void {
    this.#keys.set(hex, publicKey.slice());
    if (this.#keys.size > MAX_PINNED_KEYS) this.#keys.delete(this.#keys.oldestKey()!);
  }

  /**
   * The pinned key for `fingerprint` (a copy), or `undefined`. Fits
   * `ResponderOptions.lookupPeerKey` as `(fp) => directory.keyFor(fp)`.
   * @throws TypeError / RangeError if `fingerprint` is not 32 bytes
   */
  keyFor(fingerprint: Uint8Array): Uint8Array | undefined {
    checkBytes(fingerprint, 'fingerprint', FINGERPRINT_BYTES);
    return this.keyOf(parseFingerprint(fingerprint));
  }

  /** The pinned key for a parsed fingerprint (a copy), or `undefined`. */
  keyOf(fingerprint: Fingerprint): Uint8Array | undefined {
    return this.#keys.get(fingerprint)?.slice();
  }

  /**
   * Forgets a peer: its pinned key and every TOFU binding of a device id to it.
   * @param fingerprint - a parsed fingerprint (`parseFingerprint` of `src/ids.ts`)
   * @returns true if anything was removed
   */
  forget(fingerprint: Fingerprint): boolean {
    const hex = fingerprint;
    let removed = this.#keys.delete(hex);
    for (const [deviceId, bound] of [...this.#tofu.entries()]) {
      if (bound === hex) {
        this.#tofu.delete(deviceId);
        removed = true;
      }
    }
    return removed;
  }

  /** Binds in memory; past {@link MAX_TOFU_BINDINGS} the least recently bound is dropped (the transport keeps every binding in its store and looks a dropped one up again). */
  #bindAt(deviceId: string, hex: string): void {
    this.#tofu.set(deviceId, hex);
    if (this.#tofu.size > MAX_TOFU_BINDINGS) this.#tofu.delete(this.#tofu.oldestKey()!);
  }

  /** The fingerprints of the pinned keys, as hex. */
  pinnedFingerprints(): string[] {
    return [...this.#keys.keys()];
  }

  /**
   * Restores a TOFU binding of a device id to a fingerprint (64 hex digits), for example one
   * persisted by the transport's session keeper. A later binding of the same device id wins.
   * @param fingerprint - a parsed fingerprint (`parseFingerprint` of `src/ids.ts`)
   */
  bind(deviceId: string, fingerprint: Fingerprint): void {
    this.#bindAt(deviceId, fingerprint);
  }

  /** The fingerprint (hex) bound to a device id under `tofu`, if any. */
  boundAt(deviceId: string): string | undefined {
    return this.#tofu.get(deviceId);
  }

  /**
   * The trust decision for a resumption, where the peer proved possession of a cached
   * session rather than of its key. `any` and `allow-list` decide from the fingerprint;
   * `tofu` checks (and keeps) the device id binding; `callback` needs the peer's public key
   * (the one learned in the full handshake): without it the answer is `'needs-key'` and the
   * caller runs a full handshake instead.
   * @returns `'trusted'`, `'refused'` (the policy says no: purge the session) or `'needs-key'`
   */
  async checkResumed(fingerprint: Fingerprint, deviceId: string, publicKey: Uint8Array | undefined): Promise<'trusted' | 'refused' | 'needs-key'> {
    const hex = fingerprint;
    const policy = this.#policy;
    switch (policy.mode) {
      case 'any':
        return 'trusted';
      case 'allow-list':
        return this.#allowed!.has(hex) ? 'trusted' : 'refused';
      case 'tofu': {
        const bound = this.#tofu.get(deviceId);
        if (bound !== undefined && bound !== hex) return 'refused';
        if (bound === undefined) this.#bindAt(deviceId, hex);
        return 'trusted';
      }
      case 'callback': {
        if (publicKey === undefined) return 'needs-key';
        try {
          await this.check({ fingerprint: fingerprintBytes(hex), fingerprintHex: hex, publicKey, deviceId });
          return 'trusted';
        } catch {
          return 'refused';
        }
      }
    }
  }

  /**
   * Decides whether an authenticated peer is trusted. Under `tofu` a first sighting binds
   * the device id to the peer's fingerprint (the same peer under a new device id is bound
   * there too) and pins its key. Other policies never pin; call {@link pin} for that.
   * @throws TypeError for a malformed `peer`; HandshakeError `PQBLE_ERR_PEER_UNTRUSTED` if the policy refuses it
   */
  async check(peer: PeerInfo): Promise<void> {
    if (peer === null || typeof peer !== 'object') throw new TypeError('peer must be a PeerInfo object');
    checkBytes(peer.fingerprint, 'peer.fingerprint', FINGERPRINT_BYTES);
    checkBytes(peer.publicKey, 'peer.publicKey', SIZES.sigPublicKey);
    if (typeof peer.deviceId !== 'string') throw new TypeError('peer.deviceId must be a string');
    const hex = fingerprintToHex(peer.fingerprint);
    if (hex !== bytesToHex(identityFingerprint(peer.publicKey, this.#crypto))) throw new TypeError('peer.fingerprint does not match peer.publicKey');
    const policy = this.#policy;
    switch (policy.mode) {
      case 'any':
        return;
      case 'allow-list':
        if (!this.#allowed!.has(hex)) throw untrusted('the peer is not on the allow-list');
        return;
      case 'tofu': {
        const bound = this.#tofu.get(peer.deviceId);
        if (bound !== undefined && bound !== hex)
          throw untrusted(
            `the peer presented a different identity (${hex.slice(0, 16)}…) than the one first seen at this device id (${bound.slice(0, 16)}…; trust on first use). ` +
              'If the device was re-provisioned, forget the old identity: transport.forgetPeer() or pqble sessions forget',
          );
        if (bound === undefined) this.#bindAt(peer.deviceId, hex);
        if (!this.#keys.has(hex)) this.#pinAt(hex, peer.publicKey);
        return;
      }
      case 'callback': {
        let verdict: unknown;
        try {
          verdict = await policy.verify({
            fingerprint: peer.fingerprint.slice(),
            fingerprintHex: hex,
            publicKey: peer.publicKey.slice(),
            deviceId: peer.deviceId,
          });
        } catch (err) {
          throw untrusted('the trust callback threw', err);
        }
        if (verdict !== true) throw untrusted('the trust callback refused the peer');
        return;
      }
    }
  }
}
