// Format version 3 of the file store (docs/store.md "Entry block", "Bulk puts", "Memory and
// time"): putMany, entry blocks (known-answer vector checked with an independent AEAD),
// truncation at every byte of a file with bulk puts, the version-2 -> 3 rewrite, eviction
// counters, and the typed-array index (open-addressed tables with forced collisions, page
// growth, ticket and hint lookups) against a model.
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { fuzz } from '../support/fuzz.js';
import { bytesToHex, hexToBytes, randomBytes } from '../../src/bytes.js';
import { nodeCrypto } from '../../src/crypto/node.js';
import { isPqbleError } from '../../src/errors.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { FileSessionStore } from '../../src/session/file/index.js';
import { BLOCK_ENTRY_HEADER_BYTES, FILE_HEADER_BYTES, REC, blockRecordBytes, decodeRecord, writeBlockEntryHeader } from '../../src/session/file/format.js';
import { decodeHexInto } from '../../src/session/file/bulk-input.js';
import { HashTable } from '../../src/session/file/hash-table.js';
import { scanJournal } from '../../src/session/file/journal.js';
import { sealBlockRecord } from '../../src/session/file/record.js';
import { ROW_INBOUND, ROW_OUTBOUND, RowIndex } from '../../src/session/file/row-index.js';
import { StoreKeys } from '../../src/session/file/seal.js';
import type { StoredSession } from '../../src/session/store.js';
import { capturingLogger, tempDir } from './helpers.js';
import { randomSession, view } from './store-compliance.js';

const KEY = hexToBytes('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const UPDATE = { deviceId: 'a1b2c3d4e5f6', lastActiveMs: 1_780_000_000_500 };

function seq(n: number, from: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
}

async function withStore(
  fn: (ctx: { dir: string; path: string; open: (o?: Record<string, unknown>) => Promise<FileSessionStore> }) => Promise<void>,
): Promise<void> {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'sessions.db');
  try {
    await fn({ dir, path, open: (o = {}) => FileSessionStore.open({ path, storageKey: KEY, logger: capturingLogger(), ...o }) });
  } finally {
    await cleanup();
  }
}

async function state(store: FileSessionStore): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const s of store.entries()) out.push(view(s)!);
  return out.sort((a, b) => String(a.peerFingerprint).localeCompare(String(b.peerFingerprint)));
}

function sorted(sessions: readonly StoredSession[]): Record<string, unknown>[] {
  const last = new Map<string, StoredSession>();
  for (const s of sessions) last.set(s.peerFingerprint, s);
  return [...last.values()].map((s) => view(s)!).sort((a, b) => String(a.peerFingerprint).localeCompare(String(b.peerFingerprint)));
}

