// Tests of the in-memory session cache (docs/security.md "Properties" 3, 8 and 10).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzz } from '../../support/fuzz.js';
import { SessionCache, isSessionExpired, type CachedSession, type SessionCacheChange } from '../../../bench/baseline/session-cache-v1.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function hex(n: number, digits: number, salt = 0): string {
  return ((n * 2654435761 + salt * 40503) >>> 0)
    .toString(16)
    .padStart(8, '0')
    .repeat(Math.ceil(digits / 8))
    .slice(0, digits);
}
const fp = (i: number): string => hex(i + 1, 64, 1);
const dev = (i: number): string => hex(i + 1, 12, 2);
const sid = (i: number): string => hex(i + 1, 32, 3);
const tid = (i: number): string => hex(i + 1, 32, 4);
const secret = (tag: number): Uint8Array => new Uint8Array(32).fill(tag);

function entry(i: number, overrides: Partial<CachedSession> = {}, now = T0): CachedSession {
  return {
    peerFingerprint: fp(i),
    deviceId: dev(i),
    sessionId: sid(i),
    establishedMs: now,
    lastActiveMs: now,
    resumptionSecret: secret(i + 1),
    ticketId: tid(i),
    ...overrides,
  };
}

function clock(start = T0): { now: () => number; set(t: number): void; advance(ms: number): void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v), advance: (ms) => (t += ms) };
}

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

