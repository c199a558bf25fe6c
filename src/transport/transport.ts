/**
 * `BleTransport`, the public entry (docs/api.md; spec phase 3.3 "Session Flow"):
 *
 * ```
 * connectToDevice(deviceId)
 *   ├─ lookupSession(deviceId) ── hit ──> resume with the 32-byte token (1 RTT) ─> ratchet the ticket
 *   │                               └─ "cannot resume" ─> full handshake on the same link ─> cache
 *   └─ miss ─> full PQC handshake (ML-KEM-768 + X25519, ML-DSA-65) ─> cache (both sides)
 * ```
 *
 * The transport owns the session cache (TTL, LRU, touch, stats), its persistence, the
 * connection limit and the trust decisions; the link endpoint (simulated radio, noble or
 * bleno) is the caller's and is not closed by `close()`.
 *
 * @module
 */

import { bytesToHex, checkBytes, hexToBytes, wipe } from '../bytes.js';
import { withDeadline, type Timer } from '../clock.js';
import { nobleCrypto, type CryptoProvider } from '../crypto/index.js';
import { AbortError, LinkError, PqbleError, isPqbleError, throwIfAborted } from '../errors.js';
import { PeerDirectory, type HandshakeResult, type TrustPolicy } from '../handshake/index.js';
import type { Identity } from '../identity/index.js';
import { parseDeviceId } from '../link/device-id.js';
import type { Link, LinkEndpoint } from '../link/types.js';
import { consoleLogger, type Logger } from '../logger.js';
import type { ResumeToken} from '../resumption/index.js';
import { ResumeRateLimiter, createResumeToken, deriveTicketId, type ResumeKeys } from '../resumption/index.js';
import { FileSessionStore, SessionCache, type CachedSession, type SnapshotSessionStore } from '../session/index.js';
import { AsyncQueue } from '../util/async-queue.js';
import { checkInteger, checkOptionKeys } from '../util/options.js';
import { Channel } from './channel.js';
import { BleConnection } from './connection.js';
import { initiateSetup, respondSetup, type Established, type SetupHost } from './setup.js';

const HOUR_MS = 3_600_000;

/** Options of {@link BleTransport.create}. Every default is listed; unknown keys are an error. */
export interface BleTransportOptions {
  /** This device's long-term ML-DSA-65 identity (`generateIdentity()` / `loadIdentity()`). Required. */
  readonly identity: Identity;
  /** The radio: a `SimulatedRadio` device, or the noble / bleno adapters. Required. */
  readonly link: LinkEndpoint;
  /**
   * Public keys (ML-DSA-65, 1,952 bytes) of peers provisioned in advance. They are pinned:
   * a full handshake with such a peer sends 32-byte fingerprints instead of the keys.
   */
  readonly knownPeers?: readonly Uint8Array[];
  /** Which authenticated peers to accept. Default `{ mode: 'any' }`. */
  readonly trust?: TrustPolicy;
  /** Open plus in-setup connections, both directions. Default 5. */
  readonly maxConnections?: number;
  /** Radio connect timeout in ms. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Whole setup (resumption and/or full handshake) timeout in ms. Default 20 000. */
  readonly handshakeTimeoutMs?: number;
  /** Largest application message in bytes. Default 65 536 minus the 18-byte record overhead. */
  readonly maxMessageBytes?: number;
  /** Unread inbound messages per connection before it closes with `PQBLE_ERR_QUEUE_FULL`. Default 64. */
  readonly maxQueuedMessages?: number;
  /** Incomplete inbound messages older than this are dropped (ms). Default 30 000. */
  readonly reassemblyTimeoutMs?: number;
  /** Session lifetime from the last full handshake, in ms (wall clock, survives restarts). Default 24 h. */
  readonly sessionCacheDuration?: number;
  /** Most cached sessions; the least recently active is evicted first. Default 100. */
  readonly maxCachedSessions?: number;
  /** How often expired sessions are pruned, in ms; `null` disables. Default 10 min. Never keeps the process alive. */
  readonly sessionCleanupInterval?: number | null;
  /** Cache file; when unset (and no `sessionStore`), sessions live in memory only. */
  readonly sessionPersistPath?: string;
  /** Storage key (32 bytes) sealing the persisted secrets; default: a key file next to the cache file. */
  readonly storageKey?: Uint8Array;
  /** A custom store (instead of `sessionPersistPath`), for example a shared database. */
  readonly sessionStore?: SnapshotSessionStore;
  /** Debounce of saves after cache changes, in ms. Default 1 000. */
  readonly sessionSaveDebounceMs?: number;
  /** Periodic save (keeps last-active times fresh on disk), in ms; `null` disables. Default 60 000. */
  readonly sessionSaveInterval?: number | null;
  /** Enables 1-RTT resumption (both roles). Default true. */
  readonly resumption?: boolean;
  /** Resume attempts a peer device may start in a burst (then 1 per second). Default 4. */
  readonly resumeAttemptBurst?: number;
  /** Where warnings go. Default: `process.emitWarning`. */
  readonly logger?: Logger;
  /** Crypto backend. Default: the noble libraries. */
  readonly crypto?: CryptoProvider;
}