describe('FileSessionStore: putMany', () => {
  it('puts every session of a plain or async iterable durably, in entry blocks, and they survive a reopen', () =>
    withStore(async ({ open }) => {
      const sessions = Array.from({ length: 5000 }, (_, i) =>
        randomSession(i % 7 === 0 ? { inbound: undefined } : i % 11 === 0 ? { outbound: undefined } : {}),
      );
      let s = await open();
      assert.equal(await s.putMany(sessions.slice(0, 3000)), 3000);
      async function* more(): AsyncGenerator<StoredSession> {
        for (const x of sessions.slice(3000)) yield await Promise.resolve(x);
      }
      assert.equal(await s.putMany(more()), 2000);
      assert.equal(await s.size(), 5000);
      for (const i of [0, 7, 11, 2999, 3000, 4999]) {
        const x = sessions[i];
        assert.deepEqual(view(await s.get(x.peerFingerprint)), view(x));
        if (x.inbound !== undefined) assert.equal((await s.getByTicket(x.inbound.ticketId))?.peerFingerprint, x.peerFingerprint);
        assert.equal((await s.getByDevice(x.deviceId))?.peerFingerprint, x.peerFingerprint);
      }
      // Entry blocks: far fewer records than entries, about 136 bytes per entry.
      assert.ok(s.fileBytes() < 5000 * 140, `file is ${s.fileBytes()} bytes`);
      await s.close();
      s = await open();
      assert.deepEqual(await state(s), sorted(sessions));
      // A ratchet of an entry that lives in a block works as of a single record.
      const x = sessions[1];
      assert.equal(await s.consumeInbound(x.peerFingerprint, x.inbound!.ticketId, { secret: randomBytes(32), ticketId: randomBytes(16) }, UPDATE), true);
      assert.equal(await s.getByTicket(x.inbound!.ticketId), undefined);
      await s.close();
    }));

  it('an array put over existing entries (tables sized up front) replaces them and moves tickets as single puts do, against the memory store', () =>
    withStore(async ({ open }) => {
      const s = await open();
      const model = new MemorySessionStore();
      const first = Array.from({ length: 1500 }, () => randomSession());
      await s.putMany(first);
      for (const x of first) await model.put(x);
      // Over several chunks: re-puts of old peers (some in upper case), some holding another
      // old entry's ticket, some with no inbound slot, and new peers.
      const second = Array.from({ length: 1800 }, (_, i) => {
        const old = first[(i * 7) % first.length];
        if (i % 3 === 0) return randomSession();
        if (i % 3 === 1)
          return randomSession({
            peerFingerprint: i % 2 === 0 ? old.peerFingerprint.toUpperCase() : old.peerFingerprint,
            inbound: { secret: randomBytes(32), ticketId: first[(i * 13) % first.length].inbound!.ticketId },
          });
        return randomSession({ peerFingerprint: old.peerFingerprint, inbound: undefined });
      });
      assert.equal(await s.putMany(second), second.length);
      for (const x of second) await model.put(x);
      assert.equal(await s.size(), await model.size());
      const want: Record<string, unknown>[] = [];
      for await (const x of model.entries()) want.push(view(x)!);
      want.sort((a, b) => String(a.peerFingerprint).localeCompare(String(b.peerFingerprint)));
      assert.deepEqual(await state(s), want);
      for (const x of [...first, ...second].filter((_, i) => i % 5 === 0)) {
        if (x.inbound === undefined) continue;
        assert.equal((await s.getByTicket(x.inbound.ticketId))?.peerFingerprint, (await model.getByTicket(x.inbound.ticketId))?.peerFingerprint);
      }
      await s.close();
      await model.close();
    }));

  it('the last of several sessions of one peer in a call wins; its older ticket is not found', () =>
    withStore(async ({ open }) => {
      const s = await open();
      const a = randomSession();
      const b = randomSession({ peerFingerprint: a.peerFingerprint.toUpperCase() });
      assert.equal(await s.putMany([a, randomSession(), b]), 3);
      assert.equal(await s.size(), 2);
      assert.deepEqual(view(await s.get(a.peerFingerprint)), view({ ...b, peerFingerprint: a.peerFingerprint }));
      assert.equal(await s.getByTicket(a.inbound!.ticketId), undefined);
      await s.close();
    }));

  it('takes a fingerprint in every form put takes (32 bytes, or 64 hex digits in either case; docs/api.md "Ids")', () =>
    withStore(async ({ open }) => {
      const s = await open();
      const a = randomSession();
      const b = randomSession();
      await s.put({ ...a, peerFingerprint: hexToBytes(a.peerFingerprint) as never });
      assert.equal(await s.putMany([{ ...b, peerFingerprint: hexToBytes(b.peerFingerprint) as never }]), 1);
      assert.deepEqual(view(await s.get(a.peerFingerprint)), view(a));
      assert.deepEqual(view(await s.get(b.peerFingerprint)), view(b));
      await assert.rejects(
        s.putMany([{ ...randomSession(), peerFingerprint: new Uint8Array(31) as never }]),
        (e: Error) => e instanceof RangeError && /sessions\[0\]\.peerFingerprint/.test(e.message),
      );
      await assert.rejects(
        s.putMany([{ ...randomSession(), peerFingerprint: 7 as never }]),
        (e: Error) => e instanceof TypeError && /sessions\[0\]\.peerFingerprint/.test(e.message),
      );
      await s.close();
    }));

  it('an array of bad sessions reserves no table room; an array reserves at most maxEntries rows', () =>
    withStore(async ({ open }) => {
      const s = await open({ maxEntries: 100 });
      const before = s.memoryBytes();
      await assert.rejects(
        s.putMany(new Array<StoredSession>(1_000_000).fill(42 as never)),
        (e: Error) => e instanceof TypeError && /sessions\[0\]/.test(e.message),
      );
      assert.ok(s.memoryBytes() - before < 1 << 20, `a rejected array grew the index by ${s.memoryBytes() - before} bytes`);
      const sessions = Array.from({ length: 600 }, () => randomSession());
      assert.equal(await s.putMany([...sessions, ...new Array<StoredSession>(999_400).fill(42 as never)]).catch(() => -1), -1);
      assert.ok(s.memoryBytes() - before < 4 << 20, `an array for a store of 100 entries grew the index by ${s.memoryBytes() - before} bytes`);
      await s.close();
    }));

  it('rejects a malformed session with TypeError/RangeError naming its position, and a non-iterable', () =>
    withStore(async ({ open }) => {
      const s = await open();
      await assert.rejects(s.putMany(42 as never), TypeError);
      await assert.rejects(
        s.putMany([randomSession(), { ...randomSession(), extra: 1 } as never]),
        (e: Error) => e instanceof TypeError && /sessions\[1\]/.test(e.message),
      );
      await assert.rejects(
        s.putMany([randomSession({ peerFingerprint: 'zz'.repeat(32) })]),
        (e: Error) => e instanceof RangeError && /sessions\[0\]\.peerFingerprint/.test(e.message),
      );
      await assert.rejects(
        s.putMany([randomSession({ deviceId: 'nope' })]),
        (e: Error) => e instanceof RangeError && /sessions\[0\]\.deviceId/.test(e.message),
      );
      await assert.rejects(s.putMany([randomSession({ outbound: new Uint8Array(31) })]), RangeError);
      await assert.rejects(s.putMany([randomSession({ lastActiveMs: -1 })]), RangeError);
      await assert.rejects(s.putMany([randomSession({ inbound: { secret: randomBytes(32), ticketId: randomBytes(15) } })]), RangeError);
      // A malformed session rejects; the store still works.
      const ok = randomSession();
      await s.put(ok);
      assert.deepEqual(view(await s.get(ok.peerFingerprint)), view(ok));
      await assert.rejects(s.putMany([ok], { timeoutMs: 0 }), (e: unknown) => isPqbleError(e) && e.code === 'PQBLE_ERR_STORE_TIMEOUT');
      await s.close();
      await assert.rejects(s.putMany([ok]), (e: unknown) => isPqbleError(e) && e.code === 'PQBLE_ERR_STORE_CLOSED');
    }));

  it('a putMany that times out rejects with PQBLE_ERR_STORE_TIMEOUT and stops reading its sessions', () =>
    withStore(async ({ open }) => {
      const s = await open();
      let read = 0;
      async function* slow(): AsyncGenerator<StoredSession> {
        for (let i = 0; i < 1000; i++) {
          read++;
          await new Promise((r) => setTimeout(r, 2));
          yield randomSession();
        }
      }
      await assert.rejects(s.putMany(slow(), { timeoutMs: 60 }), (e: unknown) => isPqbleError(e) && e.code === 'PQBLE_ERR_STORE_TIMEOUT');
      await new Promise((r) => setTimeout(r, 100));
      const seen = read;
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(seen < 1000 && read === seen, `read ${read} of 1000 sessions`);
      await s.close();
    }));

  it('beyond maxEntries, puts and bulk puts evict and count it in counters.evictions (as the memory store)', () =>
    withStore(async ({ open }) => {
      const s = await open({ maxEntries: 10 });
      for (let i = 0; i < 15; i++) await s.put(randomSession({ lastActiveMs: 1_780_000_000_000 + i }));
      assert.equal(await s.size(), 10);
      assert.equal(s.counters.evictions, 5);
      await s.putMany(Array.from({ length: 20 }, () => randomSession()));
      assert.equal(await s.size(), 10);
      assert.equal(s.counters.evictions, 25);
      await s.close();
      const m = new MemorySessionStore({ maxEntries: 2 });
      for (let i = 0; i < 5; i++) await m.put(randomSession());
      assert.equal(m.counters.evictions, 3);
      await m.close();
    }));
});

