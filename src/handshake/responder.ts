/**
 * The responder's side of the full handshake (docs/protocol.md "State machines",
 * "Message layouts", "Key schedule"): a pure, synchronous state machine with no I/O and no
 * timers. A thin async driver moves its messages over the link and runs the trust check on
 * the result of `readFinish` before it accepts application data.
 *
 * ```
 * awaiting-init --readInit(M1) -> M2--> awaiting-finish --readFinish(M3) -> result--> done
 *   any throw (or a call in the wrong state) --> failed (secrets wiped; every call -> UNEXPECTED)
 * ```
 *
 * @module
 */

import { concatBytes, equalBytes, wipe } from '../bytes.js';
import { SIZES, checkCrypto, type CryptoProvider } from '../crypto/index.js';
import { PqbleError } from '../errors.js';
import { identityFingerprint, isIdentity, type Identity } from '../identity/identity.js';
import { checkOptionKeys, optFunction } from '../util/options.js';
import { MessageType } from '../wire.js';
import { asHandshakeError, guard, handshakeError, signatureInput, ZERO_NONCE } from './internal.js';
import { deriveApplicationSecrets, deriveHandshakeSecrets } from './key-schedule.js';
import {
  decodeHandshakeFinish,
  decodeHandshakeInit,
  decodeIdentityPayload,
  encodeHandshakeResponse,
  encodeIdentityPayload,
  type HandshakeMode,
} from './messages.js';
import type { HandshakeResult, ResponderOptions, ResponderState } from './types.js';

/**
 * Responder of the full handshake. The mode (full or pinned) is the one M1 asks for.
 *
 * Every method throws only `HandshakeError` (`PQBLE_ERR_HANDSHAKE_MALFORMED`,
 * `_UNEXPECTED`, `_AUTH_FAILED`, `PQBLE_ERR_PROTOCOL_VERSION`, `PQBLE_ERR_PEER_UNKNOWN`, or
 * `PQBLE_ERR_INTERNAL` wrapping a failure of the crypto provider or of `lookupPeerKey`),
 * except a `TypeError` for an argument that is not a Uint8Array. A state machine that
 * threw is dead and has wiped its secrets.
 */
export class HandshakeResponder {
  readonly #crypto: CryptoProvider;
  readonly #identity: Identity;
  readonly #lookupPeerKey: (fingerprint: Uint8Array) => Uint8Array | undefined;
  #state: ResponderState = 'awaiting-init';
  #mode: HandshakeMode | undefined;
  #m1: Uint8Array | undefined;
  #m2: Uint8Array | undefined;
  #handshakeKey: Uint8Array | undefined;
  #masterSecret: Uint8Array | undefined;

