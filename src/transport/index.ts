/** The public transport: `BleTransport`, `BleConnection` and their option and stats types. @module */
export { BleTransport } from './transport.js';
export type { BleTransportOptions } from './options.js';
export type { CacheStats, TransportStats, ConnectOptions, CacheSessionInit } from './types.js';
export { BleConnection } from './connection.js';
export type { ConnectionStats, SendOptions, ReceiveOptions } from './connection.js';
export type { ConnectionType } from './setup.js';
export type { AlertReason } from './alert.js';
export type {
  TransportEvent,
  TransportEventListener,
  TransportEventBase,
  ConnectionOpenedEvent,
  ConnectionClosedEvent,
  ResumeFallbackEvent,
  PeerRefusedEvent,
  SetupFailedEvent,
  SetupHow,
  ResumeFallbackReason,
} from './events.js';
export { DIAGNOSTICS_CHANNELS } from './diagnostics.js';
export type {
  SetupScope,
  SetupStartMessage,
  SetupMessageMessage,
  HandshakeStartMessage,
  TrustDecisionMessage,
  ResumeStartMessage,
  ResumeFallbackMessage,
  ResumeEndMessage,
  SetupEndMessage,
  StoreCallMessage,
} from './diagnostics.js';
