// The Redis store when Redis fails: killed mid-run (fast coded rejections, then recovery),
// paused with SIGSTOP (timeouts, never a hang, never a ticket twice), unreachable at open,
// not enough replicas for WAIT, and damaged values (skipped, logged, never a crash).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { randomBytes } from '../../src/bytes.js';
import { RedisSessionStore } from '../../src/session/redis/index.js';
import { capturingLogger } from '../session/helpers.js';
import { freePort, RedisServer, REDIS_SKIP, openStore, rejectsWithCode, sampleSession, testFleet } from './harness.js';

const DOWN = ['PQBLE_ERR_STORE_UNAVAILABLE', 'PQBLE_ERR_STORE_TIMEOUT'];

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

if (REDIS_SKIP !== undefined) {
  it('Redis store failures', { skip: REDIS_SKIP }, () => {});
} else {
  describe('RedisSessionStore failures', () => {
    let server: RedisServer;
    let raw: Redis;
    before(async () => {
      server = await RedisServer.start();
      raw = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      raw.on('error', () => {});
      await raw.connect();
    });
    after(async () => {
      raw?.disconnect();
      await server?.stop();
    });

    it('Redis killed mid-run: every call rejects fast with a store code, then the store recovers', async () => {
      const fleet = testFleet();
      const s = await openStore({ url: server.url }, fleet, { timeoutMs: 200 });
      try {
        const e = sampleSession();
        await s.put(e);
        await server.kill();
        const calls: (() => Promise<unknown>)[] = [
          () => s.get(e.peerFingerprint),
          () => s.getByTicket(e.inbound!.ticketId),
          () => s.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }),
          () => s.replaceOutbound(e.peerFingerprint, e.outbound!, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }),
          () => s.put(sampleSession()),
          () => s.touch([{ peerFingerprint: e.peerFingerprint, lastActiveMs: Date.now() }]),
          () => s.size(),
          () => s.getValue('x'),
        ];
        for (const call of calls) {
          const ms = await rejectsWithCode(call(), DOWN);
          assert.ok(ms < 400, `a call took ${ms.toFixed(0)} ms with Redis down`);
        }
        await server.restart();
        let back = false;
        for (let i = 0; i < 100 && !back; i++) {
          try {
            back = (await s.get(e.peerFingerprint)) !== undefined;
          } catch {
            await sleep(50);
          }
        }
        assert.ok(back, 'the store reconnected after Redis came back');
        assert.equal(await s.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }), true);
      } finally {
        await s.close();
        await raw.connect().catch(() => {});
      }
    });

    it('a paused Redis (SIGSTOP): calls time out within their timeout; a ticket is still never used twice', async () => {
      const fleet = testFleet();
      const a = await openStore({ url: server.url }, fleet, { timeoutMs: 100 });
      const b = await openStore({ url: server.url }, fleet, { timeoutMs: 100 });
      const e = sampleSession();
      try {
        await a.put(e);
        await a.get(e.peerFingerprint);
        server.pause();
        const t0 = performance.now();
        const ms = await rejectsWithCode(
          a.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }),
          ['PQBLE_ERR_STORE_TIMEOUT'],
        );
        assert.ok(ms < 300, `timed out after ${ms.toFixed(0)} ms`);
        await rejectsWithCode(b.get(e.peerFingerprint, { timeoutMs: 50 }), ['PQBLE_ERR_STORE_TIMEOUT']);
        const ac = new AbortController();
        const pending = b.get(e.peerFingerprint, { signal: ac.signal, timeoutMs: 5000 });
        ac.abort();
        await rejectsWithCode(pending, ['PQBLE_ERR_ABORTED']);
        assert.ok(performance.now() - t0 < 1000);
        server.resume();
        // The timed-out consume may have landed once Redis woke: treat it as spent, never twice.
        await sleep(100);
        let b2: boolean | undefined;
        for (let i = 0; i < 40 && b2 === undefined; i++) {
          try {
            b2 = await b.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() });
          } catch {
            await sleep(50);
          }
        }
        const landed = (await raw.exists(`{${fleet.namespace}}:lru`)) === 1 && (await b.getByTicket(e.inbound!.ticketId)) === undefined;
        assert.ok(landed, 'after both attempts the ticket is spent');
        const again = await a.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() });
        assert.equal(again, false);
      } finally {
        server.resume();
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('open() against nothing rejects with PQBLE_ERR_STORE_UNAVAILABLE within connectTimeoutMs', async () => {
      const port = await freePort();
      const t0 = performance.now();
      await rejectsWithCode(openStore({ url: `redis://127.0.0.1:${port}` }, testFleet(), { connectTimeoutMs: 300 }), ['PQBLE_ERR_STORE_UNAVAILABLE']);
      assert.ok(performance.now() - t0 < 1000);
    });

    it('waitReplicas: a write without enough replicas is refused; with a replica it is acknowledged', async () => {
      const fleet = testFleet();
      const alone = await openStore({ url: server.url }, fleet, { waitReplicas: 1, waitTimeoutMs: 50, timeoutMs: 500 });
      try {
        await rejectsWithCode(alone.put(sampleSession()), ['PQBLE_ERR_STORE_UNAVAILABLE']);
      } finally {
        await alone.close();
      }
      const replica = await RedisServer.start(['--replicaof', '127.0.0.1', String(server.port)]);
      const s = await openStore({ url: server.url }, fleet, { waitReplicas: 1, waitTimeoutMs: 1500, timeoutMs: 2000 });
      try {
        let synced = false;
        for (let i = 0; i < 100 && !synced; i++) {
          synced = replica.cli('INFO', 'replication').includes('master_link_status:up') && server.cli('INFO', 'replication').includes('state=online');
          if (!synced) await sleep(50);
        }
        assert.ok(synced);
        const e = sampleSession();
        await s.put(e);
        assert.equal(await s.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }), true);
        const onReplica = new Redis(replica.url);
        try {
          assert.equal((await onReplica.keys(`{${fleet.namespace}}:k:*`)).length, 1, 'the tombstone is on the replica');
        } finally {
          onReplica.disconnect();
        }
      } finally {
        await s.close();
        await replica.stop();
      }
    });

    it('after a failover to a replica that acknowledged (waitReplicas: 1), the consumed ticket stays consumed', async () => {
      const master = await RedisServer.start();
      const replica = await RedisServer.start(['--replicaof', '127.0.0.1', String(master.port)]);
      const fleet = testFleet();
      try {
        for (let i = 0; i < 100 && !master.cli('INFO', 'replication').includes('state=online'); i++) await sleep(50);
        const g = await openStore({ url: master.url }, fleet, { waitReplicas: 1, waitTimeoutMs: 1500, timeoutMs: 2000 });
        const e = sampleSession();
        const next = { secret: randomBytes(32), ticketId: randomBytes(16) };
        try {
          await g.put(e);
          assert.equal(await g.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, next, { deviceId: e.deviceId, lastActiveMs: Date.now() }), true);
          await master.kill(); // the master dies right after acknowledging
          await rejectsWithCode(g.get(e.peerFingerprint), DOWN);
        } finally {
          await g.close();
        }
        replica.cli('REPLICAOF', 'NO', 'ONE'); // the failover
        const h = await openStore({ url: replica.url }, fleet);
        try {
          assert.equal(await h.getByTicket(e.inbound!.ticketId), undefined);
          assert.equal(
            await h.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }),
            false,
            'a replay after the failover is refused',
          );
          await h.put(e);
          assert.equal(
            await h.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }),
            false,
            'the tombstone came over too',
          );
          assert.ok((await h.getByTicket(next.ticketId)) === undefined, 'the re-put replaced the ratcheted entry');
        } finally {
          await h.close();
        }
      } finally {
        await Promise.all([master.stop(), replica.stop()]);
      }
    });

    it('a write refused for lack of replicas names the missing acknowledgement', async () => {
      const fleet = testFleet();
      const s = await openStore({ url: server.url }, fleet, { waitReplicas: 3, waitTimeoutMs: 20 });
      try {
        await assert.rejects(
          s.put(sampleSession()),
          (err: Error & { code?: string }) => err.code === 'PQBLE_ERR_STORE_UNAVAILABLE' && /of 3 replicas/.test(err.message),
        );
      } finally {
        await s.close();
      }
    });

    it('damaged values are skipped and logged, never a crash; the good entries stay usable', async () => {
      const fleet = testFleet();
      const log = capturingLogger();
      const s = await openStore({ url: server.url }, fleet, { logger: log });
      try {
        const es = Array.from({ length: 6 }, () => sampleSession());
        for (const e of es) await s.put(e);
        const keys = await raw.keysBuffer(`{${fleet.namespace}}:e:*`);
        assert.equal(keys.length, 6);
        const values = await Promise.all(keys.map(async (k) => (await raw.getBuffer(k))!));
        // 0: garbage, 1: header only, 2: a flipped ciphertext byte, 3: truncated, 4: another entry's value.
        await raw.set(keys[0], Buffer.from('garbage'));
        await raw.set(keys[1], values[1].subarray(0, 48));
        const flipped = Buffer.from(values[2]);
        flipped[flipped.length - 20] ^= 1;
        await raw.set(keys[2], flipped);
        await raw.set(keys[3], values[3].subarray(0, values[3].length - 1));
        await raw.set(keys[4], values[5]);
        // Garbage pointers and sorted-set members too.
        for (const t of await raw.keysBuffer(`{${fleet.namespace}}:t:*`)) await raw.set(t, randomBytes(7) as Buffer);
        await raw.zadd(`{${fleet.namespace}}:lru`, '1', 'not-a-member');
        await raw.set(Buffer.concat([Buffer.from(`{${fleet.namespace}}:v:`), Buffer.alloc(16)]), 'x');
        let found = 0;
        for (const e of es) {
          const got = await s.get(e.peerFingerprint);
          if (got !== undefined) {
            found++;
            assert.deepEqual(got, e);
          }
          assert.equal(await s.getByTicket(e.inbound!.ticketId), undefined);
          const consumed = await s.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() });
          assert.equal(consumed, got !== undefined, 'only an intact entry can be consumed');
        }
        assert.equal(found, 1, 'exactly the untouched entry (index 5) reads');
        let listed = 0;
        for await (const e of s.entries()) {
          listed++;
          assert.equal(typeof e.peerFingerprint, 'string');
        }
        assert.equal(listed, 1);
        assert.ok(log.warnings.length >= 5, `logged ${log.warnings.length} warnings`);
        assert.doesNotMatch(log.text(), new RegExp(es.map((e) => e.peerFingerprint).join('|')));
        assert.ok(s.counters.damaged >= 5);
      } finally {
        await s.close();
      }
    });

    it('oversized values in Redis are refused with a bounded read', async () => {
      const fleet = testFleet();
      const log = capturingLogger();
      const s = await openStore({ url: server.url }, fleet, { logger: log });
      try {
        const e = sampleSession();
        await s.put(e);
        await s.putValue('trust', new Uint8Array([1]));
        const [entryKey] = await raw.keysBuffer(`{${fleet.namespace}}:e:*`);
        const [valueKey] = await raw.keysBuffer(`{${fleet.namespace}}:v:*`);
        const [deviceKey] = await raw.keysBuffer(`{${fleet.namespace}}:d:*`);
        await raw.set(entryKey, Buffer.alloc(1 << 20, 7));
        await raw.set(valueKey, Buffer.alloc(1 << 20, 7));
        await raw.set(deviceKey, Buffer.alloc(1 << 16, 1));
        assert.equal(await s.get(e.peerFingerprint), undefined);
        assert.equal(await s.getByDevice(e.deviceId), undefined);
        assert.equal(await s.getValue('trust'), undefined);
        for await (const x of s.entries()) assert.fail(`listed ${x.peerFingerprint}`);
        for await (const [name] of s.listValues('')) assert.fail(`listed value ${name}`);
        assert.match(log.text(), /too-long|header|truncated|tag|version/);
      } finally {
        await s.close();
      }
    });

    it('rejects bad options with labelled errors', async () => {
      const fleet = testFleet();
      const base = { url: server.url, storageKey: fleet.storageKey, blindingKey: fleet.blindingKey };
      await assert.rejects(RedisSessionStore.open({ ...base, bogus: 1 } as never), /unknown option "bogus"/);
      await assert.rejects(RedisSessionStore.open({ ...base, blindingKey: new Uint8Array(31) }), RangeError);
      await assert.rejects(RedisSessionStore.open({ ...base, storageKey: { id: 70000, key: randomBytes(32) } }), RangeError);
      await assert.rejects(RedisSessionStore.open({ ...base, namespace: 'a{b}' }), RangeError);
      await assert.rejects(RedisSessionStore.open({ ...base, cluster: [{ host: 'x', port: 1 }] }), /exactly one of url, cluster, client/);
      await assert.rejects(RedisSessionStore.open({ ...base, previousStorageKeys: [fleet.storageKey] }), /already used/);
      await assert.rejects(RedisSessionStore.open({ ...base, timeoutMs: 0 }), RangeError);
    });
  });
}
