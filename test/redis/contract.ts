// The SessionStore contract (src/session/store.ts) as the Redis store must keep it, run
// against a single server and a Redis Cluster. (The shared compliance suite of every store
// runs too, from store.test.ts; these add what only a shared store can get wrong.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import type { RedisSessionStore } from '../../src/session/redis/index.js';
import type { SessionStore, StoredSession } from '../../src/session/store.js';
import { rejectsWithCode, sampleSession } from './harness.js';

/** Runs the contract against stores from `makeStore` (each call: a fresh, empty store). */
export function runRedisContract(name: string, makeStore: () => Promise<SessionStore>): void {
  describe(`${name}: SessionStore contract`, () => {
    async function withStore(fn: (s: SessionStore) => Promise<void>): Promise<void> {
      const s = await makeStore();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    }

    it('put then get, getByTicket, getByDevice return fresh copies of what was put', () =>
      withStore(async (s) => {
        const e = sampleSession();
        await s.put(e);
        for (const got of [await s.get(e.peerFingerprint), await s.getByTicket(e.inbound!.ticketId), await s.getByDevice(e.deviceId)]) {
          assert.ok(got !== undefined);
          assert.deepEqual(got, e);
          assert.notEqual(got.outbound, e.outbound);
        }
        const got = (await s.get(e.peerFingerprint))!;
        got.outbound!.fill(0);
        assert.deepEqual((await s.get(e.peerFingerprint))!.outbound, e.outbound);
        assert.equal(await s.get(bytesToHex(randomBytes(32))), undefined);
        assert.equal(await s.getByTicket(randomBytes(16)), undefined);
        assert.equal(await s.getByDevice('010203040506'), undefined);
      }));

    it('put copies its input before the first await', () =>
      withStore(async (s) => {
        const e = sampleSession();
        const want = structuredClone(e);
        const p = s.put(e);
        e.outbound!.fill(7);
        e.inbound!.secret.fill(7);
        await p;
        assert.deepEqual(await s.get(e.peerFingerprint), want);
      }));

    it('put replaces an entry: the old ticket and device no longer find it', () =>
      withStore(async (s) => {
        const a = sampleSession();
        await s.put(a);
        const b: StoredSession = { ...sampleSession(), peerFingerprint: a.peerFingerprint };
        await s.put(b);
        assert.equal(await s.getByTicket(a.inbound!.ticketId), undefined);
        assert.equal(await s.getByDevice(a.deviceId), undefined);
        assert.deepEqual(await s.getByTicket(b.inbound!.ticketId), b);
        assert.equal(await s.size(), 1);
      }));

    it('consumeInbound succeeds once, ratchets, and the consumed ticket is never found again', () =>
      withStore(async (s) => {
        const e = sampleSession();
        await s.put(e);
        const next = { secret: randomBytes(32), ticketId: randomBytes(16) };
        const update = { deviceId: '0a0b0c0d0e0f', lastActiveMs: e.lastActiveMs + 1000 };
        assert.equal(await s.consumeInbound(e.peerFingerprint, randomBytes(16), next, update), false, 'wrong ticket');
        assert.equal(await s.consumeInbound(bytesToHex(randomBytes(32)), e.inbound!.ticketId, next, update), false, 'unknown peer');
        assert.equal(await s.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, next, update), true);
        assert.equal(await s.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, next, update), false, 'second use');
        assert.equal(await s.getByTicket(e.inbound!.ticketId), undefined);
        const got = (await s.getByTicket(next.ticketId))!;
        assert.deepEqual(got, { ...e, deviceId: update.deviceId, lastActiveMs: update.lastActiveMs, inbound: next });
        assert.deepEqual(await s.getByDevice(update.deviceId), got);
        assert.equal(await s.getByDevice(e.deviceId), undefined);
        // Stale write-back of the old state: the spent ticket stays spent.
        await s.put(e);
        assert.equal(await s.getByTicket(e.inbound!.ticketId), undefined);
        assert.equal((await s.get(e.peerFingerprint))!.inbound, undefined);
        assert.equal(await s.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, next, update), false);
      }));

    it('consumeInbound with no next slot clears the inbound direction; the outbound one stays', () =>
      withStore(async (s) => {
        const e = sampleSession();
        await s.put(e);
        assert.equal(await s.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: e.lastActiveMs }), true);
        const got = (await s.get(e.peerFingerprint))!;
        assert.equal(got.inbound, undefined);
        assert.deepEqual(got.outbound, e.outbound);
      }));

    it('replaceOutbound is a compare-and-set on the outbound secret', () =>
      withStore(async (s) => {
        const e = sampleSession();
        await s.put(e);
        const next = randomBytes(32);
        const update = { deviceId: e.deviceId, lastActiveMs: e.lastActiveMs + 5 };
        assert.equal(await s.replaceOutbound(e.peerFingerprint, randomBytes(32), next, update), false);
        assert.equal(await s.replaceOutbound(e.peerFingerprint, e.outbound!, next, update), true);
        assert.equal(await s.replaceOutbound(e.peerFingerprint, e.outbound!, randomBytes(32), update), false);
        const got = (await s.get(e.peerFingerprint))!;
        assert.deepEqual(got.outbound, next);
        assert.deepEqual(got.inbound, e.inbound, 'the inbound slot is untouched');
        assert.equal(got.lastActiveMs, update.lastActiveMs);
        assert.equal(await s.replaceOutbound(e.peerFingerprint, next, undefined, update), true);
        assert.equal((await s.get(e.peerFingerprint))!.outbound, undefined);
        assert.deepEqual(await s.getByTicket(e.inbound!.ticketId), { ...got, outbound: undefined });
      }));

    it('delete, touch, prune, size and entries', () =>
      withStore(async (s) => {
        const now = Date.now();
        const es = [sampleSession(now, 50_000), sampleSession(now, 40_000), sampleSession(now, 30_000), sampleSession(now, 20_000)];
        for (const e of es) await s.put(e);
        assert.equal(await s.size(), 4);
        const seen = new Map<string, StoredSession>();
        for await (const e of s.entries()) seen.set(e.peerFingerprint, e);
        assert.deepEqual([...seen.keys()].sort(), es.map((e) => e.peerFingerprint).sort());
        await s.touch([
          { peerFingerprint: es[0].peerFingerprint, lastActiveMs: now },
          { peerFingerprint: es[1].peerFingerprint, lastActiveMs: 1 },
          { peerFingerprint: bytesToHex(randomBytes(32)), lastActiveMs: now },
        ]);
        assert.equal((await s.get(es[0].peerFingerprint))!.lastActiveMs, now);
        assert.equal((await s.get(es[1].peerFingerprint))!.lastActiveMs, es[1].lastActiveMs, 'never moves back');
        assert.equal(await s.size(), 4, 'touching an unknown peer adds nothing');
        assert.equal(await s.delete(es[3].peerFingerprint), true);
        assert.equal(await s.delete(es[3].peerFingerprint), false);
        assert.equal(await s.getByTicket(es[3].inbound!.ticketId), undefined);
        assert.equal(await s.prune(es[1].establishedMs), 2);
        assert.equal(await s.get(es[0].peerFingerprint), undefined);
        assert.ok((await s.get(es[2].peerFingerprint)) !== undefined);
        assert.equal(await s.size(), 1);
      }));

    it('named values round-trip, are removed with undefined, and are limited', () =>
      withStore(async (s) => {
        assert.equal(await s.getValue('tofu'), undefined);
        await s.putValue('tofu', new Uint8Array([1, 2, 3]));
        assert.deepEqual(await s.getValue('tofu'), new Uint8Array([1, 2, 3]));
        await s.putValue('big', new Uint8Array(4096));
        assert.equal((await s.getValue('big'))!.length, 4096);
        await s.putValue('tofu', undefined);
        assert.equal(await s.getValue('tofu'), undefined);
        await assert.rejects(s.putValue('x', new Uint8Array(4097)), RangeError);
        await assert.rejects(s.putValue('has space', new Uint8Array(1)), RangeError);
      }));

    it('listValues yields the named values under a prefix, with their names', () =>
      withStore(async (s) => {
        const list = async (prefix: string): Promise<string[]> => {
          const out: string[] = [];
          for await (const [name, value] of (s as RedisSessionStore).listValues(prefix)) out.push(`${name}=${bytesToHex(value)}`);
          return out.sort();
        };
        await s.putValue('tofu:aa', new Uint8Array([1]));
        await s.putValue('tofu:bb', new Uint8Array([2, 3]));
        await s.putValue('clock', new Uint8Array(0));
        assert.deepEqual(await list('tofu:'), ['tofu:aa=01', 'tofu:bb=0203']);
        assert.deepEqual(await list(''), ['clock=', 'tofu:aa=01', 'tofu:bb=0203']);
        await s.putValue('tofu:aa', undefined);
        await s.putValue('tofu:bb', new Uint8Array([9]));
        assert.deepEqual(await list('tofu:'), ['tofu:bb=09']);
        assert.deepEqual(await list('nothing'), []);
        await assert.rejects(async () => {
          for await (const _ of (s as RedisSessionStore).listValues('has space')) void _;
        }, RangeError);
      }));

    it('bad input gets labelled TypeError/RangeError; a closed store says PQBLE_ERR_STORE_CLOSED', async () => {
      const s = await makeStore();
      const e = sampleSession();
      await assert.rejects(
        s.put({ ...e, outbound: new Uint8Array(31) }),
        (err: Error) => err instanceof RangeError && err.message.includes('session.outbound'),
      );
      await assert.rejects(s.put({ ...e, peerFingerprint: 'zz' }), RangeError);
      await assert.rejects(s.get(42 as unknown as string), TypeError);
      await assert.rejects(s.getByTicket(new Uint8Array(15)), RangeError);
      await assert.rejects(s.get(e.peerFingerprint, { timeoutMs: 100, bogus: 1 } as never), TypeError);
      await assert.rejects(s.touch([{ peerFingerprint: e.peerFingerprint, lastActiveMs: -1 }]), RangeError);
      const aborted = AbortSignal.abort();
      await rejectsWithCode(s.get(e.peerFingerprint, { signal: aborted }), ['PQBLE_ERR_ABORTED']);
      await s.close();
      await s.close();
      await rejectsWithCode(s.get(e.peerFingerprint), ['PQBLE_ERR_STORE_CLOSED']);
      await rejectsWithCode(s.put(e), ['PQBLE_ERR_STORE_CLOSED']);
    });
  });
}