describe('FileSessionStore: crash safety of bulk puts', () => {
  it('truncation at every byte of a file with entry blocks: whole blocks only, then every single change before or after', () =>
    withStore(async ({ dir, path, open }) => {
      const s = await open();
      const first = randomSession();
      await s.put(first);
      const base = { size: s.fileBytes(), state: await state(s) };
      const bulk = Array.from({ length: 70 }, () => randomSession());
      await s.putMany(bulk);
      const afterBulk = s.fileBytes();
      const later: { size: number; state: Record<string, unknown>[] }[] = [];
      assert.equal(
        await s.consumeInbound(bulk[40].peerFingerprint, bulk[40].inbound!.ticketId, { secret: randomBytes(32), ticketId: randomBytes(16) }, UPDATE),
        true,
      );
      later.push({ size: s.fileBytes(), state: await state(s) });
      assert.equal(await s.delete(bulk[3].peerFingerprint), true);
      later.push({ size: s.fileBytes(), state: await state(s) });
      await s.close();
      const full = await readFile(path);
      // The block ends inside the bulk append (a segment may lead it).
      const blockEnds: number[] = [];
      for (let p = base.size; p < afterBulk;) {
        const r = decodeRecord(full, p, full.length);
        assert.equal(r.kind, 'record');
        if (r.kind !== 'record') break;
        p += r.bytes;
        if (r.record.type === 'block') blockEnds.push(p);
      }
      assert.deepEqual(blockEnds.length, 3);
      const cut = join(dir, 'cut.db');
      for (let len = base.size; len <= full.length; len++) {
        await writeFile(cut, full.subarray(0, len));
        const logger = capturingLogger();
        const t = await FileSessionStore.open({ path: cut, storageKey: KEY, logger });
        let expected: Record<string, unknown>[];
        if (len < afterBulk) {
          const blocks = blockEnds.filter((e) => e <= len).length;
          expected = sorted([first, ...bulk.slice(0, Math.min(70, blocks * 32))]);
        } else expected = [...later].reverse().find((x) => x.size <= len)?.state ?? sorted([first, ...bulk]);
        assert.deepEqual(await state(t), expected, `truncated at ${len} of ${full.length}`);
        assert.doesNotMatch(logger.text(), /does not verify/);
        await t.close();
      }
    }));

  it('a damaged byte in an entry block drops that block only; the other entries stay', () =>
    withStore(async ({ path, open }) => {
      const s = await open();
      const bulk = Array.from({ length: 96 }, () => randomSession());
      await s.putMany(bulk);
      await s.close();
      const bytes = await readFile(path);
      let p = FILE_HEADER_BYTES;
      const blocks: number[] = [];
      while (p < bytes.length) {
        const r = decodeRecord(bytes, p, bytes.length);
        if (r.kind !== 'record') break;
        if (r.record.type === 'block') blocks.push(p);
        p += r.bytes;
      }
      bytes[blocks[1] + 500] ^= 0x40;
      await writeFile(path, bytes);
      const logger = capturingLogger();
      const t = await FileSessionStore.open({ path, storageKey: KEY, logger });
      assert.deepEqual(await state(t), sorted([...bulk.slice(0, 32), ...bulk.slice(64)]));
      assert.match(logger.text(), /damaged/);
      await t.close();
    }));
});