describe('SessionCache basics', () => {
  it('sets, gets and replaces by fingerprint, keeping the indexes right', () => {
    const c = clock();
    const cache = new SessionCache({ now: c.now });
    assert.deepEqual(cache.set(entry(0)), []);
    const got = cache.get(fp(0));
    assert.ok(got);
    assert.equal(got.deviceId, dev(0));
    assert.equal(got.ticketId, tid(0));
    assert.deepEqual(got.resumptionSecret, secret(1));
    assert.equal(cache.getByTicketId(tid(0))?.peerFingerprint, fp(0));
    assert.equal(cache.getByDeviceId(dev(0))?.peerFingerprint, fp(0));

    const replacement = entry(0, { deviceId: dev(7), ticketId: tid(7), sessionId: sid(7), resumptionSecret: secret(99) });
    cache.set(replacement);
    assert.equal(cache.size, 1);
    assert.ok(isZero(got.resumptionSecret), 'the replaced secret is wiped');
    assert.equal(cache.getByTicketId(tid(0)), undefined);
    assert.equal(cache.getByDeviceId(dev(0)), undefined);
    assert.equal(cache.getByTicketId(tid(7))?.sessionId, sid(7));
    assert.equal(cache.getByDeviceId(dev(7))?.peerFingerprint, fp(0));
    assert.equal(cache.get(fp(1)), undefined);
  });

  it('copies secrets on set and never wipes or keeps the caller buffer', () => {
    const cache = new SessionCache({ now: clock().now });
    const mine = secret(5);
    const e = entry(0, { resumptionSecret: mine });
    cache.set(e);
    const stored = cache.get(fp(0))!;
    assert.notEqual(stored.resumptionSecret, mine);
    mine.fill(0xee);
    assert.deepEqual(cache.get(fp(0))!.resumptionSecret, secret(5), 'changing the caller buffer does not reach the cache');
    assert.ok(cache.delete(fp(0)));
    assert.ok(isZero(stored.resumptionSecret), 'delete wipes the cached secret');
    assert.ok(
      mine.every((x) => x === 0xee),
      'delete does not touch the caller buffer',
    );
    assert.equal(cache.delete(fp(0)), false);
  });

  it('hands out frozen snapshots', () => {
    const cache = new SessionCache({ now: clock().now });
    cache.set(entry(0));
    const got = cache.get(fp(0))!;
    assert.throws(() => {
      got.deviceId = dev(3);
    }, TypeError);
    assert.equal(cache.getByDeviceId(dev(0))?.peerFingerprint, fp(0));
  });

  it('normalises device ids and hex case, and rejects malformed input with labelled errors', () => {
    const cache = new SessionCache({ now: clock().now });
    cache.set(entry(0, { deviceId: 'AA:BB:CC:DD:EE:FF', peerFingerprint: fp(0).toUpperCase() }));
    assert.equal(cache.get(fp(0))?.deviceId, 'aabbccddeeff');
    assert.equal(cache.getByDeviceId('aa-bb-cc-dd-ee-ff')?.peerFingerprint, fp(0));
    assert.throws(() => cache.set(entry(1, { peerFingerprint: 'abc' })), RangeError);
    assert.throws(() => cache.set(entry(1, { deviceId: 'zz' })), RangeError);
    assert.throws(() => cache.set(entry(1, { sessionId: 7 as unknown as string })), TypeError);
    assert.throws(() => cache.set(entry(1, { ticketId: tid(1) + '00' })), RangeError);
    assert.throws(() => cache.set(entry(1, { resumptionSecret: new Uint8Array(31) })), RangeError);
    assert.throws(() => cache.set(entry(1, { resumptionSecret: [1, 2] as unknown as Uint8Array })), TypeError);
    assert.throws(() => cache.set(entry(1, { establishedMs: 1.5 })), RangeError);
    assert.throws(() => cache.set(entry(1, { lastActiveMs: -1 })), RangeError);
    assert.throws(() => cache.set(null as unknown as CachedSession), TypeError);
    assert.throws(() => cache.get(42 as unknown as string), TypeError);
    assert.throws(() => cache.getByTicketId('xyz'), RangeError);
    assert.throws(() => cache.update(fp(0), { ticketID: tid(3) } as never), TypeError);
    assert.equal(cache.size, 1);
  });

  it('re-checks an unfrozen object that merely shares the prototype of a cached record', () => {
    const cache = new SessionCache({ now: clock().now });
    cache.set(entry(0));
    const forged = Object.create(Object.getPrototypeOf(cache.get(fp(0))) as object) as Record<string, unknown>;
    Object.assign(forged, { ...entry(1), deviceId: 'not a device id' });
    assert.throws(() => cache.set(forged as unknown as CachedSession), RangeError);
  });

  it('validates options: unknown keys, ranges and types', () => {
    assert.throws(() => new SessionCache({ maxEntrys: 5 } as never), TypeError);
    assert.throws(() => new SessionCache({ maxEntries: 0 }), RangeError);
    assert.throws(() => new SessionCache({ maxEntries: 1e7 + 1 }), RangeError);
    assert.throws(() => new SessionCache({ maxEntries: 2.5 }), RangeError);
    assert.throws(() => new SessionCache({ maxEntries: '5' as never }), TypeError);
    assert.throws(() => new SessionCache({ ttlMs: 0 }), RangeError);
    assert.throws(() => new SessionCache({ maxClockSkewMs: -1 }), RangeError);
    assert.throws(() => new SessionCache({ now: 5 as never }), TypeError);
    const cache = new SessionCache();
    assert.equal(cache.maxEntries, 100);
    assert.equal(cache.ttlMs, 24 * HOUR);
    assert.doesNotThrow(() => new SessionCache({ maxEntries: 1e7 }));
  });

  it('rejects a ticket id that belongs to another peer', () => {
    const cache = new SessionCache({ now: clock().now });
    cache.set(entry(0));
    const caller = secret(9);
    assert.throws(() => cache.set(entry(1, { ticketId: tid(0), resumptionSecret: caller })), RangeError);
    assert.deepEqual(caller, secret(9));
    cache.set(entry(1));
    assert.throws(() => cache.update(fp(1), { ticketId: tid(0) }), RangeError);
    assert.equal(cache.getByTicketId(tid(0))?.peerFingerprint, fp(0));
    assert.equal(cache.getByTicketId(tid(1))?.peerFingerprint, fp(1));
    assert.equal(cache.size, 2);
  });
});

