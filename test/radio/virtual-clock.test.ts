// VirtualClock semantics (docs/radio-model.md "Virtual time"): ordering, ref/unref, advance,
// runUntilIdle, the wall clock offset, and that a process using it exits by itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { sleep, withDeadline } from '../../src/clock.js';
import { DEFAULT_WALL_EPOCH_MS, VirtualClock } from '../../src/radio/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RADIO_URL = pathToFileURL(fileURLToPath(new URL('../../src/radio/index.ts', import.meta.url))).href;

function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('VirtualClock', () => {
  it('fires timers in (time, creation) order and jumps time to each', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.setTimer(30, () => seen.push(`c@${clock.now()}`), { ref: true });
    clock.setTimer(10, () => seen.push(`a@${clock.now()}`), { ref: true });
    clock.setTimer(30, () => seen.push(`d@${clock.now()}`), { ref: true });
    clock.setTimer(10, () => seen.push(`b@${clock.now()}`), { ref: true });
    clock.setTimer(-5, () => seen.push(`z@${clock.now()}`), { ref: true });
    await clock.runUntilIdle();
    assert.deepEqual(seen, ['z@0', 'a@10', 'b@10', 'c@30', 'd@30']);
    assert.equal(clock.now(), 30);
    assert.equal(clock.pendingTimers, 0);
  });

  it('lets promise continuations run between two timers', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.setTimer(
      1,
      () => {
        seen.push('t1');
        void Promise.resolve().then(() => seen.push('t1 continuation'));
      },
      { ref: true },
    );
    clock.setTimer(1, () => seen.push('t2'), { ref: true });
    await clock.runUntilIdle();
    assert.deepEqual(seen, ['t1', 't1 continuation', 't2']);
  });

  it("runs by itself while a ref'd timer is pending (sleep, withDeadline)", async () => {
    const clock = new VirtualClock();
    const start = performance.now();
    await sleep(clock, 3_600_000); // an hour of virtual time
    assert.equal(clock.now(), 3_600_000);
    await assert.rejects(withDeadline(clock, new Promise(() => {}), { timeoutMs: 5000 }), { code: 'PQBLE_ERR_TIMEOUT' });
    assert.equal(clock.now(), 3_605_000);
    assert.ok(performance.now() - start < 1000);
  });

  it("does not run for unref'd timers alone, but fires them when time passes them", async () => {
    const clock = new VirtualClock();
    let housekeeping = 0;
    clock.setTimer(100, () => housekeeping++);
    for (let i = 0; i < 5; i++) await immediate();
    assert.equal(clock.now(), 0);
    assert.equal(housekeeping, 0);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.pendingRefTimers, 0);
    await sleep(clock, 150); // ref'd work moves time past the unref'd timer
    assert.equal(housekeeping, 1);
    assert.equal(clock.now(), 150);
    clock.setTimer(10, () => housekeeping++);
    await clock.runUntilIdle();
    assert.equal(housekeeping, 1, "runUntilIdle ignores unref'd timers");
  });

  it("advance() fires everything due, ref'd or not, and moves time exactly", async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimer(5, () => seen.push(clock.now()));
    clock.setTimer(20, () => seen.push(clock.now()));
    clock.setTimer(50, () => seen.push(clock.now()));
    await clock.advance(20);
    assert.deepEqual(seen, [5, 20]);
    assert.equal(clock.now(), 20);
    await clock.advance(0);
    assert.equal(clock.now(), 20);
    await clock.advance(100);
    assert.deepEqual(seen, [5, 20, 50]);
    assert.equal(clock.now(), 120);
    await assert.rejects(clock.advance(-1), RangeError);
    await assert.rejects(clock.advance(Number.NaN), TypeError);
  });

  it('cancel() is idempotent and keeps the counts right', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    const t1 = clock.setTimer(10, () => fired++, { ref: true });
    const t2 = clock.setTimer(10, () => fired++);
    assert.equal(clock.pendingTimers, 2);
    assert.equal(clock.pendingRefTimers, 1);
    t1.cancel();
    t1.cancel();
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.pendingRefTimers, 0);
    await clock.runUntilIdle();
    assert.equal(fired, 0);
    t2.cancel();
    assert.equal(clock.pendingTimers, 0);
    // Many cancelled far-future timers do not pile up.
    for (let i = 0; i < 5000; i++) clock.setTimer(1e9 + i, () => {}).cancel();
    assert.equal(clock.pendingTimers, 0);
    await sleep(clock, 1);
  });

  it('wallNow() = epoch + virtual time + an offset that can jump both ways', async () => {
    const before = Date.now();
    const real = new VirtualClock();
    assert.ok(real.wallNow() >= before && real.wallNow() <= Date.now(), 'by default the wall clock starts at the real time');
    const clock = new VirtualClock({ wallEpochMs: DEFAULT_WALL_EPOCH_MS });
    assert.equal(clock.wallNow(), DEFAULT_WALL_EPOCH_MS);
    await sleep(clock, 1500);
    assert.equal(clock.wallNow(), DEFAULT_WALL_EPOCH_MS + 1500);
    clock.setWallOffset(-86_400_000);
    assert.equal(clock.wallNow(), DEFAULT_WALL_EPOCH_MS + 1500 - 86_400_000);
    assert.equal(clock.now(), 1500, 'monotonic time is unaffected');
    clock.setWallOffset(3_600_000);
    assert.equal(clock.wallNow(), DEFAULT_WALL_EPOCH_MS + 1500 + 3_600_000);
    assert.equal(new VirtualClock({ wallEpochMs: 0 }).wallNow(), 0);
    assert.throws(() => new VirtualClock({ epoch: 1 } as never), TypeError);
    assert.throws(() => clock.setWallOffset(Number.POSITIVE_INFINITY), TypeError);
  });

  it('reports a throwing timer callback as an uncaught error and keeps running', async () => {
    const clock = new VirtualClock();
    const caught: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      caught.push(err);
    };
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      let after = false;
      clock.setTimer(
        1,
        () => {
          throw new Error('boom');
        },
        { ref: true },
      );
      clock.setTimer(
        2,
        () => {
          after = true;
        },
        { ref: true },
      );
      await clock.runUntilIdle();
      await immediate();
      assert.equal(after, true);
      assert.equal(caught.length, 1);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
  });

  for (const realtime of [false, true]) {
    it(`lets a process that used the radio exit by itself (${realtime ? 'realtime' : 'virtual'})`, { timeout: 30_000 }, async () => {
      const script = `
        import { SimulatedRadio } from ${JSON.stringify(RADIO_URL)};
        const radio = new SimulatedRadio({ realtime: ${realtime}, phy: '2m', connectionIntervalMs: 7.5 });
        const a = radio.createDevice();
        const b = radio.createDevice();
        let got = 0;
        b.onIncoming((link) => link.onPacket(() => { got++; }));
        const link = await a.connect(b.deviceId);
        for (let i = 0; i < 20; i++) await link.send(new Uint8Array(100));
        radio.clock.setTimer(3_600_000, () => console.log('housekeeping ran'));
        await new Promise((resolve) => { const poll = () => (got === 20 ? resolve() : setTimeout(poll, 1)); poll(); });
        console.log('done', got, link.isOpen);
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let errOut = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearTimeout(killer);
      assert.equal(code, 0, `child exited with ${code}: ${errOut}`);
      assert.equal(out.trim(), 'done 20 true');
    });
  }
});
