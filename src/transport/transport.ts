/**
 * `BleTransport`, the public entry (docs/api.md):
 *
 * ```
 * connectToDevice(deviceId)
 *   ├─ session for this device id, trusted ── resume (1 RTT; ratchet durable first)
 *   │                                └─ "cannot resume" ─> full handshake on the same link ─> store
 *   └─ none ─> full PQC handshake (ML-KEM-768 + X25519, ML-DSA-65) ─> store (both sides)
 * ```
 *
 * The transport owns the connection limits, the setup drivers and the trust policy; the
 * session keeper (session-keeper.ts) owns the session state in a per-entry store (memory,
 * the embedded file store, or one of your own such as `pqble/redis`). The link endpoint
 * (simulated radio, noble or bleno) is the caller's and is not closed by `close()`.
 *
 * The class is the public face; the jobs it delegates each have a file: options.ts (the
 * options and their defaults), checks.ts, session-state.ts (opening the store and keeper),
 * connect-attempts.ts (concurrent connects to one device), establish.ts (running a setup
 * into a connection), incoming.ts (the accept queue), stats.ts and types.ts.
 * It stays just over 400 lines: the public methods with their TSDoc, each a check and a
 * delegation.
 *
 * @module
 */

import { bytesToHex, checkBytes } from '../bytes.js';
import { holdClock } from '../clock.js';
import { defaultCrypto, type CryptoProvider } from '../crypto/index.js';
import { ClosedError, HandshakeError, LinkError, isPqbleError, throwIfAborted, type PqbleError } from '../errors.js';
import { PeerDirectory } from '../handshake/index.js';
import { RESUMPTION_SECRET_BYTES } from '../handshake/key-schedule.js';
import { identityFingerprint } from '../identity/identity.js';
import type { Identity } from '../identity/index.js';
import { IDENTITY_PUBLIC_KEY_BYTES, parseDeviceId, parseFingerprint, parseSessionId, type DeviceId, type Fingerprint } from '../ids.js';
import type { Link, LinkEndpoint } from '../link/types.js';
import { consoleLogger, type Logger } from '../logger.js';
import type { SessionStore } from '../session/store.js';
import { checkOptions, optInteger, optSignal } from '../util/options.js';
import { Channel } from './channel.js';
import type { BleConnection } from './connection.js';
import { TransportEvents, type TransportEventListener } from './events.js';
import type { SessionKeeper } from './session-keeper.js';
import { openSessionState } from './session-state.js';
import { SetupTrace } from './setup-trace.js';
import { checkEndpoint, checkIdentity, checkStoreAndPeers } from './checks.js';
import { ConnectAttempts } from './connect-attempts.js';
import { SetupRunner } from './establish.js';
import { IncomingConnections } from './incoming.js';
import { addClosedConnection, cacheStats, newTransportCounters, transportStats } from './stats.js';
import { OPTION_KEYS, resolveOptions, type BleTransportOptions, type ResolvedOptions } from './options.js';
import { Upkeep } from './upkeep.js';
import type { CacheSessionInit, CacheStats, ConnectOptions, SessionInfo, TransportStats } from './types.js';

/** A post-quantum secure BLE transport with session caching and 1-RTT resumption. */
export class BleTransport {
  /** This side's identity fingerprint (64 hex digits). */
  readonly fingerprint: string;
  /** The radio endpoint this transport runs on. */
  readonly endpoint: LinkEndpoint;

  readonly #identity: Identity;
  readonly #crypto: CryptoProvider;
  readonly #opts: ResolvedOptions;
  readonly #logger: Logger;
  readonly #keeper: SessionKeeper;
  /** The store, if this transport created it (and so closes it). */
  readonly #ownStore: SessionStore | undefined;
  readonly #directory: PeerDirectory;
  readonly #connections = new Set<BleConnection>();
  readonly #pending = new ConnectAttempts();
  readonly #setups: SetupRunner;
  /** Incoming setups still running (close() waits for them). */
  readonly #incomingDone = new Set<Promise<void>>();
  /** Incoming setups in progress (outgoing ones are counted in #pending). */
  #incomingSetups = 0;
  readonly #incoming: IncomingConnections;
  readonly #events: TransportEvents;
  readonly #upkeep: Upkeep;
  readonly #unsubscribeIncoming: () => void;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #counters = newTransportCounters();