const OPTION_KEYS = [
  'identity',
  'link',
  'trust',
  'knownPeers',
  'maxConnections',
  'connectTimeoutMs',
  'handshakeTimeoutMs',
  'maxMessageBytes',
  'maxQueuedMessages',
  'reassemblyTimeoutMs',
  'sessionCacheDuration',
  'maxCachedSessions',
  'sessionCleanupInterval',
  'sessionPersistPath',
  'storageKey',
  'sessionStore',
  'sessionSaveDebounceMs',
  'sessionSaveInterval',
  'resumption',
  'resumeAttemptBurst',
  'logger',
  'crypto',
] as const;

interface ResolvedOptions {
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly maxQueuedMessages: number;
  readonly reassemblyTimeoutMs: number;
  readonly sessionCacheDuration: number;
  readonly maxCachedSessions: number;
  readonly sessionCleanupInterval: number | null;
  readonly sessionSaveDebounceMs: number;
  readonly sessionSaveInterval: number | null;
  readonly resumption: boolean;
  readonly resumeAttemptBurst: number;
}

function resolveOptions(o: BleTransportOptions): ResolvedOptions {
  const interval = (v: number | null | undefined, label: string, def: number): number | null =>
    v === null ? null : v === undefined ? def : checkInteger(v, label, 1, 2 ** 31 - 1);
  if (o.resumption !== undefined && typeof o.resumption !== 'boolean') throw new TypeError('resumption must be a boolean');
  return {
    maxConnections: checkInteger(o.maxConnections ?? 5, 'maxConnections', 1, 1000),
    connectTimeoutMs: checkInteger(o.connectTimeoutMs ?? 10_000, 'connectTimeoutMs', 1, 2 ** 31 - 1),
    handshakeTimeoutMs: checkInteger(o.handshakeTimeoutMs ?? 20_000, 'handshakeTimeoutMs', 1, 2 ** 31 - 1),
    maxMessageBytes: checkInteger(o.maxMessageBytes ?? 65_536 - 18, 'maxMessageBytes', 1, 16 * 1024 * 1024),
    maxQueuedMessages: checkInteger(o.maxQueuedMessages ?? 64, 'maxQueuedMessages', 1, 1_000_000),
    reassemblyTimeoutMs: checkInteger(o.reassemblyTimeoutMs ?? 30_000, 'reassemblyTimeoutMs', 1, 2 ** 31 - 1),
    sessionCacheDuration: checkInteger(o.sessionCacheDuration ?? 24 * HOUR_MS, 'sessionCacheDuration', 1, 365 * 24 * HOUR_MS),
    maxCachedSessions: checkInteger(o.maxCachedSessions ?? 100, 'maxCachedSessions', 1, 10_000_000),
    sessionCleanupInterval: interval(o.sessionCleanupInterval, 'sessionCleanupInterval', 10 * 60_000),
    sessionSaveDebounceMs: checkInteger(o.sessionSaveDebounceMs ?? 1_000, 'sessionSaveDebounceMs', 0, 2 ** 31 - 1),
    sessionSaveInterval: interval(o.sessionSaveInterval, 'sessionSaveInterval', 60_000),
    resumption: o.resumption ?? true,
    resumeAttemptBurst: checkInteger(o.resumeAttemptBurst ?? 4, 'resumeAttemptBurst', 1, 1000),
  };
}

/** Session cache counters (`transport.cacheStats()`). */
export interface CacheStats {
  /** Lookups that found a usable session (initiator by device id, responder by ticket id). */
  readonly hits: number;
  /** Lookups that found none. */
  readonly misses: number;
  /** Connections set up by resumption (both roles). */
  readonly resumptions: number;
  /** Connections set up by a full handshake (both roles). */
  readonly fullHandshakes: number;
  /** Resumptions refused ("cannot resume") that fell back to the full handshake (both roles). */
  readonly fallbacks: number;
  /** Sessions evicted because the cache was full (least recently active first). */
  readonly evictions: number;
  /** Sessions dropped because they outlived `sessionCacheDuration`. */
  readonly expired: number;
  /** Sessions cached now. */
  readonly size: number;
}

