/**
 * Connection setup drivers (docs/protocol.md "Connection setup", docs/resumption.md "State
 * machines"): the thin async layer that moves the pure handshake and resumption state
 * machines' messages over a {@link Channel} and calls the {@link SessionKeeper} for the
 * session state.
 *
 * Initiator: with a cached session, send the resume request (1 RTT); on the accept, make
 * the next outbound secret durable, send the 9-byte finished (key confirmation) and use the
 * new keys. On "cannot resume" or an accept that does not verify, run the full handshake on
 * the same link; cached state is never destroyed by what an unauthenticated party sent.
 * Full handshake: M1, M2, M3, then the responder's first record ("done", an empty record)
 * confirms the responder accepted us (2 RTT). Pinned mode that fails because one side no
 * longer knows the other's key is retried once in full mode, still on the same link.
 *
 * Responder: answers whatever the initiator starts with: a resume request (at most one per
 * link; failures rate-limited per device and globally) or a handshake. A resumption is
 * committed (the ticket consumed, durably) before the accept leaves, and surfaces as a
 * connection only after the initiator's finished verified.
 *
 * @module
 */

import { wipe } from '../bytes.js';
import type { CryptoProvider } from '../crypto/index.js';
import { HandshakeError, ResumptionError, isPqbleError } from '../errors.js';
import { HandshakeInitiator, HandshakeResponder, type HandshakeResult, type PeerDirectory, type PeerInfo } from '../handshake/index.js';
import type { Identity } from '../identity/index.js';
import { parseFingerprint, type Fingerprint } from '../ids.js';
import { RecordOpener, RecordSealer } from '../record/index.js';
import {
  ResumeInitiator,
  acceptResumeV2,
  decodeResumeRequestV2,
  encodeResumeReject,
  type ResumeKeysV2,
  type ResumeMode,
  type ResumeRejectReason,
} from '../resumption/index.js';
import { MessageType } from '../wire.js';
import type { ResumeFallbackReason } from './events.js';
import { encodeAlert } from './alert.js';
import { PeerAlert, alertError, type Channel } from './channel.js';
import type { SessionKeeper } from './session-keeper.js';
import type { SetupTrace } from './setup-trace.js';

/** How a connection was set up. */
export type ConnectionType = 'resumed' | 'full-handshake';

/** What a successful setup hands to the connection. */
export interface Established {
  readonly connectionType: ConnectionType;
  readonly sealer: RecordSealer;
  readonly opener: RecordOpener;
  readonly peerFingerprint: Uint8Array;
  /** The same fingerprint, parsed once (`src/ids.ts`). */
  readonly peerFingerprintHex: Fingerprint;
  /** The peer's ML-DSA public key (full handshakes only). */
  readonly peerPublicKey: Uint8Array | undefined;
  readonly sessionId: Uint8Array;
  /** CPU milliseconds this side spent in the setup's cryptography. */
  readonly cpuMs: number;
  /** Round trips the initiator waited for (0 on the responder). */
  readonly roundTrips: number;
  /** True if a resumption was refused and the full handshake ran instead. */
  readonly fellBack: boolean;
  /** True if the full handshake ran in pinned mode (fingerprints instead of keys). */
  readonly pinned: boolean;
  /** The resumption mode, for resumed connections. */
  readonly resumptionMode: ResumeMode | undefined;
}

/** What a setup driver needs: the transport's parts it calls directly. */
export interface SetupContext {
  readonly identity: Identity;
  readonly crypto: CryptoProvider;
  readonly directory: PeerDirectory;
  readonly keeper: SessionKeeper;
  /** False disables resumption in both roles. */
  readonly resumption: boolean;
  /** The mode the initiator asks for. */
  readonly resumptionMode: ResumeMode;
  /** Initiator: the identity the caller insists on (`connectToDevice(..., { peerFingerprint })`). */
  readonly expectedPeer?: Fingerprint | undefined;
  /** Monotonic ms when the setup started (crossed full handshakes are resolved by it). */
  readonly startedAt: number;
  /** Cancels store calls. */
  readonly signal?: AbortSignal | undefined;
  /** Responder: may this device fail another resumption now? (draws on the per-device and global budgets) */
  allowResumeFailure(deviceId: string): boolean;
  /** Counts a resumption that fell back to the full handshake. */
  noteFallback(): void;
  /** Reports each step (diagnostics channels and transport events). */
  readonly trace: SetupTrace;
}

