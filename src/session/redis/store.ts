/**
 * `RedisSessionStore`: the per-entry session store seam (src/session/store.ts) on Redis or
 * Redis Cluster, shared by every gateway of a fleet (docs/fleet.md). Entries are sealed with
 * the fleet's storage keys, named by blinded ids, expire in Redis at `established +
 * lifetime`, and are capped per fleet with least-recently-active eviction; every mutation is
 * one Lua script (scripts.ts), so a ticket is consumed at most once across the fleet.
 *
 * Here: opening, the entry calls and the ratchets' compare-and-set. Sending commands in
 * order is runner.ts, reading and decoding entries rows.ts, the ratchet's read-check-write
 * loop ratchet.ts, the named values named-values.ts.
 *
 * @module
 */

import type { Cluster, Redis } from 'ioredis';
import { checkBytes, equalBytes, hexToBytes, utf8ToBytes, wipe } from '../../bytes.js';
import { isPqbleError, StoreError } from '../../errors.js';
import type { InboundSlot, RatchetUpdate, SessionStore, SessionTouch, StoreCallOptions, StoredSession } from '../store.js';
import { checkConsumeInboundArgs, checkReplaceOutboundArgs, checkTouches, copyStoredSession, TICKET_ID_BYTES } from '../store-checks.js';
import { parseDeviceId, parseFingerprint } from '../../ids.js';
import { checkTimeMs } from '../validate.js';
import { bounded } from './call.js';
import { makeClient, toStoreError, untilReady } from './client.js';
import { DamageLog } from './damage-log.js';
import { EntryCodec } from './entry.js';
import { Blinder, KeyLayout } from './keys.js';
import { NamedValues } from './named-values.js';
import { Ratchet } from './ratchet.js';
import { resolveRedisOptions, type RedisSessionStoreOptions, type ResolvedRedisOptions } from './options.js';
import { EntryRows, isRow } from './rows.js';
import { buf, SCAN_CHUNK, ScriptRunner } from './runner.js';
import { FleetSealer } from './seal.js';
import { ValueCodec } from './values.js';
import { OPEN_SCRIPT } from './scripts.js';

/** Counters of one store instance (since it opened). */
export interface RedisStoreCounters {
  /** Entries this instance's puts evicted beyond `maxSessions`. */
  readonly evictions: number;
  /** Expired entries this instance's sweeps removed from the sorted sets. */
  readonly expiries: number;
  /** Damaged or unreadable values skipped (each logged once). */
  readonly damaged: number;
  /** Ratchets that found the entry changed since it was read and read it again. */
  readonly retries: number;
}

const SWEEP_LIMIT = 64;
const PRUNE_CHUNK = 500;
const TOUCH_CHUNK = 256;

/** The fleet session store on Redis (see the module header and docs/fleet.md). */
export class RedisSessionStore implements SessionStore {
  readonly #o: ResolvedRedisOptions;
  readonly #owned: boolean;
  readonly #runner: ScriptRunner;
  readonly #keys: KeyLayout;
  readonly #blinder: Blinder;
  readonly #sealer: FleetSealer;
  readonly #codec: EntryCodec;
  /** Decoded rows, and the raw value last seen per entry. */
  readonly #rows: EntryRows;
  readonly #named: NamedValues;
  readonly #ratchet: Ratchet;
  readonly #counters = { evictions: 0, expiries: 0, damaged: 0, retries: 0 };

