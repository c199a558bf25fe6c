/**
 * Checking the sessions of a bulk put (`FileSessionStore.putMany`, docs/store.md "Bulk
 * puts") straight into the buffers the store blinds and seals from: the same checks as
 * `put` (unknown keys, fingerprint, device id, times, secret lengths), but no copy of each
 * session: the bytes go once into per-chunk buffers.
 *
 * @module
 */

import { checkBytes } from '../../bytes.js';
import { TICKET_ID_BYTES } from '../store-checks.js';
import { parseDeviceId, parseFingerprint } from '../../ids.js';
import { checkTimeMs } from '../validate.js';
import { ENTRY_PLAIN_BYTES } from './format.js';
import { ROW_INBOUND, ROW_OUTBOUND } from './row-index.js';

/** Hex digit values by character code (0..127); -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_VALUE[0x41 + c] = 10 + c;
  HEX_VALUE[0x61 + c] = 10 + c;
}

/**
 * Decodes the `2 * bytes` hex digits of `hex` (either case) into `out[at, at + bytes)`;
 * false (with `out` partly written) at the first character that is not a hex digit. A
 * plain loop: several times cheaper than `Buffer#write(hex, 'hex')` for 32 bytes.
 */
export function decodeHexInto(hex: string, out: Uint8Array, at: number, bytes: number): boolean {
  for (let k = 0; k < bytes; k++) {
    const a = hex.charCodeAt(2 * k);
    const b = hex.charCodeAt(2 * k + 1);
    const hi = a < 128 ? HEX_VALUE[a] : -1;
    const lo = b < 128 ? HEX_VALUE[b] : -1;
    if ((hi | lo) < 0) return false;
    out[at + k] = (hi << 4) | lo;
  }
  return true;
}

const SESSION_KEYS = new Set(['peerFingerprint', 'deviceId', 'establishedMs', 'lastActiveMs', 'outbound', 'inbound']);
const INBOUND_KEYS = new Set(['secret', 'ticketId']);

/** `SESSION_KEYS.has(k)` as comparisons (property names are interned: no hashing per key). */
function isSessionKey(k: string): boolean {
  return k === 'peerFingerprint' || k === 'deviceId' || k === 'establishedMs' || k === 'lastActiveMs' || k === 'outbound' || k === 'inbound';
}

/** The checked sessions of one chunk, as bytes. */
export class BulkChunk {
  readonly capacity: number;
  count = 0;
  /** 32 bytes per session: the fingerprint. */
  readonly fingerprints: Buffer;
  /** 16 bytes per session: the inbound ticket id (zeros without one). */
  readonly tickets: Buffer;
  /** 16 bytes per session: `deviceId(6) || 0^10` (the device-hint input). */
  readonly devices: Buffer;
  /** 70 bytes per session: `deviceId(6) || outbound(32) || inboundSecret(32)`. */
  readonly bodies: Buffer;
  readonly established: Float64Array;
  readonly lastActive: Float64Array;
  readonly flags: Uint8Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.fingerprints = Buffer.alloc(32 * capacity);
    this.tickets = Buffer.alloc(16 * capacity);
    this.devices = Buffer.alloc(16 * capacity);
    this.bodies = Buffer.alloc(ENTRY_PLAIN_BYTES * capacity);
    this.established = new Float64Array(capacity);
    this.lastActive = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  /**
   * Checks `session` (the `position`-th of the call) and appends it.
   * @throws TypeError / RangeError as `put` would, naming the position
   */
  add(session: unknown, position: number): void {
    if (typeof session !== 'object' || session === null) throw new TypeError(`${label(position)} must be an object`);
    for (const k in session)
      if (!isSessionKey(k)) throw new TypeError(`${label(position)}: unknown option "${k}" (expected one of: ${[...SESSION_KEYS].join(', ')})`);
    const s = session as Record<string, unknown>;
    const i = this.count;
    const fp = s.peerFingerprint;
    // 64 hex digits go straight in; any other form (32 bytes) goes through parseFingerprint, as in put.
    if (typeof fp !== 'string') this.fingerprints.write(parseFingerprint(fp, `${label(position)}.peerFingerprint`), 32 * i, 32, 'hex');
    else if (fp.length !== 64 || !decodeHexInto(fp, this.fingerprints, 32 * i, 32))
      throw new RangeError(`${label(position)}.peerFingerprint must be 64 hex digits (a SHA-256 fingerprint)`);
    // The unused bytes stay zero: clear() and the constructor zero them, and nothing else writes there.
    // A device id of 12 hex digits (the normal form, or upper case) goes straight in; any
    // other form goes through parseDeviceId.
    const dev = s.deviceId;
    if (typeof dev !== 'string' || dev.length !== 12 || !decodeHexInto(dev, this.devices, 16 * i, 6)) {
      let device: string;
      try {
        device = parseDeviceId(dev, 'deviceId');
      } catch (err) {
        throw relabel(err, label(position));
      }
      this.devices.write(device, 16 * i, 6, 'hex');
    }
    const b = ENTRY_PLAIN_BYTES * i;
    // The buffers in locals, and the 16- and 32-byte copies by TypedArray#set: a third less
    // time per session than byte loops through `this`.
    const bodies = this.bodies;
    const devices = this.devices;
    for (let k = 0; k < 6; k++) bodies[b + k] = devices[16 * i + k];
    try {
      this.established[i] = checkTimeMs(s.establishedMs, 'establishedMs');
      this.lastActive[i] = checkTimeMs(s.lastActiveMs, 'lastActiveMs');
    } catch (err) {
      throw relabel(err, label(position));
    }
    let flags = 0;
    // The checks build their labels only on failure (no string per session).
    if (s.outbound !== undefined) {
      const o = s.outbound;
      if (!(o instanceof Uint8Array) || o.length !== 32) checkBytes(o, `${label(position)}.outbound`, 32);
      bodies.set(o, b + 6);
      flags |= ROW_OUTBOUND;
    }
    const inbound = s.inbound;
    if (inbound !== undefined) {
      if (typeof inbound !== 'object' || inbound === null) throw new TypeError(`${label(position)}.inbound must be an object`);
      for (const k in inbound)
        if (k !== 'secret' && k !== 'ticketId')
          throw new TypeError(`${label(position)}.inbound: unknown option "${k}" (expected one of: ${[...INBOUND_KEYS].join(', ')})`);
      const { secret, ticketId } = inbound as Record<string, unknown>;
      if (!(secret instanceof Uint8Array) || secret.length !== 32) checkBytes(secret, `${label(position)}.inbound.secret`, 32);
      if (!(ticketId instanceof Uint8Array) || ticketId.length !== TICKET_ID_BYTES)
        checkBytes(ticketId, `${label(position)}.inbound.ticketId`, TICKET_ID_BYTES);
      bodies.set(secret, b + 38);
      this.tickets.set(ticketId, 16 * i);
      flags |= ROW_INBOUND;
    }
    this.flags[i] = flags;
    this.count++;
  }

  /** Wipes the secrets and empties the chunk (every byte back to zero). */
  clear(): void {
    this.bodies.fill(0);
    this.tickets.fill(0);
    this.devices.fill(0);
    this.count = 0;
  }
}

function label(position: number): string {
  return `sessions[${position}]`;
}

function relabel(err: unknown, label: string): Error {
  if (err instanceof RangeError) return new RangeError(`${label}.${err.message}`);
  if (err instanceof TypeError) return new TypeError(`${label}.${err.message}`);
  return err instanceof Error ? err : new Error(String(err));
}