describe('SessionCache LRU', () => {
  it('evicts the least recently used beyond maxEntries; touch moves an entry to MRU', () => {
    const c = clock();
    const cache = new SessionCache({ maxEntries: 3, now: c.now });
    for (let i = 0; i < 3; i++) {
      cache.set(entry(i, {}, c.now()));
      c.advance(1);
    }
    assert.ok(cache.touch(fp(0)));
    const bSnapshot = cache.get(fp(1))!;
    const evicted = cache.set(entry(3, {}, c.now()));
    assert.deepEqual(
      evicted.map((e) => e.peerFingerprint),
      [fp(1)],
    );
    assert.ok(isZero(bSnapshot.resumptionSecret), 'evicted secrets are wiped');
    assert.deepEqual(
      [...cache.entries()].map((e) => e.peerFingerprint),
      [fp(2), fp(0), fp(3)],
    );
    assert.deepEqual(cache.counters, { evictions: 1, expired: 0 });
    assert.equal(cache.getByTicketId(tid(1)), undefined);
    assert.equal(cache.getByDeviceId(dev(1)), undefined);
  });

  it('touch sets lastActive to now; get does not count as a use', () => {
    const c = clock();
    const cache = new SessionCache({ maxEntries: 2, now: c.now });
    cache.set(entry(0));
    cache.set(entry(1));
    c.advance(500);
    assert.equal(cache.get(fp(0))?.lastActiveMs, T0, 'get does not touch');
    assert.ok(cache.touchByDeviceId(dev(0)));
    assert.equal(cache.get(fp(0))?.lastActiveMs, T0 + 500);
    assert.equal(cache.get(fp(0))?.establishedMs, T0);
    cache.set(entry(2, {}, c.now()));
    assert.equal(cache.get(fp(1)), undefined, 'fp(1) was the LRU');
    assert.equal(cache.touch(fp(1)), false);
    assert.equal(cache.touchByDeviceId(dev(1)), false);
  });

  it('getByDeviceId returns the most recently used of several peers at one address', () => {
    const c = clock();
    const cache = new SessionCache({ now: c.now });
    cache.set(entry(0, { deviceId: dev(0) }));
    cache.set(entry(1, { deviceId: dev(0) }));
    cache.set(entry(2, { deviceId: dev(0) }));
    assert.equal(cache.getByDeviceId(dev(0))?.peerFingerprint, fp(2));
    cache.touch(fp(0));
    assert.equal(cache.getByDeviceId(dev(0))?.peerFingerprint, fp(0));
    cache.delete(fp(0));
    assert.equal(cache.getByDeviceId(dev(0))?.peerFingerprint, fp(2));
    cache.update(fp(2), { deviceId: dev(5) });
    assert.equal(cache.getByDeviceId(dev(0))?.peerFingerprint, fp(1));
    assert.equal(cache.getByDeviceId(dev(5))?.peerFingerprint, fp(2));
  });

  it('an expired LRU victim counts as expired, not evicted', () => {
    const c = clock();
    const cache = new SessionCache({ maxEntries: 1, ttlMs: 1000, now: c.now });
    cache.set(entry(0));
    c.advance(1000);
    assert.equal(cache.set(entry(1, {}, c.now())).length, 1);
    assert.deepEqual(cache.counters, { evictions: 0, expired: 1 });
  });
});

