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
 * The keeper decides; its parts each have a file: store-calls.ts (the store calls with their
 * timeout), trust-state.ts (keys and bindings), session-clock.ts (the lifetime clock),
 * upkeep.ts (the flush timer) and keeper-types.ts. This file stays a little over 400 lines on
 * purpose: what is left is the keeper's policy (find, commit, store, trust, forget, prune,
 * flush), which reads best in one place.
 *
 * @module
 */

import { bytesToHex, hexToBytes, wipe } from '../bytes.js';
import { StoreError, isPqbleError } from '../errors.js';
import { identityFingerprint } from '../identity/identity.js';
import { fingerprintBytes, parseFingerprint, type Fingerprint } from '../ids.js';
import { deriveDirectionSecret, deriveResumeTicketId } from '../resumption/index.js';
import type { SessionStore, StoreCallOptions, StoredSession } from '../session/store.js';
import { LruMap } from '../util/lru.js';
import type { CommitOutcome, InboundSession, KeeperCounters, OutboundMiss, OutboundSession, SessionKeeperOptions } from './keeper-types.js';
import { CLOCK_HWM_KEY, SessionClock } from './session-clock.js';
import { StoreCalls, storedFingerprint } from './store-calls.js';
import { TrustState } from './trust-state.js';
import { Upkeep } from './upkeep.js';

