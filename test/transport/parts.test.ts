/**
 * The parts the transport and the session keeper are split into, each on its own: the
 * upkeep timers, concurrent connect attempts, the lifetime clock and the bounds of the
 * trust state's in-memory LRUs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPqbleError } from '../../src/errors.js';
import { PeerDirectory } from '../../src/handshake/index.js';
import { parseFingerprint, type DeviceId, type Fingerprint } from '../../src/ids.js';
import { VirtualClock } from '../../src/radio/virtual-clock.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { BleConnection } from '../../src/transport/connection.js';
import { ConnectAttempts } from '../../src/transport/connect-attempts.js';
import { SessionClock } from '../../src/transport/session-clock.js';
import { StoreCalls } from '../../src/transport/store-calls.js';
import { TrustState } from '../../src/transport/trust-state.js';
import { Upkeep } from '../../src/transport/upkeep.js';

const silent = { warn: () => undefined };

describe('Upkeep', () => {
  it('every(): runs on schedule even while a run is still going, and never after stop()', async () => {
    const clock = new VirtualClock();
    const upkeep = new Upkeep(clock);
    const starts: number[] = [];
    upkeep.every(
      100,
      () => {
        starts.push(clock.now());
        return new Promise<void>(() => undefined); // never settles
      },
      () => undefined,
    );
    await clock.advance(350);
    assert.deepEqual(starts, [100, 200, 300]);
    upkeep.stop();
    await clock.advance(1000);
    assert.equal(starts.length, 3);
    assert.equal(clock.pendingTimers, 0, 'stop() cancels the pending timer');
  });

  it('every(): a run that rejects goes to onError and the schedule goes on', async () => {
    const clock = new VirtualClock();
    const upkeep = new Upkeep(clock);
    const errors: unknown[] = [];
    let runs = 0;
    upkeep.every(
      10,
      () => {
        runs++;
        return Promise.reject(new Error(`run ${runs}`));
      },
      (err) => errors.push(err),
    );
    await clock.advance(35);
    upkeep.stop();
    assert.equal(runs, 3);
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ['run 1', 'run 2', 'run 3'],
    );
  });

  it('afterEach(): the next run waits for the previous one to settle; stop() ends it', async () => {
    const clock = new VirtualClock();
    const upkeep = new Upkeep(clock);
    const starts: number[] = [];
    let release: (() => void) | undefined;
    upkeep.afterEach(100, () => {
      starts.push(clock.now());
      return new Promise<void>((resolve) => (release = resolve));
    });
    await clock.advance(450);
    assert.deepEqual(starts, [100], 'no second run while the first has not settled');
    release!();
    await clock.advance(150);
    assert.deepEqual(starts, [100, 550]);
    upkeep.stop();
    release!();
    await clock.advance(1000);
    assert.equal(starts.length, 2);
    assert.equal(clock.pendingTimers, 0);
  });

  it("timers are unref'd: they never keep the virtual clock running", () => {
    const clock = new VirtualClock();
    const upkeep = new Upkeep(clock);
    upkeep.every(
      10,
      () => Promise.resolve(),
      () => undefined,
    );
    upkeep.afterEach(10, () => Promise.resolve());
    assert.equal(clock.pendingRefTimers, 0);
    upkeep.stop();
  });
});

describe('ConnectAttempts', () => {
  const fake = { id: 'connection' } as unknown as BleConnection;
  const id = 'dev-1' as DeviceId;

  it('joins concurrent calls for one device into one attempt, gone once it settled', async () => {
    const attempts = new ConnectAttempts();
    let runs = 0;
    let resolve: ((c: BleConnection) => void) | undefined;
    const run = (): Promise<BleConnection> => {
      runs++;
      return new Promise((r) => (resolve = r));
    };
    const a = attempts.join(id, run, undefined);
    const b = attempts.join(id, run, undefined);
    assert.equal(runs, 1);
    assert.equal(attempts.size, 1);
    assert.equal(attempts.has(id), true);
    resolve!(fake);
    assert.equal(await a, fake);
    assert.equal(await b, fake);
    assert.equal(attempts.has(id), false);
  });

  it('one caller giving up rejects only that caller; the attempt stops when every caller gave up', async () => {
    const attempts = new ConnectAttempts();
    let attemptSignal: AbortSignal | undefined;
    const run = (signal: AbortSignal): Promise<BleConnection> => {
      attemptSignal = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    };
    const c1 = new AbortController();
    const c2 = new AbortController();
    const p1 = attempts.join(id, run, c1.signal);
    const p2 = attempts.join(id, run, c2.signal);
    c1.abort(new Error('first gave up'));
    await assert.rejects(p1, (err: unknown) => isPqbleError(err, 'PQBLE_ERR_ABORTED'));
    assert.equal(attemptSignal!.aborted, false, 'the other caller still waits');
    c2.abort(new Error('second gave up'));
    await assert.rejects(p2, (err: unknown) => isPqbleError(err, 'PQBLE_ERR_ABORTED'));
    assert.equal(attemptSignal!.aborted, true);
    await attempts.settled();
    assert.equal(attempts.size, 0);
  });

  it('abortAll() aborts every attempt with the reason', async () => {
    const attempts = new ConnectAttempts();
    const run = (signal: AbortSignal): Promise<BleConnection> =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    const p = attempts.join(id, run, undefined);
    attempts.abortAll(new Error('closing'));
    await assert.rejects(p, /closing/);
    await attempts.settled();
    assert.equal(attempts.size, 0);
  });
});

describe('SessionClock', () => {
  const opts = (clock: VirtualClock, warnings: unknown[] = []) => ({
    clock,
    logger: { warn: (m: string) => void warnings.push(m) },
    lifetimeMs: 1000,
    maxClockSkewMs: 50,
  });

  it('never runs behind a persisted high-water mark ahead of the wall clock (and says so)', () => {
    const clock = new VirtualClock({ wallEpochMs: 1_000_000 });
    const warnings: unknown[] = [];
    const t = new SessionClock(opts(clock, warnings));
    const mark = new Uint8Array(8);
    new DataView(mark.buffer).setUint32(4, 2_000_000);
    t.restore(mark);
    assert.equal(t.now(), 2_000_000);
    assert.equal(warnings.length, 1);
    assert.equal(t.nextMark(), undefined, 'nothing to write while time has not passed the mark');
  });

  it('writes the mark as two big-endian u32 once time moved past it', async () => {
    const clock = new VirtualClock({ wallEpochMs: 2 ** 32 + 5 });
    const t = new SessionClock(opts(clock));
    t.restore(undefined);
    await clock.advance(10);
    const mark = t.nextMark();
    assert.ok(mark !== undefined);
    assert.deepEqual([...mark.value], [0, 0, 0, 1, 0, 0, 0, 15]);
    mark.written();
    assert.equal(t.nextMark(), undefined);
  });

  it('isExpired(): past the lifetime, or dated further ahead than the skew', () => {
    const clock = new VirtualClock({ wallEpochMs: 10_000 });
    const t = new SessionClock(opts(clock));
    t.restore(new Uint8Array(3)); // malformed: ignored
    assert.equal(t.isExpired({ establishedMs: 9_500, lastActiveMs: 9_500 }), false);
    assert.equal(t.isExpired({ establishedMs: 9_000, lastActiveMs: 9_900 }), true);
    assert.equal(t.isExpired({ establishedMs: 10_051, lastActiveMs: 10_000 }), true);
    assert.equal(t.isExpired({ establishedMs: 10_000, lastActiveMs: 10_051 }), true);
  });
});

describe('TrustState', () => {
  it('remembers the identity last seen at 1024 device ids at most, least recently noted first out', async () => {
    const clock = new VirtualClock();
    const store = new MemorySessionStore({ maxEntries: 10 });
    const calls = new StoreCalls({ clock, logger: silent, timeoutMs: 1000, counters: { storeFailures: 0 } });
    const state = new TrustState({
      store,
      calls,
      directory: new PeerDirectory({ mode: 'any' }),
      crypto: (await import('../../src/crypto/index.js')).defaultCrypto(),
    });
    const fp = (i: number): Fingerprint => parseFingerprint(i.toString(16).padStart(64, '0'), 'fp');
    for (let i = 0; i < 1024; i++) state.noteIdentityAt(`dev-${i}`, fp(i));
    state.noteIdentityAt('dev-0', fp(0)); // dev-0 is the most recent now; dev-1 the oldest
    state.noteIdentityAt('dev-new', fp(5000));
    // pinnedKeyFor looks the identity up; with no key known it asks the store for `pk:<fp>`,
    // so which fingerprints it asks for shows which device ids are remembered.
    const asked: string[] = [];
    const getValue = store.getValue.bind(store);
    store.getValue = (name, o) => {
      asked.push(name);
      return getValue(name, o);
    };
    for (const dev of ['dev-0', 'dev-1', 'dev-2', 'dev-new']) await state.pinnedKeyFor(dev, undefined);
    assert.deepEqual(asked, [`pk:${fp(0)}`, `pk:${fp(2)}`, `pk:${fp(5000)}`], 'dev-1 was evicted, the others are remembered');
    await store.close();
  });
});