describe('SessionCache expiry', () => {
  it('expires at exactly establishedMs + ttlMs, removing and counting the entry', () => {
    const c = clock();
    const changes: SessionCacheChange[] = [];
    const cache = new SessionCache({ ttlMs: 1000, now: c.now });
    cache.onChange((ch) => changes.push(ch));
    cache.set(entry(0));
    c.set(T0 + 999);
    assert.ok(cache.get(fp(0)));
    assert.ok(cache.getByTicketId(tid(0)));
    c.set(T0 + 1000);
    const snapshot = cache.get(fp(0)) ?? cache.getByDeviceId(dev(0));
    assert.equal(snapshot, undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.getByTicketId(tid(0)), undefined);
    assert.deepEqual(cache.counters, { evictions: 0, expired: 1 });
    assert.deepEqual(changes, [
      { kind: 'set', peerFingerprint: fp(0) },
      { kind: 'expire', peerFingerprint: fp(0) },
    ]);
    assert.ok(isSessionExpired({ establishedMs: 0, lastActiveMs: 0 }, 1000, 1000, 0));
    assert.ok(!isSessionExpired({ establishedMs: 0, lastActiveMs: 0 }, 999, 1000, 0));
  });

  it('never extends a session by touch or update (established is the last full handshake)', () => {
    const c = clock();
    const cache = new SessionCache({ ttlMs: 1000, now: c.now });
    cache.set(entry(0));
    const before = cache.get(fp(0))!;
    c.set(T0 + 600);
    assert.ok(cache.touch(fp(0)));
    assert.ok(cache.update(fp(0), { resumptionSecret: secret(77), ticketId: tid(9), sessionId: sid(9), deviceId: dev(9) }));
    const after = cache.get(fp(0))!;
    assert.equal(after.establishedMs, T0);
    assert.equal(after.lastActiveMs, T0 + 600);
    assert.deepEqual(after.resumptionSecret, secret(77));
    assert.ok(isZero(before.resumptionSecret), 'the ratcheted-away secret is wiped');
    assert.equal(cache.getByTicketId(tid(0)), undefined, 'the old ticket is gone');
    assert.equal(cache.getByTicketId(tid(9))?.peerFingerprint, fp(0));
    assert.equal(cache.size, 1, 'update does not create a second entry');
    c.set(T0 + 1000);
    assert.equal(cache.touch(fp(0)), false);
    assert.equal(cache.update(fp(0), { ticketId: tid(10) }), false);
    assert.equal(cache.size, 0);
  });

  it('update sets lastActive to the patch or to now, and copies the new secret', () => {
    const c = clock();
    const cache = new SessionCache({ now: c.now });
    cache.set(entry(0));
    c.advance(10);
    const fresh = secret(42);
    assert.ok(cache.update(fp(0), { resumptionSecret: fresh }));
    fresh.fill(1);
    assert.deepEqual(cache.get(fp(0))!.resumptionSecret, secret(42));
    assert.equal(cache.get(fp(0))!.lastActiveMs, T0 + 10);
    assert.ok(cache.update(fp(0), { lastActiveMs: T0 + 5 }));
    assert.equal(cache.get(fp(0))!.lastActiveMs, T0 + 5);
    assert.equal(cache.update(fp(3), { lastActiveMs: T0 }), false);
  });

  it('treats entries from the future as expired, so a clock jumping backwards cannot make a session immortal', () => {
    const c = clock();
    const cache = new SessionCache({ ttlMs: 24 * HOUR, maxClockSkewMs: 5 * 60_000, now: c.now });
    cache.set(entry(0, { establishedMs: T0 + 5 * 60_000 }));
    cache.set(entry(1, { establishedMs: T0 + 5 * 60_000 + 1 }));
    cache.set(entry(2, { establishedMs: T0 - HOUR, lastActiveMs: T0 + HOUR }));
    assert.ok(cache.get(fp(0)), 'within the tolerated skew');
    assert.equal(cache.get(fp(1)), undefined, 'established beyond the skew');
    assert.equal(cache.get(fp(2)), undefined, 'lastActive beyond the skew');

    // Established now; then the wall clock is set back by a day.
    cache.set(entry(3));
    c.set(T0 - 24 * HOUR);
    assert.equal(cache.get(fp(3)), undefined);
    assert.equal(cache.counters.expired, 3);
  });

  it('prune removes every expired entry and entries() skips expired ones', () => {
    const c = clock();
    const cache = new SessionCache({ ttlMs: 1000, now: c.now });
    for (let i = 0; i < 5; i++) cache.set(entry(i, { establishedMs: T0 + i * 100 }));
    c.set(T0 + 1250);
    assert.deepEqual(
      [...cache.entries()].map((e) => e.peerFingerprint),
      [fp(3), fp(4)],
    );
    assert.equal(cache.size, 5);
    assert.equal(cache.prune(), 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.prune(), 0);
    assert.equal(cache.counters.expired, 3);
  });

  it('rejects a clock that returns NaN instead of keeping sessions forever', () => {
    const cache = new SessionCache({ now: () => NaN });
    cache.set(entry(0, {}, 0));
    assert.throws(() => cache.get(fp(0)), RangeError);
    assert.throws(() => cache.prune(), RangeError);
  });
});

