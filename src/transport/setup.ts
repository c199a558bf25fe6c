/**
 * Connection setup drivers (docs/protocol.md "Connection setup"): the thin async layer that
 * moves the pure handshake and resumption state machines' messages over a {@link Channel}.
 *
 * Initiator: with a cached session, send the 32-byte resume token (1 RTT); on "cannot
 * resume", fall back to the full handshake on the same link. Full handshake: M1, M2, M3,
 * then the responder's first record ("done", an empty record) confirms the responder
 * accepted us (2 RTT). Pinned mode that fails because one side no longer knows the other's
 * key is retried once in full mode, still on the same link.
 *
 * Responder: answers whatever the initiator starts with: a resume request (at most one per
 * link, rate-limited per peer) or a handshake.
 *
 * @module
 */

import { bytesToHex, equalBytes, hexToBytes, wipe } from '../bytes.js';
import type { CryptoProvider } from '../crypto/index.js';
import { HandshakeError, isPqbleError } from '../errors.js';
import { HandshakeInitiator, HandshakeResponder, type PeerDirectory, type HandshakeResult } from '../handshake/index.js';
import type { Identity } from '../identity/index.js';
import { RecordOpener, RecordSealer } from '../record/index.js';
import {
  acceptResume,
  completeResume,
  createResumeToken,
  decodeResumeReply,
  decodeResumeRequest,
  encodeResumeReject,
  encodeResumeRequest,
  type ResumeKeys,
  type ResumeRejectReason,
} from '../resumption/index.js';
import type { CachedSession } from '../session/index.js';
import { MessageType } from '../wire.js';
import { encodeAlert } from './alert.js';
import { PeerAlert, alertError, type Channel } from './channel.js';

/** How a connection was set up. */
export type ConnectionType = 'resumed' | 'full-handshake';

/** What a successful setup hands to the connection. */
export interface Established {
  readonly connectionType: ConnectionType;
  readonly sealer: RecordSealer;
  readonly opener: RecordOpener;
  readonly peerFingerprint: Uint8Array;
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
}

