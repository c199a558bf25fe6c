// The Redis store as a fleet uses it: several gateways (store instances) racing for one
// ticket, replay at another gateway, tombstones across a Redis restart, rotation of the
// fleet storage keys, expiry by Redis, the per-fleet cap, and nothing in clear in Redis.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import { RedisSessionStore } from '../../src/session/redis/index.js';
import { silentLogger } from '../../src/logger.js';
import { RedisCluster, RedisServer, REDIS_SKIP, openStore, rejectsWithCode, sampleSession, testFleet, type TestFleet } from './harness.js';
import { capturingLogger } from '../session/helpers.js';

async function gateways(target: { url: string } | { cluster: { host: string; port: number }[] }, fleet: TestFleet, n: number): Promise<RedisSessionStore[]> {
  return Promise.all(Array.from({ length: n }, () => openStore(target, fleet)));
}

async function closeAll(stores: RedisSessionStore[]): Promise<void> {
  await Promise.all(stores.map((s) => s.close()));
}

/** Every key of a namespace with its raw value (strings) or members (sorted sets). */
async function dump(redis: Redis, namespace: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const keys = await redis.keysBuffer(`{${namespace}}:*`);
  for (const k of keys) {
    out.push(k);
    const type = await redis.type(k);
    if (type === 'string') out.push((await redis.getBuffer(k))!);
    else if (type === 'zset') out.push(...(await redis.zrangeBuffer(k, '0', '-1')));
  }
  return out;
}