describe('SessionCache housekeeping', () => {
  it('clear wipes every secret and keeps counters; listeners get every change', () => {
    const c = clock();
    const changes: string[] = [];
    const cache = new SessionCache({ maxEntries: 2, now: c.now });
    const off = cache.onChange((ch) => changes.push(`${ch.kind}:${ch.peerFingerprint === undefined ? '-' : ch.peerFingerprint.slice(0, 4)}`));
    cache.onChange(() => {
      throw new Error('a broken listener');
    });
    cache.set(entry(0));
    cache.set(entry(1));
    cache.set(entry(2));
    cache.touch(fp(1));
    cache.delete(fp(2));
    const held = cache.get(fp(1))!;
    cache.clear();
    assert.ok(isZero(held.resumptionSecret));
    assert.equal(cache.size, 0);
    assert.equal(cache.counters.evictions, 1);
    assert.deepEqual(changes, [
      `set:${fp(0).slice(0, 4)}`,
      `set:${fp(1).slice(0, 4)}`,
      `set:${fp(2).slice(0, 4)}`,
      `evict:${fp(0).slice(0, 4)}`,
      `touch:${fp(1).slice(0, 4)}`,
      `delete:${fp(2).slice(0, 4)}`,
      'clear:-',
    ]);
    off();
    cache.set(entry(0));
    assert.equal(changes.length, 7, 'unsubscribed');
  });

  it('entries() iterates over a snapshot, so the cache can change while iterating', () => {
    const cache = new SessionCache({ now: clock().now });
    for (let i = 0; i < 4; i++) cache.set(entry(i));
    const seen: string[] = [];
    for (const e of cache.entries()) {
      seen.push(e.peerFingerprint);
      cache.touch(e.peerFingerprint);
    }
    assert.deepEqual(seen, [fp(0), fp(1), fp(2), fp(3)]);
  });

  it('handles many entries with O(1) operations (smoke)', () => {
    const c = clock();
    const n = 20_000;
    const cache = new SessionCache({ maxEntries: n / 2, now: c.now });
    const s = secret(1);
    for (let i = 0; i < n; i++) {
      const id = i.toString(16).padStart(32, '0');
      cache.set({
        peerFingerprint: id + id,
        deviceId: i.toString(16).padStart(12, '0'),
        sessionId: id,
        ticketId: id,
        establishedMs: T0,
        lastActiveMs: T0,
        resumptionSecret: s,
      });
    }
    assert.equal(cache.size, n / 2);
    assert.equal(cache.counters.evictions, n / 2);
    const last = (n - 1).toString(16).padStart(32, '0');
    assert.equal(cache.getByTicketId(last)?.sessionId, last);
    assert.equal(cache.getByDeviceId((n - 1).toString(16).padStart(12, '0'))?.ticketId, last);
  });
});

// ---------------------------------------------------------------------------------------
// Model-based test: random operation sequences against a naive reference model.

interface ModelEntry {
  fp: string;
  deviceId: string;
  sessionId: string;
  establishedMs: number;
  lastActiveMs: number;
  tag: number;
  ticketId: string;
}

type Op =
  | { op: 'set'; p: number; d: number; t: number; tag: number; age: number }
  | { op: 'update'; p: number; d: number | null; t: number | null; tag: number | null }
  | { op: 'touch'; p: number }
  | { op: 'touchByDevice'; d: number }
  | { op: 'delete'; p: number }
  | { op: 'get'; p: number }
  | { op: 'getByDevice'; d: number }
  | { op: 'getByTicket'; t: number }
  | { op: 'prune' }
  | { op: 'clock'; delta: number };

