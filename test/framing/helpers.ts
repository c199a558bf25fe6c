// Test helpers for the framing tests: a manual clock and packet builders.
import type { Clock, Timer } from '../../src/clock.js';
import { encodeFragmentHeader, type FragmentHeader } from '../../src/framing/index.js';

/** A clock that only moves when told to; timers are not needed by the reassembler. */
export class ManualClock implements Clock {
  #now = 1_000;
  now(): number {
    return this.#now;
  }
  wallNow(): number {
    return 1_700_000_000_000 + this.#now;
  }
  setTimer(): Timer {
    throw new Error('ManualClock has no timers');
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A packet with the given header and payload. */
export function packet(h: FragmentHeader, payload: Uint8Array | number[]): Uint8Array {
  const head = encodeFragmentHeader(h);
  const body = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Deterministic filler bytes. */
export function filler(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
