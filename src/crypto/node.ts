/**
 * The native backend (docs/crypto.md "Native backend: formats", "Which backend runs what"): `node:crypto` for the post-quantum
 * and elliptic-curve work where this Node has it (ML-KEM-768 and ML-DSA-65 arrived with
 * OpenSSL 3.5 in Node 24), and, per primitive, whichever of `node:crypto` and noble is faster
 * for the sizes pqble uses (measured with `scripts/bench-crypto.ts`, figures in
 * docs/crypto.md):
 *
 * | primitive | Node 24 (native ML-KEM/ML-DSA) | Node 20, 22 |
 * | --- | --- | --- |
 * | ML-KEM-768, ML-DSA-65, X25519 | `node:crypto` (5–9× faster) | unavailable: the methods throw |
 * | ChaCha20-Poly1305 | noble below {@link NATIVE_AEAD_MIN_BYTES}, `node:crypto` from there | `node:crypto` |
 * | HMAC-SHA-256, HKDF-SHA-256 | noble | `node:crypto` (HKDF expand as an HMAC loop: `hkdfSync` is slower) |
 * | SHA-256 | `node:crypto` | `node:crypto` |
 * | random bytes | `crypto.getRandomValues` (as noble), `randomFillSync` above 64 KiB | same |
 *
 * The two columns differ because setting up a cipher or HMAC object costs 12–15 µs per call
 * on Node 24, several times what it costs on Node 20 and 22, where `node:crypto` wins at
 * every size; the backend tells the two apart by {@link nodeCryptoSupport} (the presence of the native
 * post-quantum primitives), not by a version number.
 *
 * Nothing is probed when this module loads. {@link nodeCryptoSupport} feature-detects the
 * native primitives once, on first use; without them the asymmetric methods of
 * {@link nodeCrypto} throw `PqbleError` `PQBLE_ERR_UNSUPPORTED` (the symmetric ones work on
 * every Node: the session cache file uses them on Node 20 too).
 *
 * @module
 */

import type { KeyObject, PrivateKeyInput, PublicKeyInput } from 'node:crypto';
import { checkBytes } from '../bytes.js';
import { PqbleError } from '../errors.js';
import { lazyNodeCrypto as nc, nodeCryptoModule } from './node-builtin.js';
import { nobleCrypto } from './noble.js';
import { OID, expandedKeyOf, expandedKeyPrefix } from './pkcs8.js';
import { SIZES, type CryptoProvider, type KeyPair } from './types.js';

/** Where native ML-KEM/ML-DSA are present, AEAD inputs (plaintext, or ciphertext without tag) from this many bytes go to `node:crypto`'s ChaCha20-Poly1305 and shorter ones to noble's. */
export const NATIVE_AEAD_MIN_BYTES = 2048;

/** What {@link nodeCryptoSupport} found. */
export interface NodeCryptoSupport {
  /** True if `node:crypto` has working ML-KEM-768, ML-DSA-65 and raw X25519 keys here. */
  readonly available: boolean;
  /** Why not (when `available` is false). */
  readonly reason?: string;
}

// Parts of node:crypto that @types/node for Node 20 does not declare (Node 24).
interface NativeKem {
  encapsulate?: (key: KeyObject) => { sharedKey: Buffer; ciphertext: Buffer };
  decapsulate?: (key: KeyObject, ciphertext: Uint8Array) => Buffer;
}
type RawFormat = 'raw-seed' | 'raw-private' | 'raw-public';
type KeyType = 'ml-kem-768' | 'ml-dsa-65' | 'x25519';

const api = nc as unknown as NativeKem;

function importPrivate(key: Uint8Array, format: 'raw-seed' | 'raw-private', type: KeyType): KeyObject {
  return nc.createPrivateKey({ key, format, asymmetricKeyType: type } as unknown as PrivateKeyInput);
}

function importPublic(key: Uint8Array, type: KeyType): KeyObject {
  return nc.createPublicKey({ key, format: 'raw-public' satisfies RawFormat, asymmetricKeyType: type } as unknown as PublicKeyInput);
}

function exportRawPublic(key: KeyObject): Uint8Array {
  const pub = key.type === 'public' ? key : nc.createPublicKey(key);
  return copyOf((pub as unknown as { export(options: { format: RawFormat }): Buffer }).export({ format: 'raw-public' }), false);
}

/** A plain Uint8Array copy of `buf` (never a view into Node's shared Buffer pool); wipes `buf` if `secret`. */
function copyOf(buf: Uint8Array, secret: boolean): Uint8Array {
  const out = new Uint8Array(buf.length);
  out.set(buf);
  if (secret) buf.fill(0);
  return out;
}

