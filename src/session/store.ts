/**
 * The per-entry session store seam (docs/store.md "The store contract"). The transport's
 * session keeper keeps a bounded hot set in memory and calls a {@link SessionStore} for
 * everything else: the embedded file store (`FileSessionStore`, one owner per file), the
 * in-memory store (`MemorySessionStore`, for tests and processes that resume only while
 * they run) and the fleet store on Redis (`pqble/redis`) implement it, and one compliance
 * suite (test/session/store-compliance.ts) runs against each.
 *
 * ## The contract
 *
 * - **Entries** are keyed by the peer's identity fingerprint (64 lowercase hex digits). An
 *   entry holds up to two resumption secrets, one per direction (docs/resumption.md
 *   "Direction-separated secrets"): `outbound` for resumptions this side starts, `inbound`
 *   for resumptions the peer starts. The inbound slot carries the ticket id the peer will
 *   present; the store indexes it (blinded: ticket ids are never stored in clear).
 * - **Values handed in are copied** before the first `await`; values handed out are fresh
 *   copies the caller may wipe.
 * - **Durability.** When `put`, `consumeInbound`, `replaceOutbound` or `delete` resolves, the
 *   change survives a crash of this process (file store: fsynced; Redis: acknowledged by
 *   the server, with the durability the operator configured). `touch` and `putValue` are
 *   best effort: they may be batched, and a crash may lose the last ones.
 * - **Ordering.** Calls on one store take effect in the order they were made.
 * - **Single use.** `consumeInbound` is an atomic compare-and-set across every user of the
 *   store: of all the calls made with one ticket id, at most one ever resolves `true`, also
 *   after a restart or a failover. A consumed ticket id is never found by `getByTicket`
 *   again.
 * - **Crash.** A crash leaves, for every entry, either its state before or after each call
 *   that had not resolved: never a torn or mixed entry.
 * - **Bad data.** A store never rejects because of damaged stored content: damaged entries
 *   are skipped (and set aside with a logged warning where the medium allows); the good
 *   ones stay usable.
 * - **Failure.** Every call takes {@link StoreCallOptions} (an `AbortSignal` and a timeout)
 *   and rejects with a {@link StoreError} (`PQBLE_ERR_STORE_IO`, `_TIMEOUT`, `_UNAVAILABLE`,
 *   `_LOCKED`, `_CLOSED`) or an `AbortError`; the keeper then falls back to a full handshake.
 *   A failed call has no effect, or (for a timeout) the effect may still land: callers treat
 *   a timed-out `consumeInbound` as lost (the ticket is spent) and never retry it.
 * - **Expiry and capacity.** Stores may drop an entry once `establishedMs + lifetime` has
 *   passed, and may evict least recently active entries beyond their capacity. They never
 *   extend an entry's life: `establishedMs` only changes through `put`.
 *
 * @module
 */

import type { StoreError } from '../errors.js';

// The error class callers receive (imported for the TSDoc link above).
export type { StoreError };

/** Options of every {@link SessionStore} call. */
export interface StoreCallOptions {
  /** Cancels the call (rejects with `PQBLE_ERR_ABORTED`). */
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds before the call rejects with `PQBLE_ERR_STORE_TIMEOUT`. Default: the store's own (documented per store). */
  readonly timeoutMs?: number | undefined;
}

/** The inbound resumption state: what the peer will present, and the secret behind it. */
export interface InboundSlot {
  /** 32 bytes: the resumption secret for the direction peer -> this side. */
  readonly secret: Uint8Array;
  /** 16 bytes: the ticket id the peer will send (derived from `secret` by the keeper). */
  readonly ticketId: Uint8Array;
}

/** One stored session with a peer. */
export interface StoredSession {
  /** 64 lowercase hex digits: SHA-256 fingerprint of the peer's ML-DSA public key; the key. */
  readonly peerFingerprint: string;
  /** 12 lowercase hex digits: where the peer was last seen; only a lookup hint. */
  readonly deviceId: string;
  /** Wall-clock ms (Unix epoch) of the last full handshake; resumptions never change it. */
  readonly establishedMs: number;
  /** Wall-clock ms (Unix epoch) of the last use (send, receive, resumption). */
  readonly lastActiveMs: number;
  /** 32 bytes: secret for the next resumption this side starts; absent once unusable. */
  readonly outbound: Uint8Array | undefined;
  /** The next resumption the peer may start; absent once unusable. */
  readonly inbound: InboundSlot | undefined;
}