/** Transport-wide counters (`transport.stats()`). */
export interface TransportStats extends CacheStats {
  /** Connections open now (both directions). */
  readonly activeConnections: number;
  /** Connections established since creation. */
  readonly connectionsOpened: number;
  /** Setups that failed (timeouts, untrusted peers, malformed messages, lost links). */
  readonly failedSetups: number;
  /** Application messages and bytes, all connections. */
  readonly messagesSent: number;
  /** See {@link TransportStats.messagesSent}. */
  readonly messagesReceived: number;
  /** See {@link TransportStats.messagesSent}. */
  readonly bytesSent: number;
  /** See {@link TransportStats.messagesSent}. */
  readonly bytesReceived: number;
  /** Bytes on air over all closed and open connections (this side sent / received). */
  readonly bytesOnAirSent: number;
  /** See {@link TransportStats.bytesOnAirSent}. */
  readonly bytesOnAirReceived: number;
}

/** Options of {@link BleTransport.connectToDevice}. */
export interface ConnectOptions {
  /** Cancels the attempt (the link is closed). */
  readonly signal?: AbortSignal | undefined;
  /**
   * The identity the device must prove (32 bytes or 64 hex digits). Another identity fails
   * with `PQBLE_ERR_PEER_UNTRUSTED`. If its key is pinned, the handshake runs in pinned mode.
   */
  readonly peerFingerprint?: Uint8Array | string | undefined;
}

/** Options of {@link BleTransport.cacheSession}. */
export interface CacheSessionInit {
  /** The peer's identity fingerprint: 32 bytes or 64 hex digits. */
  readonly peerFingerprint: Uint8Array | string;
  /** The peer's device id (hint). */
  readonly deviceId: string;
  /** The 32-byte resumption secret (copied). */
  readonly resumptionSecret: Uint8Array;
  /** The session's public id: 16 bytes or 32 hex digits. */
  readonly sessionId: Uint8Array | string;
  /** Wall-clock ms of the full handshake. Default: now. */
  readonly establishedMs?: number;
}

