/**
 * When a cached session has expired (docs/security.md "Properties" 6 and 7): by the
 * wall-clock time of its last full handshake, so resumptions never extend its life, with an
 * entry dated too far in the future (a clock that moved back) counted as expired rather
 * than immortal. One rule for the transport, the stores' pruning and `pqble sessions`.
 *
 * @module
 */

/** Default life of a session from its last full handshake: 24 hours, in ms. */
export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;
/** Default tolerated future skew of `establishedMs` / `lastActiveMs`: 5 minutes, in ms. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * True if `entry` has expired at wall-clock time `nowMs`: its last full handshake is at least
 * `ttlMs` old, or its `establishedMs` or `lastActiveMs` lies more than `maxClockSkewMs` in
 * the future.
 * @param entry - the entry's two wall-clock times, in ms since the epoch
 * @param nowMs - the wall clock, in ms since the epoch
 * @param ttlMs - the session life from the last full handshake, in ms
 * @param maxClockSkewMs - the tolerated future skew, in ms
 */
export function isSessionExpired(
  entry: { readonly establishedMs: number; readonly lastActiveMs: number },
  nowMs: number,
  ttlMs: number,
  maxClockSkewMs: number,
): boolean {
  return nowMs >= entry.establishedMs + ttlMs || entry.establishedMs > nowMs + maxClockSkewMs || entry.lastActiveMs > nowMs + maxClockSkewMs;
}
