/**
 * Reading the TLS 1.3 hellos off the wire (docs/benchmarks-tls.md "Checked on the wire"):
 * the baseline proves from the bytes it carried which PSK key exchange mode a resumption
 * offered and used, instead of trusting configuration. Parses the plaintext handshake
 * records (RFC 8446 §5.1) of the first flight of each side: the ClientHello's
 * `psk_key_exchange_modes` (45) and `key_share` (51), the ServerHello's `key_share` and
 * `pre_shared_key` (41). Bounds-checked: malformed input yields `undefined`, never a throw.
 *
 * @module
 */

import type { TlsHelloFacts } from '../types.js';

const HANDSHAKE_RECORD = 22;
const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const EXT_PRE_SHARED_KEY = 41;
const EXT_PSK_KEY_EXCHANGE_MODES = 45;
const EXT_KEY_SHARE = 51;

/** One extension of a hello: its type and body. */
interface Extension {
  readonly type: number;
  readonly body: Uint8Array;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

/** The first handshake message of `type` in the plaintext records at the start of `bytes`. */
function findHandshake(bytes: Uint8Array, type: number): Uint8Array | undefined {
  let at = 0;
  while (at + 5 <= bytes.length) {
    const recordType = bytes[at];
    const length = u16(bytes, at + 3);
    if (at + 5 + length > bytes.length) return undefined;
    const body = bytes.subarray(at + 5, at + 5 + length);
    if (recordType === HANDSHAKE_RECORD && body.length >= 4 && body[0] === type) {
      const msgLength = (body[1] << 16) | (body[2] << 8) | body[3];
      return 4 + msgLength <= body.length ? body.subarray(4, 4 + msgLength) : undefined;
    }
    at += 5 + length;
  }
  return undefined;
}

/** The extensions of a ClientHello or ServerHello body. */
function helloExtensions(hello: Uint8Array, client: boolean): Extension[] | undefined {
  let at = 2 + 32; // legacy_version, random
  if (at >= hello.length) return undefined;
  at += 1 + hello[at]; // legacy_session_id
  if (client) {
    if (at + 2 > hello.length) return undefined;
    at += 2 + u16(hello, at); // cipher_suites
    if (at >= hello.length) return undefined;
    at += 1 + hello[at]; // legacy_compression_methods
  } else {
    at += 2 + 1; // cipher_suite, legacy_compression_method
  }
  if (at + 2 > hello.length) return undefined;
  const end = at + 2 + u16(hello, at);
  if (end > hello.length) return undefined;
  at += 2;
  const out: Extension[] = [];
  while (at + 4 <= end) {
    const type = u16(hello, at);
    const length = u16(hello, at + 2);
    if (at + 4 + length > end) return undefined;
    out.push({ type, body: hello.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
  }
  return out;
}

/**
 * What a connection's hellos say: `clientFlight` is the client's first write (the
 * ClientHello record), `serverFlight` the server's first write (ServerHello and what follows).
 * Returns `undefined` if either hello cannot be found or parsed.
 */
export function parseHellos(clientFlight: Uint8Array, serverFlight: Uint8Array): TlsHelloFacts | undefined {
  const ch = findHandshake(clientFlight, CLIENT_HELLO);
  const sh = findHandshake(serverFlight, SERVER_HELLO);
  if (ch === undefined || sh === undefined) return undefined;
  const cExt = helloExtensions(ch, true);
  const sExt = helloExtensions(sh, false);
  if (cExt === undefined || sExt === undefined) return undefined;
  const modes = cExt.find((e) => e.type === EXT_PSK_KEY_EXCHANGE_MODES)?.body;
  const offeredPskModes: ('psk_ke' | 'psk_dhe_ke')[] = [];
  if (modes !== undefined && modes.length >= 1) {
    for (const m of modes.subarray(1, 1 + modes[0])) {
      if (m === 0) offeredPskModes.push('psk_ke');
      else if (m === 1) offeredPskModes.push('psk_dhe_ke');
    }
  }
  const keyShare = cExt.find((e) => e.type === EXT_KEY_SHARE);
  return {
    offeredPskModes,
    clientKeyShareBytes: keyShare === undefined ? 0 : 4 + keyShare.body.length,
    serverKeyShare: sExt.some((e) => e.type === EXT_KEY_SHARE),
    serverAcceptedPsk: sExt.some((e) => e.type === EXT_PRE_SHARED_KEY),
  };
}