/** What the drivers need from the transport. */
export interface SetupHost {
  readonly identity: Identity;
  readonly crypto: CryptoProvider;
  readonly directory: PeerDirectory;
  /** False disables resumption in both roles. */
  readonly resumption: boolean;
  /** Initiator: the cached session for this device id hint (counts a hit or a miss). */
  findSessionForDevice(deviceId: string): CachedSession | undefined;
  /** Responder: the cached session with this ticket id (counts a hit or a miss). */
  findSessionForTicket(ticketIdHex: string): CachedSession | undefined;
  /** After a full handshake, both sides: cache the session. */
  storeFullSession(deviceId: string, result: HandshakeResult): void;
  /** After a resumption, both sides: ratchet the entry (single-use ticket). */
  ratchetSession(peerFingerprintHex: string, deviceId: string, keys: ResumeKeys): void;
  /** Removes a session that can no longer be used. */
  purgeSession(peerFingerprintHex: string): void;
  /** Responder: may this device fail another resumption now? (draws on its budget) */
  allowResumeAttempt(deviceId: string): boolean;
  /**
   * Initiator: the pinned public key to use for pinned mode (the expected identity's, or
   * that of the identity last seen at this device id), if any.
   */
  pinnedKeyForDevice(deviceId: string): Uint8Array | undefined;
  /** Initiator: the identity the caller insists on (`connectToDevice(..., { peerFingerprint })`). */
  readonly expectedPeer?: Uint8Array | undefined;
  /** A resumption was refused and the full handshake follows. */
  noteFallback(): void;
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

/** Turns a peer alert into the coded error the caller sees. */
function asCoded(err: unknown): unknown {
  return err instanceof PeerAlert ? alertError(err.reason) : err;
}

/**
 * The connection a resumption set up (never a fallback: that runs the full handshake). The
 * traffic keys are wiped once the record layer has derived its own from them.
 */
function resumed(host: SetupHost, keys: ResumeKeys, peerFingerprintHex: string, cpu: CpuMeter, roundTrips: number): Established {
  const established: Established = {
    connectionType: 'resumed',
    sealer: new RecordSealer(keys.sendKey, { crypto: host.crypto }),
    opener: new RecordOpener(keys.receiveKey, { crypto: host.crypto }),
    peerFingerprint: hexToBytes(peerFingerprintHex),
    peerPublicKey: undefined,
    sessionId: keys.sessionId,
    cpuMs: cpu.ms,
    roundTrips,
    fellBack: false,
    pinned: false,
  };
  wipe(keys.sendKey, keys.receiveKey);
  return established;
}

/**
 * The connection a full handshake set up, with the record layer already built from
 * `result`; its secrets are wiped (the session cache keeps its own copy of the resumption secret).
 */
function fullHandshake(result: HandshakeResult, sealer: RecordSealer, opener: RecordOpener, cpu: CpuMeter, roundTrips: number, fellBack: boolean): Established {
  const established: Established = {
    connectionType: 'full-handshake',
    sealer,
    opener,
    peerFingerprint: result.peer.fingerprint,
    peerPublicKey: result.peer.publicKey,
    sessionId: result.sessionId,
    cpuMs: cpu.ms,
    roundTrips,
    fellBack,
    pinned: result.pinned,
  };
  wipe(result.sendKey, result.receiveKey, result.resumptionSecret);
  return established;
}

/** Runs the initiator side of connection setup on `channel`. */
export async function initiateSetup(channel: Channel, host: SetupHost): Promise<Established> {
  const cpu = new CpuMeter();
  const deviceId = channel.link.peerDeviceId;
  let roundTrips = 0;
  let fellBack = false;
  try {
    if (host.resumption) {
      const found = host.findSessionForDevice(deviceId);
      const entry =
        found !== undefined && host.expectedPeer !== undefined && found.peerFingerprint !== bytesToHex(host.expectedPeer) ? undefined : found;
      if (entry !== undefined) {
        const secret = entry.resumptionSecret.slice();
        const fingerprintHex = entry.peerFingerprint;
        try {
          const request = cpu.run(() => encodeResumeRequest(createResumeToken(secret, host.crypto)));
          await channel.send(request);
          roundTrips++;
          const reply = await channel.receive();
          const decoded = cpu.run(() => decodeResumeReply(reply));
          if (decoded.kind === 'accept') {
            let keys: ResumeKeys;
            try {
              keys = cpu.run(() => completeResume(secret, request, reply, { crypto: host.crypto }));
            } catch (err) {
              // The responder could not prove it holds the secret: never trust this entry again.
              host.purgeSession(fingerprintHex);
              throw err;
            }
            host.ratchetSession(fingerprintHex, deviceId, keys);
            return resumed(host, keys, fingerprintHex, cpu, roundTrips);
          }
          // "Cannot resume": the peer lost or refused the ticket. Drop ours, run the full
          // handshake on this same link.
          host.purgeSession(fingerprintHex);
          host.noteFallback();
          fellBack = true;
        } finally {
          wipe(secret);
        }
      }
    }
    return await fullHandshakeAsInitiator(channel, host, cpu, roundTrips, fellBack);
  } catch (err) {
    throw asCoded(err);
  }
}

async function fullHandshakeAsInitiator(
  channel: Channel,
  host: SetupHost,
  cpu: CpuMeter,
  roundTripsSoFar: number,
  fellBack: boolean,
): Promise<Established> {
  const deviceId = channel.link.peerDeviceId;
  let roundTrips = roundTripsSoFar;
  // After "cannot resume" the peer most likely lost its state (and our pinned key with it):
  // pinned mode would only cost a retry, so go straight to full mode.
  let pinnedKey = fellBack ? undefined : host.pinnedKeyForDevice(deviceId);
  for (;;) {
    const pinned = pinnedKey !== undefined;
    const hs = new HandshakeInitiator({ identity: host.identity, crypto: host.crypto, ...(pinnedKey === undefined ? {} : { peerKey: pinnedKey }) });
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
    const fingerprintHex = bytesToHex(peer.fingerprint);
    try {
      if (host.expectedPeer !== undefined && !equalBytes(host.expectedPeer, peer.fingerprint)) {
        throw new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'the device authenticated as a different identity than the one expected');
      }
      await host.directory.check({ fingerprint: peer.fingerprint, fingerprintHex, publicKey: peer.publicKey, deviceId });
    } catch (err) {
      channel.fail(isPqbleError(err) ? err : new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'trust check failed', { cause: err }), 'untrusted');
      throw err;
    }
    const { message: m3, result } = cpu.run(() => hs.finish());
    const opener = new RecordOpener(result.receiveKey, { crypto: host.crypto });
    const sealer = new RecordSealer(result.sendKey, { crypto: host.crypto });
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
    host.directory.pin(result.peer.publicKey);
    host.storeFullSession(deviceId, result);
    return fullHandshake(result, sealer, opener, cpu, roundTrips, fellBack);
  }
}