const KEM_PREFIX = expandedKeyPrefix(OID.mlKem768, SIZES.kemSecretKey);
const DSA_PREFIX = expandedKeyPrefix(OID.mlDsa65, SIZES.sigSecretKey);

/** Imports a FIPS 203/204 expanded secret key through its PKCS #8 "expandedKey" form. */
function importExpanded(prefix: Uint8Array, secretKey: Uint8Array): KeyObject {
  const der = new Uint8Array(prefix.length + secretKey.length);
  der.set(prefix);
  der.set(secretKey, prefix.length);
  try {
    return nc.createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.length), format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** Generates from `seed` and returns the public key and the expanded secret key (undefined if OpenSSL exports no expanded key). */
function keygenFromSeed(seed: Uint8Array, type: 'ml-kem-768' | 'ml-dsa-65', secretLength: number): KeyPair | undefined {
  const key = importPrivate(seed, 'raw-seed', type);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  try {
    const expanded = expandedKeyOf(der, secretLength);
    return expanded === undefined ? undefined : { publicKey: exportRawPublic(key), secretKey: copyOf(expanded, false) };
  } finally {
    der.fill(0);
  }
}

/** The probe made sure OpenSSL exports expanded keys; one that stops doing so is an internal error. */
function expandedOrThrow(pair: KeyPair | undefined): KeyPair {
  if (pair === undefined) throw new PqbleError('PQBLE_ERR_INTERNAL', 'node:crypto exported no expanded secret key');
  return pair;
}

// Probe inputs and the SHA-256 of the public keys FIPS 203/204 (and RFC 7748) derive from them.
const PROBE_SEED = Uint8Array.from({ length: 64 }, (_, i) => i);
const PROBE_DSA_PUBLIC_SHA256 = 'd666806e11cee19a7c989f7445f90dd419cf4d2d51db8c0fdb4c0f0a542238c9';
const PROBE_KEM_PUBLIC_SHA256 = '0b7934c83125c788995e2ba6bd761e33046b3e40571be53e023309a29f398cc9';
// RFC 7748 section 6.1: Alice's private and public key.
const RFC7748_ALICE_SECRET = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
const RFC7748_ALICE_PUBLIC = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function probe(): NodeCryptoSupport {
  if (nodeCryptoModule() === undefined) return { available: false, reason: 'node:crypto is not available here (not running on Node.js)' };
  const where = `Node ${process.versions.node} (OpenSSL ${process.versions.openssl ?? 'unknown'})`;
  if (typeof api.encapsulate !== 'function' || typeof api.decapsulate !== 'function') {
    return { available: false, reason: `node:crypto on ${where} has no ML-KEM (crypto.encapsulate/decapsulate, Node 24)` };
  }
  try {
    const dsa = keygenFromSeed(PROBE_SEED.subarray(0, 32), 'ml-dsa-65', SIZES.sigSecretKey);
    if (dsa === undefined) return { available: false, reason: `node:crypto on ${where} exports no expanded ML-DSA-65 secret key` };
    if (hex(nc.createHash('sha256').update(dsa.publicKey).digest()) !== PROBE_DSA_PUBLIC_SHA256) {
      return { available: false, reason: `node:crypto on ${where} derives a different ML-DSA-65 key from a seed` };
    }
    importExpanded(DSA_PREFIX, dsa.secretKey);
    const kem = keygenFromSeed(PROBE_SEED, 'ml-kem-768', SIZES.kemSecretKey);
    if (kem === undefined) return { available: false, reason: `node:crypto on ${where} exports no expanded ML-KEM-768 secret key` };
    if (hex(nc.createHash('sha256').update(kem.publicKey).digest()) !== PROBE_KEM_PUBLIC_SHA256) {
      return { available: false, reason: `node:crypto on ${where} derives a different ML-KEM-768 key from a seed` };
    }
    importExpanded(KEM_PREFIX, kem.secretKey);
    const x = importPrivate(Buffer.from(RFC7748_ALICE_SECRET, 'hex'), 'raw-private', 'x25519');
    if (hex(exportRawPublic(x)) !== RFC7748_ALICE_PUBLIC) return { available: false, reason: `node:crypto on ${where} gets RFC 7748's X25519 vector wrong` };
  } catch (err) {
    return {
      available: false,
      reason: `node:crypto on ${where} lacks ML-DSA-65, ML-KEM-768 or raw X25519 keys: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  return { available: true };
}

let support: NodeCryptoSupport | undefined;

/**
 * Whether {@link nodeCrypto}'s native primitives work on this Node. Feature detection, not
 * a version check: on first call it derives an ML-DSA-65, an ML-KEM-768 and an X25519 key
 * natively and checks them against known answers (about 3 ms on Node 24, once); later calls
 * return the cached answer.
 */
export function nodeCryptoSupport(): NodeCryptoSupport {
  support ??= Object.freeze(probe());
  return support;
}

function requireNative(): void {
  const s = nodeCryptoSupport();
  if (!s.available) throw new PqbleError('PQBLE_ERR_UNSUPPORTED', `the native crypto backend is not available: ${s.reason ?? 'unknown reason'}`);
}

/**
 * Imported ML-DSA signing keys, by the secret-key buffer they came from (an identity signs
 * many handshakes with the same buffer; importing costs about 0.2 ms of a 1.1 ms signature).
 * Each entry holds the SHA-256 of the bytes it was imported from, checked on every use, so a
 * wiped or rewritten buffer is imported afresh (and its old key object dropped); an entry
 * lives only as long as its buffer.
 */
const signingKeys = new WeakMap<Uint8Array, { readonly digest: Buffer; readonly key: KeyObject }>();

function signingKey(secretKey: Uint8Array): KeyObject {
  const digest = nc.createHash('sha256').update(secretKey).digest();
  const cached = signingKeys.get(secretKey);
  if (cached !== undefined && nc.timingSafeEqual(cached.digest, digest)) return cached.key;
  signingKeys.delete(secretKey);
  const key = importExpanded(DSA_PREFIX, secretKey);
  signingKeys.set(secretKey, { digest, key });
  return key;
}

/** The most bytes one `getRandomValues` call fills. */
const MAX_RANDOM_VALUES_BYTES = 65_536;

let nativeSmallCalls: boolean | undefined;

/** True where node:crypto's per-call set-up is cheap (see the module comment): small AEAD, HMAC and HKDF calls go native. */
function smallCallsNative(): boolean {
  nativeSmallCalls ??= !nodeCryptoSupport().available;
  return nativeSmallCalls;
}

function nativeHmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  checkBytes(key, 'key');
  checkBytes(message, 'message');
  return copyOf(nc.createHmac('sha256', key).update(message).digest(), true);
}

/** RFC 5869 expand with node:crypto's HMAC: T(i) = HMAC(PRK, T(i-1) || info || i); the same inputs as noble's (a PRK of at least 32 bytes, 0 <= length <= 8,160). */
function nativeExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  checkBytes(prk, 'prk');
  checkBytes(info, 'info');
  if (prk.length < SIZES.hash) throw new RangeError(`HKDF expand needs a PRK of at least ${SIZES.hash} bytes, got ${prk.length}`);
  if (!Number.isInteger(length) || length < 0 || length > 255 * SIZES.hash)
    throw new RangeError(`HKDF expand length must be an integer from 0 to ${255 * SIZES.hash}, got ${length}`);
  const out = new Uint8Array(length);
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 1, offset = 0; offset < length; i++, offset += SIZES.hash) {
    const block = nc.createHmac('sha256', prk).update(previous).update(info).update(Uint8Array.of(i)).digest();
    previous.fill(0);
    previous = block;
    out.set(block.subarray(0, Math.min(SIZES.hash, length - offset)), offset);
  }
  previous.fill(0);
  return out;
}

function nativeSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined): Uint8Array {
  const cipher = nc.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: SIZES.aeadTag });
  if (aad !== undefined) cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const out = new Uint8Array(head.length + tail.length + SIZES.aeadTag);
  out.set(head);
  out.set(tail, head.length);
  out.set(cipher.getAuthTag(), head.length + tail.length);
  return out;
}

function nativeOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array | undefined): Uint8Array | undefined {
  try {
    const body = ciphertext.subarray(0, ciphertext.length - SIZES.aeadTag);
    const decipher = nc.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: SIZES.aeadTag });
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - SIZES.aeadTag));
    if (aad !== undefined) decipher.setAAD(aad, { plaintextLength: body.length });
    const head = decipher.update(body);
    const tail = decipher.final();
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    head.fill(0);
    return out;
  } catch {
    return undefined;
  }
}

/** The native provider: see the module comment for which primitive runs where. */
export const nodeCrypto: CryptoProvider = Object.freeze({
  name: 'node',
  kemKeygen(seed?: Uint8Array): KeyPair {
    requireNative();
    if (seed !== undefined) checkBytes(seed, 'seed', 64);
    const own = seed ?? nc.randomFillSync(new Uint8Array(64));
    try {
      return expandedOrThrow(keygenFromSeed(own, 'ml-kem-768', SIZES.kemSecretKey));
    } finally {
      if (own !== seed) own.fill(0);
    }
  },
  kemEncapsulate(publicKey: Uint8Array) {
    requireNative();
    checkBytes(publicKey, 'publicKey', SIZES.kemPublicKey);
    const { sharedKey, ciphertext } = api.encapsulate!(importPublic(publicKey, 'ml-kem-768'));
    return { cipherText: copyOf(ciphertext, false), sharedSecret: copyOf(sharedKey, true) };
  },
  kemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array) {
    requireNative();
    checkBytes(cipherText, 'cipherText', SIZES.kemCipherText);
    checkBytes(secretKey, 'secretKey', SIZES.kemSecretKey);
    return copyOf(api.decapsulate!(importExpanded(KEM_PREFIX, secretKey), cipherText), true);
  },
  sigKeygen(seed?: Uint8Array): KeyPair {
    requireNative();
    if (seed !== undefined) checkBytes(seed, 'seed', 32);
    const own = seed ?? nc.randomFillSync(new Uint8Array(32));
    try {
      return expandedOrThrow(keygenFromSeed(own, 'ml-dsa-65', SIZES.sigSecretKey));
    } finally {
      if (own !== seed) own.fill(0);
    }
  },
  sign(message: Uint8Array, secretKey: Uint8Array) {
    requireNative();
    checkBytes(message, 'message');
    checkBytes(secretKey, 'secretKey', SIZES.sigSecretKey);
    return copyOf(nc.sign(null, message, signingKey(secretKey)), false);
  },
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) {
    requireNative();
    if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) return false;
    if (signature.length !== SIZES.signature || publicKey.length !== SIZES.sigPublicKey) return false;
    try {
      return nc.verify(null, message, importPublic(publicKey, 'ml-dsa-65'), signature);
    } catch {
      return false;
    }
  },
  x25519Keygen(secretKey?: Uint8Array): KeyPair {
    requireNative();
    if (secretKey !== undefined) checkBytes(secretKey, 'secretKey', SIZES.x25519Key);
    const sk = secretKey ?? nc.randomFillSync(new Uint8Array(SIZES.x25519Key));
    return { secretKey: sk, publicKey: exportRawPublic(importPrivate(sk, 'raw-private', 'x25519')) };
  },
  x25519(secretKey: Uint8Array, publicKey: Uint8Array) {
    requireNative();
    checkBytes(secretKey, 'secretKey', SIZES.x25519Key);
    checkBytes(publicKey, 'publicKey', SIZES.x25519Key);
    // OpenSSL refuses an all-zero result (a low-order point), as noble does.
    const shared = nc.diffieHellman({ privateKey: importPrivate(secretKey, 'raw-private', 'x25519'), publicKey: importPublic(publicKey, 'x25519') });
    return copyOf(shared, true);
  },
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array) {
    return plaintext.length >= NATIVE_AEAD_MIN_BYTES || smallCallsNative()
      ? nativeSeal(key, nonce, plaintext, aad)
      : nobleCrypto.aeadSeal(key, nonce, plaintext, aad);
  },
  aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array) {
    if (ciphertext.length < SIZES.aeadTag) return undefined;
    return ciphertext.length - SIZES.aeadTag >= NATIVE_AEAD_MIN_BYTES || smallCallsNative()
      ? nativeOpen(key, nonce, ciphertext, aad)
      : nobleCrypto.aeadOpen(key, nonce, ciphertext, aad);
  },
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array) {
    // RFC 5869: PRK = HMAC-SHA-256(salt, IKM).
    return smallCallsNative() ? nativeHmac(salt, ikm) : nobleCrypto.hkdfExtract(salt, ikm);
  },
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number) {
    return smallCallsNative() ? nativeExpand(prk, info, length) : nobleCrypto.hkdfExpand(prk, info, length);
  },
  hmac(key: Uint8Array, message: Uint8Array) {
    return smallCallsNative() ? nativeHmac(key, message) : nobleCrypto.hmac(key, message);
  },
  sha256(message: Uint8Array) {
    checkBytes(message, 'message');
    return copyOf(nc.hash('sha256', message, 'buffer'), false);
  },
  randomBytes(length: number) {
    // Web Crypto's getRandomValues (what noble uses) is several times cheaper per call than
    // randomFillSync on Node 24; it takes at most 65,536 bytes at a time.
    const out = new Uint8Array(length);
    return length <= MAX_RANDOM_VALUES_BYTES ? nc.getRandomValues(out) : nc.randomFillSync(out);
  },
});
