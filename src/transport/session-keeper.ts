/**
 * The session keeper (docs/security.md "Session state", docs/store.md): everything the
 * transport knows about past sessions, between the setup driver and a {@link SessionStore}.
 *
 * - Finds the session to resume (initiator: by device id hint; responder: by ticket id),
 *   applies the trust policy to it on every resumption, and purges a refused peer.
 * - Commits the ratchet durably: the responder consumes the peer's ticket (atomic single use)
 *   before its accept leaves; the initiator replaces its outbound secret before it uses the
 *   new keys.
 * - Stores the direction-separated secrets of every full handshake, resolving crossed full
 *   handshakes the same way on both sides.
 * - Persists trust state with the sessions: learned public keys (`pk:<fingerprint>`) and
 *   TOFU bindings (`tofu:<device id>`), restored at start-up.
 * - Keeps the lifetime honest: wall-clock `established`, a persisted high-water mark
 *   (`clock:hwm`) and monotonic time within the process, so a clock moved back never keeps a
 *   session alive.
 * - Batches last-active touches.
 *
 * Every store call has a timeout; a store that fails or times out costs a full handshake,
 * never a hang and never a ticket accepted twice.
 *
 * @module
 */

import { bytesToHex, hexToBytes, readU32, wipe, writeU32 } from '../bytes.js';
import { holdClock, type Timer } from '../clock.js';
import { HandshakeError, StoreError, isPqbleError } from '../errors.js';
import { identityFingerprint } from '../identity/identity.js';
import { FINGERPRINT_BYTES, IDENTITY_PUBLIC_KEY_BYTES, fingerprintBytes, parseFingerprint, type Fingerprint } from '../ids.js';
import { deriveDirectionSecret, deriveResumeTicketId } from '../resumption/index.js';
import type { SessionStore, StoreCallOptions, StoredSession } from '../session/store.js';
import { DIAGNOSTICS_CHANNELS, publish } from './diagnostics.js';
import type { CommitOutcome, InboundSession, KeeperCounters, OutboundMiss, OutboundSession, SessionKeeperOptions } from './keeper-types.js';

/** Most persisted public keys and TOFU bindings restored at start-up. */
const MAX_RESTORED_TRUST = 10_000;
/** Bytes of a learned ML-DSA-65 public key. */

/** Up to `max` items of an async iterable. */
async function collect<T>(items: AsyncIterable<T>, max: number): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    if (out.length >= max) break;
    out.push(item);
  }
  return out;
}

/** One completed full handshake, remembered to resolve crossed handshakes. */
interface RecentFull {
  readonly sessionIdHex: string;
  readonly completedAt: number;
}

/**
 * Owns the session state of one transport (see the module header).
 */
export class SessionKeeper {
  readonly counters: KeeperCounters = { hits: 0, misses: 0, expired: 0, refused: 0, storeFailures: 0 };
  readonly #o: SessionKeeperOptions;
  readonly #self: Uint8Array;
  /** {@link #self} parsed once (compared with every stored fingerprint). */
  readonly #selfFp: Fingerprint;
  readonly #touches = new Map<string, number>();
  readonly #recentFull = new Map<string, RecentFull>();
  readonly #keys = new Map<string, Uint8Array>();
  readonly #identityAt = new Map<string, Fingerprint>();
  /** Wall clock at open (persisted high-water mark included) and the monotonic time then. */
  #wallBase = 0;
  #monoBase = 0;
  #hwmWritten = 0;
  #flushTimer: Timer | undefined;
  #closed = false;
  #size = 0;

  private constructor(options: SessionKeeperOptions) {
    this.#o = options;
    this.#self = options.selfFingerprint.slice();
    this.#selfFp = parseFingerprint(this.#self, 'selfFingerprint');
  }

  /** Opens the keeper: restores the clock high-water mark and the persisted trust state. */
  static async open(options: SessionKeeperOptions): Promise<SessionKeeper> {
    const keeper = new SessionKeeper(options);
    await keeper.#restore();
    keeper.#scheduleFlush();
    return keeper;
  }

  /** The store behind the keeper. */
  get store(): SessionStore {
    return this.#o.store;
  }

  /** Entries in the store, as last seen (refreshed after every write). */
  get size(): number {
    return this.#size;
  }

