/**
 * Deterministic pseudo-random numbers for the simulated radio (docs/radio-model.md
 * "Determinism"). mulberry32: a tiny 32-bit generator, good enough for loss decisions and
 * advertising delays, and identical on every platform, so a seed replays a run exactly.
 * Not for cryptography.
 *
 * @module
 */

/** A generator of floats in [0, 1). */
export type Prng = () => number;

/**
 * mulberry32 seeded with a 32-bit integer.
 * @param seed - any integer; only its low 32 bits are used
 */
export function mulberry32(seed: number): Prng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent 32-bit seed for stream `stream` of a radio seeded with `seed`. */
export function deriveSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
