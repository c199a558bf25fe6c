/**
 * Loading a version-2 store file into the row index (docs/store.md "Recovery"): one pass
 * over the journal in slices, replaying every valid record in file order (entries and
 * entry blocks become rows, deletes and touches apply to them, consumed tickets are
 * remembered, the last record of each value wins), without unsealing any entry. Damage is
 * skipped and reported; the caller sets it aside and cuts the tail.
 *
 * @module
 */

import { readU32 } from '../../bytes.js';
import { copyOf } from '../store-checks.js';
import type { Segment, StoreCore } from './core.js';
import { BLOCK_AT, BLOCK_ENTRY_HEADER_BYTES, CONSUME_RECORD_BYTES, ENTRY_AT, ENTRY_RECORD_BYTES, FLAG_INBOUND, REC, readU48, type JournalRecord } from './format.js';
import { scanJournal, type ScanResult, type SegmentInfo } from './journal.js';
import { latin1 } from './row-index.js';
import { openAt } from './seal.js';

/** Replays `bytes` (a whole file whose header was checked) into `core`; returns what the scan found. */
export async function loadJournal(core: StoreCore, bytes: Uint8Array): Promise<ScanResult> {
  const ix = core.index;
  const segments: Segment[] = [];
  const segmentOf = (info: SegmentInfo): void => {
    if (segments.length > 0 && segments[segments.length - 1].start === info.start) return;
    const salt = copyOf(info.salt);
    segments.push({ start: info.start, salt, key: core.keys.segmentKey(salt) });
  };
  const addRow = (b: Uint8Array, h: number, flags: number, type: number, loc: number, sub: number): void => {
    const row = ix.alloc({
      fpKey: b.subarray(h + BLOCK_AT.fpKey, h + BLOCK_AT.fpKey + 32),
      ticketKey: (flags & FLAG_INBOUND) !== 0 ? b.subarray(h + BLOCK_AT.ticketKey, h + BLOCK_AT.ticketKey + 16) : undefined,
      hint: readU32(b, h + BLOCK_AT.deviceHint),
      establishedMs: readU48(b, h + BLOCK_AT.established),
      lastActiveMs: readU48(b, h + BLOCK_AT.lastActive),
      flags,
      type,
      loc,
      sub,
    });
    const prev = ix.link(row);
    if (prev >= 0) ix.release(prev);
  };
  const valueSeals: { name: string; segment: Segment; offset: number; aad: Uint8Array; sealed: Uint8Array }[] = [];
  const sink = (rec: JournalRecord, info: SegmentInfo, p: number): void => {
    segmentOf(info);
    switch (rec.type) {
      case 'entry':
        // Entry records go through the fast path below; decodeRecord hands them here only
        // when the fast path is off.
        addRow(bytes, p, rec.flags, bytes[p], p, 0);
        if (rec.consumedKey !== undefined) ix.rememberConsumed(latin1(rec.consumedKey));
        break;
      case 'block':
        for (let i = 0; i < rec.count; i++) {
          const h = p + 2 + i * BLOCK_ENTRY_HEADER_BYTES;
          addRow(bytes, h, bytes[h] & 0x03, REC.block, p, i);
        }
        break;
      case 'delete': {
        const row = ix.findFp(rec.fpKey);
        if (row >= 0) {
          ix.unlink(row);
          ix.release(row);
        }
        break;
      }
      case 'touch': {
        const row = ix.findFp(rec.fpKey);
        if (row >= 0 && rec.lastActiveMs > ix.lastActiveMs(row)) ix.setLastActiveMs(row, rec.lastActiveMs);
        break;
      }
      case 'consumed':
        ix.rememberConsumed(latin1(rec.ticketKey));
        break;
      case 'value':
        valueSeals.push({ name: rec.name, segment: segments[segments.length - 1], offset: p - info.start, aad: rec.aad, sealed: rec.sealed });
        core.values.delete(rec.name);
        break;
      case 'valueDelete':
        for (let i = valueSeals.length - 1; i >= 0; i--) if (valueSeals[i].name === rec.name) valueSeals.splice(i, 1);
        core.values.delete(rec.name);
        break;
      case 'segment':
        break;
    }
  };
  // An entry record's header has the layout of a block entry header from its byte 0 (the
  // type byte holds the flags), so both go through addRow.
  if (ENTRY_AT.fpKey !== BLOCK_AT.fpKey || ENTRY_AT.lastActive !== BLOCK_AT.lastActive) throw new Error('entry header layouts differ');
  const fastEntry = (b: Uint8Array, p: number, len: number, info: SegmentInfo): void => {
    segmentOf(info);
    addRow(b, p, b[p] & 0x03, b[p], p, 0);
    if (len === CONSUME_RECORD_BYTES) ix.rememberConsumed(latin1(b.subarray(p + ENTRY_RECORD_BYTES - 4, p + ENTRY_RECORD_BYTES + 12)));
  };
  const result = await scanJournal(bytes, sink, undefined, fastEntry);
  core.segments = segments;
  // Values: the last record of each name wins; unsealed now (there are few).
  const lastOf = new Map<string, (typeof valueSeals)[number]>();
  for (const v of valueSeals) lastOf.set(v.name, v);
  for (const v of lastOf.values()) {
    const plain = openAt(core.crypto, v.segment.key, v.offset, v.aad, v.sealed);
    if (plain === undefined) core.warn(`pqble: session store ${core.path}: the value "${v.name}" does not verify; dropped it`, { path: core.path, name: v.name });
    else core.values.set(v.name, plain);
  }
  return result;
}
