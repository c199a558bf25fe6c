/**
 * X25519 from `node:crypto` on every supported Node (20, 22, 24), with raw keys passed as
 * JWK (docs/crypto.md "Selection"). OpenSSL's X25519 is about 9× faster than the pure
 * TypeScript one, which matters for the `psk-dhe` resumption (two X25519 operations per
 * side): where ML-KEM and ML-DSA are not native, {@link defaultCrypto} is noble with these
 * two functions. A DER (PKCS#8) import costs several times more CPU than the JWK one.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto';
import { checkBytes } from '../bytes.js';
import { lazyNodeCrypto as nc, nodeCryptoModule } from './node-builtin.js';
import { nobleCrypto } from './noble.js';
import { SIZES, type CryptoProvider, type KeyPair } from './types.js';

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

function privateKey(sk: Uint8Array): KeyObject {
  return nc.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(sk), x: '' }, format: 'jwk' });
}

function copyOf(buf: Uint8Array, secret: boolean): Uint8Array {
  const out = new Uint8Array(buf.length);
  out.set(buf);
  if (secret) buf.fill(0);
  return out;
}

/** X25519 key generation through `node:crypto` (JWK import). */
export function jwkX25519Keygen(secretKey?: Uint8Array): KeyPair {
  if (secretKey !== undefined) checkBytes(secretKey, 'secretKey', SIZES.x25519Key);
  const sk = secretKey ?? nc.randomFillSync(new Uint8Array(SIZES.x25519Key));
  const x = nc.createPublicKey(privateKey(sk)).export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('node:crypto exported no X25519 public key');
  return { secretKey: sk, publicKey: new Uint8Array(Buffer.from(x, 'base64url')) };
}

/** X25519 shared secret through `node:crypto`; an all-zero result (a low-order point) throws, as noble's does. */
export function jwkX25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  checkBytes(secretKey, 'secretKey', SIZES.x25519Key);
  checkBytes(publicKey, 'publicKey', SIZES.x25519Key);
  const pub = nc.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(publicKey) }, format: 'jwk' });
  const shared = copyOf(nc.diffieHellman({ privateKey: privateKey(secretKey), publicKey: pub }), true);
  if (shared.every((v) => v === 0)) throw new Error('X25519: the shared secret is all zero (a low-order point)');
  return shared;
}

// RFC 7748 §6.1.
const ALICE_SK = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
const BOB_PK = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
const SHARED = '4a5d9d5b a4ce2de1 728e3bf4 80350f25 e07e21c9 47d19e33 76f09b3c 1e161742'.replace(/ /g, '');

let probed: boolean | undefined;

/** True if `node:crypto` computes RFC 7748's X25519 test vector through JWK keys (probed once). */
export function jwkX25519Available(): boolean {
  if (probed === undefined) {
    if (nodeCryptoModule() === undefined) return (probed = false);
    try {
      probed = Buffer.from(jwkX25519(Buffer.from(ALICE_SK, 'hex'), Buffer.from(BOB_PK, 'hex'))).toString('hex') === SHARED;
    } catch {
      probed = false;
    }
  }
  return probed;
}

/** noble for everything but X25519, which `node:crypto` does. */
export const nobleWithNativeX25519: CryptoProvider = Object.freeze({
  ...nobleCrypto,
  name: 'noble+native-x25519',
  x25519Keygen: jwkX25519Keygen,
  x25519: jwkX25519,
});
