// An independent implementation of the key schedule (docs/protocol.md "Key schedule") on
// node:crypto (createHmac, hkdfSync, createHash), written from the document, to check the
// library's noble-based implementation and the known-answer vectors against.
import { createHash, createHmac, hkdfSync } from 'node:crypto';

const PREFIX = 'pqble v1 ';

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** RFC 5869 extract: HMAC(salt, ikm). */
export function extract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac('sha256', salt).update(ikm).digest();
}

/** RFC 5869 expand, T(n) = HMAC(prk, T(n-1) || info || n). */
export function expand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let prev = Buffer.alloc(0);
  for (let n = 1; blocks.length * 32 < length; n++) {
    prev = createHmac('sha256', prk)
      .update(prev)
      .update(info)
      .update(Buffer.from([n]))
      .digest();
    blocks.push(prev);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

export function info(label: string, context: Uint8Array, length: number): Buffer {
  const l = Buffer.from(PREFIX + label, 'utf8');
  return Buffer.concat([Buffer.from([length >> 8, length & 0xff, l.length]), l, Buffer.from([context.length]), context]);
}

export function expandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  return expand(secret, info(label, context, length), length);
}

/** The whole schedule, with intermediates. */
export function schedule(ssX: Uint8Array, ssKem: Uint8Array, th2: Uint8Array, th3: Uint8Array) {
  const zeros = Buffer.alloc(32);
  const emptyHash = sha256();
  const early = extract(zeros, zeros);
  const hs = extract(expandLabel(early, 'derived', emptyHash, 32), Buffer.concat([ssX, ssKem]));
  // hkdfSync is extract-then-expand: cross-check the HKDF composition once more.
  const viaHkdfSync = Buffer.from(
    hkdfSync('sha256', Buffer.concat([ssX, ssKem]), expandLabel(early, 'derived', emptyHash, 32), info('i hs traffic', th2, 32), 32),
  );
  const master = extract(expandLabel(hs, 'derived', emptyHash, 32), zeros);
  return {
    early,
    hs,
    initiatorHandshakeKey: expandLabel(hs, 'i hs traffic', th2, 32),
    initiatorHandshakeKeyViaHkdfSync: viaHkdfSync,
    responderHandshakeKey: expandLabel(hs, 'r hs traffic', th2, 32),
    masterSecret: master,
    initiatorToResponderKey: expandLabel(master, 'i ap traffic', th3, 32),
    responderToInitiatorKey: expandLabel(master, 'r ap traffic', th3, 32),
    resumptionSecret: expandLabel(master, 'res master', th3, 32),
    sessionId: expandLabel(master, 'session id', th3, 16),
  };
}

/** The identity fingerprint: SHA-256("pqble v1 identity fingerprint" || publicKey). */
export function fingerprint(publicKey: Uint8Array): Buffer {
  return sha256(Buffer.from('pqble v1 identity fingerprint', 'utf8'), publicKey);
}