describe('FileSessionStore: load fast paths', () => {
  it('scanning with the entry and entry-block fast paths finds the same records, damage and tail as the general decoder, under arbitrary damage', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'sessions.db');
      const s = await FileSessionStore.open({ path, storageKey: KEY, logger: capturingLogger() });
      const bulk = Array.from({ length: 80 }, () => randomSession());
      await s.putMany(bulk);
      await s.put(randomSession());
      await s.delete(bulk[3].peerFingerprint);
      await s.putMany(bulk.slice(10, 45));
      await s.close();
      const good = new Uint8Array(await readFile(path));
      const scan = async (bytes: Uint8Array, fast: boolean): Promise<string> => {
        const seen: string[] = [];
        const sink = (rec: { type: string }, info: { start: number }, p: number): void => {
          seen.push(`${rec.type}@${p}/${info.start}${rec.type === 'block' ? `x${bytes[p + 1]}` : ''}`);
        };
        const result = fast
          ? await scanJournal(
              bytes,
              sink,
              undefined,
              (_b, p, _len, info) => seen.push(`entry@${p}/${info.start}`),
              (_b, p, n, info) => seen.push(`block@${p}/${info.start}x${n}`),
            )
          : await scanJournal(bytes, sink);
        return JSON.stringify({ seen, result });
      };
      assert.equal(await scan(good, true), await scan(good, false));
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
          fc.nat(good.length),
          async (flips, cut) => {
            const bytes = good.slice(0, Math.max(FILE_HEADER_BYTES, cut));
            for (const [at, x] of flips) if (at >= FILE_HEADER_BYTES && at < bytes.length) bytes[at] ^= x;
            assert.equal(await scan(bytes, true), await scan(bytes, false));
          },
        ),
        fuzz(150),
      );
    } finally {
      await cleanup();
    }
  });
});

