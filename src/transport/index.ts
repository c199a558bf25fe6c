/** The public transport: `BleTransport`, `BleConnection` and their option and stats types. @module */
export { BleTransport } from './transport.js';
export type { BleTransportOptions, CacheStats, TransportStats, ConnectOptions, CacheSessionInit } from './transport.js';
export { BleConnection } from './connection.js';
export type { ConnectionStats, SendOptions, ReceiveOptions } from './connection.js';
export type { ConnectionType } from './setup.js';
export type { AlertReason } from './alert.js';