/** A batched last-active update. */
export interface SessionTouch {
  /** 64 lowercase hex digits. */
  readonly peerFingerprint: string;
  /** Wall-clock ms; a store keeps the larger of this and what it has. */
  readonly lastActiveMs: number;
}

/** Fields a ratchet also updates. */
export interface RatchetUpdate {
  /** Where the peer was seen this time. */
  readonly deviceId: string;
  /** Wall-clock ms of this resumption. */
  readonly lastActiveMs: number;
}

/** The per-entry session store (see the module header for the contract). */
export interface SessionStore {
  /** The entry for a peer, or `undefined`. */
  get(peerFingerprint: string, options?: StoreCallOptions): Promise<StoredSession | undefined>;
  /** The entry whose inbound ticket id is `ticketId` (16 bytes), or `undefined` (unknown or consumed). */
  getByTicket(ticketId: Uint8Array, options?: StoreCallOptions): Promise<StoredSession | undefined>;
  /** The entry last seen at a device id (a hint), or `undefined`. */
  getByDevice(deviceId: string, options?: StoreCallOptions): Promise<StoredSession | undefined>;
  /** Inserts or replaces the entry for `session.peerFingerprint`. Durable when resolved. */
  put(session: StoredSession, options?: StoreCallOptions): Promise<void>;
  /**
   * Atomic single use of an inbound ticket: if the peer's entry still has inbound ticket id
   * `ticketId`, replaces its inbound slot with `next` (or clears it), applies `update`, marks
   * `ticketId` consumed for good, and resolves `true`; otherwise changes nothing and
   * resolves `false`. Durable when resolved.
   */
  consumeInbound(
    peerFingerprint: string,
    ticketId: Uint8Array,
    next: InboundSlot | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean>;
  /**
   * Compare-and-set of the outbound secret: if the peer's entry still has outbound secret
   * `expected`, replaces it with `next` (or clears it), applies `update` and resolves
   * `true`; otherwise resolves `false`. Durable when resolved.
   */
  replaceOutbound(
    peerFingerprint: string,
    expected: Uint8Array,
    next: Uint8Array | undefined,
    update: RatchetUpdate,
    options?: StoreCallOptions,
  ): Promise<boolean>;
  /** Removes a peer's entry; `true` if there was one. Durable when resolved. */
  delete(peerFingerprint: string, options?: StoreCallOptions): Promise<boolean>;
  /** Batched last-active updates of existing entries (best effort; unknown peers are ignored). */
  touch(updates: readonly SessionTouch[], options?: StoreCallOptions): Promise<void>;
  /** Removes every entry whose last full handshake is at or before `establishedBeforeMs`; resolves how many went. */
  prune(establishedBeforeMs: number, options?: StoreCallOptions): Promise<number>;
  /** Every entry, in no particular order (inspection, tools); secrets included. */
  entries(options?: StoreCallOptions): AsyncIterable<StoredSession>;
  /** Entries stored now. */
  size(options?: StoreCallOptions): Promise<number>;
  /**
   * A small named value (trust state: learned public keys, TOFU bindings, the clock's
   * high-water mark), at most 4 KiB; `undefined` if unset.
   */
  getValue(name: string, options?: StoreCallOptions): Promise<Uint8Array | undefined>;
  /** Sets (or with `undefined`, removes) a named value. Best effort like `touch`. */
  putValue(name: string, value: Uint8Array | undefined, options?: StoreCallOptions): Promise<void>;
  /** Every named value whose name starts with `prefix`, as `[name, value]`, in no particular order. */
  listValues(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]>;
  /** Flushes what is batched and releases the store (its lock, connections, timers). Idempotent. */
  close(): Promise<void>;
  /**
   * Running counters of this store instance, if it keeps them (the transport reports
   * `evictions` in `cacheStats()`): the memory, file and Redis stores do.
   */
  readonly counters?: SessionStoreCounters;
}

/** Counters a {@link SessionStore} may keep (since it was opened). */
export interface SessionStoreCounters {
  /** Entries removed to make room for new ones (a capacity such as `maxEntries`). */
  readonly evictions: number;
}

/** Largest value {@link SessionStore.putValue} accepts, in bytes. */
export const MAX_STORE_VALUE_BYTES = 4096;
/** Names of {@link SessionStore.putValue} values: 1..128 printable ASCII characters. */
export const STORE_VALUE_NAME_RE = /^[\x21-\x7e]{1,128}$/;
