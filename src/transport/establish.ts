/**
 * The setup wiring of one transport (docs/api.md "`BleTransport`"): runs the setup driver
 * (setup.ts) for a link under the handshake timeout, fails the channel with the right alert
 * when it fails, and turns what it established into an open {@link BleConnection}. It owns
 * the setup channels in progress and the resume-failure rate limiters.
 *
 * @module
 */

import { withDeadline, type Clock } from '../clock.js';
import type { CryptoProvider } from '../crypto/index.js';
import { AbortError, ClosedError, PqbleError, isPqbleError } from '../errors.js';
import type { PeerDirectory } from '../handshake/index.js';
import type { Identity } from '../identity/index.js';
import type { Fingerprint } from '../ids.js';
import { linkStatsSince } from '../link/stats.js';
import type { Link } from '../link/types.js';
import { ResumeRateLimiter } from '../resumption/index.js';
import { Channel } from './channel.js';
import { BleConnection } from './connection.js';
import type { SetupHow, TransportEvents } from './events.js';
import type { ResolvedOptions } from './options.js';
import type { SessionKeeper } from './session-keeper.js';
import type { Established, SetupContext } from './setup.js';
import { initiateSetup } from './setup-initiator.js';
import { respondSetup } from './setup-responder.js';
import type { SetupTrace } from './setup-trace.js';
import type { TransportCounters } from './stats.js';

/** What a {@link SetupRunner} works with: the transport's state it reads and updates. */
export interface SetupRunnerOptions {
  readonly identity: Identity;
  readonly crypto: CryptoProvider;
  readonly directory: PeerDirectory;
  readonly keeper: SessionKeeper;
  readonly clock: Clock;
  readonly opts: ResolvedOptions;
  readonly counters: TransportCounters;
  readonly events: TransportEvents;
  /** The transport's open connections: a new one is added here. */
  readonly connections: Set<BleConnection>;
  /** Called once when a connection it opened closes. */
  readonly onClosed: (connection: BleConnection, reason: PqbleError | undefined) => void;
}

/** One role's setup of one link, as {@link SetupRunner.run} takes it. */
export interface SetupRun {
  readonly link: Link;
  readonly role: 'initiator' | 'responder';
  /** Cancels the setup (initiator). */
  readonly signal: AbortSignal | undefined;
  /** Clock time the attempt started (radio connect included). */
  readonly startedAt: number;
  readonly trace: SetupTrace;
  /** The identity the peer must prove (initiator). */
  readonly expected?: Fingerprint | undefined;
  /** Gives the incoming-setup slot back once established (responder). */
  readonly release?: (() => void) | undefined;
}

/** Runs connection setups and opens the connections they establish. */
export class SetupRunner {
  readonly #o: SetupRunnerOptions;
  readonly #rateLimiter: ResumeRateLimiter;
  readonly #globalLimiter: ResumeRateLimiter;
  /** Every setup channel in progress (both roles), to fail them on close. */
  readonly #setupChannels = new Set<Channel>();
  #closed = false;

  constructor(options: SetupRunnerOptions) {
    this.#o = options;
    const clock = options.clock;
    this.#rateLimiter = new ResumeRateLimiter({ burst: options.opts.resumeAttemptBurst, refillPerSecond: 1, now: () => clock.now() });
    this.#globalLimiter = new ResumeRateLimiter({ burst: options.opts.resumeFailureBudget, refillPerSecond: 8, maxKeys: 1, now: () => clock.now() });
  }