/** Runs the responder side of connection setup on `channel`. */
export async function respondSetup(channel: Channel, host: SetupHost): Promise<Established> {
  const cpu = new CpuMeter();
  const deviceId = channel.link.peerDeviceId;
  let resumeTried = false;
  let fellBack = false;
  let handshakes = 0;
  const reject = async (reason: ResumeRejectReason): Promise<void> => {
    fellBack = true;
    await channel.send(encodeResumeReject(reason));
  };
  try {
    for (;;) {
      const message = await channel.receive();
      const type = message[0];
      if (type === MessageType.ResumeRequest) {
        if (resumeTried) throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', 'a second resume request on one link');
        resumeTried = true;
        if (!host.resumption) {
          await reject('unsupported');
          continue;
        }
        // Failed attempts draw on a per-device budget; a genuine ticket never waits for it.
        // A forged token costs one map lookup (and one HMAC if its ticket id is live, which
        // an attacker cannot know: ids are single-use and derived from the secret).
        const refuse = async (reason: ResumeRejectReason): Promise<void> => {
          await reject(host.allowResumeAttempt(deviceId) ? reason : 'rate-limited');
        };
        let ticketIdHex: string;
        try {
          ticketIdHex = bytesToHex(decodeResumeRequest(message).ticketId);
        } catch {
          await refuse('malformed');
          continue;
        }
        const entry = host.findSessionForTicket(ticketIdHex);
        if (entry === undefined) {
          await refuse('unknown-ticket');
          continue;
        }
        let accepted: { message: Uint8Array; keys: ResumeKeys };
        try {
          accepted = cpu.run(() => acceptResume(entry.resumptionSecret, message, { crypto: host.crypto }));
        } catch {
          // A forged binder for a live ticket id: purge the entry (DESIGN.md property 8).
          host.purgeSession(entry.peerFingerprint);
          await refuse('unknown-ticket');
          continue;
        }
        host.ratchetSession(entry.peerFingerprint, deviceId, accepted.keys);
        const established = resumed(host, accepted.keys, entry.peerFingerprint, cpu, 0);
        await channel.send(accepted.message);
        return established;
      }
      if (type === MessageType.HandshakeInit) {
        if (++handshakes > 2) throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', 'too many handshake attempts on one link');
        const hs = new HandshakeResponder({
          identity: host.identity,
          crypto: host.crypto,
          lookupPeerKey: (fingerprint) => host.directory.keyFor(fingerprint),
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
        try {
          await host.directory.check({ fingerprint: peer.fingerprint, fingerprintHex: bytesToHex(peer.fingerprint), publicKey: peer.publicKey, deviceId });
        } catch (err) {
          wipe(result.sendKey, result.receiveKey, result.resumptionSecret);
          channel.fail(isPqbleError(err) ? err : new HandshakeError('PQBLE_ERR_PEER_UNTRUSTED', 'trust check failed', { cause: err }), 'untrusted');
          throw err;
        }
        const sealer = new RecordSealer(result.sendKey, { crypto: host.crypto });
        const opener = new RecordOpener(result.receiveKey, { crypto: host.crypto });
        host.directory.pin(peer.publicKey);
        host.storeFullSession(deviceId, result);
        await channel.send(() => cpu.run(() => sealer.seal(new Uint8Array(0), 'data')));
        return fullHandshake(result, sealer, opener, cpu, 0, fellBack);
      }
      throw new HandshakeError('PQBLE_ERR_HANDSHAKE_UNEXPECTED', `unexpected message type 0x${(type ?? 0).toString(16)} during setup`);
    }
  } catch (err) {
    throw asCoded(err);
  }
}