/** Measures the CPU time of the synchronous crypto steps. */
class CpuMeter {
  ms = 0;
  run<T>(fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.ms += performance.now() - t0;
    }
  }
}

/** True for the failure that means "pinned mode cannot work here, retry in full mode". */
function isPinnedMiss(err: unknown): boolean {
  return isPqbleError(err, 'PQBLE_ERR_PEER_UNKNOWN') || (err instanceof PeerAlert && err.reason === 'peer-unknown');
}

/** Turns a peer alert into the coded error the caller sees (a peer's `untrusted` alert is reported as a refusal). */
function asCoded(err: unknown, trace: SetupTrace): unknown {
  if (!(err instanceof PeerAlert)) return err;
  const coded = alertError(err.reason);
  if (err.reason === 'untrusted') trace.refused('peer', trace.stage, undefined, coded);
  return coded;
}

/** The connection a resumption set up. The traffic keys are wiped once the record layer has its own. */
function resumed(ctx: SetupContext, keys: ResumeKeysV2, peer: { readonly peerFingerprint: Uint8Array; readonly peerFingerprintHex: Fingerprint }, cpu: CpuMeter, roundTrips: number, mode: ResumeMode): Established {
  const established: Established = {
    connectionType: 'resumed',
    sealer: new RecordSealer(keys.sendKey, { crypto: ctx.crypto }),
    opener: new RecordOpener(keys.receiveKey, { crypto: ctx.crypto }),
    peerFingerprint: peer.peerFingerprint,
    peerFingerprintHex: peer.peerFingerprintHex,
    peerPublicKey: undefined,
    sessionId: keys.sessionId.slice(),
    cpuMs: cpu.ms,
    roundTrips,
    fellBack: false,
    pinned: false,
    resumptionMode: mode,
  };
  wipe(keys.sendKey, keys.receiveKey, keys.nextSecret);
  return established;
}

/**
 * The connection a full handshake set up, with the record layer already built from
 * `result`; its secrets are wiped (the keeper stored what it needs).
 */
function fullHandshake(result: HandshakeResult, peerFingerprintHex: Fingerprint, sealer: RecordSealer, opener: RecordOpener, cpu: CpuMeter, roundTrips: number, fellBack: boolean): Established {
  const established: Established = {
    connectionType: 'full-handshake',
    sealer,
    opener,
    peerFingerprint: result.peer.fingerprint,
    peerFingerprintHex,
    peerPublicKey: result.peer.publicKey,
    sessionId: result.sessionId,
    cpuMs: cpu.ms,
    roundTrips,
    fellBack,
    pinned: result.pinned,
    resumptionMode: undefined,
  };
  wipe(result.sendKey, result.receiveKey, result.resumptionSecret);
  return established;
}

/** The trust policy on a peer a full handshake authenticated; TOFU bindings are persisted. */
async function checkTrust(ctx: SetupContext, channel: Channel, peer: PeerInfo): Promise<void> {
  let before: string | undefined;
  try {
    // A binding that cannot be looked up refuses (PQBLE_ERR_PEER_UNTRUSTED), like a mismatch.
    if (ctx.directory.mode === 'tofu') before = await ctx.keeper.tofuBinding(peer.deviceId, ctx.signal);
    await ctx.directory.check(peer);
  } catch (err) {
    if (isPqbleError(err, 'PQBLE_ERR_ABORTED')) throw err;
    const coded = isPqbleError(err) ? err : new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'trust check failed', { cause: err });
    ctx.trace.trust('full-handshake', peer.fingerprintHex, ctx.directory.mode, 'refused');
    ctx.trace.refused('local', 'full-handshake', peer.fingerprintHex, coded);
    channel.fail(coded, 'untrusted');
    throw err;
  }
  ctx.trace.trust('full-handshake', peer.fingerprintHex, ctx.directory.mode, 'trusted');
  if (ctx.directory.mode === 'tofu' && before === undefined) await ctx.keeper.persistBinding(peer.deviceId, peer.fingerprintHex);
}