  private constructor(o: ResolvedRedisOptions, client: Redis | Cluster, owned: boolean) {
    this.#o = o;
    this.#owned = owned;
    this.#runner = new ScriptRunner(o, client);
    this.#keys = new KeyLayout(o.namespace);
    this.#blinder = new Blinder(o.blindingKey, o.crypto);
    this.#sealer = new FleetSealer(o.storageKey, o.readKeys, o.crypto);
    this.#codec = new EntryCodec(this.#blinder, this.#sealer);
    const damage = new DamageLog(o.logger, this.#counters);
    this.#rows = new EntryRows(this.#keys, this.#codec, damage);
    this.#ratchet = new Ratchet(this.#runner, this.#keys, this.#codec, this.#rows, this.#counters);
    this.#named = new NamedValues(this.#runner, this.#keys, new ValueCodec(this.#blinder, this.#sealer, this.#keys), damage);
  }

  /**
   * Connects to Redis (within `connectTimeoutMs`), checks it is Redis 7.0 or newer and that
   * the namespace belongs to this fleet (same blinding key), and returns the store.
   * @throws TypeError / RangeError for bad options; StoreError `PQBLE_ERR_STORE_UNAVAILABLE`
   *   if Redis cannot be reached, `PQBLE_ERR_STORE_IO` if it is too old or the namespace
   *   holds another fleet
   */
  static async open(options: RedisSessionStoreOptions): Promise<RedisSessionStore> {
    const o = resolveRedisOptions(options);
    const { client, owned } = makeClient(o);
    // A client that fails while nobody listens must not become an uncaught 'error' event.
    if (owned) client.on('error', () => {});
    const store = new RedisSessionStore(o, client, owned);
    try {
      const deadline = performance.now() + o.connectTimeoutMs;
      if (owned) {
        try {
          await bounded('connect', { signal: undefined, timeoutMs: o.connectTimeoutMs }, () => untilReady(client));
        } catch (err) {
          throw new StoreError('PQBLE_ERR_STORE_UNAVAILABLE', `redis: could not connect within ${o.connectTimeoutMs} ms`, { cause: err });
        }
      }
      // Right after a Cluster client is ready, a node connection may still be coming up.
      for (let attempt = 0; ; attempt++) {
        try {
          await store.#check(Math.max(1, Math.round(deadline - performance.now())));
          break;
        } catch (err) {
          if (!isPqbleError(err, 'PQBLE_ERR_STORE_UNAVAILABLE') || performance.now() + 50 >= deadline) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      return store;
    } catch (err) {
      if (owned) client.disconnect();
      throw err instanceof Error && 'code' in err ? err : toStoreError(err, 'connect');
    }
  }

  async #check(timeoutMs: number): Promise<void> {
    const check = buf(this.#blinder.blind('check', utf8ToBytes(this.#o.namespace)));
    const reply = await bounded('open', { signal: undefined, timeoutMs: timeoutMs }, () =>
      this.#runner.client.callBuffer('EVAL', OPEN_SCRIPT, 1, this.#keys.check, check),
    );
    const [version, same] = Array.isArray(reply) ? (reply as [Buffer, number]) : [Buffer.alloc(0), 0];
    const v = version.toString('latin1');
    if (!/^([7-9]|\d{2,})\./.test(v))
      throw new StoreError('PQBLE_ERR_STORE_IO', `redis: the store needs Redis 7.0 or newer (server says "${v.slice(0, 20) || 'older than 7.0'}")`);
    if (same !== 1) throw new StoreError('PQBLE_ERR_STORE_IO', `redis: namespace "${this.#o.namespace}" belongs to another fleet (its blinding key differs)`);
  }

  /** Counters since this instance opened. */
  get counters(): RedisStoreCounters {
    return { ...this.#counters };
  }

  /** Id of the storage key new values are sealed with. */
  get storageKeyId(): number {
    return this.#sealer.currentKeyId;
  }

  // --- plumbing -----------------------------------------------------------------------

  #bfp(peerFingerprint: string): { bfp: Buffer; key: Buffer; hex: string } {
    const bfp = buf(this.#blinder.blind('fingerprint', hexToBytes(peerFingerprint)));
    return { bfp, key: this.#keys.entry(bfp), hex: bfp.toString('hex') };
  }

  // --- reads --------------------------------------------------------------------------

  /** The entry for a peer, or `undefined`. */
  async get(peerFingerprint: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    const fp = parseFingerprint(peerFingerprint, 'peerFingerprint');
    const call = this.#runner.start(options, 'get');
    const { bfp, key } = this.#bfp(fp);
    return this.#runner.run('get', call, async () => (await this.#rows.read(this.#runner, bfp, key))?.session);
  }

  /** The entry whose inbound ticket id is `ticketId` (16 bytes), or `undefined` (unknown or consumed). */
  async getByTicket(ticketId: Uint8Array, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    checkBytes(ticketId, 'ticketId', TICKET_ID_BYTES);
    const bt = buf(this.#blinder.blind('ticket', ticketId));
    const call = this.#runner.start(options, 'getByTicket');
    return this.#runner.run('getByTicket', call, async () => {
      const row = await this.#runner.script('pqbleGetByPointer', [this.#keys.ticket(bt)], [this.#keys.prefix, '1', bt, '1'], false);
      return isRow(row) ? this.#rows.decode(row)?.session : undefined;
    });
  }

  /** The entry last seen at a device id (a hint), or `undefined`. */
  async getByDevice(deviceId: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    const id = parseDeviceId(deviceId, 'deviceId');
    const bd = buf(this.#blinder.blind('device', hexToBytes(id)));
    const call = this.#runner.start(options, 'getByDevice');
    return this.#runner.run('getByDevice', call, async () => {
      const row = await this.#runner.script('pqbleGetByPointer', [this.#keys.device(bd)], [this.#keys.prefix, '33', bd, '0'], false);
      return isRow(row) ? this.#rows.decode(row)?.session : undefined;
    });
  }

  // --- writes -------------------------------------------------------------------------

  /** Inserts or replaces the entry for `session.peerFingerprint`; durable (acknowledged by Redis) when resolved. */
  async put(session: StoredSession, options?: StoreCallOptions): Promise<void> {
    const s = copyStoredSession(session);
    const call = this.#runner.start(options, 'put');
    const { bfp, key, hex } = this.#bfp(s.peerFingerprint);
    const value = this.#codec.encode(key, s);
    wipe(s.outbound, s.inbound?.secret);
    const now = Date.now();
    const expireAt = s.establishedMs + this.#o.sessionLifetimeMs;
    this.#rows.forget(hex);
    await this.#runner.run('put', call, async () => {
      const reply = await this.#runner.script(
        'pqblePut',
        [key, this.#keys.lru, this.#keys.established],
        [
          this.#keys.prefix,
          bfp,
          value,
          String(expireAt),
          String(s.lastActiveMs),
          String(s.establishedMs),
          String(now - this.#o.sessionLifetimeMs),
          String(this.#o.maxSessions),
          String(SWEEP_LIMIT),
          String(now),
        ],
        true,
      );
      const [stored, evicted, expired] = Array.isArray(reply) ? (reply as number[]) : [0, 0, 0];
      this.#counters.evictions += Number(evicted) || 0;
      this.#counters.expiries += Number(expired) || 0;
      if (stored === 1) this.#rows.remember(hex, value);
    });
  }

  /** Atomic single use of an inbound ticket, fleet-wide (see `SessionStore.consumeInbound`). */
  async consumeInbound(
    peerFingerprint: string,
    ticketId: Uint8Array,
    next: InboundSlot | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean> {
    const { fp, next: nextSlot, update: u } = checkConsumeInboundArgs(peerFingerprint, ticketId, next, update);
    const ticket = ticketId.slice();
    const call = this.#runner.start(options, 'consumeInbound');
    const bt = buf(this.#blinder.blind('ticket', ticket));
    try {
      return await bounded('consumeInbound', call, () =>
        this.#ratchet.run(
          this.#bfp(fp),
          'pqbleConsume',
          bt,
          u,
          (r) => r.inbound !== undefined && equalBytes(r.inbound.ticketId, ticket),
          (r) => ({ ...r, deviceId: u.deviceId, inbound: nextSlot }),
        ),
      );
    } finally {
      wipe(nextSlot?.secret);
    }
  }

  /** Compare-and-set of the outbound secret (see `SessionStore.replaceOutbound`). */
  async replaceOutbound(
    peerFingerprint: string,
    expected: Uint8Array,
    next: Uint8Array | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean> {
    const { fp, next: nextSecret, update: u } = checkReplaceOutboundArgs(peerFingerprint, expected, next, update);
    const want = expected.slice();
    const call = this.#runner.start(options, 'replaceOutbound');
    const bo = buf(this.#blinder.blind('outbound', want));
    try {
      return await bounded('replaceOutbound', call, () =>
        this.#ratchet.run(
          this.#bfp(fp),
          'pqbleReplaceOutbound',
          bo,
          u,
          (r) => r.outbound !== undefined && equalBytes(r.outbound, want),
          (r) => ({ ...r, deviceId: u.deviceId, outbound: nextSecret }),
        ),
      );
    } finally {
      wipe(want, nextSecret);
    }
  }

  /** Removes a peer's entry; `true` if there was one. */
  async delete(peerFingerprint: string, options?: StoreCallOptions): Promise<boolean> {
    const fp = parseFingerprint(peerFingerprint, 'peerFingerprint');
    const call = this.#runner.start(options, 'delete');
    const { bfp, key, hex } = this.#bfp(fp);
    this.#rows.forget(hex);
    return this.#runner.run(
      'delete',
      call,
      async () => (await this.#runner.script('pqbleDelete', [key, this.#keys.lru, this.#keys.established], [this.#keys.prefix, bfp], true)) === 1,
    );
  }

  /** Batched last-active updates of existing entries (`ZADD XX GT`: never moves back, ignores unknown peers). */
  async touch(updates: readonly SessionTouch[], options?: StoreCallOptions): Promise<void> {
    const pairs: (Buffer | string)[] = [];
    for (const t of checkTouches(updates)) pairs.push(String(t.lastActiveMs), this.#bfp(t.peerFingerprint).bfp);
    const call = this.#runner.start(options, 'touch');
    if (pairs.length === 0) return;
    await this.#runner.run('touch', call, async () => {
      for (let i = 0; i < pairs.length; i += 2 * TOUCH_CHUNK) {
        await this.#runner.client.callBuffer('ZADD', this.#keys.lru, 'XX', 'GT', ...pairs.slice(i, i + 2 * TOUCH_CHUNK));
      }
    });
  }

  /** Removes every entry established at or before `establishedBeforeMs`; the timeout bounds each chunk of 500. */
  async prune(establishedBeforeMs: number, options?: StoreCallOptions): Promise<number> {
    const before = checkTimeMs(establishedBeforeMs, 'establishedBeforeMs');
    const call = this.#runner.start(options, 'prune');
    this.#rows.forgetAll();
    let removed = 0;
    for (;;) {
      const reply = await this.#runner.run('prune', call, () =>
        this.#runner.script('pqblePrune', [this.#keys.lru, this.#keys.established], [this.#keys.prefix, String(before), String(PRUNE_CHUNK)], true),
      );
      const [n, examined] = Array.isArray(reply) ? (reply as number[]) : [0, 0];
      removed += Number(n) || 0;
      if (examined !== PRUNE_CHUNK) return removed;
      if (this.#runner.closed) throw new StoreError('PQBLE_ERR_STORE_CLOSED', 'redis: the store is closed');
    }
  }

  /**
   * Every entry (ZSCAN of the LRU set, 200 per round trip; the timeout bounds each), each
   * once; entries added or removed during the walk may or may not appear.
   */
  async *entries(options?: StoreCallOptions): AsyncIterable<StoredSession> {
    const call = this.#runner.start(options, 'entries');
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const scan = await this.#runner.run('entries', call, () => this.#runner.client.callBuffer('ZSCAN', this.#keys.lru, cursor, 'COUNT', String(SCAN_CHUNK)));
      if (!Array.isArray(scan) || scan.length !== 2 || !Buffer.isBuffer(scan[0]) || !Array.isArray(scan[1]))
        throw new StoreError('PQBLE_ERR_STORE_IO', 'redis: unexpected ZSCAN reply');
      cursor = scan[0].toString('latin1');
      const members: Buffer[] = [];
      const flat = scan[1] as unknown[];
      for (let i = 0; i < flat.length; i += 2) {
        const m = flat[i];
        if (!Buffer.isBuffer(m)) continue;
        const hex = m.toString('hex');
        if (seen.has(hex)) continue;
        seen.add(hex);
        members.push(m);
      }
      if (members.length === 0) continue;
      const rows = await this.#runner.run('entries', call, () => this.#runner.script('pqbleGetMany', [this.#keys.lru], [this.#keys.prefix, ...members], false));
      for (const row of Array.isArray(rows) ? (rows as unknown[]) : []) {
        if (!isRow(row)) continue;
        const e = this.#rows.decode(row);
        if (e !== undefined) yield e.session;
      }
      if (this.#runner.closed) throw new StoreError('PQBLE_ERR_STORE_CLOSED', 'redis: the store is closed');
    } while (cursor !== '0');
  }

  /** Entries stored now (the LRU set minus members whose entry has expired). */
  async size(options?: StoreCallOptions): Promise<number> {
    const call = this.#runner.start(options, 'size');
    const before = Date.now() - this.#o.sessionLifetimeMs;
    return this.#runner.run('size', call, async () => {
      const n = await this.#runner.script(
        'pqbleSize',
        [this.#keys.lru, this.#keys.established],
        [this.#keys.prefix, String(before), String(SWEEP_LIMIT)],
        true,
      );
      return Math.max(0, Number(n) || 0);
    });
  }

  // --- named values (named-values.ts) ----------------------------------------------

  /** A named value (sealed like entries), or `undefined`; a damaged one is logged and reads as unset. */
  getValue(name: string, options?: StoreCallOptions): Promise<Uint8Array | undefined> {
    return this.#named.getValue(name, options);
  }

  /** Sets (or with `undefined`, removes) a named value, at most 4 KiB. */
  putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void> {
    return this.#named.putValue(name, value, options);
  }

  /** Every named value whose name starts with `prefix` (SSCAN of `{ns}:vals`, 200 per round trip; the timeout bounds each). */
  listValues(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]> {
    return this.#named.listValues(prefix, options);
  }

  /** Closes the connection if the store made it (within the default timeout); idempotent. */
  async close(): Promise<void> {
    if (this.#runner.closed) return;
    this.#runner.markClosed();
    this.#rows.forgetAll();
    if (!this.#owned) return;
    try {
      await bounded('close', { signal: undefined, timeoutMs: this.#o.timeoutMs }, () => this.#runner.client.quit());
    } catch {
      // Redis gone or slow: drop the connection instead.
    } finally {
      this.#runner.client.disconnect();
    }
  }
}
