/**
 * The initiator's side of the full handshake (docs/protocol.md "State machines",
 * "Message layouts", "Key schedule"): a pure, synchronous state machine with no I/O and no
 * timers, in the style of libp2p-noise's `protocol.ts`. A thin async driver moves its
 * messages over the link and runs the trust check between `readResponse` and `finish`.
 *
 * ```
 * new --start()--> awaiting-response --readResponse(M2)--> authenticated --finish()--> done
 *   any throw (or a call in the wrong state) --> failed (secrets wiped; every call -> UNEXPECTED)
 * ```
 *
 * @module
 */

import { checkBytes, concatBytes, wipe } from '../bytes.js';
import { SIZES, checkCrypto, type CryptoProvider } from '../crypto/index.js';
import { identityFingerprint, isIdentity, type Identity } from '../identity/identity.js';
import { checkOptionKeys } from '../util/options.js';
import { MessageType } from '../wire.js';
import { asHandshakeError, guard, handshakeError, signatureInput, ZERO_NONCE } from './internal.js';
import { deriveApplicationSecrets, deriveHandshakeSecrets } from './key-schedule.js';
import {
  decodeHandshakeResponse,
  decodeIdentityPayload,
  encodeHandshakeFinish,
  encodeHandshakeInit,
  encodeIdentityPayload,
  type HandshakeMode,
} from './messages.js';
import type { HandshakePeer, HandshakeResult, InitiatorOptions, InitiatorState } from './types.js';

/**
 * Initiator of the full handshake. Pinned mode when `peerKey` is given.
 *
 * Every method throws only `HandshakeError` (`PQBLE_ERR_HANDSHAKE_MALFORMED`,
 * `_UNEXPECTED`, `_AUTH_FAILED`, `PQBLE_ERR_PEER_UNKNOWN`, or `PQBLE_ERR_INTERNAL` wrapping
 * a failure of the crypto provider), except a `TypeError` for an argument that is not a
 * Uint8Array. A state machine that threw is dead and has wiped its secrets.
 */
export class HandshakeInitiator {
  readonly #crypto: CryptoProvider;
  readonly #identity: Identity;
  readonly #mode: HandshakeMode;
  readonly #peerKey: Uint8Array | undefined;
  readonly #peerFingerprint: Uint8Array | undefined;
  #state: InitiatorState = 'new';
  #x25519Secret: Uint8Array | undefined;
  #kemSecret: Uint8Array | undefined;
  #m1: Uint8Array | undefined;
  #m2: Uint8Array | undefined;
  #handshakeKey: Uint8Array | undefined;
  #masterSecret: Uint8Array | undefined;
  #peer: HandshakePeer | undefined;

