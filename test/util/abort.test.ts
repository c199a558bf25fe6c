/** raceAbort() (src/util/abort.ts): the one wait that an AbortSignal or a timeout cuts short. */

import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import type { Clock, Timer } from '../../src/clock.js';
import { isPqbleError } from '../../src/errors.js';
import { raceAbort } from '../../src/util/abort.js';

/** A clock whose timers fire only when the test advances it; counts pending timers and how they were made. */
class ManualClock implements Clock {
  #now = 0;
  readonly timers = new Set<{ at: number; fn: () => void; ref: boolean }>();
  now(): number {
    return this.#now;
  }
  wallNow(): number {
    return this.#now;
  }
  setTimer(delayMs: number, fn: () => void, options?: { ref?: boolean }): Timer {
    const t = { at: this.#now + delayMs, fn, ref: options?.ref === true };
    this.timers.add(t);
    return { cancel: () => this.timers.delete(t) };
  }
  advance(ms: number): void {
    this.#now += ms;
    for (const t of [...this.timers]) {
      if (t.at <= this.#now) {
        this.timers.delete(t);
        t.fn();
      }
    }
  }
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(err: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('raceAbort()', () => {
  it('follows the promise when nothing cuts in, and leaves no listener or timer behind', async () => {
    const ac = new AbortController();
    const clock = new ManualClock();
    const d = deferred<number>();
    const wait = raceAbort(d.promise, ac.signal, { clock, timeoutMs: 100 });
    assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
    assert.equal(clock.timers.size, 1);
    d.resolve(7);
    assert.equal(await wait, 7);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    assert.equal(clock.timers.size, 0);

    const failing = deferred<number>();
    const waitFail = raceAbort(failing.promise, ac.signal);
    failing.reject('not an Error');
    await assert.rejects(waitFail, (err: unknown) => err instanceof Error && err.message === 'not an Error');
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  });

  it('rejects with PQBLE_ERR_ABORTED (the reason as cause) on abort, runs onCancel once, and ignores the late outcome', async () => {
    const ac = new AbortController();
    const d = deferred<number>();
    let cancels = 0;
    const wait = raceAbort(d.promise, ac.signal, { onCancel: () => void cancels++ });
    const reason = new Error('user pressed stop');
    ac.abort(reason);
    await assert.rejects(wait, (err: unknown) => isPqbleError(err, 'PQBLE_ERR_ABORTED') && err.cause === reason);
    d.reject(new Error('late')); // handled: no unhandled rejection
    assert.equal(cancels, 1);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  });

  it('a signal aborted already rejects at once and runs onCancel; abortError shapes the error', async () => {
    let cancelled = false;
    const custom = new Error('custom');
    const wait = raceAbort(new Promise<never>(() => undefined), AbortSignal.abort('why'), {
      abortError: (reason) => Object.assign(custom, { reason }),
      onCancel: () => {
        cancelled = true;
      },
    });
    assert.equal(cancelled, true, 'onCancel ran synchronously');
    await assert.rejects(wait, (err: unknown) => err === custom && (err as { reason?: unknown }).reason === 'why');
  });

  it("times out on the given clock with timeoutError (a ref'd timer unless keepAlive is false)", async () => {
    const clock = new ManualClock();
    const wait = raceAbort(new Promise<never>(() => undefined), undefined, { clock, timeoutMs: 50, timeoutError: () => new RangeError('too slow') });
    assert.equal([...clock.timers][0].ref, true);
    clock.advance(49);
    clock.advance(1);
    await assert.rejects(wait, RangeError);
    const quiet = raceAbort(new Promise<never>(() => undefined), undefined, { clock, timeoutMs: 10, keepAlive: false });
    assert.equal([...clock.timers][0].ref, false);
    clock.advance(10);
    await assert.rejects(quiet, (err: unknown) => isPqbleError(err, 'PQBLE_ERR_TIMEOUT'));
  });

  it('onCancel returning false (the work finished meanwhile) lets the outcome of the promise stand', async () => {
    const ac = new AbortController();
    const d = deferred<string>();
    const wait = raceAbort(d.promise, ac.signal, { onCancel: () => false });
    d.resolve('queued');
    ac.abort(); // before the resolution reached the race
    assert.equal(await wait, 'queued');
  });

  it('an onCancel that throws still rejects with the abort error', async () => {
    const ac = new AbortController();
    const wait = raceAbort(new Promise<never>(() => undefined), ac.signal, {
      onCancel: () => {
        throw new Error('teardown failed');
      },
    });
    ac.abort();
    await assert.rejects(wait, (err: unknown) => isPqbleError(err, 'PQBLE_ERR_ABORTED'));
  });
});