  /**
   * @param options - see {@link ResponderOptions}
   * @throws TypeError for a missing or malformed identity, a `lookupPeerKey` that is not a
   *   function, or an unknown option
   */
  constructor(options: ResponderOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('HandshakeResponder options must be an object');
    checkOptionKeys(options, ['identity', 'lookupPeerKey', 'crypto'], 'HandshakeResponder options');
    this.#crypto = checkCrypto(options.crypto, 'options.crypto');
    if (!isIdentity(options.identity, this.#crypto)) throw new TypeError('options.identity must be an Identity whose fingerprint matches its public key');
    this.#identity = options.identity;
    this.#lookupPeerKey = optFunction<NonNullable<ResponderOptions['lookupPeerKey']>>(options.lookupPeerKey, 'options.lookupPeerKey') ?? (() => undefined);
  }

  /** The mode M1 asked for; `undefined` before `readInit`. */
  get mode(): HandshakeMode | undefined {
    return this.#mode;
  }

  /** Where the state machine is. */
  get state(): ResponderState {
    return this.#state;
  }

  /**
   * Reads M1 (HandshakeInit) and answers with M2 (HandshakeResponse): a fresh X25519 key
   * share, the ML-KEM-768 ciphertext, and this side's identity (public key, or nothing but
   * the signature in pinned mode) and signature, sealed under the responder handshake key.
   * @throws HandshakeError: `_UNEXPECTED` (wrong state or type byte), `PQBLE_ERR_PROTOCOL_VERSION`,
   *   `_MALFORMED` (length, reserved flags, invalid ML-KEM key), `_AUTH_FAILED` (invalid X25519 share)
   */
  readInit(m1: Uint8Array): Uint8Array {
    this.#enter('awaiting-init', 'readInit');
    if (!(m1 instanceof Uint8Array)) {
      this.#die();
      throw new TypeError('m1 must be a Uint8Array');
    }
    let xSeed: Uint8Array | undefined;
    let xSecret: Uint8Array | undefined;
    let ssX: Uint8Array | undefined;
    let ssKem: Uint8Array | undefined;
    let responderKey: Uint8Array | undefined;
    let payload: Uint8Array | undefined;
    try {
      const init = decodeHandshakeInit(m1);
      const mode: HandshakeMode = init.pinned ? 'pinned' : 'full';
      const ownM1 = m1.slice();
      xSeed = this.#crypto.randomBytes(SIZES.x25519Key);
      const x = this.#crypto.x25519Keygen(xSeed);
      xSecret = x.secretKey;
      const xs = xSecret;
      ssX = guard('PQBLE_ERR_HANDSHAKE_AUTH_FAILED', 'invalid X25519 key share', () => this.#crypto.x25519(xs, init.x25519PublicKey));
      const encapsulation = guard('PQBLE_ERR_HANDSHAKE_MALFORMED', 'invalid ML-KEM-768 encapsulation key', () =>
        this.#crypto.kemEncapsulate(init.kemPublicKey),
      );
      ssKem = encapsulation.sharedSecret;

      const clear = concatBytes(new Uint8Array([MessageType.HandshakeResponse]), x.publicKey, encapsulation.cipherText);
      const th2 = this.#crypto.sha256(concatBytes(ownM1, clear));
      const secrets = deriveHandshakeSecrets(ssX, ssKem, th2, this.#crypto);
      responderKey = secrets.responderHandshakeKey;
      this.#handshakeKey = secrets.initiatorHandshakeKey;
      this.#masterSecret = secrets.masterSecret;

      const id = this.#identity;
      const thR = this.#crypto.sha256(concatBytes(ownM1, clear, id.fingerprint));
      const signature = this.#crypto.sign(signatureInput('responder', thR), id.secretKey);
      payload = encodeIdentityPayload('responder', mode, { publicKey: id.publicKey, signature });
      const m2 = encodeHandshakeResponse(x.publicKey, encapsulation.cipherText, this.#crypto.aeadSeal(responderKey, ZERO_NONCE, payload, th2));
      this.#mode = mode;
      this.#m1 = ownM1;
      this.#m2 = m2;
      this.#state = 'awaiting-finish';
      return m2.slice();
    } catch (err) {
      this.#die();
      throw asHandshakeError(err);
    } finally {
      wipe(xSeed, xSecret, ssX, ssKem, responderKey, payload);
    }
  }

  /**
   * Reads M3 (HandshakeFinish): decrypts the initiator's identity (looking its key up by
   * fingerprint in pinned mode), verifies its signature over the transcript, and derives the
   * application secrets. The caller then runs its trust check on `result.peer`.
   * @returns the handshake result (`sendKey` is responder -> initiator)
   * @throws HandshakeError: `_UNEXPECTED` (wrong state or type byte), `_MALFORMED` (length),
   *   `_AUTH_FAILED` (decryption or signature), `PQBLE_ERR_PEER_UNKNOWN` (pinned mode: no
   *   pinned key for the initiator's fingerprint), `PQBLE_ERR_INTERNAL` (`lookupPeerKey` threw)
   */
  readFinish(m3: Uint8Array): HandshakeResult {
    this.#enter('awaiting-finish', 'readFinish');
    if (!(m3 instanceof Uint8Array)) {
      this.#die();
      throw new TypeError('m3 must be a Uint8Array');
    }
    let plaintext: Uint8Array | undefined;
    try {
      const m1 = this.#m1!;
      const m2 = this.#m2!;
      const mode = this.#mode!;
      const finish = decodeHandshakeFinish(m3, mode);
      const aad = this.#crypto.sha256(concatBytes(m1, m2, new Uint8Array([MessageType.HandshakeFinish])));
      plaintext = this.#crypto.aeadOpen(this.#handshakeKey!, ZERO_NONCE, finish.sealed, aad);
      if (plaintext === undefined) throw handshakeError('PQBLE_ERR_HANDSHAKE_AUTH_FAILED', 'HandshakeFinish failed to decrypt');
      const payload = decodeIdentityPayload('initiator', mode, plaintext);
      let publicKey: Uint8Array;
      let fingerprint: Uint8Array;
      if (mode === 'full') {
        publicKey = payload.publicKey!;
        fingerprint = identityFingerprint(publicKey, this.#crypto);
      } else {
        fingerprint = payload.fingerprint!;
        publicKey = this.#lookup(fingerprint);
      }
      const thI = this.#crypto.sha256(concatBytes(m1, m2, fingerprint));
      if (!this.#crypto.verify(payload.signature, signatureInput('initiator', thI), publicKey)) {
        throw handshakeError('PQBLE_ERR_HANDSHAKE_AUTH_FAILED', "the initiator's signature does not verify");
      }
      const th3 = this.#crypto.sha256(concatBytes(m1, m2, m3));
      const app = deriveApplicationSecrets(this.#masterSecret!, th3, this.#crypto);
      this.#wipeSecrets();
      this.#state = 'done';
      return {
        peer: { fingerprint: fingerprint.slice(), publicKey: publicKey.slice() },
        sendKey: app.responderToInitiatorKey,
        receiveKey: app.initiatorToResponderKey,
        resumptionSecret: app.resumptionSecret,
        sessionId: app.sessionId,
        transcriptHash: th3,
        pinned: mode === 'pinned',
      };
    } catch (err) {
      this.#die();
      throw asHandshakeError(err);
    } finally {
      wipe(plaintext);
    }
  }

  /** Abandons the handshake: wipes secrets; later calls fail. */
  destroy(): void {
    if (this.#state !== 'done') this.#die();
  }

  #lookup(fingerprint: Uint8Array): Uint8Array {
    let key: unknown;
    try {
      key = this.#lookupPeerKey(fingerprint.slice());
    } catch (err) {
      throw new PqbleError('PQBLE_ERR_INTERNAL', 'lookupPeerKey threw', { cause: err });
    }
    if (key === undefined) throw handshakeError('PQBLE_ERR_PEER_UNKNOWN', 'no pinned key for the initiator fingerprint');
    if (!(key instanceof Uint8Array) || key.length !== SIZES.sigPublicKey || !equalBytes(identityFingerprint(key, this.#crypto), fingerprint)) {
      throw handshakeError('PQBLE_ERR_PEER_UNKNOWN', 'lookupPeerKey returned a key that does not match the fingerprint');
    }
    return key.slice();
  }

  #enter(expected: ResponderState, method: string): void {
    if (this.#state === expected) return;
    const was = this.#state;
    this.#die();
    throw handshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', `${method}() called in state "${was}"`);
  }

  #wipeSecrets(): void {
    wipe(this.#handshakeKey, this.#masterSecret);
    this.#handshakeKey = undefined;
    this.#masterSecret = undefined;
    this.#m1 = undefined;
    this.#m2 = undefined;
  }

  #die(): void {
    this.#wipeSecrets();
    this.#state = 'failed';
  }
}
