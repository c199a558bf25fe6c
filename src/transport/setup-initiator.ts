/**
 * The initiator side of connection setup (docs/protocol.md "Connection setup",
 * docs/resumption.md "State machines"); setup.ts holds what both roles share.
 *
 * Initiator: with a cached session, send the resume request (1 RTT); on the accept, make
 * the next outbound secret durable, send the 9-byte finished (key confirmation) and use the
 * new keys. On "cannot resume" or an accept that does not verify, run the full handshake on
 * the same link; cached state is never destroyed by what an unauthenticated party sent.
 * Full handshake: M1, M2, M3, then the responder's first record ("done", an empty record)
 * confirms the responder accepted us (2 RTT). Pinned mode that fails because one side no
 * longer knows the other's key is retried once in full mode, still on the same link.
 *
 * @module
 */

import { wipe } from '../bytes.js';
import { HandshakeError, ResumptionError, isPqbleError } from '../errors.js';
import { HandshakeInitiator } from '../handshake/index.js';
import { parseFingerprint } from '../ids.js';
import { RecordOpener, RecordSealer } from '../record/index.js';
import { ResumeInitiator } from '../resumption/index.js';
import { MessageType } from '../wire.js';
import { encodeAlert } from './alert.js';
import { PeerAlert, type Channel } from './channel.js';
import { CpuMeter, asCoded, checkTrust, fullHandshake, isPinnedMiss, resumed, type Established, type SetupContext } from './setup.js';

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
    await ctx.keeper.storeFull({
      deviceId,
      peerPublicKey: result.peer.publicKey,
      resumptionSecret: result.resumptionSecret,
      sessionId: result.sessionId,
      startedAt: ctx.startedAt,
    });
    return fullHandshake(result, fingerprintHex, sealer, opener, cpu, roundTrips, fellBack);
  }
}