/** Peers whose last full handshake is remembered to resolve crossed handshakes. */
const MAX_RECENT_FULL = 256;

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
  readonly #calls: StoreCalls;
  readonly #trustState: TrustState;
  readonly #touches = new Map<string, number>();
  readonly #recentFull = new LruMap<RecentFull>();
  readonly #time: SessionClock;
  readonly #upkeep: Upkeep;
  #closed = false;
  #size = 0;

  private constructor(options: SessionKeeperOptions) {
    this.#o = options;
    this.#self = options.selfFingerprint.slice();
    this.#selfFp = parseFingerprint(this.#self, 'selfFingerprint');
    this.#calls = new StoreCalls({ clock: options.clock, logger: options.logger, timeoutMs: options.storeTimeoutMs, counters: this.counters });
    this.#time = new SessionClock({ clock: options.clock, logger: options.logger, lifetimeMs: options.lifetimeMs, maxClockSkewMs: options.maxClockSkewMs });
    this.#upkeep = new Upkeep(options.clock);
    this.#trustState = new TrustState({ store: options.store, calls: this.#calls, directory: options.directory, crypto: options.crypto });
  }

  /** Opens the keeper: restores the clock high-water mark and the persisted trust state. */
  static async open(options: SessionKeeperOptions): Promise<SessionKeeper> {
    const keeper = new SessionKeeper(options);
    await keeper.#restore();
    keeper.#upkeep.afterEach(options.flushIntervalMs, () => keeper.flush());
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
    return this.#time.now();
  }

  /** True if `entry` may no longer be resumed. */
  isExpired(entry: Pick<StoredSession, 'establishedMs' | 'lastActiveMs'>): boolean {
    return this.#time.isExpired(entry);
  }

  // ---- initiator -------------------------------------------------------------------------

  /**
   * The session to resume with the device at `deviceId` (a hint), if any, usable and still
   * trusted; `expected` restricts it to one identity. A session the trust policy now refuses
   * is purged (except under `tofu`, see {@link trustResumed}). Counts a hit or a miss.
   * @returns the session, or why there is none to resume with
   */
  async outboundFor(deviceId: string, expected: Fingerprint | undefined, signal?: AbortSignal): Promise<OutboundSession | OutboundMiss> {
    const found = await this.#calls.attempt('getByDevice', (o) => this.#o.store.getByDevice(deviceId, o), signal);
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
    const r = await this.#calls.attempt(
      'replaceOutbound',
      (o) => this.#o.store.replaceOutbound(session.peerFingerprintHex, session.secret, next, update, o),
      signal,
    );
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
    const found = await this.#calls.attempt('getByTicket', (o) => this.#o.store.getByTicket(ticketId, o), signal);
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
      await this.#calls.call('delete', (o) => this.#o.store.delete(entry.peerFingerprint, o), signal);
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
      const r = await this.#calls.attempt(
        'consumeInbound',
        (o) => this.#o.store.consumeInbound(session.peerFingerprintHex, session.ticketId, { secret: next, ticketId }, update, o),
        signal,
      );
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
  async storeFull(init: {
    deviceId: string;
    peerPublicKey: Uint8Array;
    resumptionSecret: Uint8Array;
    sessionId: Uint8Array;
    startedAt: number;
  }): Promise<void> {
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
    if (this.#recentFull.size > MAX_RECENT_FULL) this.#recentFull.delete(this.#recentFull.oldestKey()!);
    await this.#put(peerHex, peer, init.deviceId, init.resumptionSecret, this.now());
  }

  /** Stores a session from a resumption master secret (full handshakes and `cacheSession()`). */
  put(peerHex: Fingerprint, deviceId: string, masterSecret: Uint8Array, establishedMs: number): Promise<void> {
    return this.#put(peerHex, fingerprintBytes(peerHex), deviceId, masterSecret, establishedMs);
  }

  /** {@link put} with the fingerprint in both forms (`peer` holds the bytes of `peerHex`). */
  async #put(peerHex: Fingerprint, peer: Uint8Array, deviceId: string, masterSecret: Uint8Array, establishedMs: number): Promise<void> {
    if (peerHex === this.#selfFp) throw new RangeError("a session with this side's own identity cannot be resumed");
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
      await this.#calls.call('put', (o) => this.#o.store.put(session, o));
      this.#touches.delete(peerHex);
      await this.#refreshSize();
    } finally {
      wipe(outbound, inbound, ticketId);
    }
  }

  // ---- trust state (trust-state.ts) -------------------------------------------------------

  /** {@link TrustState.pinnedKeyFor}. */
  pinnedKeyFor(deviceId: string, expected: Fingerprint | undefined, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    return this.#trustState.pinnedKeyFor(deviceId, expected, signal);
  }

  /** {@link TrustState.noteIdentityAt}. */
  noteIdentityAt(deviceId: string, peerHex: Fingerprint): void {
    this.#trustState.noteIdentityAt(deviceId, peerHex);
  }

  /** {@link TrustState.learnKey}. */
  learnKey(peerHex: string, publicKey: Uint8Array): Promise<void> {
    return this.#trustState.learnKey(peerHex, publicKey);
  }

  /** {@link TrustState.tofuBinding}. */
  tofuBinding(deviceId: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.#trustState.tofuBinding(deviceId, signal);
  }

  /** {@link TrustState.persistBinding}. */
  persistBinding(deviceId: string, peerHex: string): Promise<void> {
    return this.#trustState.persistBinding(deviceId, peerHex);
  }

  // ---- upkeep ----------------------------------------------------------------------------

  /** Marks a peer's session active now (batched; written at the next flush). */
  touch(peerHex: string): void {
    if (!this.#closed) this.#touches.set(peerHex, this.now());
  }

  /** Forgets a peer everywhere: its session, its learned key and its TOFU bindings. */
  async forget(peerHex: string): Promise<boolean> {
    this.#touches.delete(peerHex);
    this.#trustState.forgetKey(peerHex);
    this.#recentFull.delete(peerHex);
    // Every step is tried even if one fails; a failure is reported at the end, so the caller
    // knows the store may still hold the session, the key or a binding (and can call again).
    const failed: string[] = [];
    const step = async <T>(op: string, fn: (o: StoreCallOptions) => Promise<T>): Promise<T | undefined> => {
      const r = await this.#calls.attempt(op, fn);
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
      throw new StoreError(
        'PQBLE_ERR_STORE_IO',
        `forgetting the peer did not reach the session store (${[...new Set(failed)].join(', ')} failed); the store may still hold its session, key or bindings: call forgetPeer again`,
      );
    }
    return had === true;
  }

  /** Removes expired sessions; resolves how many went. */
  async prune(): Promise<number> {
    const n = await this.#calls.call('prune', (o) => this.#o.store.prune(this.now() - this.#o.lifetimeMs, o));
    this.counters.expired += n ?? 0;
    await this.#refreshSize();
    return n ?? 0;
  }

  /** Writes batched touches and the clock high-water mark now. */
  async flush(): Promise<void> {
    const updates = [...this.#touches].map(([peerFingerprint, lastActiveMs]) => ({ peerFingerprint, lastActiveMs }));
    this.#touches.clear();
    if (updates.length > 0) await this.#calls.call('touch', (o) => this.#o.store.touch(updates, o));
    const mark = this.#time.nextMark();
    if (mark !== undefined) {
      await this.#calls.call('putValue', (o) => this.#o.store.putValue(CLOCK_HWM_KEY, mark.value, o));
      mark.written();
    }
  }

  /** Flushes and stops the flush timer. The store is closed by its owner. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Closed first: a periodic flush still running must not schedule the next one.
    this.#closed = true;
    this.#upkeep.stop();
    await this.flush();
  }

  // ---- internals -------------------------------------------------------------------------

  /** Expiry and trust for a session about to be resumed; purges what may not be used. */
  async #usable(entry: StoredSession, deviceId: string, signal?: AbortSignal): Promise<'trusted' | 'refused' | 'needs-key' | 'expired'> {
    if (this.isExpired(entry)) {
      this.counters.expired++;
      await this.#calls.call('delete', (o) => this.#o.store.delete(entry.peerFingerprint, o), signal);
      await this.#refreshSize();
      return 'expired';
    }
    return this.#trust(storedFingerprint(entry), deviceId, signal);
  }

  async #trust(peerHex: Fingerprint, deviceId: string, signal?: AbortSignal): Promise<'trusted' | 'refused' | 'needs-key'> {
    const directory = this.#o.directory;
    const key = directory.mode === 'callback' ? await this.#trustState.keyFor(peerHex, signal) : undefined;
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
        await this.#calls.call('delete', (o) => this.#o.store.delete(peerHex, o), signal);
        await this.#refreshSize();
      }
    } else if (verdict === 'trusted' && directory.mode === 'tofu' && wasBound === undefined) {
      await this.persistBinding(deviceId, peerHex);
    }
    return verdict;
  }

  async #restore(): Promise<void> {
    const store = this.#o.store;
    this.#time.restore(await this.#calls.call('getValue', (o) => store.getValue(CLOCK_HWM_KEY, o)));
    await this.#trustState.restore();
    await this.#refreshSize();
  }

  async #refreshSize(): Promise<void> {
    const n = await this.#calls.call('size', (o) => this.#o.store.size(o));
    if (n !== undefined) this.#size = n;
  }
}
