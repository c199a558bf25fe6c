/**
 * `RedisSessionStore`: the per-entry session store seam (src/session/store.ts) on Redis or
 * Redis Cluster, shared by every gateway of a fleet (docs/fleet.md). Entries are sealed with
 * the fleet's storage keys, named by blinded ids, expire in Redis at `established +
 * lifetime`, and are capped per fleet with least-recently-active eviction; every mutation is
 * one Lua script (scripts.ts), so a ticket is consumed at most once across the fleet.
 *
 * @module
 */

import type { Cluster, Redis } from 'ioredis';
import { checkBytes, equalBytes, hexToBytes, utf8ToBytes, wipe } from '../../bytes.js';
import { isPqbleError, StoreError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { LruMap } from '../../util/lru.js';
import {
  type InboundSlot,
  type RatchetUpdate,
  type SessionStore,
  type SessionTouch,
  type StoreCallOptions,
  type StoredSession,
} from '../store.js';
import {
  checkCallOptions,
  checkConsumeInboundArgs,
  checkReplaceOutboundArgs,
  checkTouches,
  checkValueName,
  copyStoredSession,
  copyValue,
  storeClosed,
  TICKET_ID_BYTES,
  type CheckedCallOptions,
} from '../store-checks.js';
import { checkDeviceId, checkFingerprint, checkTimeMs } from '../validate.js';
import { bounded } from './call.js';
import { CallOrder } from './order.js';
import { makeClient, toStoreError, untilReady } from './client.js';
import { EntryCodec, type EntryRecord } from './entry.js';
import { Blinder, KeyLayout } from './keys.js';
import { resolveRedisOptions, type RedisSessionStoreOptions, type ResolvedRedisOptions } from './options.js';
import { FleetSealer } from './seal.js';
import { MAX_SEALED_VALUE_BYTES, ValueCodec } from './values.js';
import { OPEN_SCRIPT, SCRIPTS, type ScriptName } from './scripts.js';

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
const SCAN_CHUNK = 200;
const TOUCH_CHUNK = 256;
const RATCHET_ATTEMPTS = 4;
const RECENT_MAX = 4096;
/** A Buffer view of bytes (ioredis sends only Buffers as binary). */
function buf(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

type Row = [Buffer, Buffer, Buffer | null, number];

function isRow(value: unknown): value is Row {
  return Array.isArray(value) && value.length === 4 && Buffer.isBuffer(value[0]) && Buffer.isBuffer(value[1]);
}

/** The fleet session store on Redis (see the module header and docs/fleet.md). */
export class RedisSessionStore implements SessionStore {
  readonly #o: ResolvedRedisOptions;
  readonly #client: Redis | Cluster;
  readonly #owned: boolean;
  readonly #keys: KeyLayout;
  readonly #blinder: Blinder;
  readonly #sealer: FleetSealer;
  readonly #codec: EntryCodec;
  readonly #values: ValueCodec;
  readonly #logger: Logger;
  /** Raw values last read or written, by blinded fingerprint (hex): the expected value of a ratchet's compare-and-set. */
  readonly #recent = new LruMap<{ readonly hex: string; readonly raw: Buffer }>();
  /** Keys already warned about (bounded). */
  readonly #warned = new LruMap<string>();
  readonly #order = new CallOrder();
  #closed = false;
  #counters = { evictions: 0, expiries: 0, damaged: 0, retries: 0 };

  private constructor(o: ResolvedRedisOptions, client: Redis | Cluster, owned: boolean) {
    this.#o = o;
    this.#client = client;
    this.#owned = owned;
    this.#keys = new KeyLayout(o.namespace);
    this.#blinder = new Blinder(o.blindingKey, o.crypto);
    this.#sealer = new FleetSealer(o.storageKey, o.readKeys, o.crypto);
    this.#codec = new EntryCodec(this.#blinder, this.#sealer);
    this.#values = new ValueCodec(this.#blinder, this.#sealer, this.#keys);
    this.#logger = o.logger;
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
    const reply = await bounded('open', { signal: undefined, timeoutMs: timeoutMs }, () => this.#client.callBuffer('EVAL', OPEN_SCRIPT, 1, this.#keys.check, check));
    const [version, same] = Array.isArray(reply) ? (reply as [Buffer, number]) : [Buffer.alloc(0), 0];
    const v = version.toString('latin1');
    if (!/^([7-9]|\d{2,})\./.test(v)) throw new StoreError('PQBLE_ERR_STORE_IO', `redis: the store needs Redis 7.0 or newer (server says "${v.slice(0, 20) || 'older than 7.0'}")`);
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

  #start(options: StoreCallOptions | undefined, what: string): CheckedCallOptions {
    const call = checkCallOptions(options, this.#o.timeoutMs);
    if (this.#closed) throw storeClosed(`redis: ${what}`);
    return call;
  }

  /**
   * Runs a script, always with EVAL (never EVALSHA): a NOSCRIPT fallback would re-send some
   * calls after later ones already ran, breaking the order of calls (a Redis restart or a
   * failover empties the script cache). Durable writes WAIT for replicas in the same pipeline.
   */
  async #script(name: ScriptName, keys: readonly Buffer[], args: readonly (Buffer | string)[], write: boolean): Promise<unknown> {
    const { lua, numberOfKeys } = SCRIPTS[name];
    const tail = [numberOfKeys, ...keys, ...args];
    if (!write || this.#o.waitReplicas === 0) return this.#client.callBuffer('EVAL', lua, ...tail);
    const waitMs = this.#o.waitTimeoutMs ?? Math.max(10, this.#o.timeoutMs - 20);
    const results = await this.#client
      .pipeline()
      .callBuffer('EVAL', lua, ...tail)
      .call('WAIT', this.#o.waitReplicas, waitMs)
      .exec();
    const [scriptResult, waitResult] = results ?? [];
    if (scriptResult?.[0]) throw scriptResult[0];
    if (waitResult?.[0]) throw waitResult[0];
    const acked = Number(waitResult?.[1]);
    if (!(acked >= this.#o.waitReplicas)) {
      throw new StoreError('PQBLE_ERR_STORE_UNAVAILABLE', `redis: a write reached ${acked} of ${this.#o.waitReplicas} replicas within ${waitMs} ms (treat it as not durable)`);
    }
    return scriptResult?.[1];
  }

  /** Runs one round trip of a public call: in call order, within the call's bound. */
  #run<T>(what: string, call: CheckedCallOptions, work: () => Promise<T>): Promise<T> {
    return bounded(what, call, async () => {
      await this.#order.turn();
      return work();
    });
  }

  #bfp(peerFingerprint: string): { bfp: Buffer; key: Buffer; hex: string } {
    const bfp = buf(this.#blinder.blind('fingerprint', hexToBytes(peerFingerprint)));
    return { bfp, key: this.#keys.entry(bfp), hex: bfp.toString('hex') };
  }

  #warnOnce(what: string, key: string, fields: Record<string, unknown>): void {
    this.#counters.damaged++;
    const id = `${what}:${key}`;
    if (this.#warned.get(id) !== undefined) return;
    this.#warned.set(id, id);
    if (this.#warned.size > RECENT_MAX) this.#warned.delete(this.#warned.oldest()!);
    this.#logger.warn(`pqble/redis: skipped ${what}`, fields);
  }

  /** The entry in a script row, or `undefined` (damaged ones are logged and skipped). */
  #decodeRow(row: Row): { session: StoredSession; raw: Buffer } | undefined {
    const [bfp, raw, score, dead] = row;
    const key = this.#keys.entry(bfp);
    let decoded: ReturnType<EntryCodec['decode']>;
    try {
      decoded = this.#codec.decode(key, bfp, raw);
    } catch {
      decoded = { failure: 'layout' };
    }
    if ('failure' in decoded) {
      const hint = decoded.failure === 'unknown-key' ? ' (sealed with a storage key this gateway does not have: give it in previousStorageKeys)' : '';
      this.#warnOnce(`a damaged session entry${hint}`, bfp.toString('hex'), { entry: bfp.toString('hex'), reason: decoded.failure, keyId: decoded.keyId });
      return undefined;
    }
    const r = decoded.record;
    const lastActive = score === null ? r.establishedMs : Number(score.toString('latin1'));
    const session: StoredSession = {
      ...r,
      inbound: dead === 1 ? undefined : r.inbound,
      lastActiveMs: Number.isSafeInteger(lastActive) && lastActive >= 0 ? lastActive : r.establishedMs,
    };
    if (dead === 1) wipe(r.inbound?.secret);
    this.#remember(bfp.toString('hex'), raw);
    return { session, raw };
  }

  #remember(hex: string, raw: Buffer): void {
    this.#recent.set(hex, { hex, raw });
    if (this.#recent.size > RECENT_MAX) this.#recent.delete(this.#recent.oldest()!.hex);
  }

  async #readEntry(bfp: Buffer, key: Buffer): Promise<{ session: StoredSession; raw: Buffer } | undefined> {
    const row = await this.#script('pqbleGet', [key], [this.#keys.prefix, bfp], false);
    return isRow(row) ? this.#decodeRow(row) : undefined;
  }

  // --- reads --------------------------------------------------------------------------

  /** The entry for a peer, or `undefined`. */
  async get(peerFingerprint: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    const fp = checkFingerprint(peerFingerprint);
    const call = this.#start(options, 'get');
    const { bfp, key } = this.#bfp(fp);
    return this.#run('get', call, async () => (await this.#readEntry(bfp, key))?.session);
  }

  /** The entry whose inbound ticket id is `ticketId` (16 bytes), or `undefined` (unknown or consumed). */
  async getByTicket(ticketId: Uint8Array, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    checkBytes(ticketId, 'ticketId', TICKET_ID_BYTES);
    const bt = buf(this.#blinder.blind('ticket', ticketId));
    const call = this.#start(options, 'getByTicket');
    return this.#run('getByTicket', call, async () => {
      const row = await this.#script('pqbleGetByPointer', [this.#keys.ticket(bt)], [this.#keys.prefix, '1', bt, '1'], false);
      return isRow(row) ? this.#decodeRow(row)?.session : undefined;
    });
  }

  /** The entry last seen at a device id (a hint), or `undefined`. */
  async getByDevice(deviceId: string, options?: StoreCallOptions): Promise<StoredSession | undefined> {
    const id = checkDeviceId(deviceId);
    const bd = buf(this.#blinder.blind('device', hexToBytes(id)));
    const call = this.#start(options, 'getByDevice');
    return this.#run('getByDevice', call, async () => {
      const row = await this.#script('pqbleGetByPointer', [this.#keys.device(bd)], [this.#keys.prefix, '33', bd, '0'], false);
      return isRow(row) ? this.#decodeRow(row)?.session : undefined;
    });
  }

  // --- writes -------------------------------------------------------------------------

  /** Inserts or replaces the entry for `session.peerFingerprint`; durable (acknowledged by Redis) when resolved. */
  async put(session: StoredSession, options?: StoreCallOptions): Promise<void> {
    const s = copyStoredSession(session);
    const call = this.#start(options, 'put');
    const { bfp, key, hex } = this.#bfp(s.peerFingerprint);
    const value = this.#codec.encode(key, s);
    wipe(s.outbound, s.inbound?.secret);
    const now = Date.now();
    const expireAt = s.establishedMs + this.#o.sessionLifetimeMs;
    this.#recent.delete(hex);
    await this.#run('put', call, async () => {
      const reply = await this.#script(
        'pqblePut',
        [key, this.#keys.lru, this.#keys.established],
        [this.#keys.prefix, bfp, value, String(expireAt), String(s.lastActiveMs), String(s.establishedMs), String(now - this.#o.sessionLifetimeMs), String(this.#o.maxSessions), String(SWEEP_LIMIT), String(now)],
        true,
      );
      const [stored, evicted, expired] = Array.isArray(reply) ? (reply as number[]) : [0, 0, 0];
      this.#counters.evictions += Number(evicted) || 0;
      this.#counters.expiries += Number(expired) || 0;
      if (stored === 1) this.#remember(hex, value);
    });
  }

  /** Atomic single use of an inbound ticket, fleet-wide (see `SessionStore.consumeInbound`). */
  async consumeInbound(peerFingerprint: string, ticketId: Uint8Array, next: InboundSlot | undefined, update: RatchetUpdate, options?: StoreCallOptions): Promise<boolean> {
    const { fp, next: nextSlot, update: u } = checkConsumeInboundArgs(peerFingerprint, ticketId, next, update);
    const ticket = ticketId.slice();
    const call = this.#start(options, 'consumeInbound');
    const bt = buf(this.#blinder.blind('ticket', ticket));
    try {
      return await bounded('consumeInbound', call, () =>
        this.#ratchet(fp, 'pqbleConsume', bt, u, (r) => r.inbound !== undefined && equalBytes(r.inbound.ticketId, ticket), (r) => ({ ...r, deviceId: u.deviceId, inbound: nextSlot })),
      );
    } finally {
      wipe(nextSlot?.secret);
    }
  }

  /** Compare-and-set of the outbound secret (see `SessionStore.replaceOutbound`). */
  async replaceOutbound(peerFingerprint: string, expected: Uint8Array, next: Uint8Array | undefined, update: RatchetUpdate, options?: StoreCallOptions): Promise<boolean> {
    const { fp, next: nextSecret, update: u } = checkReplaceOutboundArgs(peerFingerprint, expected, next, update);
    const want = expected.slice();
    const call = this.#start(options, 'replaceOutbound');
    const bo = buf(this.#blinder.blind('outbound', want));
    try {
      return await bounded('replaceOutbound', call, () =>
        this.#ratchet(fp, 'pqbleReplaceOutbound', bo, u, (r) => r.outbound !== undefined && equalBytes(r.outbound, want), (r) => ({ ...r, deviceId: u.deviceId, outbound: nextSecret })),
      );
    } finally {
      wipe(want, nextSecret);
    }
  }

  /**
   * Read (or reuse the value last seen), check, re-seal, and compare-and-set in one script;
   * read again if the entry changed in between (another field, another gateway).
   */
  async #ratchet(
    fp: string,
    script: 'pqbleConsume' | 'pqbleReplaceOutbound',
    blinded: Buffer,
    u: RatchetUpdate,
    matches: (r: StoredSession) => boolean,
    change: (r: StoredSession) => EntryRecord,
  ): Promise<boolean> {
    const { bfp, key, hex } = this.#bfp(fp);
    const place = this.#order.hold();
    try {
      await place.ready;
      return await this.#ratchetInLine(bfp, key, hex, script, blinded, u, matches, change, place.release);
    } finally {
      place.release();
    }
  }

  async #ratchetInLine(
    bfp: Buffer,
    key: Buffer,
    hex: string,
    script: 'pqbleConsume' | 'pqbleReplaceOutbound',
    blinded: Buffer,
    u: RatchetUpdate,
    matches: (r: StoredSession) => boolean,
    change: (r: StoredSession) => EntryRecord,
    release: () => void,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < RATCHET_ATTEMPTS; attempt++) {
      let raw = attempt === 0 ? this.#recent.get(hex)?.raw : undefined;
      let session: StoredSession | undefined;
      if (raw !== undefined) {
        const row = this.#decodeRow([bfp, raw, null, 0]);
        session = row?.session;
        if (session === undefined) raw = undefined;
      }
      if (raw === undefined) {
        const read = await this.#readEntry(bfp, key);
        if (read === undefined) return false;
        ({ session, raw } = read);
      }
      const s = session!;
      try {
        if (!matches(s)) {
          if (attempt === 0 && this.#recent.get(hex)?.raw === raw) {
            this.#recent.delete(hex);
            this.#counters.retries++;
            continue;
          }
          return false;
        }
        const value = this.#codec.encode(key, change(s));
        const sent = this.#script(script, [key, this.#keys.lru], [this.#keys.prefix, bfp, blinded, raw, value, String(u.lastActiveMs)], true);
        release(); // the compare-and-set is on the wire: later calls may follow it
        const reply = await sent;
        if (reply === 1) {
          this.#remember(hex, value);
          return true;
        }
        this.#recent.delete(hex);
        if (reply !== 2) return false;
        this.#counters.retries++;
      } finally {
        wipe(s.outbound, s.inbound?.secret);
      }
    }
    return false;
  }

  /** Removes a peer's entry; `true` if there was one. */
  async delete(peerFingerprint: string, options?: StoreCallOptions): Promise<boolean> {
    const fp = checkFingerprint(peerFingerprint);
    const call = this.#start(options, 'delete');
    const { bfp, key, hex } = this.#bfp(fp);
    this.#recent.delete(hex);
    return this.#run('delete', call, async () => (await this.#script('pqbleDelete', [key, this.#keys.lru, this.#keys.established], [this.#keys.prefix, bfp], true)) === 1);
  }

  /** Batched last-active updates of existing entries (`ZADD XX GT`: never moves back, ignores unknown peers). */
  async touch(updates: readonly SessionTouch[], options?: StoreCallOptions): Promise<void> {
    const pairs: (Buffer | string)[] = [];
    for (const t of checkTouches(updates)) pairs.push(String(t.lastActiveMs), this.#bfp(t.peerFingerprint).bfp);
    const call = this.#start(options, 'touch');
    if (pairs.length === 0) return;
    await this.#run('touch', call, async () => {
      for (let i = 0; i < pairs.length; i += 2 * TOUCH_CHUNK) {
        await this.#client.callBuffer('ZADD', this.#keys.lru, 'XX', 'GT', ...pairs.slice(i, i + 2 * TOUCH_CHUNK));
      }
    });
  }

  /** Removes every entry established at or before `establishedBeforeMs`; the timeout bounds each chunk of 500. */
  async prune(establishedBeforeMs: number, options?: StoreCallOptions): Promise<number> {
    const before = checkTimeMs(establishedBeforeMs, 'establishedBeforeMs');
    const call = this.#start(options, 'prune');
    this.#recent.clear();
    let removed = 0;
    for (;;) {
      const reply = await this.#run('prune', call, () =>
        this.#script('pqblePrune', [this.#keys.lru, this.#keys.established], [this.#keys.prefix, String(before), String(PRUNE_CHUNK)], true),
      );
      const [n, examined] = Array.isArray(reply) ? (reply as number[]) : [0, 0];
      removed += Number(n) || 0;
      if (examined !== PRUNE_CHUNK) return removed;
      if (this.#closed) throw new StoreError('PQBLE_ERR_STORE_CLOSED', 'redis: the store is closed');
    }
  }

  /**
   * Every entry (ZSCAN of the LRU set, 200 per round trip; the timeout bounds each), each
   * once; entries added or removed during the walk may or may not appear.
   */
  async *entries(options?: StoreCallOptions): AsyncIterable<StoredSession> {
    const call = this.#start(options, 'entries');
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const scan = await this.#run('entries', call, () => this.#client.callBuffer('ZSCAN', this.#keys.lru, cursor, 'COUNT', String(SCAN_CHUNK)));
      if (!Array.isArray(scan) || scan.length !== 2 || !Buffer.isBuffer(scan[0]) || !Array.isArray(scan[1])) throw new StoreError('PQBLE_ERR_STORE_IO', 'redis: unexpected ZSCAN reply');
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
      const rows = await this.#run('entries', call, () => this.#script('pqbleGetMany', [this.#keys.lru], [this.#keys.prefix, ...members], false));
      for (const row of Array.isArray(rows) ? (rows as unknown[]) : []) {
        if (!isRow(row)) continue;
        const e = this.#decodeRow(row);
        if (e !== undefined) yield e.session;
      }
      if (this.#closed) throw new StoreError('PQBLE_ERR_STORE_CLOSED', 'redis: the store is closed');
    } while (cursor !== '0');
  }

  /** Entries stored now (the LRU set minus members whose entry has expired). */
  async size(options?: StoreCallOptions): Promise<number> {
    const call = this.#start(options, 'size');
    const before = Date.now() - this.#o.sessionLifetimeMs;
    return this.#run('size', call, async () => {
      const n = await this.#script('pqbleSize', [this.#keys.lru, this.#keys.established], [this.#keys.prefix, String(before), String(SWEEP_LIMIT)], true);
      return Math.max(0, Number(n) || 0);
    });
  }

  // --- named values (values.ts) ----------------------------------------------------

  #warnValue(bname: Buffer, failure: string, keyId?: number): void {
    this.#warnOnce('a damaged named value', bname.toString('hex'), { value: bname.toString('hex'), reason: failure, keyId });
  }

  /** A named value (sealed like entries), or `undefined`; a damaged one is logged and reads as unset. */
  async getValue(name: string, options?: StoreCallOptions): Promise<Uint8Array | undefined> {
    const { bname, key } = this.#values.locate(checkValueName(name));
    const call = this.#start(options, 'getValue');
    return this.#run('getValue', call, async () => {
      // At most one byte more than the largest sealed value: a longer one is damaged (bounded read).
      const stored = await this.#client.callBuffer('GETRANGE', key, '0', String(MAX_SEALED_VALUE_BYTES));
      if (!Buffer.isBuffer(stored) || stored.length === 0) return undefined;
      const opened = this.#values.open(bname, stored);
      if ('failure' in opened) {
        this.#warnValue(bname, opened.failure, opened.keyId);
        return undefined;
      }
      return opened.value;
    });
  }

  /** Sets (or with `undefined`, removes) a named value, at most 4 KiB. */
  async putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void> {
    const checked = checkValueName(name);
    const { bname, key } = this.#values.locate(checked);
    const copy = copyValue(value);
    const sealed = copy === undefined ? undefined : this.#values.seal(key, checked, copy);
    wipe(copy);
    const call = this.#start(options, 'putValue');
    await this.#run('putValue', call, () =>
      sealed === undefined
        ? this.#script('pqbleDeleteValue', [key, this.#keys.values], [this.#keys.prefix, bname], false)
        : this.#script('pqblePutValue', [key, this.#keys.values], [this.#keys.prefix, bname, sealed], false),
    );
  }

  /** Every named value whose name starts with `prefix` (SSCAN of `{ns}:vals`, 200 per round trip; the timeout bounds each). */
  async *listValues(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]> {
    if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string, got ${typeof prefix}`);
    if (!/^[\x21-\x7e]{0,128}$/.test(prefix)) throw new RangeError('prefix must be 0..128 printable ASCII characters');
    const call = this.#start(options, 'listValues');
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const scan = await this.#run('listValues', call, () => this.#client.callBuffer('SSCAN', this.#keys.values, cursor, 'COUNT', String(SCAN_CHUNK)));
      if (!Array.isArray(scan) || scan.length !== 2 || !Buffer.isBuffer(scan[0]) || !Array.isArray(scan[1])) throw new StoreError('PQBLE_ERR_STORE_IO', 'redis: unexpected SSCAN reply');
      cursor = scan[0].toString('latin1');
      const members = (scan[1] as unknown[]).filter((m): m is Buffer => Buffer.isBuffer(m) && m.length === 16 && !seen.has(m.toString('hex')));
      for (const m of members) seen.add(m.toString('hex'));
      if (members.length === 0) continue;
      const rows = await this.#run('listValues', call, () => this.#script('pqbleGetValues', [this.#keys.values], [this.#keys.prefix, String(MAX_SEALED_VALUE_BYTES), ...members], false));
      for (const row of Array.isArray(rows) ? (rows as unknown[]) : []) {
        if (!Array.isArray(row) || !Buffer.isBuffer(row[0]) || !Buffer.isBuffer(row[1])) continue;
        const opened = this.#values.open(row[0], row[1]);
        if ('failure' in opened) this.#warnValue(row[0], opened.failure, opened.keyId);
        else if (opened.name.startsWith(prefix)) yield [opened.name, opened.value] as const;
      }
      if (this.#closed) throw storeClosed('redis: listValues');
    } while (cursor !== '0');
  }

  /** Closes the connection if the store made it (within the default timeout); idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#recent.clear();
    if (!this.#owned) return;
    try {
      await bounded('close', { signal: undefined, timeoutMs: this.#o.timeoutMs }, () => this.#client.quit());
    } catch {
      // Redis gone or slow: drop the connection instead.
    } finally {
      this.#client.disconnect();
    }
  }
}
