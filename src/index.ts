/**
 * pqble: a post-quantum secure link for Bluetooth Low Energy with 1-RTT session resumption.
 * @module
 */
export * from './errors.js';
export type { Clock, Timer, TimerOptions } from './clock.js';
export { systemClock } from './clock.js';
export * from './link/index.js';