  /** The channel limits of a setup link. */
  limits(): { maxMessageBytes: number; reassemblyTimeoutMs: number } {
    // Room for the record overhead and the handshake's largest message.
    return { maxMessageBytes: Math.max(this.#o.opts.maxMessageBytes + 64, 16_384), reassemblyTimeoutMs: this.#o.opts.reassemblyTimeoutMs };
  }

  /** Fails every setup in progress (`closing` alert); a setup finishing later is refused. */
  close(): void {
    this.#closed = true;
    for (const ch of this.#setupChannels) ch.fail(new ClosedError('the transport closed'), 'closing');
  }

  /**
   * Sets up `run.link` in `run.role` and opens the connection.
   * @throws the setup's coded error (counted in `failedSetups`; the link is closed)
   */
  async run(run: SetupRun): Promise<BleConnection> {
    const { link, role, signal, startedAt, trace, expected, release } = run;
    const o = this.#o;
    const clock = o.clock;
    // The link's counters before the setup: the setup's own figures leave out what link
    // establishment (connect request, MTU exchange, GATT discovery) already put on air.
    const linkBefore = link.stats();
    const channel = new Channel(link, clock, this.limits());
    this.#setupChannels.add(channel);
    channel.setTrace((direction, message, packets) => trace.message(direction, message, packets));
    // An incoming link that goes quiet while we wait for it gives its slot back quickly.
    if (role === 'responder') channel.setIdleTimeout(o.opts.setupIdleTimeoutMs);
    const ctx: SetupContext = {
      identity: o.identity,
      crypto: o.crypto,
      directory: o.directory,
      keeper: o.keeper,
      resumption: o.opts.resumption,
      resumptionMode: o.opts.resumptionMode,
      expectedPeer: expected,
      startedAt,
      signal,
      allowResumeFailure: (deviceId) => this.#globalLimiter.tryAcquire('*') && this.#rateLimiter.tryAcquire(deviceId),
      noteFallback: () => {
        o.counters.fallbacks++;
      },
      trace,
    };
    let established: Established;
    try {
      const setup = role === 'initiator' ? initiateSetup(channel, ctx) : respondSetup(channel, ctx);
      established = await withDeadline(clock, setup, {
        timeoutMs: o.opts.handshakeTimeoutMs,
        signal,
        code: 'PQBLE_ERR_HANDSHAKE_TIMEOUT',
        what: 'connection setup',
        onCancel: (reason) => channel.fail(isPqbleError(reason) ? reason : new AbortError('aborted'), 'timeout'),
      });
    } catch (err) {
      o.counters.failedSetups++;
      const coded = isPqbleError(err) ? err : new PqbleError('PQBLE_ERR_INTERNAL', 'connection setup failed', { cause: err });
      const alert = coded.code === 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED' || coded.code === 'PQBLE_ERR_RESUME_AUTH_FAILED' ? 'handshake-failed' : 'protocol-error';
      channel.fail(coded, alert);
      trace.failed(coded, clock.now() - startedAt);
      throw coded;
    } finally {
      this.#setupChannels.delete(channel);
      channel.setTrace(undefined);
    }
    if (!channel.isOpen || this.#closed) {
      established.sealer.destroy();
      established.opener.destroy();
      const reason = channel.closeReason ?? new ClosedError('the transport closed');
      channel.fail(reason);
      trace.failed(reason, clock.now() - startedAt);
      throw reason;
    }
    release?.();
    if (established.connectionType === 'resumed') o.counters.resumptions++;
    else o.counters.fullHandshakes++;
    o.counters.connectionsOpened++;
    const fingerprintHex = established.peerFingerprintHex;
    const connection = new BleConnection({
      channel,
      established,
      role,
      maxMessageBytes: o.opts.maxMessageBytes,
      maxQueuedMessages: o.opts.maxQueuedMessages,
      setupMs: clock.now() - startedAt,
      setupLink: linkStatsSince(link.stats(), linkBefore),
      onActivity: () => {
        o.keeper.touch(fingerprintHex);
      },
      onClosed: (c, reason) => o.onClosed(c, reason),
    });
    o.connections.add(connection);
    o.keeper.noteIdentityAt(link.peerDeviceId, fingerprintHex);
    const how: SetupHow = established.connectionType === 'resumed' ? (established.resumptionMode ?? 'psk-dhe') : established.fellBack ? 'fallback' : 'full';
    const setupMs = clock.now() - startedAt;
    trace.established(how, fingerprintHex, setupMs);
    o.events.emit(() => ({ type: 'connection-opened', role, deviceId: link.peerDeviceId, connection, peerFingerprint: fingerprintHex, how, setupMs }));
    return connection;
  }
}