interface PendingConnect {
  readonly promise: Promise<BleConnection>;
  readonly controller: AbortController;
  waiters: number;
}

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
  readonly #cache: SessionCache;
  readonly #store: SnapshotSessionStore | undefined;
  readonly #directory: PeerDirectory;
  readonly #rateLimiter: ResumeRateLimiter;
  readonly #connections = new Set<BleConnection>();
  readonly #identityAt = new Map<string, string>();
  readonly #pending = new Map<string, PendingConnect>();
  readonly #setupsInFlight = new Set<Channel>();
  readonly #incoming: AsyncQueue<BleConnection>;
  readonly #connectionListeners: ((connection: BleConnection) => void)[] = [];
  readonly #timers: Timer[] = [];
  readonly #unsubscribeIncoming: () => void;
  #saveTimer: Timer | undefined;
  #savePromise: Promise<void> = Promise.resolve();
  #closed = false;
  #counters = {
    hits: 0,
    misses: 0,
    resumptions: 0,
    fullHandshakes: 0,
    fallbacks: 0,
    connectionsOpened: 0,
    failedSetups: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    bytesOnAirSent: 0,
    bytesOnAirReceived: 0,
  };

  private constructor(options: BleTransportOptions, resolved: ResolvedOptions, store: SnapshotSessionStore | undefined) {
    this.#identity = options.identity;
    this.#crypto = options.crypto ?? nobleCrypto;
    this.#opts = resolved;
    this.#logger = options.logger ?? consoleLogger;
    this.endpoint = options.link;
    this.fingerprint = bytesToHex(options.identity.fingerprint);
    this.#store = store;
    this.#directory = new PeerDirectory(options.trust ?? { mode: 'any' });
    for (const key of options.knownPeers ?? []) this.#directory.pin(key);
    const clock = options.link.clock;
    this.#cache = new SessionCache({
      maxEntries: resolved.maxCachedSessions,
      ttlMs: resolved.sessionCacheDuration,
      now: () => clock.wallNow(),
    });
    this.#rateLimiter = new ResumeRateLimiter({ burst: resolved.resumeAttemptBurst, refillPerSecond: 1, now: () => clock.now() });
    this.#incoming = new AsyncQueue(resolved.maxConnections * 2);
    this.#unsubscribeIncoming = options.link.onIncoming((link) => this.#accept(link));
  }

  /**
   * Creates a transport: validates the options, loads the session cache file (a damaged
   * one is set aside with a warning; the transport then starts empty), starts the cleanup
   * and save timers (none of which keeps the process alive) and starts accepting.
   */
  static async create(options: BleTransportOptions): Promise<BleTransport> {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    checkOptionKeys(options, OPTION_KEYS, 'BleTransport.create');
    checkIdentity(options.identity);
    checkEndpoint(options.link);
    const resolved = resolveOptions(options);
    if (options.sessionPersistPath !== undefined && options.sessionStore !== undefined) {
      throw new TypeError('give either sessionPersistPath or sessionStore, not both');
    }
    if (options.storageKey !== undefined) checkBytes(options.storageKey, 'storageKey', 32);
    if (options.knownPeers !== undefined) {
      if (!Array.isArray(options.knownPeers)) throw new TypeError('knownPeers must be an array of public keys');
      options.knownPeers.forEach((k, i) => checkBytes(k, `knownPeers[${i}]`, 1952));
    }
    let store = options.sessionStore;
    if (options.sessionPersistPath !== undefined) {
      if (typeof options.sessionPersistPath !== 'string' || options.sessionPersistPath === '') throw new TypeError('sessionPersistPath must be a non-empty string');
      store = new FileSessionStore({
        path: options.sessionPersistPath,
        ...(options.storageKey === undefined ? {} : { storageKey: options.storageKey }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        ...(options.crypto === undefined ? {} : { crypto: options.crypto }),
      });
    }
    const transport = new BleTransport(options, resolved, store);
    await transport.#load();
    transport.#startTimers();
    return transport;
  }

  /**
   * Connects to a device and sets up a secure connection: resumes the cached session with
   * a 32-byte token when there is one, else (or when the peer cannot resume) runs the full
   * handshake, on the same radio connection. Concurrent calls for the same device share one
   * attempt; a device already connected returns its open connection.
   *
   * Rejects with a coded error: `PQBLE_ERR_CONNECTION_LIMIT`, `PQBLE_ERR_DEVICE_NOT_FOUND`,
   * `PQBLE_ERR_TIMEOUT`, `PQBLE_ERR_HANDSHAKE_TIMEOUT`, `PQBLE_ERR_PEER_UNTRUSTED`,
   * `PQBLE_ERR_HANDSHAKE_AUTH_FAILED`, `PQBLE_ERR_DISCONNECTED`, `PQBLE_ERR_ABORTED`, ...
   */
  async connectToDevice(deviceId: string, options: ConnectOptions = {}): Promise<BleConnection> {
    checkOptionKeys(options, ['signal', 'peerFingerprint'], 'connectToDevice');
    const id = parseDeviceId(deviceId);
    const expected = options.peerFingerprint === undefined ? undefined : parseFingerprintArg(options.peerFingerprint, 'peerFingerprint');
    this.#checkOpen();
    throwIfAborted(options.signal);
    for (const c of this.#connections) {
      if (c.isOpen && c.peerDeviceId === id && c.role === 'initiator') return c;
    }
    let pending = this.#pending.get(id);
    if (pending === undefined) {
      if (this.#slotsUsed() >= this.#opts.maxConnections) {
        throw new LinkError('PQBLE_ERR_CONNECTION_LIMIT', `connection limit reached (${this.#opts.maxConnections})`);
      }
      const controller = new AbortController();
      const promise = this.#connect(id, controller.signal, expected).finally(() => this.#pending.delete(id));
      pending = { promise, controller, waiters: 0 };
      this.#pending.set(id, pending);
    }
    return this.#join(pending, options.signal);
  }

  /**
   * The cached session for a device id (only a hint: the entry belongs to the identity last
   * seen there), as the 32-byte token a resumption would send; `undefined` if none or
   * expired. Counts a cache hit or miss. The token is only valid until that session is used.
   */
  lookupSession(deviceId: string): ResumeToken | undefined {
    const entry = this.#findSessionForDevice(parseDeviceId(deviceId));
    return entry === undefined ? undefined : createResumeToken(entry.resumptionSecret, this.#crypto);
  }

  /**
   * Caches a session by hand (the transport does this itself after every full handshake).
   * Replaces any entry for the same peer.
   */
  cacheSession(init: CacheSessionInit): void {
    this.#checkOpen();
    checkOptionKeys(init, ['peerFingerprint', 'deviceId', 'resumptionSecret', 'sessionId', 'establishedMs'], 'cacheSession');
    const fingerprint = bytesToHex(parseFingerprintArg(init.peerFingerprint, 'peerFingerprint'));
    const sessionId = typeof init.sessionId === 'string' ? init.sessionId.toLowerCase() : bytesToHex(init.sessionId);
    if (!/^[0-9a-f]{32}$/.test(sessionId)) throw new RangeError('sessionId must be 16 bytes (32 hex digits)');
    checkBytes(init.resumptionSecret, 'resumptionSecret', 32);
    const now = this.endpoint.clock.wallNow();
    this.#putSession({
      peerFingerprint: fingerprint,
      deviceId: parseDeviceId(init.deviceId),
      sessionId,
      establishedMs: init.establishedMs === undefined ? now : checkInteger(init.establishedMs, 'establishedMs', 0, 8.64e15),
      lastActiveMs: now,
      resumptionSecret: init.resumptionSecret,
      ticketId: bytesToHex(deriveTicketId(init.resumptionSecret, this.#crypto)),
    });
  }

  /** Marks the session of this device id as active now (LRU). Returns false if none. */
  touchSession(deviceId: string): boolean {
    return this.#cache.touchByDeviceId(parseDeviceId(deviceId));
  }

  /** Removes expired sessions now; returns how many went. */
  pruneExpiredSessions(): number {
    return this.#cache.prune();
  }

  /**
   * Forgets a peer everywhere: its cached session (in memory and, awaited, on disk) and its
   * pinned key. Returns true if there was anything to forget.
   */
  async forgetPeer(fingerprint: Uint8Array | string): Promise<boolean> {
    const hex = bytesToHex(parseFingerprintArg(fingerprint, 'fingerprint'));
    const hadSession = this.#cache.delete(hex);
    const hadKey = this.#directory.forget(hexToBytes(hex));
    for (const [device, fp] of this.#identityAt) if (fp === hex) this.#identityAt.delete(device);
    if (hadSession) await this.saveSessions();
    return hadSession || hadKey;
  }

  /** Session cache counters. */
  cacheStats(): CacheStats {
    const c = this.#counters;
    const cc = this.#cache.counters;
    return {
      hits: c.hits,
      misses: c.misses,
      resumptions: c.resumptions,
      fullHandshakes: c.fullHandshakes,
      fallbacks: c.fallbacks,
      evictions: cc.evictions,
      expired: cc.expired,
      size: this.#cache.size,
    };
  }

  /** Transport-wide counters (cache counters included). */
  stats(): TransportStats {
    let onAirSent = this.#counters.bytesOnAirSent;
    let onAirReceived = this.#counters.bytesOnAirReceived;
    for (const c of this.#connections) {
      const l = c.stats().link;
      onAirSent += l.bytesOnAirSent;
      onAirReceived += l.bytesOnAirReceived;
    }
    const c = this.#counters;
    return {
      ...this.cacheStats(),
      activeConnections: this.#connections.size,
      connectionsOpened: c.connectionsOpened,
      failedSetups: c.failedSetups,
      messagesSent: c.messagesSent,
      messagesReceived: c.messagesReceived,
      bytesSent: c.bytesSent,
      bytesReceived: c.bytesReceived,
      bytesOnAirSent: onAirSent,
      bytesOnAirReceived: onAirReceived,
    };
  }

  /** Writes the session cache to its store now (no-op when memory only). Serialised. */
  saveSessions(): Promise<void> {
    this.#saveTimer?.cancel();
    this.#saveTimer = undefined;
    const store = this.#store;
    if (store === undefined) return Promise.resolve();
    const run = async (): Promise<void> => {
      this.#cache.prune();
      await store.save(this.#cache.entries());
    };
    const p = this.#savePromise.then(run, run);
    this.#savePromise = p.catch(() => undefined);
    return p;
  }

  /** Waits for the next incoming (accepted, established) connection. */
  async accept(options: { signal?: AbortSignal } = {}): Promise<BleConnection> {
    const r = await this.#incoming.next(options);
    if (r.done === true) throw new LinkError('PQBLE_ERR_CLOSED', 'the transport is closed');
    return r.value;
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
    this.#connectionListeners.push(listener);
    return () => {
      const i = this.#connectionListeners.indexOf(listener);
      if (i >= 0) this.#connectionListeners.splice(i, 1);
    };
  }

  /** Connections open now. */
  connections(): BleConnection[] {
    return [...this.#connections];
  }

  /**
   * Closes every connection (in order), cancels pending setups and timers, saves the session
   * cache and stops accepting. Idempotent. The link endpoint stays open (it is the caller's).
   */
  async close(): Promise<void> {
    if (this.#closed) return this.#savePromise;
    this.#closed = true;
    this.#unsubscribeIncoming();
    for (const t of this.#timers.splice(0)) t.cancel();
    this.#saveTimer?.cancel();
    this.#saveTimer = undefined;
    for (const p of this.#pending.values()) p.controller.abort(new LinkError('PQBLE_ERR_CLOSED', 'the transport closed'));
    for (const ch of this.#setupsInFlight) ch.fail(new LinkError('PQBLE_ERR_CLOSED', 'the transport closed'), 'closing');
    this.#incoming.end();
    for (const c of this.#incoming.drain()) await c.close();
    await Promise.all([...this.#connections].map((c) => c.close()));
    await Promise.allSettled([...this.#pending.values()].map((p) => p.promise));
    try {
      await this.saveSessions();
    } catch (err) {
      this.#logger.warn('pqble: could not save the session cache on close', { error: String(err) });
    }
  }

  // ---- internals -------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw new LinkError('PQBLE_ERR_CLOSED', 'the transport is closed');
  }

  #slotsUsed(): number {
    return this.#connections.size + this.#setupsInFlight.size + this.#pending.size;
  }

  async #join(pending: PendingConnect, signal: AbortSignal | undefined): Promise<BleConnection> {
    pending.waiters++;
    if (signal === undefined) return pending.promise;
    return new Promise<BleConnection>((resolve, reject) => {
      let done = false;
      const onAbort = (): void => {
        if (done) return;
        done = true;
        reject(new AbortError(undefined, { cause: signal.reason }));
        // The shared attempt stops only when every caller gave up.
        if (--pending.waiters === 0) pending.controller.abort(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      pending.promise.then(
        (c) => {
          if (done) return;
          done = true;
          signal.removeEventListener('abort', onAbort);
          resolve(c);
        },
        (err: unknown) => {
          if (done) return;
          done = true;
          signal.removeEventListener('abort', onAbort);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  async #connect(deviceId: string, signal: AbortSignal, expected: Uint8Array | undefined): Promise<BleConnection> {
    const clock = this.endpoint.clock;
    let link: Link;
    try {
      link = await this.endpoint.connect(deviceId, { signal, timeoutMs: this.#opts.connectTimeoutMs });
    } catch (err) {
      this.#counters.failedSetups++;
      throw err;
    }
    if (this.#closed) {
      await link.close();
      throw new LinkError('PQBLE_ERR_CLOSED', 'the transport closed');
    }
    return this.#setUp(link, 'initiator', signal, clock.now(), expected);
  }

  #accept(link: Link): void {
    if (this.#closed || this.#slotsUsed() >= this.#opts.maxConnections) {
      const channel = new Channel(link, this.endpoint.clock, this.#limits());
      channel.fail(new LinkError('PQBLE_ERR_CONNECTION_LIMIT', 'connection limit reached'), 'busy');
      return;
    }
    this.#setUp(link, 'responder', undefined, this.endpoint.clock.now()).then(
      (connection) => {
        if (!this.#incoming.push(connection)) {
          connection.close().catch(() => undefined);
          return;
        }
        for (const listener of this.#connectionListeners) {
          try {
            listener(connection);
          } catch (err) {
            this.#logger.warn('pqble: an onConnection listener threw', { error: String(err) });
          }
        }
      },
      () => undefined, // counted in failedSetups; the link is closed; nothing else to do
    );
  }

  #limits(): { maxMessageBytes: number; reassemblyTimeoutMs: number } {
    // Room for the record overhead and the handshake's largest message.
    return { maxMessageBytes: Math.max(this.#opts.maxMessageBytes + 64, 16_384), reassemblyTimeoutMs: this.#opts.reassemblyTimeoutMs };
  }

  async #setUp(
    link: Link,
    role: 'initiator' | 'responder',
    signal: AbortSignal | undefined,
    startedAt: number,
    expected?: Uint8Array,
  ): Promise<BleConnection> {
    const clock = this.endpoint.clock;
    const channel = new Channel(link, clock, this.#limits());
    this.#setupsInFlight.add(channel);
    const host = this.#setupHost(expected);
    let established: Established;
    try {
      const run = role === 'initiator' ? initiateSetup(channel, host) : respondSetup(channel, host);
      established = await withDeadline(clock, run, {
        timeoutMs: this.#opts.handshakeTimeoutMs,
        signal,
        code: 'PQBLE_ERR_HANDSHAKE_TIMEOUT',
        what: 'connection setup',
        onCancel: (reason) => channel.fail(isPqbleError(reason) ? reason : new LinkError('PQBLE_ERR_ABORTED', 'aborted'), 'timeout'),
      });
    } catch (err) {
      this.#counters.failedSetups++;
      const coded = isPqbleError(err) ? err : new PqbleError('PQBLE_ERR_INTERNAL', 'connection setup failed', { cause: err });
      const alert = coded.code === 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED' || coded.code === 'PQBLE_ERR_RESUME_AUTH_FAILED' ? 'handshake-failed' : 'protocol-error';
      channel.fail(coded, alert);
      throw coded;
    } finally {
      this.#setupsInFlight.delete(channel);
    }
    if (!channel.isOpen || this.#closed) {
      established.sealer.destroy();
      established.opener.destroy();
      const reason = channel.closeReason ?? new LinkError('PQBLE_ERR_CLOSED', 'the transport closed');
      channel.fail(reason);
      throw reason;
    }
    if (established.connectionType === 'resumed') this.#counters.resumptions++;
    else this.#counters.fullHandshakes++;
    this.#counters.connectionsOpened++;
    const fingerprintHex = bytesToHex(established.peerFingerprint);
    const connection = new BleConnection({
      channel,
      established,
      role,
      maxMessageBytes: this.#opts.maxMessageBytes,
      maxQueuedMessages: this.#opts.maxQueuedMessages,
      setupMs: clock.now() - startedAt,
      setupLink: link.stats(),
      onActivity: () => {
        this.#cache.touch(fingerprintHex);
      },
      onClosed: (c) => this.#connectionClosed(c),
    });
    this.#connections.add(connection);
    this.#noteIdentityAt(link.peerDeviceId, fingerprintHex);
    return connection;
  }

  #connectionClosed(connection: BleConnection): void {
    if (!this.#connections.delete(connection)) return;
    const s = connection.stats();
    const c = this.#counters;
    c.messagesSent += s.messagesSent;
    c.messagesReceived += s.messagesReceived;
    c.bytesSent += s.bytesSent;
    c.bytesReceived += s.bytesReceived;
    c.bytesOnAirSent += s.link.bytesOnAirSent;
    c.bytesOnAirReceived += s.link.bytesOnAirReceived;
  }

  #setupHost(expected: Uint8Array | undefined): SetupHost {
    return {
      expectedPeer: expected,
      identity: this.#identity,
      crypto: this.#crypto,
      directory: this.#directory,
      resumption: this.#opts.resumption,
      findSessionForDevice: (deviceId) => this.#findSessionForDevice(deviceId),
      findSessionForTicket: (ticketIdHex) => this.#countLookup(this.#cache.getByTicketId(ticketIdHex)),
      storeFullSession: (deviceId, result) => this.#storeFullSession(deviceId, result),
      ratchetSession: (fingerprintHex, deviceId, keys) => this.#ratchet(fingerprintHex, deviceId, keys),
      purgeSession: (fingerprintHex) => {
        this.#cache.delete(fingerprintHex);
      },
      allowResumeAttempt: (deviceId) => this.#rateLimiter.tryAcquire(deviceId),
      pinnedKeyForDevice: (deviceId) => {
        const fingerprint = expected ?? this.#lastIdentityAt(deviceId);
        return fingerprint === undefined ? undefined : this.#directory.keyFor(fingerprint);
      },
      noteFallback: () => {
        this.#counters.fallbacks++;
      },
    };
  }

  /** Remembers (bounded, in memory) which identity last authenticated at a device id. */
  #noteIdentityAt(deviceId: string, fingerprintHex: string): void {
    this.#identityAt.delete(deviceId);
    this.#identityAt.set(deviceId, fingerprintHex);
    if (this.#identityAt.size > Math.max(64, this.#opts.maxCachedSessions)) {
      const oldest = this.#identityAt.keys().next().value;
      if (oldest !== undefined) this.#identityAt.delete(oldest);
    }
  }

  #lastIdentityAt(deviceId: string): Uint8Array | undefined {
    const hex = this.#identityAt.get(deviceId) ?? this.#cache.getByDeviceId(deviceId)?.peerFingerprint;
    return hex === undefined ? undefined : hexToBytes(hex);
  }

  #findSessionForDevice(deviceId: string): CachedSession | undefined {
    return this.#countLookup(this.#cache.getByDeviceId(deviceId));
  }

  /** Counts a cache lookup's hit or miss; returns its result. */
  #countLookup(entry: CachedSession | undefined): CachedSession | undefined {
    if (entry === undefined) this.#counters.misses++;
    else this.#counters.hits++;
    return entry;
  }

  #storeFullSession(deviceId: string, result: HandshakeResult): void {
    const fingerprintHex = bytesToHex(result.peer.fingerprint);
    // A different identity now answers at this device id: the old entry is stale.
    const previous = this.#cache.getByDeviceId(deviceId);
    if (previous !== undefined && previous.peerFingerprint !== fingerprintHex) this.#cache.delete(previous.peerFingerprint);
    const now = this.endpoint.clock.wallNow();
    this.#putSession({
      peerFingerprint: fingerprintHex,
      deviceId,
      sessionId: bytesToHex(result.sessionId),
      establishedMs: now,
      lastActiveMs: now,
      resumptionSecret: result.resumptionSecret,
      ticketId: bytesToHex(deriveTicketId(result.resumptionSecret, this.#crypto)),
    });
  }

  #putSession(entry: CachedSession): void {
    const evicted = this.#cache.set(entry);
    if (evicted.length > 0) this.#logger.debug?.('pqble: evicted sessions', { count: evicted.length });
  }

  #ratchet(fingerprintHex: string, deviceId: string, keys: ResumeKeys): void {
    const next = keys.nextSecret.slice();
    this.#cache.update(fingerprintHex, {
      resumptionSecret: next,
      ticketId: bytesToHex(deriveTicketId(next, this.#crypto)),
      sessionId: bytesToHex(keys.sessionId),
      deviceId,
      lastActiveMs: this.endpoint.clock.wallNow(),
    });
    wipe(next, keys.nextSecret);
  }

  async #load(): Promise<void> {
    if (this.#store === undefined) return;
    const sessions = await this.#store.load();
    for (const s of sessions) this.#cache.set(s);
    this.#cache.prune();
    // Saves follow cache changes (debounced); touches are saved by the periodic save.
    this.#cache.onChange((change) => {
      if (change.kind !== 'touch') this.#scheduleSave();
    });
  }

  #scheduleSave(): void {
    if (this.#store === undefined || this.#closed || this.#saveTimer !== undefined) return;
    this.#saveTimer = this.endpoint.clock.setTimer(this.#opts.sessionSaveDebounceMs, () => {
      this.#saveTimer = undefined;
      this.#saveInBackground();
    });
  }

  /** A save nobody awaits: a failure is logged. */
  #saveInBackground(): void {
    this.saveSessions().catch((err: unknown) => this.#logger.warn('pqble: could not save the session cache', { error: String(err) }));
  }

  #startTimers(): void {
    const clock = this.endpoint.clock;
    // Housekeeping timers are unref'd: they never keep a process (or the virtual clock) alive.
    const every = (ms: number, fn: () => void): void => {
      const slot = this.#timers.length;
      const tick = (): void => {
        if (this.#closed) return;
        fn();
        this.#timers[slot] = clock.setTimer(ms, tick);
      };
      this.#timers.push(clock.setTimer(ms, tick));
    };
    const cleanup = this.#opts.sessionCleanupInterval;
    if (cleanup !== null) every(cleanup, () => this.pruneExpiredSessions());
    const saveEvery = this.#opts.sessionSaveInterval;
    if (saveEvery !== null && this.#store !== undefined) {
      every(saveEvery, () => this.#saveInBackground());
    }
  }
}

function parseFingerprintArg(value: Uint8Array | string, label: string): Uint8Array {
  if (typeof value === 'string') {
    if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new RangeError(`${label} must be 64 hex digits`);
    return hexToBytes(value.toLowerCase());
  }
  checkBytes(value, label, 32);
  return value.slice();
}

function checkIdentity(identity: unknown): asserts identity is Identity {
  if (identity === null || typeof identity !== 'object') throw new TypeError('identity is required (generateIdentity() or loadIdentity())');
  const id = identity as Partial<Identity>;
  checkBytes(id.publicKey, 'identity.publicKey');
  checkBytes(id.secretKey, 'identity.secretKey');
  checkBytes(id.fingerprint, 'identity.fingerprint', 32);
}

function checkEndpoint(link: unknown): asserts link is LinkEndpoint {
  const l = link as Partial<LinkEndpoint> | null;
  if (l === null || typeof l !== 'object' || typeof l.connect !== 'function' || typeof l.onIncoming !== 'function' || l.clock === undefined) {
    throw new TypeError('link must be a LinkEndpoint (for example a SimulatedRadio device)');
  }
}
