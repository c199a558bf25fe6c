/**
 * `node:diagnostics_channel` events of connection setup and of the session store
 * (docs/api.md "Diagnostics channels"). Every payload is plain data without secrets: device
 * ids, fingerprints (public), message types and sizes, outcomes and error codes.
 *
 * Browser-safe and free when nobody listens: the module is taken from
 * `process.getBuiltinModule` (no static import, so a browser bundle holds no `node:` module;
 * outside Node.js every channel is off), each channel is created on first use, and every
 * publish is behind `channel.hasSubscribers`, so a payload is only built for a subscriber.
 *
 * @module
 */

import { MessageType } from '../wire.js';

/** The names of pqble's diagnostics channels. */
export const DIAGNOSTICS_CHANNELS = {
  /** A setup started: {@link SetupStartMessage}. */
  setupStart: 'pqble:setup:start',
  /** A whole setup message left or arrived: {@link SetupMessageMessage}. */
  setupMessage: 'pqble:setup:message',
  /** A full handshake attempt started: {@link HandshakeStartMessage}. */
  handshakeStart: 'pqble:handshake:start',
  /** The trust policy decided on an authenticated peer: {@link TrustDecisionMessage}. */
  trustDecision: 'pqble:trust:decision',
  /** The initiator sent a resume request / the responder got one: {@link ResumeStartMessage}. */
  resumeStart: 'pqble:resume:start',
  /** A resumption was not used and the full handshake runs (or ran) instead: {@link ResumeFallbackMessage}. */
  resumeFallback: 'pqble:resume:fallback',
  /** A resumption completed (the ratchet is durable): {@link ResumeEndMessage}. */
  resumeEnd: 'pqble:resume:end',
  /** A setup ended, established or failed: {@link SetupEndMessage}. */
  setupEnd: 'pqble:setup:end',
  /** One session store call ended: {@link StoreCallMessage}. */
  storeCall: 'pqble:store:call',
} as const;

/** Fields every setup message carries. */
export interface SetupScope {
  /** Numbers the setups of this process (each transport counts from one shared counter). */
  readonly setupId: number;
  /** This side's role in the setup. */
  readonly role: 'initiator' | 'responder';
  /** The peer's device id (12 hex digits; a hint). */
  readonly deviceId: string;
}

/** Payload of `pqble:setup:start`. */
export interface SetupStartMessage extends SetupScope {
  /** This side's identity fingerprint, 64 hex digits. */
  readonly localFingerprint: string;
}

/** Payload of `pqble:setup:message`. */
export interface SetupMessageMessage extends SetupScope {
  /** `'sent'` or `'received'`. */
  readonly direction: 'sent' | 'received';
  /** The message type byte's name (`handshake-init`, `resume-request`, `record`, `alert`, ...). */
  readonly messageType: string;
  /** The message type byte. */
  readonly messageTypeByte: number;
  /** Bytes of the whole message (before fragmentation). */
  readonly bytes: number;
  /** Link packets it took (sent messages only; 0 for received ones). */
  readonly packets: number;
}

/** Payload of `pqble:handshake:start`. */
export interface HandshakeStartMessage extends SetupScope {
  /** True if the initiator offered pinned mode (fingerprints instead of keys). Responder: false. */
  readonly pinned: boolean;
  /** 1 for the first attempt on the link, 2 for the full-mode retry after a pinned miss. */
  readonly attempt: number;
}

/** Payload of `pqble:trust:decision`. */
export interface TrustDecisionMessage extends SetupScope {
  /** The peer's identity fingerprint, 64 hex digits. */
  readonly peerFingerprint: string;
  /** The trust policy's mode. */
  readonly mode: 'any' | 'allow-list' | 'tofu' | 'callback';
  /** Whether the peer authenticated by a full handshake or by a resumption. */
  readonly stage: 'full-handshake' | 'resumption';
  /** The decision. */
  readonly verdict: 'trusted' | 'refused' | 'needs-key';
}

/** Payload of `pqble:resume:start`. */
export interface ResumeStartMessage extends SetupScope {
  /** The mode the initiator asked for (responder: the one in the request, once parsed; else `undefined`). */
  readonly mode: 'psk' | 'psk-dhe' | undefined;
}

/** Payload of `pqble:resume:fallback`. */
export interface ResumeFallbackMessage extends SetupScope {
  /** Why (see `ResumeFallbackReason` in docs/api.md). */
  readonly reason: string;
  /** Initiator, `reason: 'peer-rejected'`: the reason the peer gave (unauthenticated, a hint). */
  readonly peerReason?: string;
}

