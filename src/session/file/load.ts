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
import {
  BLOCK_AT,
  BLOCK_ENTRY_HEADER_BYTES,
  BLOCK_MAX_ENTRIES,
  CONSUME_RECORD_BYTES,
  ENTRY_AT,
  ENTRY_RECORD_BYTES,
  FILE_HEADER_BYTES,
  FLAG_INBOUND,
  REC,
  blockRecordBytes,
  readU48,
  type JournalRecord,
} from './format.js';
import { scanJournal, type ScanResult, type SegmentInfo } from './journal.js';
import { latin1 } from './row-index.js';
import { openAt } from './seal.js';

/** File bytes per entry of a full entry block: no record holds an entry in fewer. */
const BLOCK_MIN_ENTRY_BYTES = Math.floor(blockRecordBytes(BLOCK_MAX_ENTRIES) / BLOCK_MAX_ENTRIES);

/** Replays `bytes` (a whole file whose header was checked) into `core`; returns what the scan found. */
export async function loadJournal(core: StoreCore, bytes: Uint8Array): Promise<ScanResult> {
  const ix = core.index;
  const segments: Segment[] = [];
  const segmentOf = (info: SegmentInfo): void => {
    if (segments.length > 0 && segments[segments.length - 1].start === info.start) return;
    const salt = copyOf(info.salt);
    segments.push({ start: info.start, salt, key: core.keys.segmentKey(salt) });
  };
  // At most one row per BLOCK_MIN_ENTRY_BYTES of file (entries in full blocks are the
  // densest records): the tables are sized once, never regrown during the load.
  ix.reserve(Math.floor(Math.max(0, bytes.length - FILE_HEADER_BYTES) / BLOCK_MIN_ENTRY_BYTES));
  // Straight from the file bytes into the row's typed arrays: no object or view per entry.
  const addRow = (b: Uint8Array, h: number, flags: number, type: number, loc: number, sub: number): void => {
    const row = ix.allocRaw(
      b,
      h + BLOCK_AT.fpKey,
      (flags & FLAG_INBOUND) !== 0 ? b : undefined,
      h + BLOCK_AT.ticketKey,
      readU32(b, h + BLOCK_AT.deviceHint),
      readU48(b, h + BLOCK_AT.established),
      readU48(b, h + BLOCK_AT.lastActive),
      flags,
      type,
      loc,
      sub,
    );
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
  const fastBlock = (b: Uint8Array, p: number, n: number, info: SegmentInfo): void => {
    segmentOf(info);
    for (let i = 0; i < n; i++) {
      const h = p + 2 + i * BLOCK_ENTRY_HEADER_BYTES;
      addRow(b, h, b[h] & 0x03, REC.block, p, i);
    }
  };
  const result = await scanJournal(bytes, sink, undefined, fastEntry, fastBlock);
  core.segments = segments;
  // Values: the last record of each name wins; unsealed now (there are few).
  const lastOf = new Map<string, (typeof valueSeals)[number]>();
  for (const v of valueSeals) lastOf.set(v.name, v);
  for (const v of lastOf.values()) {
    const plain = openAt(core.crypto, v.segment.key, v.offset, v.aad, v.sealed);
    if (plain === undefined)
      core.warn(`pqble: session store ${core.path}: the value "${v.name}" does not verify; dropped it`, { path: core.path, name: v.name });
    else core.values.set(v.name, plain);
  }
  return result;
}