  /**
   * Wall-clock ms for expiry decisions: never less than the persisted high-water mark plus
   * the monotonic time elapsed in this process, so a clock moved back does not make sessions
   * live longer.
   */
  now(): number {
    const clock = this.#o.clock;
    return Math.floor(Math.max(clock.wallNow(), this.#wallBase + (clock.now() - this.#monoBase)));
  }

  /** True if `entry` may no longer be resumed. */
  isExpired(entry: Pick<StoredSession, 'establishedMs' | 'lastActiveMs'>): boolean {
    const now = this.now();
    const skew = this.#o.maxClockSkewMs;
    return now >= entry.establishedMs + this.#o.lifetimeMs || entry.establishedMs > now + skew || entry.lastActiveMs > now + skew;
  }

  // ---- initiator -------------------------------------------------------------------------

  /**
   * The session to resume with the device at `deviceId` (a hint), if any, usable and still
   * trusted; `expected` restricts it to one identity. A session the trust policy now refuses
   * is purged (except under `tofu`, see {@link trustResumed}). Counts a hit or a miss.
   * @returns the session, or why there is none to resume with
   */
  async outboundFor(deviceId: string, expected: Fingerprint | undefined, signal?: AbortSignal): Promise<OutboundSession | OutboundMiss> {
    const found = await this.#attempt('getByDevice', (o) => this.#o.store.getByDevice(deviceId, o), signal);
    if (!found.ok) {
      this.counters.misses++;
      return { miss: 'store-timeout' };
    }
    const entry = found.value;
    if (
      entry === undefined ||
      entry.outbound === undefined ||
      entry.peerFingerprint === this.#selfFp ||
      (expected !== undefined && expected !== entry.peerFingerprint)
    ) {
      this.counters.misses++;
      return { miss: 'none' };
    }
    const usable = await this.#usable(entry, deviceId, signal);
    if (usable !== 'trusted') {
      this.counters.misses++;
      return { miss: usable === 'refused' ? 'untrusted' : usable };
    }
    this.counters.hits++;
    return { peerFingerprint: hexToBytes(entry.peerFingerprint), peerFingerprintHex: storedFingerprint(entry), secret: entry.outbound.slice() };
  }

  /**
   * After an accept: makes the initiator's next outbound secret durable (compare-and-set on
   * the one it used). Resolves `'ok'`, `'conflict'` (another user of the store ratcheted
   * first) or `'store-timeout'` (the store failed or timed out); on anything but `'ok'` the
   * caller must not use this resumption's keys.
   */
  async commitOutbound(session: OutboundSession, next: Uint8Array, deviceId: string, signal?: AbortSignal): Promise<CommitOutcome> {
    const update = { deviceId, lastActiveMs: this.now() };
    const r = await this.#attempt('replaceOutbound', (o) => this.#o.store.replaceOutbound(session.peerFingerprintHex, session.secret, next, update, o), signal);
    return !r.ok ? 'store-timeout' : r.value === true ? 'ok' : 'conflict';
  }

  // ---- responder -------------------------------------------------------------------------

  /**
   * The session a resume request's ticket id names, if any; `'expired'` for a session past
   * its lifetime (it is removed; a ticket id is only known to its holder, so this is no
   * unauthenticated destruction); `'store-timeout'` if the store failed or timed out.
   * Counts a hit or a miss.
   */
  async inboundFor(ticketId: Uint8Array, signal?: AbortSignal): Promise<InboundSession | 'expired' | 'store-timeout' | undefined> {
    const found = await this.#attempt('getByTicket', (o) => this.#o.store.getByTicket(ticketId, o), signal);
    if (!found.ok) {
      this.counters.misses++;
      return 'store-timeout';
    }
    const entry = found.value;
    if (entry === undefined || entry.inbound === undefined) {
      this.counters.misses++;
      return undefined;
    }
    if (this.isExpired(entry)) {
      this.counters.misses++;
      this.counters.expired++;
      await this.#call('delete', (o) => this.#o.store.delete(entry.peerFingerprint, o), signal);
      return 'expired';
    }
    this.counters.hits++;
    return {
      peerFingerprint: hexToBytes(entry.peerFingerprint),
      peerFingerprintHex: storedFingerprint(entry),
      secret: entry.inbound.secret.slice(),
      ticketId: entry.inbound.ticketId.slice(),
      deviceId: entry.deviceId,
    };
  }

  /**
   * The trust policy applied to a resumption the responder verified (the binder proved the
   * peer holds the session). A refused peer's session is purged.
   * @returns `'trusted'`, `'refused'` or `'needs-key'` (run a full handshake instead)
   */
  async trustResumed(session: InboundSession, deviceId: string, signal?: AbortSignal): Promise<'trusted' | 'refused' | 'needs-key'> {
    return this.#trust(session.peerFingerprintHex, deviceId, signal);
  }

  /**
   * Before the accept leaves: consumes the peer's ticket (atomic single use) and stores the
   * next inbound secret, durably. Resolves `'ok'`, `'conflict'` (the ticket was consumed
   * already) or `'store-timeout'`; on anything but `'ok'` the responder must refuse.
   */
  async commitInbound(session: InboundSession, next: Uint8Array, deviceId: string, signal?: AbortSignal): Promise<CommitOutcome> {
    const ticketId = deriveResumeTicketId(next, session.peerFingerprint, this.#self, this.#o.crypto);
    try {
      const update = { deviceId, lastActiveMs: this.now() };
      const r = await this.#attempt('consumeInbound', (o) => this.#o.store.consumeInbound(session.peerFingerprintHex, session.ticketId, { secret: next, ticketId }, update, o), signal);
      return !r.ok ? 'store-timeout' : r.value === true ? 'ok' : 'conflict';
    } finally {
      wipe(ticketId);
    }
  }

  // ---- full handshakes -------------------------------------------------------------------

  /**
   * After a full handshake (both roles): learns the peer's public key and stores the two
   * direction secrets derived from the handshake's resumption master secret. Of two full
   * handshakes with one peer that overlap in time (crossed connections), the one with the
   * smaller session id is kept, on both sides.
   */
  async storeFull(init: { deviceId: string; peerPublicKey: Uint8Array; resumptionSecret: Uint8Array; sessionId: Uint8Array; startedAt: number }): Promise<void> {
    const peer = identityFingerprint(init.peerPublicKey, this.#o.crypto);
    const peerHex = parseFingerprint(peer, 'peer fingerprint');
    // A peer with our own identity (two gateways sharing one hub identity) has no
    // direction to resume in: both directions would be the same secret.
    if (peerHex === this.#selfFp) return;
    await this.learnKey(peerHex, init.peerPublicKey);
    const sessionIdHex = bytesToHex(init.sessionId);
    const clock = this.#o.clock;
    const recent = this.#recentFull.get(peerHex);
    if (recent !== undefined && recent.completedAt >= init.startedAt && recent.sessionIdHex < sessionIdHex) return;
    this.#recentFull.set(peerHex, { sessionIdHex, completedAt: clock.now() });
    if (this.#recentFull.size > 256) this.#recentFull.delete(this.#recentFull.keys().next().value as string);
    await this.#put(peerHex, peer, init.deviceId, init.resumptionSecret, this.now());
  }

  /** Stores a session from a resumption master secret (full handshakes and `cacheSession()`). */
  put(peerHex: Fingerprint, deviceId: string, masterSecret: Uint8Array, establishedMs: number): Promise<void> {
    return this.#put(peerHex, fingerprintBytes(peerHex), deviceId, masterSecret, establishedMs);
  }

  /** {@link put} with the fingerprint in both forms (`peer` holds the bytes of `peerHex`). */
  async #put(peerHex: Fingerprint, peer: Uint8Array, deviceId: string, masterSecret: Uint8Array, establishedMs: number): Promise<void> {
    if (peerHex === this.#selfFp) throw new RangeError('a session with this side\'s own identity cannot be resumed');
    const crypto = this.#o.crypto;
    const outbound = deriveDirectionSecret(masterSecret, this.#self, peer, crypto);
    const inbound = deriveDirectionSecret(masterSecret, peer, this.#self, crypto);
    const ticketId = deriveResumeTicketId(inbound, peer, this.#self, crypto);
    try {
      const now = this.now();
      const session: StoredSession = {
        peerFingerprint: peerHex,
        deviceId,
        establishedMs,
        lastActiveMs: Math.max(now, establishedMs),
        outbound,
        inbound: { secret: inbound, ticketId },
      };
      await this.#call('put', (o) => this.#o.store.put(session, o));
      this.#touches.delete(peerHex);
      await this.#refreshSize();
    } finally {
      wipe(outbound, inbound, ticketId);
    }
  }

  /** The peer's learned public key, if any (memory first, then the store). */
  async keyFor(peerHex: Fingerprint, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const cached = this.#keys.get(peerHex) ?? this.#o.directory.keyOf(peerHex);
    if (cached !== undefined) return cached.slice();
    const stored = await this.#call('getValue', (o) => this.#o.store.getValue(`pk:${peerHex}`, o), signal);
    if (stored === undefined || stored.length !== IDENTITY_PUBLIC_KEY_BYTES || bytesToHex(identityFingerprint(stored, this.#o.crypto)) !== peerHex) return undefined;
    this.#remember(peerHex, stored);
    return stored.slice();
  }

  /**
   * Initiator, pinned mode: the public key of the identity expected at `deviceId` (the one
   * the caller insists on, or the one last seen there), if it is known.
   */
  async pinnedKeyFor(deviceId: string, expected: Fingerprint | undefined, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    let hex = expected ?? this.#identityAt.get(deviceId);
    if (hex === undefined) {
      const entry = await this.#call('getByDevice', (o) => this.#o.store.getByDevice(deviceId, o), signal);
      if (entry !== undefined) hex = storedFingerprint(entry);
    }
    return hex === undefined ? undefined : this.keyFor(hex, signal);
  }

  /** Remembers (bounded, in memory) which identity last authenticated at a device id. */
  noteIdentityAt(deviceId: string, peerHex: Fingerprint): void {
    this.#identityAt.delete(deviceId);
    this.#identityAt.set(deviceId, peerHex);
    if (this.#identityAt.size > 1024) this.#identityAt.delete(this.#identityAt.keys().next().value as string);
  }

  /** Pins a learned public key and persists it (once). */
  async learnKey(peerHex: string, publicKey: Uint8Array): Promise<void> {
    const known = this.#keys.has(peerHex);
    this.#remember(peerHex, publicKey);
    this.#o.directory.pin(publicKey);
    if (!known) await this.#call('putValue', (o) => this.#o.store.putValue(`pk:${peerHex}`, publicKey, o));
  }

  /**
   * The fingerprint (hex) bound to a device id under `tofu`: the trust policy's binding, else
   * one in the store (made by another process sharing it, or not restored at start-up), which
   * is then bound here too.
   * @throws HandshakeError `PQBLE_ERR_PEER_UNTRUSTED` if the store fails (logged): a binding
   *   that cannot be looked up is not taken for none, so no other identity is bound over it
   */
  async tofuBinding(deviceId: string, signal?: AbortSignal): Promise<string | undefined> {
    const directory = this.#o.directory;
    const known = directory.boundAt(deviceId);
    if (known !== undefined) return known;
    const found = await this.#attempt('getValue', (o) => this.#o.store.getValue(`tofu:${deviceId}`, o), signal);
    if (!found.ok) throw new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'the trust-on-first-use binding of this device id could not be looked up in the session store');
    const stored = found.value;
    if (stored === undefined || stored.length !== FINGERPRINT_BYTES) return undefined;
    const hex = parseFingerprint(stored, 'stored TOFU binding');
    directory.bind(deviceId, hex);
    return hex;
  }

  /** Persists a TOFU binding made by the trust policy. */
  async persistBinding(deviceId: string, peerHex: string): Promise<void> {
    await this.#call('putValue', (o) => this.#o.store.putValue(`tofu:${deviceId}`, hexToBytes(peerHex), o));
  }

  // ---- upkeep ----------------------------------------------------------------------------

  /** Marks a peer's session active now (batched; written at the next flush). */
  touch(peerHex: string): void {
    if (!this.#closed) this.#touches.set(peerHex, this.now());
  }

  /** Forgets a peer everywhere: its session, its learned key and its TOFU bindings. */
  async forget(peerHex: string): Promise<boolean> {
    this.#touches.delete(peerHex);
    this.#keys.delete(peerHex);
    this.#recentFull.delete(peerHex);
    // Every step is tried even if one fails; a failure is reported at the end, so the caller
    // knows the store may still hold the session, the key or a binding (and can call again).
    const failed: string[] = [];
    const step = async <T>(op: string, fn: (o: StoreCallOptions) => Promise<T>): Promise<T | undefined> => {
      const r = await this.#attempt(op, fn);
      if (!r.ok) failed.push(op);
      return r.ok ? r.value : undefined;
    };
    const had = await step('delete', (o) => this.#o.store.delete(peerHex, o));
    await step('putValue', (o) => this.#o.store.putValue(`pk:${peerHex}`, undefined, o));
    const bound = await step('listValues', async (o) => {
      const names: string[] = [];
      for await (const [name, value] of this.#o.store.listValues('tofu:', o)) if (bytesToHex(value) === peerHex) names.push(name);
      return names;
    });
    for (const name of bound ?? []) await step('putValue', (o) => this.#o.store.putValue(name, undefined, o));
    await this.#refreshSize();
    if (failed.length > 0) {
      throw new StoreError('PQBLE_ERR_STORE_IO', `forgetting the peer did not reach the session store (${[...new Set(failed)].join(', ')} failed); the store may still hold its session, key or bindings: call forgetPeer again`);
    }
    return had === true;
  }

  /** Removes expired sessions; resolves how many went. */
  async prune(): Promise<number> {
    const n = await this.#call('prune', (o) => this.#o.store.prune(this.now() - this.#o.lifetimeMs, o));
    this.counters.expired += n ?? 0;
    await this.#refreshSize();
    return n ?? 0;
  }

  /** Writes batched touches and the clock high-water mark now. */
  async flush(): Promise<void> {
    const updates = [...this.#touches].map(([peerFingerprint, lastActiveMs]) => ({ peerFingerprint, lastActiveMs }));
    this.#touches.clear();
    if (updates.length > 0) await this.#call('touch', (o) => this.#o.store.touch(updates, o));
    const now = this.now();
    if (now > this.#hwmWritten) {
      const v = new Uint8Array(8);
      writeU32(v, 0, Math.floor(now / 2 ** 32));
      writeU32(v, 4, now >>> 0);
      await this.#call('putValue', (o) => this.#o.store.putValue('clock:hwm', v, o));
      this.#hwmWritten = now;
    }
  }

  /** Flushes and stops the flush timer. The store is closed by its owner. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Closed first: a periodic flush still running must not schedule the next one.
    this.#closed = true;
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    await this.flush();
  }

  // ---- internals -------------------------------------------------------------------------

  /** Expiry and trust for a session about to be resumed; purges what may not be used. */
  async #usable(entry: StoredSession, deviceId: string, signal?: AbortSignal): Promise<'trusted' | 'refused' | 'needs-key' | 'expired'> {
    if (this.isExpired(entry)) {
      this.counters.expired++;
      await this.#call('delete', (o) => this.#o.store.delete(entry.peerFingerprint, o), signal);
      await this.#refreshSize();
      return 'expired';
    }
    return this.#trust(storedFingerprint(entry), deviceId, signal);
  }

  async #trust(peerHex: Fingerprint, deviceId: string, signal?: AbortSignal): Promise<'trusted' | 'refused' | 'needs-key'> {
    const directory = this.#o.directory;
    const key = directory.mode === 'callback' ? await this.keyFor(peerHex, signal) : undefined;
    let wasBound: string | undefined;
    let lookupFailed = false;
    if (directory.mode === 'tofu') {
      try {
        wasBound = await this.tofuBinding(deviceId, signal);
      } catch (err) {
        if (!isPqbleError(err, 'PQBLE_ERR_PEER_UNTRUSTED')) throw err;
        lookupFailed = true;
      }
    }
    const verdict = lookupFailed ? 'refused' : await directory.checkResumed(peerHex, deviceId, key);
    if (verdict === 'refused') {
      this.counters.refused++;
      // allow-list and callback refuse the identity itself: its session goes. A TOFU
      // refusal is about the device id hint, which anyone can claim: the session stays.
      if (directory.mode !== 'tofu') {
        await this.#call('delete', (o) => this.#o.store.delete(peerHex, o), signal);
        await this.#refreshSize();
      }
    } else if (verdict === 'trusted' && directory.mode === 'tofu' && wasBound === undefined) {
      await this.persistBinding(deviceId, peerHex);
    }
    return verdict;
  }

  #remember(peerHex: string, key: Uint8Array): void {
    this.#keys.delete(peerHex);
    this.#keys.set(peerHex, key.slice());
    if (this.#keys.size > MAX_RESTORED_TRUST) this.#keys.delete(this.#keys.keys().next().value as string);
  }

  async #restore(): Promise<void> {
    const store = this.#o.store;
    const clock = this.#o.clock;
    const hwm = await this.#call('getValue', (o) => store.getValue('clock:hwm', o));
    this.#monoBase = clock.now();
    this.#wallBase = Math.floor(clock.wallNow());
    if (hwm !== undefined && hwm.length === 8) {
      const stored = readU32(hwm, 0) * 2 ** 32 + readU32(hwm, 4);
      if (stored > this.#wallBase) {
        this.#o.logger.warn('pqble: the wall clock is behind the last time this store saw; session lifetimes count from that time', { behindMs: stored - this.#wallBase });
        this.#wallBase = stored;
      }
      this.#hwmWritten = stored;
    }
    const directory = this.#o.directory;
    const keys = (await this.#call('listValues', (o) => collect(store.listValues('pk:', o), MAX_RESTORED_TRUST))) ?? [];
    for (const [name, value] of keys) {
      const hex = name.slice(3);
      if (value.length === IDENTITY_PUBLIC_KEY_BYTES && bytesToHex(identityFingerprint(value, this.#o.crypto)) === hex) {
        this.#remember(hex, value);
        directory.pin(value);
      }
    }
    const bindings = (await this.#call('listValues', (o) => collect(store.listValues('tofu:', o), MAX_RESTORED_TRUST))) ?? [];
    for (const [name, value] of bindings) if (value.length === FINGERPRINT_BYTES) directory.bind(name.slice(5), parseFingerprint(value, 'stored TOFU binding'));
    await this.#refreshSize();
  }

  async #refreshSize(): Promise<void> {
    const n = await this.#call('size', (o) => this.#o.store.size(o));
    if (n !== undefined) this.#size = n;
  }

  #scheduleFlush(): void {
    if (this.#closed) return;
    this.#flushTimer = this.#o.clock.setTimer(this.#o.flushIntervalMs, () => {
      this.flush().then(
        () => this.#scheduleFlush(),
        () => this.#scheduleFlush(),
      );
    });
  }

  /**
   * One store call with the keeper's timeout. A failure is logged and counted, and resolves
   * `undefined`: the caller treats it as "no session" (and so runs a full handshake).
   */
  async #call<T>(op: string, fn: (options: StoreCallOptions) => Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
    const r = await this.#attempt(op, fn, signal);
    return r.ok ? r.value : undefined;
  }

  /** {@link #call}, telling a failure apart from an `undefined` answer. Published on `pqble:store:call`. */
  async #attempt<T>(op: string, fn: (options: StoreCallOptions) => Promise<T>, signal?: AbortSignal): Promise<{ readonly ok: true; readonly value: T } | { readonly ok: false }> {
    const clock = this.#o.clock;
    const started = clock.now();
    try {
      const value = await holdClock(clock, fn({ signal, timeoutMs: this.#o.storeTimeoutMs }));
      publish(DIAGNOSTICS_CHANNELS.storeCall, () => ({ op, ok: true, durationMs: clock.now() - started }));
      return { ok: true, value };
    } catch (err) {
      const code = err instanceof StoreError ? err.code : isPqbleError(err) ? err.code : 'unexpected';
      publish(DIAGNOSTICS_CHANNELS.storeCall, () => ({ op, ok: false, code, durationMs: clock.now() - started }));
      if (isPqbleError(err, 'PQBLE_ERR_ABORTED')) throw err;
      this.counters.storeFailures++;
      this.#o.logger.warn('pqble: a session store call failed; falling back to a full handshake where needed', { code, error: String(err) });
      return { ok: false };
    }
  }
}

/**
 * The fingerprint of an entry a store handed back. The store contract (docs/store.md) returns
 * the fingerprint as it was put, and every `put` parses it, so it is not parsed again.
 */
function storedFingerprint(entry: Pick<StoredSession, 'peerFingerprint'>): Fingerprint {
  return entry.peerFingerprint as Fingerprint;
}