const TTL = 10_000;
const SKEW = 1_000;
const MAX = 4;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    p: fc.nat(5),
    d: fc.nat(2),
    t: fc.nat(7),
    tag: fc.integer({ min: 1, max: 255 }),
    age: fc.integer({ min: -2 * SKEW, max: TTL + 10 }),
  }),
  fc.record({
    op: fc.constant('update' as const),
    p: fc.nat(5),
    d: fc.option(fc.nat(2)),
    t: fc.option(fc.nat(7)),
    tag: fc.option(fc.integer({ min: 1, max: 255 })),
  }),
  fc.record({ op: fc.constant('touch' as const), p: fc.nat(5) }),
  fc.record({ op: fc.constant('touchByDevice' as const), d: fc.nat(2) }),
  fc.record({ op: fc.constant('delete' as const), p: fc.nat(5) }),
  fc.record({ op: fc.constant('get' as const), p: fc.nat(5) }),
  fc.record({ op: fc.constant('getByDevice' as const), d: fc.nat(2) }),
  fc.record({ op: fc.constant('getByTicket' as const), t: fc.nat(7) }),
  fc.record({ op: fc.constant('prune' as const) }),
  fc.record({ op: fc.constant('clock' as const), delta: fc.integer({ min: -3 * SKEW, max: TTL / 2 }) }),
);

class Model {
  entries: ModelEntry[] = []; // LRU -> MRU
  evictions = 0;
  expired = 0;
  constructor(public now: number) {}

  isExpired(e: ModelEntry): boolean {
    return this.now >= e.establishedMs + TTL || e.establishedMs > this.now + SKEW || e.lastActiveMs > this.now + SKEW;
  }
  find(fpv: string): ModelEntry | undefined {
    return this.entries.find((e) => e.fp === fpv);
  }
  remove(e: ModelEntry, expired: boolean): void {
    this.entries = this.entries.filter((x) => x !== e);
    if (expired) this.expired++;
  }
  live(e: ModelEntry | undefined): ModelEntry | undefined {
    if (e === undefined) return undefined;
    if (this.isExpired(e)) {
      this.remove(e, true);
      return undefined;
    }
    return e;
  }
  byDevice(d: string): ModelEntry | undefined {
    for (;;) {
      const matches = this.entries.filter((e) => e.deviceId === d);
      if (matches.length === 0) return undefined;
      const mru = matches[matches.length - 1];
      if (this.live(mru) !== undefined) return mru;
    }
  }
  moveToEnd(e: ModelEntry): void {
    this.entries = this.entries.filter((x) => x !== e);
    this.entries.push(e);
  }
}