/** Runs the initiator side of connection setup on `channel`. */
export async function initiateSetup(channel: Channel, ctx: SetupContext): Promise<Established> {
  const cpu = new CpuMeter();
  const deviceId = channel.link.peerDeviceId;
  let roundTrips = 0;
  let fellBack = false;
  try {
    const found = ctx.resumption ? await ctx.keeper.outboundFor(deviceId, ctx.expectedPeer, ctx.signal) : undefined;
    const session = found === undefined || 'miss' in found ? undefined : found;
    if (found !== undefined && 'miss' in found && found.miss !== 'none') ctx.trace.fallback(found.miss);
    if (session !== undefined) {
      ctx.trace.trust('resumption', session.peerFingerprintHex, ctx.directory.mode, 'trusted');
      ctx.trace.resumeStart(ctx.resumptionMode);
      const ri = new ResumeInitiator({
        secret: session.secret,
        initiatorFingerprint: ctx.identity.fingerprint,
        responderFingerprint: session.peerFingerprint,
        mode: ctx.resumptionMode,
        crypto: ctx.crypto,
      });
      try {
        await channel.send(cpu.run(() => ri.request()));
        roundTrips++;
        const reply = await channel.receive();
        let outcome: ReturnType<ResumeInitiator['readReply']> | undefined;
        try {
          outcome = cpu.run(() => ri.readReply(reply));
        } catch (err) {
          // An accept that does not verify is unauthenticated: it may cost this link a full
          // handshake, never the cached session.
          if (!isPqbleError(err) || !(err instanceof ResumptionError)) throw err;
          outcome = undefined;
        }
        if (outcome?.kind === 'accept') {
          const keys = outcome.keys;
          // Durable before the new keys are used. If it cannot be (the store failed, or in
          // a fleet another gateway ratcheted first), the keys are not used: no finished,
          // and the full handshake runs on this link (the responder abandons the resumption
          // when a HandshakeInit follows its accept).
          const committed = await ctx.keeper.commitOutbound(session, keys.nextSecret, deviceId, ctx.signal);
          if (committed === 'ok') {
            await channel.send(outcome.finished);
            ctx.trace.resumed(session.peerFingerprintHex, ctx.resumptionMode);
            return resumed(ctx, keys, session, cpu, roundTrips, ctx.resumptionMode);
          }
          ctx.trace.fallback(committed === 'conflict' ? 'commit-conflict' : 'store-timeout');
          wipe(keys.sendKey, keys.receiveKey, keys.nextSecret);
        } else if (outcome?.kind === 'reject') {
          ctx.trace.fallback('peer-rejected', outcome.reason);
        } else {
          ctx.trace.fallback('accept-invalid');
        }
        ctx.noteFallback();
        fellBack = true;
      } finally {
        ri.destroy();
        wipe(session.secret);
      }
    }
    return await fullHandshakeAsInitiator(channel, ctx, cpu, roundTrips, fellBack);
  } catch (err) {
    throw asCoded(err, ctx.trace);
  }
}

async function fullHandshakeAsInitiator(channel: Channel, ctx: SetupContext, cpu: CpuMeter, roundTripsSoFar: number, fellBack: boolean): Promise<Established> {
  const deviceId = channel.link.peerDeviceId;
  let roundTrips = roundTripsSoFar;
  // After "cannot resume" the peer most likely lost its state (and our pinned key with it):
  // pinned mode would only cost a retry, so go straight to full mode.
  let pinnedKey = fellBack ? undefined : await ctx.keeper.pinnedKeyFor(deviceId, ctx.expectedPeer, ctx.signal);
  let attempt = 0;
  for (;;) {
    const pinned = pinnedKey !== undefined;
    ctx.trace.handshakeStart(pinned, ++attempt);
    const hs = new HandshakeInitiator({ identity: ctx.identity, crypto: ctx.crypto, ...(pinnedKey === undefined ? {} : { peerKey: pinnedKey }) });
    await channel.send(cpu.run(() => hs.start()));
    roundTrips++;
    let peer: { fingerprint: Uint8Array; publicKey: Uint8Array };
    try {
      const m2 = await channel.receive();
      peer = cpu.run(() => hs.readResponse(m2));
    } catch (err) {
      if (pinned && isPinnedMiss(err)) {
        if (!(err instanceof PeerAlert)) await channel.send(encodeAlert('peer-unknown'));
        pinnedKey = undefined;
        continue;
      }
      throw err;
    }
    const fingerprintHex = parseFingerprint(peer.fingerprint, 'peer fingerprint');
    if (ctx.expectedPeer !== undefined && ctx.expectedPeer !== fingerprintHex) {
      const err = new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'the device authenticated as a different identity than the one expected');
      ctx.trace.refused('local', 'full-handshake', fingerprintHex, err);
      channel.fail(err, 'untrusted');
      throw err;
    }
    await checkTrust(ctx, channel, { fingerprint: peer.fingerprint, fingerprintHex, publicKey: peer.publicKey, deviceId });
    const { message: m3, result } = cpu.run(() => hs.finish());
    const opener = new RecordOpener(result.receiveKey, { crypto: ctx.crypto });
    const sealer = new RecordSealer(result.sendKey, { crypto: ctx.crypto });
    try {
      await channel.send(m3);
      roundTrips++;
      const done = await channel.receive();
      if (done[0] !== MessageType.Record) throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', 'expected the responder to confirm the handshake');
      const record = cpu.run(() => opener.open(done));
      if (record.type !== 'data' || record.content.length !== 0) {
        throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', 'the handshake confirmation was not empty');
      }
    } catch (err) {
      sealer.destroy();
      opener.destroy();
      if (pinned && isPinnedMiss(err)) {
        pinnedKey = undefined;
        continue;
      }
      throw err;
    }
    await ctx.keeper.storeFull({ deviceId, peerPublicKey: result.peer.publicKey, resumptionSecret: result.resumptionSecret, sessionId: result.sessionId, startedAt: ctx.startedAt });
    return fullHandshake(result, fingerprintHex, sealer, opener, cpu, roundTrips, fellBack);
  }
}