  private constructor(
    options: BleTransportOptions,
    resolved: ResolvedOptions,
    keeper: SessionKeeper,
    directory: PeerDirectory,
    ownStore: SessionStore | undefined,
  ) {
    this.#identity = options.identity;
    this.#crypto = options.crypto ?? defaultCrypto();
    this.#opts = resolved;
    this.#logger = options.logger ?? consoleLogger;
    this.#events = new TransportEvents(this.#logger);
    this.endpoint = options.link;
    this.fingerprint = bytesToHex(options.identity.fingerprint);
    this.#keeper = keeper;
    this.#ownStore = ownStore;
    this.#directory = directory;
    this.#setups = new SetupRunner({
      identity: this.#identity,
      crypto: this.#crypto,
      directory,
      keeper,
      clock: options.link.clock,
      opts: resolved,
      counters: this.#counters,
      events: this.#events,
      connections: this.#connections,
      onClosed: (c, reason) => this.#connectionClosed(c, reason),
    });
    this.#upkeep = new Upkeep(options.link.clock);
    this.#incoming = new IncomingConnections(resolved.maxConnections * 2, this.#logger);
    this.#unsubscribeIncoming = options.link.onIncoming((link) => this.#accept(link));
  }

  /**
   * Creates a transport: validates the options, opens the session store (a damaged file is
   * set aside with a warning and the good entries are kept; a file another process owns is
   * `PQBLE_ERR_STORE_LOCKED`), restores the persisted trust state, starts the cleanup and
   * flush timers (none of which keeps the process alive) and starts accepting.
   */
  static async create(options: BleTransportOptions): Promise<BleTransport> {
    if (options === undefined) throw new TypeError('options must be an object');
    checkOptions(options, 'BleTransport.create', OPTION_KEYS);
    checkIdentity(options.identity);
    checkEndpoint(options.link);
    const logger = options.logger ?? consoleLogger;
    const resolved = resolveOptions(options, (message) => logger.warn(message));
    checkStoreAndPeers(options);
    const crypto = options.crypto ?? defaultCrypto();
    const directory = new PeerDirectory(options.trust ?? { mode: 'tofu' }, { crypto });
    const knownPeers: readonly Uint8Array[] = options.knownPeers ?? [];
    for (const key of knownPeers) directory.pin(key);
    const { keeper, ownStore } = await openSessionState(options, resolved, { crypto, logger, directory });
    const transport = new BleTransport(options, resolved, keeper, directory, ownStore);
    transport.#startTimers();
    return transport;
  }

  /**
   * Connects to a device and sets up a secure connection: resumes the cached session in one
   * round trip when there is one (and the trust policy still accepts its peer), else (or
   * when the peer cannot resume) runs the full handshake, on the same radio connection.
   * Concurrent calls for the same device share one attempt; a device already connected
   * returns its open connection.
   *
   * Rejects with a coded error: `PQBLE_ERR_CONNECTION_LIMIT`, `PQBLE_ERR_DEVICE_NOT_FOUND`,
   * `PQBLE_ERR_TIMEOUT`, `PQBLE_ERR_HANDSHAKE_TIMEOUT`, `PQBLE_ERR_PEER_UNTRUSTED`,
   * `PQBLE_ERR_HANDSHAKE_AUTH_FAILED`, `PQBLE_ERR_DISCONNECTED`, `PQBLE_ERR_ABORTED`, ...
   */
  async connectToDevice(deviceId: string, options: ConnectOptions = {}): Promise<BleConnection> {
    checkOptions(options, 'connectToDevice', ['signal', 'peerFingerprint']);
    optSignal(options.signal, 'signal');
    const id = parseDeviceId(deviceId);
    const expected = options.peerFingerprint === undefined ? undefined : parseFingerprint(options.peerFingerprint, 'peerFingerprint');
    this.#checkOpen();
    throwIfAborted(options.signal);
    // A connection or attempt shared with other callers must still prove the identity this
    // caller insists on.
    const proven = (c: BleConnection): BleConnection => {
      if (expected !== undefined && c.peerFingerprint !== expected) {
        throw new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'the device authenticated as a different identity than the one expected');
      }
      return c;
    };
    for (const c of this.#connections) {
      if (c.isOpen && c.peerDeviceId === id && c.role === 'initiator') return proven(c);
    }
    if (!this.#pending.has(id) && this.#slotsUsed() >= this.#opts.maxConnections) {
      throw new LinkError('PQBLE_ERR_CONNECTION_LIMIT', `connection limit reached (${this.#opts.maxConnections})`);
    }
    return proven(await this.#pending.join(id, (signal) => this.#connect(id, signal, expected), options.signal));
  }

  /**
   * The cached session for a device id (only a hint: the entry belongs to the identity last
   * seen there), without secrets; `undefined` if none or expired.
   */
  async lookupSession(deviceId: string): Promise<SessionInfo | undefined> {
    const id = parseDeviceId(deviceId);
    this.#checkOpen();
    const entry = await holdClock(this.endpoint.clock, this.#keeper.store.getByDevice(id, { timeoutMs: this.#opts.storeTimeoutMs }));
    if (entry === undefined || this.#keeper.isExpired(entry)) return undefined;
    return {
      peerFingerprint: entry.peerFingerprint,
      deviceId: entry.deviceId,
      establishedMs: entry.establishedMs,
      lastActiveMs: entry.lastActiveMs,
      expiresMs: entry.establishedMs + this.#opts.sessionCacheDurationMs,
      canResume: entry.outbound !== undefined,
    };
  }

  /**
   * Caches a session by hand (the transport does this itself after every full handshake):
   * `resumptionSecret` is the session's resumption master secret, which both sides must be
   * given; the two direction secrets are derived from it. Replaces any entry for the peer.
   */
  async cacheSession(init: CacheSessionInit): Promise<void> {
    this.#checkOpen();
    if (init === undefined) throw new TypeError('cacheSession: init must be an object');
    checkOptions(init, 'cacheSession', ['peerFingerprint', 'deviceId', 'resumptionSecret', 'sessionId', 'establishedMs', 'peerPublicKey']);
    const fingerprint = parseFingerprint(init.peerFingerprint, 'peerFingerprint');
    if (init.sessionId !== undefined) parseSessionId(init.sessionId, 'sessionId');
    checkBytes(init.resumptionSecret, 'resumptionSecret', RESUMPTION_SECRET_BYTES);
    const deviceId = parseDeviceId(init.deviceId);
    const now = this.#keeper.now();
    const established = optInteger(init.establishedMs, 'establishedMs', 0, 8.64e15, now);
    if (init.peerPublicKey !== undefined) {
      checkBytes(init.peerPublicKey, 'peerPublicKey', IDENTITY_PUBLIC_KEY_BYTES);
      if (bytesToHex(identityFingerprint(init.peerPublicKey, this.#crypto)) !== fingerprint)
        throw new RangeError('peerPublicKey does not match peerFingerprint');
      await this.#keeper.learnKey(fingerprint, init.peerPublicKey);
    }
    await this.#keeper.put(fingerprint, deviceId, init.resumptionSecret, established);
  }

  /** Marks the session of this device id as active now (written with the next batch). Resolves false if none. */
  async touchSession(deviceId: string): Promise<boolean> {
    const entry = await holdClock(this.endpoint.clock, this.#keeper.store.getByDevice(parseDeviceId(deviceId), { timeoutMs: this.#opts.storeTimeoutMs }));
    if (entry === undefined) return false;
    this.#keeper.touch(entry.peerFingerprint);
    return true;
  }

  /** Removes expired sessions now; resolves how many went. */
  pruneExpiredSessions(): Promise<number> {
    return this.#keeper.prune();
  }

  /**
   * Forgets a peer everywhere: its session, its learned or pinned key and its TOFU
   * bindings, in memory and in the store. Resolves true if there was anything to forget.
   * @throws StoreError `PQBLE_ERR_STORE_IO` if a store call failed or timed out (every step is
   *   still tried; memory is forgotten either way; calling again finishes the job)
   */
  async forgetPeer(fingerprint: Uint8Array | string): Promise<boolean> {
    const fp = parseFingerprint(fingerprint, 'fingerprint');
    const hadKey = this.#directory.forget(fp);
    const hadSession = await this.#keeper.forget(fp);
    return hadSession || hadKey;
  }

  /** Session cache counters. */
  cacheStats(): CacheStats {
    return cacheStats(this.#counters, this.#keeper);
  }

  /** Transport-wide counters (cache counters included), open connections included. */
  stats(): TransportStats {
    return transportStats(this.#counters, this.#connections, this.cacheStats());
  }

  /**
   * Writes what is batched (last-active times, the clock's high-water mark) now. Sessions
   * themselves are written as they change, durably where the protocol needs it.
   */
  saveSessions(): Promise<void> {
    return this.#keeper.flush();
  }

  /** Waits for the next incoming (accepted, established) connection. */
  accept(options: { signal?: AbortSignal } = {}): Promise<BleConnection> {
    return this.#incoming.accept(options);
  }

  /** Incoming connections as an async iterator; ends when the transport closes. */
  incoming(options: { signal?: AbortSignal } = {}): AsyncGenerator<BleConnection, void, undefined> {
    return this.#incoming.iterate(options);
  }

  /**
   * Calls `listener` for every incoming connection as it is established (in addition to
   * `accept()` / `incoming()`). Returns an unsubscribe function.
   */
  onConnection(listener: (connection: BleConnection) => void): () => void {
    return this.#incoming.onConnection(listener);
  }

  /**
   * Calls `listener` for every {@link TransportEvent} of this transport, both roles:
   * `connection-opened` (with how it was set up), `connection-closed` (with the reason's
   * code), `resume-fallback` (with the reason), `peer-refused` (the trust policy here or at
   * the peer) and `setup-failed` (docs/api.md "Transport events"). Listeners run
   * synchronously; one that throws is logged and stops neither the others nor the transport.
   * Returns an unsubscribe function.
   * @throws TypeError if `listener` is not a function
   */
  onEvent(listener: TransportEventListener): () => void {
    return this.#events.subscribe(listener);
  }

  /** Connections open now. */
  connections(): BleConnection[] {
    return [...this.#connections];
  }

  /**
   * Closes every connection (in order), cancels pending setups and timers, writes what is
   * batched, closes the store this transport opened, and stops accepting. Idempotent. The
   * link endpoint and a `sessionStore` of your own stay open (they are yours).
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribeIncoming();
    this.#upkeep.stop();
    this.#pending.abortAll(new ClosedError('the transport closed'));
    this.#setups.close();
    await this.#incoming.close();
    await Promise.all([...this.#connections].map((c) => c.close()));
    await this.#pending.settled();
    await Promise.allSettled([...this.#incomingDone]);
    try {
      await this.#keeper.close();
    } catch (err) {
      this.#logger.warn('pqble: could not write the batched session state on close', { error: String(err) });
    }
    await this.#ownStore?.close().catch((err: unknown) => this.#logger.warn('pqble: could not close the session store', { error: String(err) }));
  }

  // ---- internals -------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('the transport is closed');
  }

  /** Open connections, outgoing attempts (connect + setup) and incoming setups, each once. */
  #slotsUsed(): number {
    return this.#connections.size + this.#pending.size + this.#incomingSetups;
  }

  async #connect(deviceId: DeviceId, signal: AbortSignal, expected: Fingerprint | undefined): Promise<BleConnection> {
    const clock = this.endpoint.clock;
    const startedAt = clock.now();
    const trace = new SetupTrace('initiator', deviceId, this.fingerprint, this.#events);
    let link: Link;
    try {
      link = await this.endpoint.connect(deviceId, { signal, timeoutMs: this.#opts.connectTimeoutMs });
    } catch (err) {
      this.#counters.failedSetups++;
      trace.failed(isPqbleError(err) ? err : new LinkError('PQBLE_ERR_DISCONNECTED', 'the radio connect failed', { cause: err }), clock.now() - startedAt);
      throw err;
    }
    if (this.#closed) {
      await link.close();
      const err = new ClosedError('the transport closed');
      trace.failed(err, clock.now() - startedAt);
      throw err;
    }
    return this.#setups.run({ link, role: 'initiator', signal, startedAt, trace, expected });
  }

  #accept(link: Link): void {
    if (this.#closed || this.#slotsUsed() >= this.#opts.maxConnections || this.#incomingSetups >= this.#opts.maxIncomingSetups) {
      const channel = new Channel(link, this.endpoint.clock, this.#setups.limits());
      const err = new LinkError('PQBLE_ERR_CONNECTION_LIMIT', 'connection limit reached');
      channel.fail(err, 'busy');
      if (!this.#closed) new SetupTrace('responder', link.peerDeviceId, this.fingerprint, this.#events).failed(err, 0);
      return;
    }
    this.#incomingSetups++;
    let counted = true;
    const release = (): void => {
      if (counted) this.#incomingSetups--;
      counted = false;
    };
    const trace = new SetupTrace('responder', link.peerDeviceId, this.fingerprint, this.#events);
    const done = this.#setups.run({ link, role: 'responder', signal: undefined, startedAt: this.endpoint.clock.now(), trace, release }).then(
      (connection) => {
        release();
        this.#incoming.deliver(connection);
      },
      () => release(), // counted in failedSetups; the link is closed; nothing else to do
    );
    // close() waits for it: no store call of a setup outlives the transport.
    this.#incomingDone.add(done);
    void done.finally(() => this.#incomingDone.delete(done));
  }

  #connectionClosed(connection: BleConnection, reason: PqbleError | undefined): void {
    if (!this.#connections.delete(connection)) return;
    this.#events.emit(() => ({
      type: 'connection-closed',
      role: connection.role,
      deviceId: connection.peerDeviceId,
      connection,
      peerFingerprint: connection.peerFingerprint,
      code: reason?.code,
      message: reason?.message,
    }));
    addClosedConnection(this.#counters, connection);
  }

  #startTimers(): void {
    const cleanup = this.#opts.sessionCleanupIntervalMs;
    const warn = (err: unknown): void => this.#logger.warn('pqble: session housekeeping failed', { error: String(err) });
    if (cleanup !== null) this.#upkeep.every(cleanup, () => this.pruneExpiredSessions(), warn);
  }
}
