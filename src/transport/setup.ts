/**
 * Connection setup drivers (docs/protocol.md "Connection setup", docs/resumption.md "State
 * machines"): the thin async layer that moves the pure handshake and resumption state
 * machines' messages over a {@link Channel} and calls the {@link SessionKeeper} for the
 * session state. This file holds what both roles share: what a setup establishes, its
 * context, and the steps common to both (the trust check after a full handshake, building
 * the established connection); setup-initiator.ts and setup-responder.ts drive each role.
 *
 * @module
 */

import { wipe } from '../bytes.js';
import type { CryptoProvider } from '../crypto/index.js';
import { HandshakeError, isPqbleError } from '../errors.js';
import type { HandshakeResult, PeerDirectory, PeerInfo } from '../handshake/index.js';
import type { Identity } from '../identity/index.js';
import type { Fingerprint } from '../ids.js';
import { RecordOpener, RecordSealer } from '../record/index.js';
import type { ResumeKeysV2, ResumeMode } from '../resumption/index.js';
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
export class CpuMeter {
  /** CPU ms measured so far. */
  ms = 0;
  /** Runs `fn`, adding its time to {@link CpuMeter.ms}. */
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
export function isPinnedMiss(err: unknown): boolean {
  return isPqbleError(err, 'PQBLE_ERR_PEER_UNKNOWN') || (err instanceof PeerAlert && err.reason === 'peer-unknown');
}

/** Turns a peer alert into the coded error the caller sees (a peer's `untrusted` alert is reported as a refusal). */
export function asCoded(err: unknown, trace: SetupTrace): unknown {
  if (!(err instanceof PeerAlert)) return err;
  const coded = alertError(err.reason);
  if (err.reason === 'untrusted') trace.refused('peer', trace.stage, undefined, coded);
  return coded;
}

/** The connection a resumption set up. The traffic keys are wiped once the record layer has its own. */
export function resumed(
  ctx: SetupContext,
  keys: ResumeKeysV2,
  peer: { readonly peerFingerprint: Uint8Array; readonly peerFingerprintHex: Fingerprint },
  cpu: CpuMeter,
  roundTrips: number,
  mode: ResumeMode,
): Established {
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
export function fullHandshake(
  result: HandshakeResult,
  peerFingerprintHex: Fingerprint,
  sealer: RecordSealer,
  opener: RecordOpener,
  cpu: CpuMeter,
  roundTrips: number,
  fellBack: boolean,
): Established {
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
export async function checkTrust(ctx: SetupContext, channel: Channel, peer: PeerInfo): Promise<void> {
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