if (REDIS_SKIP !== undefined) {
  it('Redis fleet store', { skip: REDIS_SKIP }, () => {});
} else {
  let server: RedisServer;
  let raw: Redis;
  before(async () => {
    server = await RedisServer.start();
    raw = new Redis(server.url, { lazyConnect: true });
    await raw.connect();
  });
  after(async () => {
    raw?.disconnect();
    await server?.stop();
  });

  describe('RedisSessionStore fleet', () => {
    it('four gateways racing for the same tickets: exactly one wins each ticket', async () => {
      const fleet = testFleet();
      const gws = await gateways({ url: server.url }, fleet, 4);
      try {
        const sessions = Array.from({ length: 40 }, () => sampleSession());
        for (const s of sessions) await gws[0].put(s);
        let wins = 0;
        await Promise.all(
          sessions.map(async (s) => {
            const results = await Promise.all(
              gws.map((g, i) =>
                g.consumeInbound(
                  s.peerFingerprint,
                  s.inbound!.ticketId,
                  { secret: randomBytes(32), ticketId: randomBytes(16) },
                  { deviceId: '0000000000' + String(i).padStart(2, '0'), lastActiveMs: Date.now() },
                ),
              ),
            );
            const won = results.filter(Boolean).length;
            assert.equal(won, 1, `ticket of ${s.peerFingerprint.slice(0, 8)} won ${won} times`);
            wins += won;
          }),
        );
        assert.equal(wins, sessions.length);
        // A roaming device ratchets at a different gateway every time.
        let cur = sessions[0];
        for (let k = 0; k < 20; k++) {
          const g = gws[k % 4];
          const found = (await g.getByTicket(cur.inbound?.ticketId ?? new Uint8Array(16))) ?? (await g.get(cur.peerFingerprint));
          assert.ok(found !== undefined);
          const ticket = found.inbound?.ticketId;
          if (ticket === undefined) {
            const fresh = { ...sampleSession(), peerFingerprint: cur.peerFingerprint };
            await g.put(fresh);
            cur = fresh;
            continue;
          }
          const next = { secret: randomBytes(32), ticketId: randomBytes(16) };
          assert.equal(await g.consumeInbound(cur.peerFingerprint, ticket, next, { deviceId: found.deviceId, lastActiveMs: Date.now() }), true);
          assert.equal(
            await gws[(k + 1) % 4].consumeInbound(cur.peerFingerprint, ticket, next, { deviceId: found.deviceId, lastActiveMs: Date.now() }),
            false,
            'replay at the next gateway',
          );
          assert.equal(await gws[(k + 2) % 4].getByTicket(ticket), undefined);
          cur = { ...found, inbound: next };
        }
      } finally {
        await closeAll(gws);
      }
    });

    it('an outbound ratchet and an inbound consume on the same entry from two gateways both land', async () => {
      const fleet = testFleet();
      const [a, b] = await gateways({ url: server.url }, fleet, 2);
      try {
        for (let i = 0; i < 20; i++) {
          const e = sampleSession();
          await a.put(e);
          await b.get(e.peerFingerprint); // both hold the value they read
          await a.get(e.peerFingerprint);
          const nextOut = randomBytes(32);
          const nextIn = { secret: randomBytes(32), ticketId: randomBytes(16) };
          const [x, y] = await Promise.all([
            a.replaceOutbound(e.peerFingerprint, e.outbound!, nextOut, { deviceId: e.deviceId, lastActiveMs: e.lastActiveMs + 1 }),
            b.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, nextIn, { deviceId: e.deviceId, lastActiveMs: e.lastActiveMs + 2 }),
          ]);
          assert.deepEqual([x, y], [true, true]);
          const got = (await a.get(e.peerFingerprint))!;
          assert.deepEqual(got.outbound, nextOut);
          assert.deepEqual(got.inbound, nextIn);
        }
      } finally {
        await closeAll([a, b]);
      }
    });

    it('keeps call order when a ratchet must read first: a consume then a delete made at once', async () => {
      const fleet = testFleet();
      const [a, b] = await gateways({ url: server.url }, fleet, 2);
      try {
        for (let i = 0; i < 10; i++) {
          const e = sampleSession();
          await a.put(e);
          // b never read e: its consume needs a read before the compare-and-set.
          const next = { secret: randomBytes(32), ticketId: randomBytes(16) };
          const consumed = b.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, next, { deviceId: e.deviceId, lastActiveMs: Date.now() });
          const deleted = b.delete(e.peerFingerprint);
          const after = b.get(e.peerFingerprint);
          assert.deepEqual([await consumed, await deleted, await after], [true, true, undefined]);
        }
      } finally {
        await closeAll([a, b]);
      }
    });

    it('tombstones and ratchets survive a kill -9 and restart of Redis (AOF, fsync always)', async () => {
      const fleet = testFleet();
      const g = await openStore({ url: server.url }, fleet);
      const e = sampleSession();
      const next = { secret: randomBytes(32), ticketId: randomBytes(16) };
      try {
        await g.put(e);
        assert.equal(await g.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, next, { deviceId: e.deviceId, lastActiveMs: Date.now() }), true);
      } finally {
        await g.close();
      }
      raw.disconnect();
      await server.kill();
      await server.restart();
      await raw.connect();
      const h = await openStore({ url: server.url }, fleet);
      try {
        assert.equal(await h.getByTicket(e.inbound!.ticketId), undefined);
        assert.equal(await h.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }), false);
        await h.put(e); // a stale gateway writes the old state back
        assert.equal(await h.getByTicket(e.inbound!.ticketId), undefined);
        assert.equal(await h.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }), false);
        await h.delete(e.peerFingerprint);
        const fresh = { ...sampleSession(), peerFingerprint: e.peerFingerprint };
        await h.put(fresh);
        assert.ok((await h.getByTicket(fresh.inbound!.ticketId)) !== undefined);
      } finally {
        await h.close();
      }
      const tomb = await raw.keysBuffer(`{${fleet.namespace}}:k:*`);
      assert.equal(tomb.length, 1);
      const ttl = await raw.pexpiretime(tomb[0]);
      assert.equal(ttl, e.establishedMs + 24 * 3600 * 1000, 'the tombstone lives exactly as long as the entry it came from');
    });

    it('rotates the fleet storage key: read with current or previous, write with current', async () => {
      const fleet = testFleet();
      const k1 = fleet.storageKey;
      const k2 = { id: 2, key: randomBytes(32) };
      const log = capturingLogger();
      const old = await openStore({ url: server.url }, fleet);
      const rotated = await openStore({ url: server.url }, { ...fleet, storageKey: k2 }, { previousStorageKeys: [k1] });
      const onlyNew = await openStore({ url: server.url }, { ...fleet, storageKey: k2 }, { logger: log });
      try {
        const a = sampleSession();
        const b = sampleSession();
        await old.put(a);
        await old.put(b);
        const keyIds = async (): Promise<number[]> =>
          (await Promise.all((await raw.keysBuffer(`{${fleet.namespace}}:e:*`)).map(async (k) => (await raw.getBuffer(k))!.readUInt16BE(49)))).sort();
        assert.deepEqual(await keyIds(), [1, 1]);
        assert.deepEqual(await rotated.get(a.peerFingerprint), a, 'the previous key still reads');
        assert.equal(await onlyNew.get(a.peerFingerprint), undefined, 'a gateway without the old key skips the entry');
        assert.match(log.text(), /storage key this gateway does not have/);
        assert.equal(onlyNew.counters.damaged, 1);
        // A ratchet re-seals under the current key: the entry migrates on use.
        const next = { secret: randomBytes(32), ticketId: randomBytes(16) };
        assert.equal(await rotated.consumeInbound(a.peerFingerprint, a.inbound!.ticketId, next, { deviceId: a.deviceId, lastActiveMs: Date.now() }), true);
        assert.deepEqual(await keyIds(), [1, 2]);
        assert.deepEqual((await onlyNew.get(a.peerFingerprint))!.inbound, next);
        await rotated.put(b);
        assert.deepEqual(await keyIds(), [2, 2]);
        assert.deepEqual(await old.get(b.peerFingerprint), undefined, 'a gateway still on the old key cannot read the new one');
        await rotated.putValue('clock', new Uint8Array([9]));
        assert.deepEqual(await onlyNew.getValue('clock'), new Uint8Array([9]));
      } finally {
        await closeAll([old, rotated, onlyNew]);
      }
    });

    it('expires entries in Redis at established + lifetime', async () => {
      const fleet = testFleet();
      const s = await openStore({ url: server.url }, fleet, { sessionLifetimeMs: 2000 });
      try {
        const now = Date.now();
        const soon = sampleSession(now, 1400); // expires in about 600 ms
        const gone = sampleSession(now, 5000); // already past its lifetime
        const later = sampleSession(now, 0);
        for (const e of [soon, gone, later]) await s.put(e);
        assert.equal(await s.get(gone.peerFingerprint), undefined);
        assert.ok((await s.get(soon.peerFingerprint)) !== undefined);
        const entryKeys = await raw.keysBuffer(`{${fleet.namespace}}:e:*`);
        const expiries = (await Promise.all(entryKeys.map((k) => raw.pexpiretime(k)))).sort();
        assert.deepEqual(expiries, [soon.establishedMs + 2000, later.establishedMs + 2000].sort());
        // A ratchet never extends the life.
        assert.equal(
          await s.consumeInbound(
            soon.peerFingerprint,
            soon.inbound!.ticketId,
            { secret: randomBytes(32), ticketId: randomBytes(16) },
            { deviceId: soon.deviceId, lastActiveMs: Date.now() },
          ),
          true,
        );
        await new Promise((r) => setTimeout(r, Math.max(0, soon.establishedMs + 2000 - Date.now()) + 100));
        assert.equal(await s.get(soon.peerFingerprint), undefined);
        assert.equal(await s.size(), 1);
        assert.ok((await s.get(later.peerFingerprint)) !== undefined);
      } finally {
        await s.close();
      }
    });

    it('caps the fleet: puts beyond maxSessions evict the least recently active, from any gateway', async () => {
      const fleet = testFleet();
      const [a, b] = await gateways({ url: server.url }, fleet, 2);
      const capped = [await openStore({ url: server.url }, fleet, { maxSessions: 5 })];
      try {
        const now = Date.now();
        const es = Array.from({ length: 8 }, (_, i) => ({ ...sampleSession(now, 60_000), lastActiveMs: now - 60_000 + i * 1000 }));
        for (const e of es.slice(0, 5)) await a.put(e);
        await b.touch([{ peerFingerprint: es[0].peerFingerprint, lastActiveMs: now }]);
        for (const e of es.slice(5)) await capped[0].put(e);
        assert.equal(await a.size(), 5);
        const alive = await Promise.all(es.map(async (e) => (await b.get(e.peerFingerprint)) !== undefined));
        assert.deepEqual(alive, [true, false, false, false, true, true, true, true]);
        assert.equal(capped[0].counters.evictions, 3);
        assert.equal(await b.getByTicket(es[1].inbound!.ticketId), undefined, "the evicted entry's ticket pointer went too");
      } finally {
        await closeAll([a, b, ...capped]);
      }
    });

    it('keeps no secret, fingerprint, ticket id or device id in clear in Redis', async () => {
      const fleet = testFleet();
      const s = await openStore({ url: server.url }, fleet);
      try {
        const es = Array.from({ length: 5 }, () => sampleSession());
        for (const e of es) await s.put(e);
        await s.consumeInbound(
          es[0].peerFingerprint,
          es[0].inbound!.ticketId,
          { secret: randomBytes(32), ticketId: randomBytes(16) },
          { deviceId: es[0].deviceId, lastActiveMs: Date.now() },
        );
        await s.putValue(`tofu:${es[1].peerFingerprint}`, randomBytes(8));
        const all = Buffer.concat(await dump(raw, fleet.namespace));
        for (const e of es) {
          const needles = [
            Buffer.from(e.peerFingerprint, 'hex'),
            Buffer.from(e.peerFingerprint.slice(0, 16), 'latin1'),
            Buffer.from(e.deviceId, 'hex'),
            Buffer.from(e.deviceId, 'latin1'),
            Buffer.from(e.outbound!),
            Buffer.from(e.inbound!.secret),
            Buffer.from(e.inbound!.ticketId),
          ];
          for (const n of needles) assert.equal(all.indexOf(n), -1, `found ${bytesToHex(n).slice(0, 12)}... in clear`);
        }
      } finally {
        await s.close();
      }
    });

    it('works on a client the caller owns and leaves it open on close', async () => {
      const fleet = testFleet();
      const mine = new Redis(server.url, { lazyConnect: true });
      await mine.connect();
      try {
        const s = await RedisSessionStore.open({
          client: mine,
          storageKey: fleet.storageKey,
          blindingKey: fleet.blindingKey,
          namespace: fleet.namespace,
          logger: silentLogger,
        });
        const e = sampleSession();
        await s.put(e);
        assert.equal(await s.consumeInbound(e.peerFingerprint, e.inbound!.ticketId, undefined, { deviceId: e.deviceId, lastActiveMs: Date.now() }), true);
        await s.close();
        assert.equal(await mine.ping(), 'PONG');
      } finally {
        mine.disconnect();
      }
    });

    it('refuses a namespace that belongs to a fleet with another blinding key', async () => {
      const fleet = testFleet();
      const s = await openStore({ url: server.url }, fleet);
      await s.close();
      await rejectsWithCode(openStore({ url: server.url }, { ...fleet, blindingKey: randomBytes(32) }), ['PQBLE_ERR_STORE_IO']);
    });
  });

  describe('RedisSessionStore fleet on a Redis Cluster', () => {
    let cluster: RedisCluster;
    before(async () => {
      cluster = await RedisCluster.start();
    });
    after(async () => {
      await cluster?.stop();
    });

    it('three gateways racing on a three-master cluster: one winner per ticket', async () => {
      const fleet = testFleet();
      const gws = await gateways({ cluster: cluster.seeds }, fleet, 3);
      try {
        const sessions = Array.from({ length: 30 }, () => sampleSession());
        for (const s of sessions) await gws[1].put(s);
        for (const s of sessions) {
          const results = await Promise.all(
            gws.map((g) => g.consumeInbound(s.peerFingerprint, s.inbound!.ticketId, undefined, { deviceId: s.deviceId, lastActiveMs: Date.now() })),
          );
          assert.equal(results.filter(Boolean).length, 1);
        }
        assert.equal(await gws[2].size(), 30);
      } finally {
        await closeAll(gws);
      }
    });
  });
}
