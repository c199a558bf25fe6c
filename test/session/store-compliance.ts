// The SessionStore compliance suite (docs/store.md "The store contract"): every rule of the
// seam in src/session/store.ts, run against each implementation (memory, file, Redis).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import { isPqbleError } from '../../src/errors.js';
import { MAX_STORE_VALUE_BYTES, type SessionStore, type StoredSession } from '../../src/session/store.js';

/** What a store factory hands the suite. */
export interface StoreUnderTest {
  readonly store: SessionStore;
  /** Closes nothing: opens a NEW store on the same durable state (after the suite closed `store`). */
  readonly reopen?: () => Promise<SessionStore>;
  /** Releases everything (files, servers). */
  cleanup(): Promise<void>;
}

/** A random session (both directions present), established `ageMs` ago. */
export function randomSession(overrides: Partial<StoredSession> = {}, nowMs = 1_780_000_000_000): StoredSession {
  return {
    peerFingerprint: bytesToHex(randomBytes(32)),
    deviceId: bytesToHex(randomBytes(6)),
    establishedMs: nowMs - 60_000,
    lastActiveMs: nowMs - 1000,
    outbound: randomBytes(32),
    inbound: { secret: randomBytes(32), ticketId: randomBytes(16) },
    ...overrides,
  };
}

