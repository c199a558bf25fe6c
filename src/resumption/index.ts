/**
 * Session resumption (docs/resumption.md; DESIGN.md "Resumption", properties 1-4 and the
 * rate limit of property 8): the pure protocol functions and the per-link attempt limiter.
 *
 * @module
 */

export * from './protocol.js';
export * from './rate-limiter.js';
