/**
 * The in-memory index of the version-2 file store (docs/store.md "Memory and time"): one
 * slot per entry, keyed by the blinded fingerprint, with the blinded-ticket and device-hint
 * indexes and the consumed tickets. Pure data structure; no I/O, no keys.
 *
 * @module
 */

import { CONSUMED_TICKETS_REMEMBERED } from '../store-checks.js';

/** Entry secrets in memory once unsealed (or before first written). */
export interface Plain {
  readonly deviceId: string;
  readonly outbound: Uint8Array | undefined;
  readonly inboundSecret: Uint8Array | undefined;
}

/** Where an entry's sealed body lives and how to open it. */
export interface SealedAt {
  readonly segment: Segment;
  /** Offset of the record from the start of its segment (the nonce). */
  readonly offset: number;
  /** The record's type byte (part of the associated data). */
  readonly type: number;
  /** The sealed body is `buf[pos, pos + ENTRY_SEALED_BYTES)` (the loaded file, or a copy made when written). */
  readonly buf: Uint8Array;
  readonly pos: number;
}

/** One entry in memory. Replaced (never mutated) on every change except `last`. */
export interface Slot {
  /** The blinded fingerprint (32 bytes of `StoreKeys.fpKey`, as a latin1 string): the index key. */
  readonly fp: string;
  /** The blinded inbound ticket id (16 bytes of `StoreKeys.ticketKey`, latin1); `undefined` without an inbound slot. */
  readonly ticket: string | undefined;
  /** The clear fingerprint (hex), once known. */
  clearFp: string | undefined;
  readonly hint: number;
  readonly establishedMs: number;
  lastActiveMs: number;
  readonly flags: number;
  at: SealedAt | undefined;
  plain: Plain | undefined;
}

/** A journal segment: its salt and the seal key derived from it. */
export interface Segment {
  readonly salt: Uint8Array;
  readonly key: Uint8Array;
}

/** Bytes as a latin1 string (one character per byte): compact Map keys. */
export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}


/** The entries, by blinded fingerprint, with their secondary indexes. */
export class EntryIndex {
  /** blinded fingerprint -> slot. */
  readonly byFp = new Map<string, Slot>();
  /** blinded ticket id -> blinded fingerprint. */
  readonly byTicket = new Map<string, string>();
  /** device hint -> blinded fingerprint, or several. */
  readonly byHint = new Map<number, string | Set<string>>();
  /** Blinded ids of consumed tickets, oldest first. */
  readonly consumed = new Set<string>();
  /** While a compaction runs: the blinded fingerprints changed since it started. */
  dirty: Set<string> | undefined;

  /** Inserts or replaces the entry of `s.fp`; returns the one it replaced. */
  set(s: Slot): Slot | undefined {
    const prev = this.remove(s.fp);
    this.byFp.set(s.fp, s);
    if (s.ticket !== undefined) this.byTicket.set(s.ticket, s.fp);
    const h = this.byHint.get(s.hint);
    if (h === undefined) this.byHint.set(s.hint, s.fp);
    else if (typeof h === 'string') {
      if (h !== s.fp) this.byHint.set(s.hint, new Set([h, s.fp]));
    } else h.add(s.fp);
    this.dirty?.add(s.fp);
    return prev;
  }

  /** Removes the entry of blinded fingerprint `fp`; returns it. */
  remove(fp: string): Slot | undefined {
    const s = this.byFp.get(fp);
    if (s === undefined) return undefined;
    this.byFp.delete(fp);
    if (s.ticket !== undefined && this.byTicket.get(s.ticket) === fp) this.byTicket.delete(s.ticket);
    const h = this.byHint.get(s.hint);
    if (h === fp) this.byHint.delete(s.hint);
    else if (typeof h === 'object') {
      h.delete(fp);
      if (h.size === 1) this.byHint.set(s.hint, h.values().next().value!);
    }
    this.dirty?.add(fp);
    return s;
  }

  /** Puts `prev` back for `fp` (or removes the entry if there was none). */
  restore(fp: string, prev: Slot | undefined): void {
    if (prev === undefined) this.remove(fp);
    else this.set(prev);
  }

  /** Marks a blinded ticket id consumed (the most recent {@link CONSUMED_TICKETS_REMEMBERED} are kept). */
  rememberConsumed(hex: string): void {
    this.consumed.delete(hex);
    this.consumed.add(hex);
    if (this.consumed.size > CONSUMED_TICKETS_REMEMBERED) {
      const oldest = this.consumed.values().next();
      if (oldest.done !== true) this.consumed.delete(oldest.value);
    }
  }
}
