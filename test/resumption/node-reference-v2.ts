// An independent implementation of resumption version 2 (docs/resumption.md "Key schedule",
// "Messages") on node:crypto (createHmac, createHash, X25519 KeyObjects), written from the
// document, to check the library and the known-answer vectors against. No library code.
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** RFC 5869 expand. */
function expand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let prev: Buffer = Buffer.alloc(0);
  for (let n = 1; blocks.length * 32 < length; n++) {
    prev = hmac(prk, prev, info, Buffer.of(n));
    blocks.push(prev);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** u16(L) || u8(len) || "pqble v2 " || label || u8(len(context)) || context */
export function info(label: string, context: Uint8Array, length: number): Buffer {
  const l = Buffer.from(`pqble v2 ${label}`, 'ascii');
  return Buffer.concat([Buffer.of(length >> 8, length & 0xff, l.length), l, Buffer.of(context.length), context]);
}

function expandV2(secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  return expand(secret, info(label, context, length), length);
}

/** X25519 public key of a 32-byte secret (RFC 7748, via OpenSSL). */
export function x25519Public(secretKey: Uint8Array): Buffer {
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secretKey]), format: 'der', type: 'pkcs8' });
  return createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519.length);
}

/** X25519(secretKey, publicKey) via OpenSSL. */
export function x25519(secretKey: Uint8Array, publicKey: Uint8Array): Buffer {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secretKey]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: 'der', type: 'spki' });
  return diffieHellman({ privateKey, publicKey: pub });
}

/** Inputs of one resumption vector. */
export interface ReferenceInput {
  readonly mode: 'psk' | 'psk-dhe';
  readonly rms: Uint8Array;
  readonly initiatorFingerprint: Uint8Array;
  readonly responderFingerprint: Uint8Array;
  readonly initiatorNonce: Uint8Array;
  readonly responderNonce: Uint8Array;
  readonly initiatorEphemeralSecret?: Uint8Array;
  readonly responderEphemeralSecret?: Uint8Array;
}

/** Every value of one resumption, as lowercase hex (empty string where a mode has none). */
export function referenceResume(v: ReferenceInput): Record<string, string> {
  const dhe = v.mode === 'psk-dhe';
  const ctx = Buffer.concat([v.initiatorFingerprint, v.responderFingerprint]);
  const ctxReverse = Buffer.concat([v.responderFingerprint, v.initiatorFingerprint]);
  const rs = expandV2(v.rms, 'resumption secret', ctx, 32);
  const rsReverse = expandV2(v.rms, 'resumption secret', ctxReverse, 32);
  const ticketId = expandV2(rs, 'ticket id', ctx, 16);
  const binderKey = expandV2(rs, 'binder key', ctx, 32);
  const ei = dhe ? x25519Public(v.initiatorEphemeralSecret!) : Buffer.alloc(0);
  const requestBody = Buffer.concat([Buffer.of(0x10, 0x02, dhe ? 0x01 : 0x00), ticketId, v.initiatorNonce, ei]);
  const binder = hmac(binderKey, requestBody).subarray(0, 16);
  const request = Buffer.concat([requestBody, binder]);
  const er = dhe ? x25519Public(v.responderEphemeralSecret!) : Buffer.alloc(0);
  const acceptPrefix = Buffer.concat([Buffer.of(0x11), v.responderNonce, er]);
  const th1 = sha256(Buffer.from('pqble v2 resume', 'ascii'), ctx, request, acceptPrefix);
  const shared = dhe ? x25519(v.initiatorEphemeralSecret!, er) : Buffer.alloc(0);
  if (dhe && !shared.equals(x25519(v.responderEphemeralSecret!, ei))) throw new Error('X25519 does not agree');
  const prk = hmac(th1, Buffer.concat([rs, shared])); // HKDF-Extract(salt = th1, ikm)
  const empty = Buffer.alloc(0);
  const rConfirmKey = expandV2(prk, 'resume responder confirm', empty, 32);
  const iConfirmKey = expandV2(prk, 'resume initiator confirm', empty, 32);
  const confirm = hmac(rConfirmKey, th1).subarray(0, 16);
  const accept = Buffer.concat([acceptPrefix, confirm]);
  const th2 = sha256(th1, confirm);
  const finished = Buffer.concat([Buffer.of(0x13), hmac(iConfirmKey, th2).subarray(0, 8)]);
  const nextSecret = expandV2(prk, 'next resumption secret', empty, 32);
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  return {
    rsInitiatorToResponder: hex(rs),
    rsResponderToInitiator: hex(rsReverse),
    ticketId: hex(ticketId),
    binderKey: hex(binderKey),
    binder: hex(binder),
    initiatorEphemeralPublic: hex(ei),
    request: hex(request),
    responderEphemeralPublic: hex(er),
    x25519SharedSecret: hex(shared),
    acceptPrefix: hex(acceptPrefix),
    th1: hex(th1),
    prk: hex(prk),
    i2r: hex(expandV2(prk, 'resume i2r key', empty, 32)),
    r2i: hex(expandV2(prk, 'resume r2i key', empty, 32)),
    rConfirmKey: hex(rConfirmKey),
    iConfirmKey: hex(iConfirmKey),
    nextSecret: hex(nextSecret),
    sessionId: hex(expandV2(prk, 'resume session id', empty, 16)),
    confirm: hex(confirm),
    accept: hex(accept),
    th2: hex(th2),
    finished: hex(finished),
    nextTicketId: hex(expandV2(nextSecret, 'ticket id', ctx, 16)),
  };
}
