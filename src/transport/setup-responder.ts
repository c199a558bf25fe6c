/**
 * The responder side of connection setup (docs/protocol.md "Connection setup",
 * docs/resumption.md "State machines"); setup.ts holds what both roles share.
 *
 * Responder: answers whatever the initiator starts with: a resume request (at most one per
 * link; failures rate-limited per device and globally) or a handshake. A resumption is
 * committed (the ticket consumed, durably) before the accept leaves, and surfaces as a
 * connection only after the initiator's finished verified.
 *
 * @module
 */

import { wipe } from '../bytes.js';
import { HandshakeError, isPqbleError } from '../errors.js';
import { HandshakeResponder, type HandshakeResult } from '../handshake/index.js';
import { parseFingerprint } from '../ids.js';
import { RecordOpener, RecordSealer } from '../record/index.js';
import { acceptResumeV2, decodeResumeRequestV2, encodeResumeReject, type ResumeRejectReason } from '../resumption/index.js';
import { MessageType } from '../wire.js';
import type { ResumeFallbackReason } from './events.js';
import { encodeAlert } from './alert.js';
import { PeerAlert, type Channel } from './channel.js';
import { CpuMeter, asCoded, checkTrust, fullHandshake, isPinnedMiss, resumed, type Established, type SetupContext } from './setup.js';

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
        acceptResumeV2({
          secret: session.secret,
          initiatorFingerprint: session.peerFingerprint,
          responderFingerprint: ctx.identity.fingerprint,
          request,
          crypto: ctx.crypto,
        }),
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
        await ctx.keeper.storeFull({
          deviceId,
          peerPublicKey: peer.publicKey,
          resumptionSecret: result.resumptionSecret,
          sessionId: result.sessionId,
          startedAt: ctx.startedAt,
        });
        await channel.send(() => cpu.run(() => sealer.seal(new Uint8Array(0), 'data')));
        return fullHandshake(result, fingerprintHex, sealer, opener, cpu, 0, fellBack);
      }
      throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', `unexpected message type 0x${(type ?? 0).toString(16)} during setup`);
    }
  } catch (err) {
    throw asCoded(err, ctx.trace);
  }
}