/** A resume request the responder could not take. */
type ResumeOutcome = { readonly kind: 'resumed'; readonly established: Established } | { readonly kind: 'next'; readonly message: Uint8Array | undefined };

/**
 * Answers one resume request: a reject (the initiator then starts a handshake), or an accept
 * followed by the initiator's finished. Resolves the next setup message when the resumption
 * did not happen and the initiator went on with a handshake after an accept.
 */
async function answerResume(channel: Channel, ctx: SetupContext, request: Uint8Array, cpu: CpuMeter): Promise<ResumeOutcome> {
  const deviceId = channel.link.peerDeviceId;
  ctx.trace.resumeStart(undefined);
  // `why` is what the events report when it says more than the reason on the wire.
  const reject = async (reason: ResumeRejectReason, why: ResumeFallbackReason = reason): Promise<ResumeOutcome> => {
    ctx.noteFallback();
    ctx.trace.fallback(why);
    await channel.send(encodeResumeReject(reason));
    return { kind: 'next', message: undefined };
  };
  // Failed attempts draw on the per-device and global budgets; a genuine ticket never waits.
  const refuse = (reason: ResumeRejectReason, why: ResumeFallbackReason = reason): Promise<ResumeOutcome> =>
    ctx.allowResumeFailure(deviceId) ? reject(reason, why) : reject('rate-limited');
  if (!ctx.resumption) return reject('unsupported');
  let ticketId: Uint8Array;
  try {
    ticketId = decodeResumeRequestV2(request).ticketId;
  } catch (err) {
    return refuse(isPqbleError(err, 'PQBLE_ERR_PROTOCOL_VERSION') ? 'unsupported' : 'malformed');
  }
  const session = await ctx.keeper.inboundFor(ticketId, ctx.signal);
  if (session === 'expired') return reject('expired');
  if (session === 'store-timeout') return refuse('unknown-ticket', 'store-timeout');
  if (session === undefined) return refuse('unknown-ticket');
  let accepted: ReturnType<typeof acceptResumeV2>;
  try {
    try {
      accepted = cpu.run(() =>
        acceptResumeV2({ secret: session.secret, initiatorFingerprint: session.peerFingerprint, responderFingerprint: ctx.identity.fingerprint, request, crypto: ctx.crypto }),
      );
    } catch {
      // A forged binder for a live ticket id: refuse, keep the session (an unauthenticated
      // message never destroys cached state).
      return await refuse('unknown-ticket');
    }
  } finally {
    wipe(session.secret);
  }
  const { keys, finished } = accepted;
  try {
    const trust = await ctx.keeper.trustResumed(session, deviceId, ctx.signal);
    ctx.trace.trust('resumption', session.peerFingerprintHex, ctx.directory.mode, trust);
    if (trust === 'refused') {
      const err = new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'the trust policy refuses this peer');
      ctx.trace.refused('local', 'resumption', session.peerFingerprintHex, err);
      channel.fail(err, 'untrusted');
      throw err;
    }
    // Without a key to show the trust callback, a full handshake decides instead.
    if (trust === 'needs-key') return await reject('unknown-ticket', 'needs-key');
    // Single use, durable before the accept leaves: a ticket that was consumed already (a
    // replay, a rolled-back store, a second gateway) or a store that fails gets a reject.
    const committed = await ctx.keeper.commitInbound(session, keys.nextSecret, deviceId, ctx.signal);
    if (committed !== 'ok') return await reject('unknown-ticket', committed === 'conflict' ? 'commit-conflict' : 'store-timeout');
    await channel.send(accepted.message);
    const next = await channel.receive();
    if (next[0] === MessageType.HandshakeInit) {
      // The initiator could not verify our accept and went on with a full handshake; the
      // ticket stays spent.
      ctx.noteFallback();
      ctx.trace.fallback('peer-abandoned');
      return { kind: 'next', message: next };
    }
    if (next[0] !== MessageType.ResumeFinished) throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', 'expected the resume finished message');
    cpu.run(() => finished.verify(next));
    ctx.trace.resumed(session.peerFingerprintHex, accepted.mode);
    return { kind: 'resumed', established: resumed(ctx, keys, session, cpu, 0, accepted.mode) };
  } finally {
    finished.destroy();
    wipe(keys.sendKey, keys.receiveKey, keys.nextSecret);
  }
}