describe('FileSessionStore: compaction under load', () => {
  it('calls made while a compaction copies, catches up and points the rows at the new file all land, before and after a reopen', { timeout: 120_000 }, () =>
    withStore(async ({ open }) => {
      const s = await open();
      const model = new Map<string, StoredSession>();
      const bulk = Array.from({ length: 20_000 }, () => randomSession());
      await s.putMany(bulk);
      for (const x of bulk) model.set(x.peerFingerprint, x);
      let compacting = true;
      const done = s.compact().finally(() => {
        compacting = false;
      });
      let i = 0;
      let calls = 0;
      while (compacting || calls < 50) {
        const x = bulk[(i * 7919) % bulk.length];
        i++;
        calls++;
        const m = model.get(x.peerFingerprint);
        if (i % 5 === 0) {
          if (m !== undefined) {
            assert.equal(await s.delete(x.peerFingerprint), true);
            model.delete(x.peerFingerprint);
          }
        } else if (i % 5 === 1) {
          const y = randomSession();
          await s.put(y);
          model.set(y.peerFingerprint, y);
        } else if (m?.inbound !== undefined) {
          const next = { secret: randomBytes(32), ticketId: randomBytes(16) };
          assert.equal(await s.consumeInbound(m.peerFingerprint, m.inbound.ticketId, next, UPDATE), true);
          model.set(m.peerFingerprint, { ...m, deviceId: UPDATE.deviceId, lastActiveMs: Math.max(m.lastActiveMs, UPDATE.lastActiveMs), inbound: next });
        }
        if (m !== undefined && model.has(m.peerFingerprint)) assert.deepEqual(view(await s.get(m.peerFingerprint)), view(model.get(m.peerFingerprint)));
      }
      await done;
      const expected = sorted([...model.values()]);
      assert.deepEqual(await state(s), expected);
      await s.close();
      const t = await open();
      assert.deepEqual(await state(t), expected);
      await t.close();
    }),
  );
});

describe('FileSessionStore: format version 3', () => {
  it('a version-2 file (the golden file) is rewritten as version 3 when opened for writing, with the same state', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'golden.db');
      await copyFile('test/session/fixtures/store-v2-golden.db', path);
      assert.equal((await readFile(path))[8], 2);
      const expected = JSON.parse(await readFile('test/session/fixtures/store-v2-golden.json', 'utf8')) as Record<string, unknown>[];
      const ro = await FileSessionStore.open({ path, storageKey: KEY, readOnly: true, logger: capturingLogger() });
      assert.deepEqual(JSON.parse(JSON.stringify(await state(ro))), expected);
      await ro.close();
      assert.equal((await readFile(path))[8], 2, 'read-only leaves the file alone');
      const s = await FileSessionStore.open({ path, storageKey: KEY, logger: capturingLogger() });
      assert.equal((await readFile(path))[8], 3);
      assert.deepEqual(JSON.parse(JSON.stringify(await state(s))), expected);
      assert.equal(await s.getValue('trust').then((v) => v && Buffer.from(v).toString()), 'golden trust state');
      await s.close();
      const again = await FileSessionStore.open({ path, storageKey: KEY, logger: capturingLogger() });
      assert.deepEqual(JSON.parse(JSON.stringify(await state(again))), expected);
      await again.close();
    } finally {
      await cleanup();
    }
  });

  it('opens test/session/fixtures/store-v3-golden.db (entry blocks, a consume, a delete, a touch, a value) with its key', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'golden.db');
      await copyFile('test/session/fixtures/store-v3-golden.db', path);
      assert.equal((await readFile(path))[8], 3);
      const s = await FileSessionStore.open({ path, storageKey: KEY, logger: capturingLogger() });
      const expected = JSON.parse(await readFile('test/session/fixtures/store-v3-golden.json', 'utf8')) as Record<string, unknown>[];
      assert.deepEqual(JSON.parse(JSON.stringify(await state(s))), expected);
      await s.close();
    } finally {
      await cleanup();
    }
  });

  it('entry block known-answer vector (docs/store.md), opened with an independent ChaCha20-Poly1305', () => {
    const keys = new StoreKeys(nodeCrypto, KEY);
    const segKey = keys.segmentKey(seq(16, 0x20));
    assert.equal(bytesToHex(segKey), '1fa423d2863f0eae2b66f6b1293f2cbbe884bdcabc87208f7f8a473d6be922d2');
    const out = new Uint8Array(blockRecordBytes(2));
    writeBlockEntryHeader(out, 0, 0, {
      flags: ROW_OUTBOUND | ROW_INBOUND,
      fpKey: keys.fpKey(seq(32, 0x40)),
      ticketKey: keys.ticketKey(seq(16, 0xa0)),
      deviceHint: keys.deviceHint(hexToBytes('a1b2c3d4e5f6')),
      establishedMs: 1_780_000_000_000,
      lastActiveMs: 1_780_000_060_000,
    });
    writeBlockEntryHeader(out, 0, 1, {
      flags: ROW_OUTBOUND,
      fpKey: keys.fpKey(seq(32, 0xc0)),
      ticketKey: new Uint8Array(16),
      deviceHint: keys.deviceHint(hexToBytes('010203040506')),
      establishedMs: 1_780_000_000_001,
      lastActiveMs: 1_780_000_000_002,
    });
    const plain = new Uint8Array(140);
    plain.set(hexToBytes('a1b2c3d4e5f6'), 0);
    plain.set(seq(32, 0x60), 6);
    plain.set(seq(32, 0x80), 38);
    plain.set(hexToBytes('010203040506'), 70);
    plain.set(seq(32, 0xe0), 76);
    assert.equal(sealBlockRecord(out, 0, 2, nodeCrypto, segKey, 21, plain), 292);
    assert.equal(bytesToHex(out), BLOCK_VECTOR);
    // Independent check: the body opens with noble's ChaCha20-Poly1305 under nonce 0^4 || u64 21.
    const nonce = new Uint8Array(12);
    nonce[11] = 21;
    const aadEnd = 2 + 2 * BLOCK_ENTRY_HEADER_BYTES;
    const opened = chacha20poly1305(segKey, nonce, out.subarray(0, aadEnd)).decrypt(out.subarray(aadEnd, out.length - 4));
    assert.deepEqual(opened, plain);
    const r = decodeRecord(out, 0, out.length);
    assert.equal(r.kind, 'record');
    assert.equal(r.kind === 'record' && r.record.type === 'block' ? r.record.count : 0, 2);
    assert.equal(out[0], REC.block);
  });
});