/** A comparable view of a session (secrets as hex). */
export function view(s: StoredSession | undefined): Record<string, unknown> | undefined {
  if (s === undefined) return undefined;
  return {
    peerFingerprint: s.peerFingerprint,
    deviceId: s.deviceId,
    establishedMs: s.establishedMs,
    lastActiveMs: s.lastActiveMs,
    outbound: s.outbound === undefined ? undefined : bytesToHex(s.outbound),
    inboundSecret: s.inbound === undefined ? undefined : bytesToHex(s.inbound.secret),
    inboundTicket: s.inbound === undefined ? undefined : bytesToHex(s.inbound.ticketId),
  };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isPqbleError(err), `expected a PqbleError with ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

async function collect(store: SessionStore): Promise<StoredSession[]> {
  const out: StoredSession[] = [];
  for await (const s of store.entries()) out.push(s);
  return out;
}

const UPDATE = { deviceId: 'a1b2c3d4e5f6', lastActiveMs: 1_780_000_000_500 };

/**
 * Registers the compliance tests of one {@link SessionStore} implementation.
 * @param name - shown in the test names
 * @param makeStore - a fresh, empty store for each test
 */
export function runStoreCompliance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  /** Runs `fn` on a fresh store and always cleans up. */
  async function withStore(fn: (t: StoreUnderTest) => Promise<void>): Promise<void> {
    const t = await makeStore();
    try {
      await fn(t);
    } finally {
      await t.store.close();
      await t.cleanup();
    }
  }

  describe(`SessionStore compliance: ${name}`, () => {
    it('put then get, getByTicket and getByDevice return equal copies; missing ones are undefined', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        await store.put(s);
        assert.deepEqual(view(await store.get(s.peerFingerprint)), view(s));
        assert.deepEqual(view(await store.getByTicket(s.inbound!.ticketId)), view(s));
        assert.deepEqual(view(await store.getByDevice(s.deviceId)), view(s));
        assert.equal(await store.get(bytesToHex(randomBytes(32))), undefined);
        assert.equal(await store.getByTicket(randomBytes(16)), undefined);
        assert.equal(await store.getByDevice('000000000001'), undefined);
        assert.equal(await store.size(), 1);
      }));

    it('entries without secrets (outbound and inbound absent) round-trip', () =>
      withStore(async ({ store }) => {
        const s = randomSession({ outbound: undefined, inbound: undefined });
        await store.put(s);
        const got = await store.get(s.peerFingerprint);
        assert.deepEqual(view(got), view(s));
        assert.equal(got?.outbound, undefined);
        assert.equal(got?.inbound, undefined);
      }));

    it('copies values in before the call returns and hands out fresh copies (Buffers too)', () =>
      withStore(async ({ store }) => {
        const s = randomSession({ outbound: Buffer.from(randomBytes(32)) });
        const expected = view(s);
        const p = store.put(s);
        // Mutate the caller's buffers right after the call: the store must not see it.
        s.outbound!.fill(1);
        s.inbound!.secret.fill(2);
        s.inbound!.ticketId.fill(3);
        await p;
        const a = await store.get(expected!.peerFingerprint as string);
        assert.deepEqual(view(a), expected);
        a!.outbound!.fill(0);
        a!.inbound!.secret.fill(0);
        assert.deepEqual(view(await store.get(expected!.peerFingerprint as string)), expected);
      }));

    it('put replaces the entry of the same peer, and its old ticket is no longer found', () =>
      withStore(async ({ store }) => {
        const a = randomSession();
        const b = randomSession({ peerFingerprint: a.peerFingerprint });
        await store.put(a);
        await store.put(b);
        assert.equal(await store.size(), 1);
        assert.deepEqual(view(await store.get(a.peerFingerprint)), view(b));
        assert.equal(await store.getByTicket(a.inbound!.ticketId), undefined);
        assert.deepEqual(view(await store.getByTicket(b.inbound!.ticketId)), view(b));
      }));

    it('normalises an upper-case fingerprint and rejects malformed input with TypeError/RangeError', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        await store.put({ ...s, peerFingerprint: s.peerFingerprint.toUpperCase() });
        assert.ok((await store.get(s.peerFingerprint)) !== undefined);
        await assert.rejects(store.put({ ...s, outbound: new Uint8Array(31) }), RangeError);
        await assert.rejects(store.put({ ...s, peerFingerprint: 'xyz' }), RangeError);
        await assert.rejects(store.put({ ...s, establishedMs: -1 }), RangeError);
        await assert.rejects(store.put({ ...s, extra: 1 } as unknown as StoredSession), TypeError);
        await assert.rejects(store.getByTicket(new Uint8Array(15)), RangeError);
        await assert.rejects(store.get(42 as unknown as string), TypeError);
        await assert.rejects(store.get(s.peerFingerprint, { timeoutMs: -1 }), RangeError);
        await assert.rejects(store.get(s.peerFingerprint, { bogus: 1 } as never), TypeError);
      }));

    it('consumeInbound: single use, replaces the slot, applies the update, and the consumed ticket is never found again', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        await store.put(s);
        const next = { secret: randomBytes(32), ticketId: randomBytes(16) };
        assert.equal(await store.consumeInbound(s.peerFingerprint, s.inbound!.ticketId, next, UPDATE), true);
        const got = await store.get(s.peerFingerprint);
        assert.equal(bytesToHex(got!.inbound!.ticketId), bytesToHex(next.ticketId));
        assert.equal(bytesToHex(got!.inbound!.secret), bytesToHex(next.secret));
        assert.equal(bytesToHex(got!.outbound!), bytesToHex(s.outbound!), 'outbound untouched');
        assert.equal(got!.deviceId, UPDATE.deviceId);
        assert.equal(got!.lastActiveMs, UPDATE.lastActiveMs);
        assert.equal(got!.establishedMs, s.establishedMs, 'establishedMs never changes in a ratchet');
        assert.equal(await store.getByTicket(s.inbound!.ticketId), undefined);
        assert.equal(await store.consumeInbound(s.peerFingerprint, s.inbound!.ticketId, undefined, UPDATE), false);
        assert.deepEqual(view(await store.getByTicket(next.ticketId)), view(got));
        // Bringing the old state back with put does not make the consumed ticket usable again.
        await store.put(s);
        assert.equal(await store.getByTicket(s.inbound!.ticketId), undefined);
        assert.equal(await store.consumeInbound(s.peerFingerprint, s.inbound!.ticketId, next, UPDATE), false);
      }));

    it('consumeInbound with next undefined clears the slot; wrong peer or unknown ticket changes nothing', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        const other = randomSession();
        await store.put(s);
        await store.put(other);
        assert.equal(await store.consumeInbound(other.peerFingerprint, s.inbound!.ticketId, undefined, UPDATE), false);
        assert.equal(await store.consumeInbound(s.peerFingerprint, randomBytes(16), undefined, UPDATE), false);
        assert.equal(await store.consumeInbound(bytesToHex(randomBytes(32)), s.inbound!.ticketId, undefined, UPDATE), false);
        assert.deepEqual(view(await store.get(s.peerFingerprint)), view(s));
        assert.equal(await store.consumeInbound(s.peerFingerprint, s.inbound!.ticketId, undefined, UPDATE), true);
        const got = await store.get(s.peerFingerprint);
        assert.equal(got!.inbound, undefined);
        assert.equal(await store.getByTicket(s.inbound!.ticketId), undefined);
      }));

    it('N parallel consumeInbound of one ticket: exactly one resolves true', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        await store.put(s);
        const results = await Promise.all(
          Array.from({ length: 16 }, () =>
            store.consumeInbound(s.peerFingerprint, s.inbound!.ticketId, { secret: randomBytes(32), ticketId: randomBytes(16) }, UPDATE),
          ),
        );
        assert.equal(results.filter((r) => r).length, 1);
        assert.equal(await store.getByTicket(s.inbound!.ticketId), undefined);
      }));

    it('replaceOutbound is a compare-and-set of the outbound secret', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        await store.put(s);
        const next = randomBytes(32);
        assert.equal(await store.replaceOutbound(s.peerFingerprint, randomBytes(32), next, UPDATE), false);
        assert.deepEqual(view(await store.get(s.peerFingerprint)), view(s));
        assert.equal(await store.replaceOutbound(s.peerFingerprint, s.outbound!, next, UPDATE), true);
        const got = await store.get(s.peerFingerprint);
        assert.equal(bytesToHex(got!.outbound!), bytesToHex(next));
        assert.equal(bytesToHex(got!.inbound!.ticketId), bytesToHex(s.inbound!.ticketId), 'inbound untouched');
        assert.equal(got!.deviceId, UPDATE.deviceId);
        assert.equal(await store.replaceOutbound(s.peerFingerprint, s.outbound!, randomBytes(32), UPDATE), false, 'old secret no longer matches');
        const results = await Promise.all(Array.from({ length: 8 }, () => store.replaceOutbound(s.peerFingerprint, next, randomBytes(32), UPDATE)));
        assert.equal(results.filter((r) => r).length, 1);
        // Clearing it.
        const now = (await store.get(s.peerFingerprint))!.outbound!;
        assert.equal(await store.replaceOutbound(s.peerFingerprint, now, undefined, UPDATE), true);
        assert.equal((await store.get(s.peerFingerprint))!.outbound, undefined);
        assert.equal(await store.replaceOutbound(s.peerFingerprint, now, randomBytes(32), UPDATE), false, 'an absent secret matches nothing');
      }));

    it('delete removes the entry and its indexes; true only if there was one', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        await store.put(s);
        assert.equal(await store.delete(s.peerFingerprint), true);
        assert.equal(await store.delete(s.peerFingerprint), false);
        assert.equal(await store.get(s.peerFingerprint), undefined);
        assert.equal(await store.getByTicket(s.inbound!.ticketId), undefined);
        assert.equal(await store.getByDevice(s.deviceId), undefined);
        assert.equal(await store.size(), 0);
      }));

    it('touch keeps the larger lastActiveMs and ignores unknown peers', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        await store.put(s);
        await store.touch([
          { peerFingerprint: s.peerFingerprint, lastActiveMs: s.lastActiveMs + 5000 },
          { peerFingerprint: bytesToHex(randomBytes(32)), lastActiveMs: 5 },
        ]);
        assert.equal((await store.get(s.peerFingerprint))!.lastActiveMs, s.lastActiveMs + 5000);
        await store.touch([{ peerFingerprint: s.peerFingerprint, lastActiveMs: s.lastActiveMs }]);
        assert.equal((await store.get(s.peerFingerprint))!.lastActiveMs, s.lastActiveMs + 5000, 'an older time does not move it back');
        assert.equal((await store.get(s.peerFingerprint))!.establishedMs, s.establishedMs);
        assert.equal(await store.size(), 1);
      }));

    it('prune removes entries established at or before the bound and counts them', () =>
      withStore(async ({ store }) => {
        const old1 = randomSession({ establishedMs: 1000 });
        const old2 = randomSession({ establishedMs: 2000 });
        const young = randomSession({ establishedMs: 3000 });
        for (const s of [old1, old2, young]) await store.put(s);
        assert.equal(await store.prune(2000), 2);
        assert.equal(await store.size(), 1);
        assert.equal(await store.get(old1.peerFingerprint), undefined);
        assert.equal(await store.getByTicket(old2.inbound!.ticketId), undefined);
        assert.ok((await store.get(young.peerFingerprint)) !== undefined);
        assert.equal(await store.prune(2000), 0);
      }));

    it('entries yields every entry once, with its secrets, and size counts them', () =>
      withStore(async ({ store }) => {
        const all = Array.from({ length: 25 }, () => randomSession());
        for (const s of all) await store.put(s);
        await store.delete(all[3].peerFingerprint);
        const expected = all.filter((_, i) => i !== 3).map(view);
        const got = (await collect(store)).map(view);
        const key = (v: Record<string, unknown> | undefined): string => String(v?.peerFingerprint);
        assert.deepEqual(
          got.sort((a, b) => key(a).localeCompare(key(b))),
          expected.sort((a, b) => key(a).localeCompare(key(b))),
        );
        assert.equal(await store.size(), 24);
      }));

    it('named values: set, replace, remove, 4 KiB limit, name rules, copies', () =>
      withStore(async ({ store }) => {
        assert.equal(await store.getValue('trust'), undefined);
        const v = randomBytes(100);
        await store.putValue('trust', v);
        v.fill(0);
        const got = await store.getValue('trust');
        assert.notEqual(bytesToHex(got!), bytesToHex(v));
        got!.fill(9);
        assert.notEqual(bytesToHex((await store.getValue('trust'))!), bytesToHex(got!));
        const max = randomBytes(MAX_STORE_VALUE_BYTES);
        await store.putValue('clock', max);
        assert.equal(bytesToHex((await store.getValue('clock'))!), bytesToHex(max));
        await store.putValue('empty', new Uint8Array(0));
        assert.equal((await store.getValue('empty'))?.length, 0);
        await assert.rejects(store.putValue('big', new Uint8Array(MAX_STORE_VALUE_BYTES + 1)), RangeError);
        await assert.rejects(store.putValue('has space', new Uint8Array(1)), RangeError);
        await assert.rejects(store.putValue('', new Uint8Array(1)), RangeError);
        await assert.rejects(store.putValue('x'.repeat(129), new Uint8Array(1)), RangeError);
        await store.putValue('trust', undefined);
        assert.equal(await store.getValue('trust'), undefined);
        assert.equal(await store.size(), 0, 'values are not entries');
      }));

    it('an aborted signal rejects with PQBLE_ERR_ABORTED and has no effect', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        const ac = new AbortController();
        ac.abort();
        const signal = ac.signal;
        await rejectsWith(store.put(s, { signal }), 'PQBLE_ERR_ABORTED');
        await rejectsWith(store.get(s.peerFingerprint, { signal }), 'PQBLE_ERR_ABORTED');
        await rejectsWith(store.size({ signal }), 'PQBLE_ERR_ABORTED');
        assert.equal(await store.get(s.peerFingerprint), undefined);
        await store.put(s);
        await rejectsWith(store.consumeInbound(s.peerFingerprint, s.inbound!.ticketId, undefined, UPDATE, { signal }), 'PQBLE_ERR_ABORTED');
        await rejectsWith(store.delete(s.peerFingerprint, { signal }), 'PQBLE_ERR_ABORTED');
        await rejectsWith(store.putValue('v', new Uint8Array(1), { signal }), 'PQBLE_ERR_ABORTED');
        await assert.rejects(
          (async () => {
            for await (const _ of store.entries({ signal })) void _;
          })(),
          (err: unknown) => isPqbleError(err, 'PQBLE_ERR_ABORTED'),
        );
        assert.deepEqual(view(await store.get(s.peerFingerprint)), view(s));
        assert.equal(await store.getValue('v'), undefined);
      }));

    it('a timeout of 0 rejects with PQBLE_ERR_STORE_TIMEOUT and has no effect', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        await rejectsWith(store.put(s, { timeoutMs: 0 }), 'PQBLE_ERR_STORE_TIMEOUT');
        await rejectsWith(store.getByTicket(s.inbound!.ticketId, { timeoutMs: 0 }), 'PQBLE_ERR_STORE_TIMEOUT');
        assert.equal(await store.get(s.peerFingerprint), undefined);
        await store.put(s, { timeoutMs: 10_000 });
        await rejectsWith(store.consumeInbound(s.peerFingerprint, s.inbound!.ticketId, undefined, UPDATE, { timeoutMs: 0 }), 'PQBLE_ERR_STORE_TIMEOUT');
        assert.ok((await store.getByTicket(s.inbound!.ticketId)) !== undefined);
      }));

    it('after close every call rejects with PQBLE_ERR_STORE_CLOSED; close is idempotent', () =>
      withStore(async ({ store }) => {
        await store.put(randomSession());
        await store.close();
        await store.close();
        await rejectsWith(store.get(bytesToHex(randomBytes(32))), 'PQBLE_ERR_STORE_CLOSED');
        await rejectsWith(store.put(randomSession()), 'PQBLE_ERR_STORE_CLOSED');
        await rejectsWith(store.size(), 'PQBLE_ERR_STORE_CLOSED');
      }));

    it('calls take effect in the order they were made', () =>
      withStore(async ({ store }) => {
        const s = randomSession();
        const b = randomSession({ peerFingerprint: s.peerFingerprint });
        const ops = [store.put(s), store.delete(s.peerFingerprint), store.put(b)];
        const size = store.size();
        await Promise.all(ops);
        assert.equal(await size, 1);
        assert.deepEqual(view(await store.get(s.peerFingerprint)), view(b));
      }));

    it('after reopen the durable state is there and consumed tickets stay consumed', async (t) => {
      const sut = await makeStore();
      if (sut.reopen === undefined) {
        await sut.store.close();
        await sut.cleanup();
        t.skip(`${name} keeps nothing across a reopen`);
        return;
      }
      let reopened: SessionStore | undefined;
      try {
        const { store } = sut;
        const kept = Array.from({ length: 20 }, () => randomSession());
        for (const s of kept) await store.put(s);
        const gone = kept.pop()!;
        assert.equal(await store.delete(gone.peerFingerprint), true);
        const ratcheted = kept[0];
        const next = { secret: randomBytes(32), ticketId: randomBytes(16) };
        assert.equal(await store.consumeInbound(ratcheted.peerFingerprint, ratcheted.inbound!.ticketId, next, UPDATE), true);
        const newOut = randomBytes(32);
        assert.equal(await store.replaceOutbound(kept[1].peerFingerprint, kept[1].outbound!, newOut, UPDATE), true);
        await store.putValue('trust', new Uint8Array([1, 2, 3]));
        await store.touch([{ peerFingerprint: kept[2].peerFingerprint, lastActiveMs: kept[2].lastActiveMs + 7 }]);
        const expected = new Map<string, Record<string, unknown> | undefined>();
        for (const s of kept) expected.set(s.peerFingerprint, view(await store.get(s.peerFingerprint)));
        await store.close();
        reopened = await sut.reopen();
        assert.equal(await reopened.size(), kept.length);
        for (const s of kept) {
          const got = view(await reopened.get(s.peerFingerprint));
          const want = expected.get(s.peerFingerprint);
          // touch and putValue are best effort, but a clean close flushes them.
          assert.deepEqual(got, want);
        }
        assert.equal(await reopened.get(gone.peerFingerprint), undefined);
        assert.equal(await reopened.getByTicket(ratcheted.inbound!.ticketId), undefined);
        assert.equal(await reopened.consumeInbound(ratcheted.peerFingerprint, ratcheted.inbound!.ticketId, undefined, UPDATE), false);
        assert.ok((await reopened.getByTicket(next.ticketId)) !== undefined);
        assert.ok((await reopened.getByTicket(kept[5].inbound!.ticketId)) !== undefined);
        assert.deepEqual(view(await reopened.getByDevice(kept[5].deviceId)), expected.get(kept[5].peerFingerprint));
        assert.deepEqual([...(await reopened.getValue('trust'))!], [1, 2, 3]);
        // Re-putting the consumed state after the restart still does not revive the ticket.
        await reopened.put(ratcheted);
        assert.equal(await reopened.consumeInbound(ratcheted.peerFingerprint, ratcheted.inbound!.ticketId, undefined, UPDATE), false);
      } finally {
        await reopened?.close();
        await sut.store.close();
        await sut.cleanup();
      }
    });
  });
}