/** Runs the responder side of connection setup on `channel`. */
export async function respondSetup(channel: Channel, ctx: SetupContext): Promise<Established> {
  const cpu = new CpuMeter();
  const deviceId = channel.link.peerDeviceId;
  let resumeTried = false;
  let fellBack = false;
  let handshakes = 0;
  let pending: Uint8Array | undefined;
  try {
    for (;;) {
      const message = pending ?? (await channel.receive());
      pending = undefined;
      const type = message[0];
      if (type === MessageType.ResumeRequest) {
        if (resumeTried) throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', 'a second resume request on one link');
        resumeTried = true;
        const outcome = await answerResume(channel, ctx, message, cpu);
        if (outcome.kind === 'resumed') return outcome.established;
        fellBack = true;
        pending = outcome.message;
        continue;
      }
      if (type === MessageType.HandshakeInit) {
        if (++handshakes > 2) throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', 'too many handshake attempts on one link');
        ctx.trace.handshakeStart(false, handshakes);
        const hs = new HandshakeResponder({
          identity: ctx.identity,
          crypto: ctx.crypto,
          lookupPeerKey: (fingerprint) => ctx.directory.keyFor(fingerprint),
        });
        await channel.send(cpu.run(() => hs.readInit(message)));
        let result: HandshakeResult;
        try {
          const m3 = await channel.receive();
          result = cpu.run(() => hs.readFinish(m3));
        } catch (err) {
          if (isPinnedMiss(err)) {
            if (!(err instanceof PeerAlert)) await channel.send(encodeAlert('peer-unknown'));
            continue;
          }
          throw err;
        }
        const peer = result.peer;
        const fingerprintHex = parseFingerprint(peer.fingerprint, 'peer fingerprint');
        try {
          await checkTrust(ctx, channel, { fingerprint: peer.fingerprint, fingerprintHex, publicKey: peer.publicKey, deviceId });
        } catch (err) {
          wipe(result.sendKey, result.receiveKey, result.resumptionSecret);
          throw err;
        }
        const sealer = new RecordSealer(result.sendKey, { crypto: ctx.crypto });
        const opener = new RecordOpener(result.receiveKey, { crypto: ctx.crypto });
        await ctx.keeper.storeFull({ deviceId, peerPublicKey: peer.publicKey, resumptionSecret: result.resumptionSecret, sessionId: result.sessionId, startedAt: ctx.startedAt });
        await channel.send(() => cpu.run(() => sealer.seal(new Uint8Array(0), 'data')));
        return fullHandshake(result, fingerprintHex, sealer, opener, cpu, 0, fellBack);
      }
      throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', `unexpected message type 0x${(type ?? 0).toString(16)} during setup`);
    }
  } catch (err) {
    throw asCoded(err, ctx.trace);
  }
}