  /**
   * @param options - see {@link InitiatorOptions}
   * @throws TypeError / RangeError for a missing or malformed identity, a `peerKey` that is
   *   not 1,952 bytes, or an unknown option
   */
  constructor(options: InitiatorOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('HandshakeInitiator options must be an object');
    checkOptionKeys(options, ['identity', 'peerKey', 'crypto'], 'HandshakeInitiator options');
    this.#crypto = checkCrypto(options.crypto, 'options.crypto');
    if (!isIdentity(options.identity, this.#crypto)) throw new TypeError('options.identity must be an Identity whose fingerprint matches its public key');
    this.#identity = options.identity;
    if (options.peerKey !== undefined) {
      checkBytes(options.peerKey, 'options.peerKey', SIZES.sigPublicKey);
      this.#peerKey = options.peerKey.slice();
      this.#peerFingerprint = identityFingerprint(this.#peerKey, this.#crypto);
    }
    this.#mode = this.#peerKey === undefined ? 'full' : 'pinned';
  }

  /** `'pinned'` if constructed with a `peerKey`, else `'full'`. */
  get mode(): HandshakeMode {
    return this.#mode;
  }

  /** Where the state machine is. */
  get state(): InitiatorState {
    return this.#state;
  }

  /**
   * Draws fresh ephemeral X25519 and ML-KEM-768 key pairs and returns M1 (HandshakeInit,
   * 1,219 bytes, type byte included).
   */
  start(): Uint8Array {
    this.#enter('new', 'start');
    let xSeed: Uint8Array | undefined;
    let kemSeed: Uint8Array | undefined;
    try {
      xSeed = this.#crypto.randomBytes(SIZES.x25519Key);
      kemSeed = this.#crypto.randomBytes(64);
      const x = this.#crypto.x25519Keygen(xSeed);
      const kem = this.#crypto.kemKeygen(kemSeed);
      this.#x25519Secret = x.secretKey.slice();
      this.#kemSecret = kem.secretKey.slice();
      if (x.secretKey !== xSeed) wipe(x.secretKey);
      wipe(kem.secretKey);
      const m1 = encodeHandshakeInit({ pinned: this.#mode === 'pinned', x25519PublicKey: x.publicKey, kemPublicKey: kem.publicKey });
      this.#m1 = m1;
      this.#state = 'awaiting-response';
      return m1.slice();
    } catch (err) {
      this.#die();
      throw asHandshakeError(err);
    } finally {
      wipe(xSeed, kemSeed);
    }
  }

  /**
   * Reads M2 (HandshakeResponse): completes the key exchange, decrypts the responder's
   * identity and verifies its signature over the transcript. The caller then runs its trust
   * check on the returned peer and calls {@link finish} (or abandons the handshake, which
   * keeps the initiator's identity hidden from an untrusted responder).
   * @returns the responder's fingerprint and public key (copies)
   * @throws HandshakeError: `_UNEXPECTED` (wrong state or type byte), `_MALFORMED` (length),
   *   `_AUTH_FAILED` (bad key share, decryption or signature), `PQBLE_ERR_PEER_UNKNOWN` (pinned
   *   mode: the responder did not sign with the pinned key)
   */
  readResponse(m2: Uint8Array): { fingerprint: Uint8Array; publicKey: Uint8Array } {
    this.#enter('awaiting-response', 'readResponse');
    if (!(m2 instanceof Uint8Array)) {
      this.#die();
      throw new TypeError('m2 must be a Uint8Array');
    }
    let ssX: Uint8Array | undefined;
    let ssKem: Uint8Array | undefined;
    let responderKey: Uint8Array | undefined;
    let plaintext: Uint8Array | undefined;
    try {
      const m1 = this.#m1!;
      const response = decodeHandshakeResponse(m2, this.#mode);
      const xSecret = this.#x25519Secret!;
      const kemSecret = this.#kemSecret!;
      ssX = guard('PQBLE_ERR_HANDSHAKE_AUTH_FAILED', 'invalid X25519 key share', () => this.#crypto.x25519(xSecret, response.x25519PublicKey));
      ssKem = guard('PQBLE_ERR_HANDSHAKE_AUTH_FAILED', 'ML-KEM decapsulation failed', () => this.#crypto.kemDecapsulate(response.kemCipherText, kemSecret));
      wipe(this.#x25519Secret, this.#kemSecret);
      this.#x25519Secret = undefined;
      this.#kemSecret = undefined;

      const th2 = this.#crypto.sha256(concatBytes(m1, response.clear));
      const secrets = deriveHandshakeSecrets(ssX, ssKem, th2, this.#crypto);
      responderKey = secrets.responderHandshakeKey;
      this.#handshakeKey = secrets.initiatorHandshakeKey;
      this.#masterSecret = secrets.masterSecret;

      plaintext = this.#crypto.aeadOpen(responderKey, ZERO_NONCE, response.sealed, th2);
      if (plaintext === undefined) throw handshakeError('PQBLE_ERR_HANDSHAKE_AUTH_FAILED', 'HandshakeResponse failed to decrypt');
      const payload = decodeIdentityPayload('responder', this.#mode, plaintext);
      const publicKey = this.#mode === 'full' ? payload.publicKey! : this.#peerKey!;
      const fingerprint = this.#mode === 'full' ? identityFingerprint(publicKey, this.#crypto) : this.#peerFingerprint!;
      const thR = this.#crypto.sha256(concatBytes(m1, response.clear, fingerprint));
      if (!this.#crypto.verify(payload.signature, signatureInput('responder', thR), publicKey)) {
        if (this.#mode === 'pinned') throw handshakeError('PQBLE_ERR_PEER_UNKNOWN', 'the responder did not sign with the pinned key');
        throw handshakeError('PQBLE_ERR_HANDSHAKE_AUTH_FAILED', "the responder's signature does not verify");
      }
      this.#m2 = m2.slice();
      this.#peer = { fingerprint: fingerprint.slice(), publicKey: publicKey.slice() };
      this.#state = 'authenticated';
      return { fingerprint: fingerprint.slice(), publicKey: publicKey.slice() };
    } catch (err) {
      this.#die();
      throw asHandshakeError(err);
    } finally {
      wipe(ssX, ssKem, responderKey, plaintext);
    }
  }

  /**
   * Signs the transcript, seals this side's identity under the initiator handshake key and
   * derives the application secrets. Call after the trust check on the peer from
   * {@link readResponse}.
   * @returns M3 (HandshakeFinish) and the handshake result (`sendKey` is initiator -> responder)
   */
  finish(): { message: Uint8Array; result: HandshakeResult } {
    this.#enter('authenticated', 'finish');
    let payload: Uint8Array | undefined;
    try {
      const m1 = this.#m1!;
      const m2 = this.#m2!;
      const id = this.#identity;
      const thI = this.#crypto.sha256(concatBytes(m1, m2, id.fingerprint));
      const signature = this.#crypto.sign(signatureInput('initiator', thI), id.secretKey);
      payload = encodeIdentityPayload('initiator', this.#mode, { publicKey: id.publicKey, fingerprint: id.fingerprint, signature });
      const aad = this.#crypto.sha256(concatBytes(m1, m2, new Uint8Array([MessageType.HandshakeFinish])));
      const m3 = encodeHandshakeFinish(this.#crypto.aeadSeal(this.#handshakeKey!, ZERO_NONCE, payload, aad));
      const th3 = this.#crypto.sha256(concatBytes(m1, m2, m3));
      const app = deriveApplicationSecrets(this.#masterSecret!, th3, this.#crypto);
      const result: HandshakeResult = {
        peer: this.#peer!,
        sendKey: app.initiatorToResponderKey,
        receiveKey: app.responderToInitiatorKey,
        resumptionSecret: app.resumptionSecret,
        sessionId: app.sessionId,
        transcriptHash: th3,
        pinned: this.#mode === 'pinned',
      };
      this.#wipeSecrets();
      this.#state = 'done';
      return { message: m3, result };
    } catch (err) {
      this.#die();
      throw asHandshakeError(err);
    } finally {
      wipe(payload);
    }
  }

  /** Abandons the handshake (for example after a failed trust check): wipes secrets; later calls fail. */
  destroy(): void {
    if (this.#state !== 'done') this.#die();
  }

  #enter(expected: InitiatorState, method: string): void {
    if (this.#state === expected) return;
    const was = this.#state;
    this.#die();
    throw handshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', `${method}() called in state "${was}"`);
  }

  #wipeSecrets(): void {
    wipe(this.#x25519Secret, this.#kemSecret, this.#handshakeKey, this.#masterSecret);
    this.#x25519Secret = undefined;
    this.#kemSecret = undefined;
    this.#handshakeKey = undefined;
    this.#masterSecret = undefined;
    this.#m1 = undefined;
    this.#m2 = undefined;
  }

  #die(): void {
    this.#wipeSecrets();
    this.#peer = undefined;
    this.#state = 'failed';
  }
}