function run(cache: SessionCache, model: Model, op: Op): unknown {
  switch (op.op) {
    case 'set': {
      const e: ModelEntry = {
        fp: fp(op.p),
        deviceId: dev(op.d),
        sessionId: sid(op.tag),
        establishedMs: model.now - op.age,
        lastActiveMs: model.now,
        tag: op.tag,
        ticketId: tid(op.t),
      };
      const conflict = model.entries.some((x) => x.ticketId === e.ticketId && x.fp !== e.fp);
      let actual: unknown;
      try {
        actual = cache
          .set({
            peerFingerprint: e.fp,
            deviceId: e.deviceId,
            sessionId: e.sessionId,
            establishedMs: e.establishedMs,
            lastActiveMs: e.lastActiveMs,
            resumptionSecret: secret(e.tag),
            ticketId: e.ticketId,
          })
          .map((x) => x.peerFingerprint);
      } catch (err) {
        actual = err instanceof RangeError ? 'RangeError' : err;
      }
      let expected: unknown = 'RangeError';
      if (!conflict) {
        const old = model.find(e.fp);
        if (old) model.entries = model.entries.filter((x) => x !== old);
        model.entries.push(e);
        const dropped: string[] = [];
        while (model.entries.length > MAX) {
          const victim = model.entries.shift()!;
          if (model.isExpired(victim)) model.expired++;
          else model.evictions++;
          dropped.push(victim.fp);
        }
        expected = dropped;
      }
      return [actual, expected];
    }
    case 'update': {
      const patch: { deviceId?: string; ticketId?: string; resumptionSecret?: Uint8Array; sessionId?: string } = {};
      if (op.d !== null) patch.deviceId = dev(op.d);
      if (op.t !== null) patch.ticketId = tid(op.t);
      if (op.tag !== null) {
        patch.resumptionSecret = secret(op.tag);
        patch.sessionId = sid(op.tag);
      }
      let actual: unknown;
      try {
        actual = cache.update(fp(op.p), patch);
      } catch (err) {
        actual = err instanceof RangeError ? 'RangeError' : err;
      }
      let expected: unknown;
      const e = model.live(model.find(fp(op.p)));
      if (e === undefined) expected = false;
      else if (patch.ticketId !== undefined && model.entries.some((x) => x.ticketId === patch.ticketId && x.fp !== e.fp)) expected = 'RangeError';
      else {
        if (patch.deviceId !== undefined) e.deviceId = patch.deviceId;
        if (patch.ticketId !== undefined) e.ticketId = patch.ticketId;
        if (op.tag !== null) {
          e.tag = op.tag;
          e.sessionId = sid(op.tag);
        }
        e.lastActiveMs = model.now;
        model.moveToEnd(e);
        expected = true;
      }
      return [actual, expected];
    }
    case 'touch': {
      const actual = cache.touch(fp(op.p));
      const e = model.live(model.find(fp(op.p)));
      if (e) {
        e.lastActiveMs = model.now;
        model.moveToEnd(e);
      }
      return [actual, e !== undefined];
    }
    case 'touchByDevice': {
      const actual = cache.touchByDeviceId(dev(op.d));
      const e = model.byDevice(dev(op.d));
      if (e) {
        e.lastActiveMs = model.now;
        model.moveToEnd(e);
      }
      return [actual, e !== undefined];
    }
    case 'delete': {
      const actual = cache.delete(fp(op.p));
      const e = model.find(fp(op.p));
      if (e) model.remove(e, false);
      return [actual, e !== undefined];
    }
    case 'get':
      return [cache.get(fp(op.p))?.peerFingerprint, model.live(model.find(fp(op.p)))?.fp];
    case 'getByDevice':
      return [cache.getByDeviceId(dev(op.d))?.peerFingerprint, model.byDevice(dev(op.d))?.fp];
    case 'getByTicket':
      return [cache.getByTicketId(tid(op.t))?.peerFingerprint, model.live(model.entries.find((e) => e.ticketId === tid(op.t)))?.fp];
    case 'prune': {
      const actual = cache.prune();
      const dead = model.entries.filter((e) => model.isExpired(e));
      for (const e of dead) model.remove(e, true);
      return [actual, dead.length];
    }
    case 'clock':
      model.now += op.delta;
      return [null, null];
  }
}

describe('SessionCache against a reference model', () => {
  it('agrees on every result, the LRU order, the indexes, the secrets and the counters', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const model = new Model(T0);
        const cache = new SessionCache({ maxEntries: MAX, ttlMs: TTL, maxClockSkewMs: SKEW, now: () => model.now });
        for (const op of ops) {
          const [actual, expected] = run(cache, model, op) as [unknown, unknown];
          assert.deepEqual(actual, expected, `op ${JSON.stringify(op)}`);
          assert.equal(cache.size, model.entries.length);
          const live = model.entries.filter((e) => !model.isExpired(e));
          const got = [...cache.entries()];
          assert.deepEqual(
            got.map((e) => [e.peerFingerprint, e.deviceId, e.sessionId, e.ticketId, e.establishedMs, e.lastActiveMs, e.resumptionSecret[0]]),
            live.map((e) => [e.fp, e.deviceId, e.sessionId, e.ticketId, e.establishedMs, e.lastActiveMs, e.tag]),
          );
          assert.deepEqual(cache.counters, { evictions: model.evictions, expired: model.expired });
        }
      }),
      fuzz(300),
    );
  });
});