describe('file store index: open-addressed tables and rows', () => {
  it('HashTable: every row stays findable under forced collisions and removals (backward shift), against a model', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 7 })), { maxLength: 400 }), (ops) => {
        const t = new HashTable();
        const model = new Map<number, number>();
        for (const [add, row, h] of ops) {
          // Few distinct hashes, many rows: long probe runs that wrap around the table end.
          const hash = (h * 0x3ff + 0xfffffc00) >>> 0;
          if (add && !model.has(row)) {
            t.insert(hash, row);
            model.set(row, hash);
          } else if (!add && model.has(row)) {
            t.remove(model.get(row)!, row);
            model.delete(row);
          }
        }
        assert.equal(t.count, model.size);
        for (const [row, hash] of model) {
          let found = false;
          for (let s = t.first(hash); s >= 0; s = t.next(s, hash)) if (t.rowAt(s) === row) found = true;
          assert.ok(found, `row ${row} lost`);
        }
      }),
      fuzz(200),
    );
  });

  it('HashTable.seek + insertAt: one walk finds a row or the empty slot it is then put in, against a model (forced collisions, growth)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5 })), { maxLength: 600 }), (ops) => {
        const t = new HashTable();
        const model = new Map<number, number>();
        for (const [row, h] of ops) {
          const hash = (h * 0x3ff + 0xfffffc00) >>> 0;
          // Walk the rows of `hash` as RowIndex.link does; insert where the walk stopped.
          let s = t.seek(hash);
          while (s >= 0 && t.rowAt(s) !== row) s = t.seekNext(s, hash);
          if (model.get(row) === hash) assert.ok(s >= 0, `row ${row} not found by seek`);
          else {
            assert.ok(s < 0, `row ${row} found but never inserted under this hash`);
            t.insertAt(s, hash, row);
            if (model.has(row)) t.remove(model.get(row)!, row);
            model.set(row, hash);
          }
        }
        assert.equal(t.count, model.size);
        for (const [row, hash] of model) {
          let found = false;
          for (let s = t.first(hash); s >= 0; s = t.next(s, hash)) if (t.rowAt(s) === row) found = true;
          assert.ok(found, `row ${row} lost`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('HashTable grows past its first size and keeps every row', () => {
    const t = new HashTable();
    const cap = t.capacity;
    for (let r = 0; r < cap * 3; r++) t.insert(Math.imul(r, 0x9e3779b1) >>> 0, r);
    assert.ok(t.capacity >= cap * 6);
    for (let r = 0; r < cap * 3; r += 97) {
      const h = Math.imul(r, 0x9e3779b1) >>> 0;
      let found = false;
      for (let s = t.first(h); s >= 0; s = t.next(s, h)) if (t.rowAt(s) === r) found = true;
      assert.ok(found);
    }
  });

  it('HashTable.reserve sizes the shards once: filling to the reserved count never regrows, rows inserted before stay findable', () => {
    const t = new HashTable();
    const hashOf = (r: number): number => Math.imul(r + 1, 0x9e3779b1) >>> 0;
    for (let r = 0; r < 500; r++) t.insert(hashOf(r), r);
    const before = t.capacity;
    t.reserve(20_000);
    const reserved = t.capacity;
    assert.ok(reserved > before, 'reserve grows the shards');
    for (let r = 500; r < 20_000; r++) t.insert(hashOf(r), r);
    assert.equal(t.capacity, reserved, 'no shard regrew while filling to the reserved count');
    assert.equal(t.count, 20_000);
    t.reserve(100);
    assert.equal(t.capacity, reserved, 'reserve never shrinks');
    for (let r = 0; r < 20_000; r += 13) {
      const h = hashOf(r);
      let found = false;
      for (let s = t.first(h); s >= 0; s = t.next(s, h)) if (t.rowAt(s) === r) found = true;
      assert.ok(found, `row ${r}`);
    }
  });

  it('RowIndex: rows over several pages, replacement, tickets (last set wins) and device hints, against a model', () => {
    const ix = new RowIndex();
    const model = new Map<string, { ticket: string | undefined; hint: number; row: number }>();
    const fps = Array.from({ length: 9000 }, () => randomBytes(32));
    for (let i = 0; i < 12_000; i++) {
      const fp = fps[i % fps.length];
      const ticket = i % 3 === 0 ? undefined : randomBytes(16);
      const hint = i % 50;
      const row = ix.alloc({
        fpKey: fp,
        ticketKey: ticket,
        hint,
        establishedMs: i,
        lastActiveMs: i,
        flags: ticket === undefined ? 0 : ROW_INBOUND,
        type: 0x10,
        loc: -1,
        sub: 0,
      });
      const prev = ix.link(row);
      const key = bytesToHex(fp);
      assert.equal(prev, model.get(key)?.row ?? -1);
      if (prev >= 0) ix.release(prev);
      model.set(key, { ticket: ticket === undefined ? undefined : bytesToHex(ticket), hint, row });
      if (i % 7 === 0) {
        ix.unlink(row);
        ix.release(row);
        model.delete(key);
      }
    }
    assert.equal(ix.size, model.size);
    const byHint = new Map<number, number>();
    for (const [key, m] of model) {
      assert.equal(ix.findFp(hexToBytes(key)), m.row);
      if (m.ticket !== undefined) assert.equal(ix.findTicket(hexToBytes(m.ticket)), m.row);
      byHint.set(m.hint, (byHint.get(m.hint) ?? 0) + 1);
    }
    for (const [hint, n] of byHint) assert.equal(ix.rowsWithHint(hint).length, n);
    assert.equal(ix.findFp(randomBytes(32)), -1);
  });

  it('RowIndex.link: a ticket put under another fingerprint finds the newer row only; a replaced row frees its ticket', () => {
    const ix = new RowIndex();
    const [fpA, fpB, ticket, other] = [randomBytes(32), randomBytes(32), randomBytes(16), randomBytes(16)];
    const row = (fp: Uint8Array, t: Uint8Array | undefined): number =>
      ix.alloc({
        fpKey: fp,
        ticketKey: t,
        hint: 1,
        establishedMs: 1,
        lastActiveMs: 1,
        flags: t === undefined ? ROW_OUTBOUND : ROW_INBOUND,
        type: 0x10,
        loc: -1,
        sub: 0,
      });
    const a = row(fpA, ticket);
    assert.equal(ix.link(a), -1);
    const b = row(fpB, ticket);
    assert.equal(ix.link(b), -1);
    assert.equal(ix.findTicket(ticket), b, 'the last row set under a ticket wins');
    assert.equal(ix.findFp(fpA), a, 'the older entry keeps its fingerprint');
    const a2 = row(fpA, other);
    assert.equal(ix.link(a2), a, 'a new row of fpA replaces the old one');
    ix.release(a);
    assert.equal(ix.findTicket(other), a2);
    assert.equal(ix.findTicket(ticket), b);
    const b2 = row(fpB, undefined);
    assert.equal(ix.link(b2), b);
    ix.release(b);
    assert.equal(ix.findTicket(ticket), -1, 'a replaced row takes its ticket with it');
    assert.equal(ix.size, 2);
    assert.deepEqual(ix.rowsWithHint(1).sort(), [a2, b2].sort());
  });

  it('RowIndex.link under forced hash collisions (fingerprints and tickets sharing their first 4 bytes): finds, replacements and ticket owners match a model', () => {
    // Keys of a few hash values (the first 4 bytes: two land in shard 0, one in shard 63), the rest distinct.
    const heads = [0x00000001, 0x00000002, 0xfc000003];
    const key = (bytes: number, i: number): Uint8Array => {
      const k = new Uint8Array(bytes);
      new DataView(k.buffer).setUint32(0, heads[i % heads.length], true);
      k[4] = i;
      k[5] = 0x5a;
      return k;
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 39 }), fc.option(fc.integer({ min: 0, max: 19 }), { nil: undefined }), fc.boolean()), { maxLength: 300 }),
        (ops) => {
          const ix = new RowIndex();
          const fps = Array.from({ length: 40 }, (_, i) => key(32, i));
          const tickets = Array.from({ length: 20 }, (_, i) => key(16, i));
          const live = new Map<number, { row: number; ticket: number | undefined }>();
          const owner = new Map<number, number>();
          for (const [f, t, del] of ops) {
            const cur = live.get(f);
            if (del) {
              if (cur === undefined) continue;
              ix.unlink(cur.row);
              ix.release(cur.row);
              if (cur.ticket !== undefined && owner.get(cur.ticket) === cur.row) owner.delete(cur.ticket);
              live.delete(f);
              continue;
            }
            const row = ix.alloc({
              fpKey: fps[f],
              ticketKey: t === undefined ? undefined : tickets[t],
              hint: f,
              establishedMs: 1,
              lastActiveMs: 1,
              flags: t === undefined ? ROW_OUTBOUND : ROW_INBOUND,
              type: 0x10,
              loc: -1,
              sub: 0,
            });
            assert.equal(ix.link(row), cur?.row ?? -1);
            if (cur !== undefined) {
              ix.release(cur.row);
              if (cur.ticket !== undefined && owner.get(cur.ticket) === cur.row) owner.delete(cur.ticket);
            }
            if (t !== undefined) owner.set(t, row);
            live.set(f, { row, ticket: t });
          }
          assert.equal(ix.size, live.size);
          for (let f = 0; f < fps.length; f++) assert.equal(ix.findFp(fps[f]), live.get(f)?.row ?? -1, `fingerprint ${f}`);
          for (let t = 0; t < tickets.length; t++) assert.equal(ix.findTicket(tickets[t]), owner.get(t) ?? -1, `ticket ${t}`);
        },
      ),
      fuzz(200),
    );
  });

  it('decodeHexInto: both cases, and stops at any other character (also past U+00FF)', () => {
    const out = new Uint8Array(4);
    assert.ok(decodeHexInto('00Ff7a9B', out, 0, 4));
    assert.deepEqual([...out], [0x00, 0xff, 0x7a, 0x9b]);
    for (const bad of ['00ff7a9g', '0xff7a9b', ' 0ff7a9b', '00ff7a9\u0130', '00ff7a9\u0131', '00ff7a9\u0141', '00ff7a9'])
      assert.equal(decodeHexInto(bad, new Uint8Array(4), 0, 4), false, JSON.stringify(bad));
    const at = new Uint8Array(8);
    assert.ok(decodeHexInto('a1b2c3', at, 5, 3));
    assert.deepEqual([...at], [0, 0, 0, 0, 0, 0xa1, 0xb2, 0xc3]);
  });
});

/** The entry block of the known-answer vector (docs/store.md "Entry block"). */
const BLOCK_VECTOR =
  '50020395f93018ed9dee9a50e3c4b19b6310ea2a48e2aeb851ac88ed3fd4aa2ddcc91f3c9988ac2c1885acb2bc92b06b8dea2ecf2bf768019e70448800019e704572600183a958df0ce44067ef3a3da75a08de0f2dd5d3db56a19b95d2bf1450d3d02ade000000000000000000000000000000001267c7a4019e70448801019e70448802d3ad561a867490571a1a37c60462f5b084c89718c3356807d403e529f0fbe44328f8853abdbfa4e5deee11fb6916a90d0f961c7d6904f7b3e41064514dbe2a0cab6ce9c83583018d07e97f06e069720e483aad38088d6ab5b91bc189fdc6cce9d36a30903f42ee3742b3ce8fe1689d37ee9cd746d1b681fab31344e97501cd9a44fd9c0cdc2b35058dc42f9ebe22625bfee34de0a3dccc46f12be87851f93eba';