/** Payload of `pqble:resume:end`. */
export interface ResumeEndMessage extends SetupScope {
  /** The peer's identity fingerprint, 64 hex digits. */
  readonly peerFingerprint: string;
  /** The resumption mode used. */
  readonly mode: 'psk' | 'psk-dhe';
}

/** Payload of `pqble:setup:end`. */
export interface SetupEndMessage extends SetupScope {
  /** True if a connection was established. */
  readonly ok: boolean;
  /** How it was set up (when `ok`). */
  readonly how?: 'full' | 'psk' | 'psk-dhe' | 'fallback';
  /** The peer's fingerprint (when `ok`). */
  readonly peerFingerprint?: string;
  /** The error code (when not `ok`). */
  readonly code?: string;
  /** Milliseconds on the radio's clock since the setup started (the connect included, for an initiator). */
  readonly durationMs: number;
}

/** Payload of `pqble:store:call`. */
export interface StoreCallMessage {
  /** The {@link SessionStore} method: `getByDevice`, `getByTicket`, `put`, `consumeInbound`, `replaceOutbound`, `delete`, `getValue`, `putValue`, `listValues`, `touch`, `prune`, `size`. */
  readonly op: string;
  /** True if the call resolved. */
  readonly ok: boolean;
  /** Its error code when it failed (`PQBLE_ERR_STORE_TIMEOUT`, ...; `unexpected` for an uncoded error). */
  readonly code?: string;
  /** Milliseconds on the radio's clock the call took. */
  readonly durationMs: number;
}

/** The subset of a diagnostics channel used here. */
interface ChannelLike {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

interface DiagnosticsModule {
  channel(name: string): ChannelLike;
}

type ChannelName = (typeof DIAGNOSTICS_CHANNELS)[keyof typeof DIAGNOSTICS_CHANNELS];

/** `undefined`: not looked up yet; `null`: not available (no Node.js). */
let moduleRef: DiagnosticsModule | null | undefined;
const channels = new Map<ChannelName, ChannelLike | null>();

function loadModule(): DiagnosticsModule | null {
  if (moduleRef !== undefined) return moduleRef;
  try {
    const g = globalThis as { readonly process?: { readonly getBuiltinModule?: (id: string) => unknown } };
    const mod = g.process?.getBuiltinModule?.('node:diagnostics_channel') as DiagnosticsModule | undefined;
    moduleRef = mod !== undefined && typeof mod.channel === 'function' ? mod : null;
  } catch {
    moduleRef = null;
  }
  return moduleRef;
}

/** The channel `name` if it has subscribers now, else `undefined` (build no payload then). */
function activeChannel(name: ChannelName): ChannelLike | undefined {
  let ch = channels.get(name);
  if (ch === undefined) {
    const mod = loadModule();
    ch = mod === null ? null : mod.channel(name);
    channels.set(name, ch);
  }
  return ch !== null && ch.hasSubscribers ? ch : undefined;
}

/** Publishes `build()` on `name` if anyone subscribes; a subscriber's throw never reaches the caller. */
export function publish(name: ChannelName, build: () => object): void {
  const ch = activeChannel(name);
  if (ch === undefined) return;
  try {
    ch.publish(build());
  } catch {
    // diagnostics_channel reports a subscriber's exception itself (process 'uncaughtException'
    // on a later tick); nothing of it may break a setup.
  }
}

let nextSetupId = 0;

/** A fresh setup id (process-wide, from 1). */
export function newSetupId(): number {
  nextSetupId = (nextSetupId + 1) % Number.MAX_SAFE_INTEGER;
  return nextSetupId;
}

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [MessageType.HandshakeInit, 'handshake-init'],
  [MessageType.HandshakeResponse, 'handshake-response'],
  [MessageType.HandshakeFinish, 'handshake-finish'],
  [MessageType.ResumeRequest, 'resume-request'],
  [MessageType.ResumeAccept, 'resume-accept'],
  [MessageType.ResumeReject, 'resume-reject'],
  [MessageType.ResumeFinished, 'resume-finished'],
  [MessageType.Record, 'record'],
  [MessageType.Alert, 'alert'],
]);

/** The name of a message type byte, for `pqble:setup:message` (`unknown` for any other byte). */
export function messageTypeName(byte: number | undefined): string {
  return (byte === undefined ? undefined : TYPE_NAMES.get(byte)) ?? 'unknown';
}
