/**
 * The link compliance suite (the contract in src/link/types.ts). Every
 * implementation of the radio link seam (the simulated radio, the noble/bleno adapters and
 * their fakes) runs these same tests through {@link runLinkCompliance}.
 *
 * The tests use only the {@link LinkEndpoint} / {@link Link} interfaces and wait only on real
 * events (promises, listeners, short real-time polls): no virtual-clock assumptions, so an
 * adapter on real timers passes them as they are. This file is not a test file itself.
 */

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { isPqbleError, type PqbleError } from '../../src/errors.js';
import { isDeviceId } from '../../src/ids.js';
import type { Link, LinkEndpoint } from '../../src/link/types.js';

/** Two endpoints that can reach each other, and how to tear them down. */
export interface LinkHarness {
  /** The side that connects out. */
  central: LinkEndpoint;
  /** The side that accepts (its `onIncoming` must be able to fire). */
  peripheral: LinkEndpoint;
  /** Releases everything the harness created. */
  cleanup(): Promise<void>;
  /**
   * Makes the peripheral side drop `link` (the peripheral's end) as if out of range, for
   * close-reason tests. Optional: the test is skipped without it.
   */
  dropLink?(link: Link): Promise<void>;
}

/** Optional behaviours an implementation can declare. */
export interface LinkCapabilities {
  /** `connect()` to an id nobody advertises rejects with `PQBLE_ERR_DEVICE_NOT_FOUND` (not a timeout). */
  unknownDevice?: boolean;
}

/** Real-time limit of every wait in the suite. */
const WAIT_MS = 20_000;
/** Codes a link may close with when the peer or the radio ends it. */
const CLOSE_CODES = new Set(['PQBLE_ERR_DISCONNECTED', 'PQBLE_ERR_SUPERVISION_TIMEOUT', 'PQBLE_ERR_CLOSED']);

function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `promise`, or fails after {@link WAIT_MS} of real time. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `predicate` on real time until it holds. */
async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > WAIT_MS) throw new Error(`timed out waiting for ${what}`);
    await realDelay(1);
  }
}

/** Lets pending callbacks run (a few real-time turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await realDelay(2);
}

async function withHarness(make: () => Promise<LinkHarness>, t: TestContext, body: (h: LinkHarness, t: TestContext) => Promise<void>): Promise<void> {
  const h = await make();
  try {
    await body(h, t);
  } finally {
    await h.cleanup();
  }
}

/** Connects central -> peripheral; returns both ends (no packet listener attached). */
async function connectPair(h: LinkHarness): Promise<{ c: Link; p: Link }> {
  let resolveIncoming!: (link: Link) => void;
  const incoming = new Promise<Link>((resolve) => {
    resolveIncoming = resolve;
  });
  const off = h.peripheral.onIncoming((link) => resolveIncoming(link));
  try {
    const c = await within(h.central.connect(h.peripheral.deviceId), 'connect()');
    const p = await within(incoming, 'the incoming link');
    return { c, p };
  } finally {
    off();
  }
}

/** Collects the next `n` packets arriving on `link`. */
function collect(link: Link, n: number): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  return within(
    new Promise<Uint8Array[]>((resolve) => {
      const off = link.onPacket((packet) => {
        got.push(packet);
        if (got.length === n) {
          off();
          resolve(got);
        }
      });
    }),
    `${n} packets`,
  );
}

/** A promise of the link's close reason, and a counter of onClose calls. */
function watchClose(link: Link): { closed: Promise<PqbleError | undefined>; calls: () => number } {
  let calls = 0;
  const closed = new Promise<PqbleError | undefined>((resolve) => {
    link.onClose((reason) => {
      calls += 1;
      resolve(reason);
    });
  });
  return { closed: within(closed, 'onClose'), calls: () => calls };
}

function pattern(seq: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (seq * 31 + i * 7 + 1) & 0xff;
  return out;
}

function assertCoded(err: unknown, codes: ReadonlySet<string>): void {
  assert.ok(isPqbleError(err), `expected a PqbleError, got ${String(err)}`);
  assert.ok(codes.has(err.code), `unexpected code ${err.code}`);
}

async function sendAll(link: Link, packets: readonly Uint8Array[]): Promise<void> {
  for (const p of packets) await link.send(p);
}

/**
 * Registers the compliance tests for one link implementation under `describe(name)`.
 * `makeHarness` is called once per test; its `cleanup()` always runs.
 */
export function runLinkCompliance(name: string, makeHarness: () => Promise<LinkHarness>, capabilities: LinkCapabilities = {}): void {
  const test = (title: string, body: (h: LinkHarness, t: TestContext) => Promise<void>): void => {
    it(title, { timeout: 60_000 }, (t) => withHarness(makeHarness, t, body));
  };

  describe(name, () => {
    test('connects: ids, roles and MTU agree on both ends', async (h) => {
      assert.ok(isDeviceId(h.central.deviceId) && isDeviceId(h.peripheral.deviceId));
      const { c, p } = await connectPair(h);
      assert.equal(c.role, 'central');
      assert.equal(p.role, 'peripheral');
      assert.equal(c.localDeviceId, h.central.deviceId);
      assert.equal(c.peerDeviceId, h.peripheral.deviceId);
      assert.equal(p.localDeviceId, h.peripheral.deviceId);
      assert.ok(isDeviceId(p.peerDeviceId));
      for (const l of [c, p]) {
        assert.ok(l.attMtu >= 23 && l.attMtu <= 517, `attMtu ${l.attMtu}`);
        assert.equal(l.maxPayloadBytes, l.attMtu - 3);
        assert.equal(l.isOpen, true);
      }
      assert.equal(c.attMtu, p.attMtu);
    });

    test('delivers packets of every size 1..maxPayloadBytes in order, both ways at once', async (h) => {
      const { c, p } = await connectPair(h);
      const max = c.maxPayloadBytes;
      const toP = Array.from({ length: max }, (_, i) => pattern(i, i + 1));
      const toC = Array.from({ length: max }, (_, i) => pattern(i + 1000, max - i));
      const atP = collect(p, max);
      const atC = collect(c, max);
      await within(Promise.all([sendAll(c, toP), sendAll(p, toC)]), 'the sends');
      assert.deepEqual(await atP, toP);
      assert.deepEqual(await atC, toC);
    });

    test('keeps order over many more packets than a send queue holds', async (h) => {
      const { c, p } = await connectPair(h);
      const n = 600;
      const packets = Array.from({ length: n }, (_, i) => Uint8Array.from([i >> 8, i & 0xff, 0x5a]));
      const got = collect(p, n);
      await within(Promise.all(packets.map((pk) => c.send(pk))), 'the sends');
      assert.deepEqual(await got, packets);
    });

    test('rejects empty or oversized packets with RangeError and non-bytes with TypeError', async (h) => {
      const { c, p } = await connectPair(h);
      for (const l of [c, p]) {
        await assert.rejects(async () => l.send(new Uint8Array(0)), RangeError);
        await assert.rejects(async () => l.send(new Uint8Array(l.maxPayloadBytes + 1)), RangeError);
        await assert.rejects(async () => l.send('abc' as unknown as Uint8Array), TypeError);
      }
      assert.equal(c.isOpen, true);
      const got = collect(p, 1);
      await c.send(Uint8Array.of(1, 2, 3));
      assert.deepEqual(await got, [Uint8Array.of(1, 2, 3)]);
    });

    test('copies the bytes: changing the buffer after send() changes nothing', async (h) => {
      const { c, p } = await connectPair(h);
      const original = pattern(7, c.maxPayloadBytes);
      const buf = original.slice();
      const got = collect(p, 2);
      const sent = c.send(buf);
      buf.fill(0xee);
      await sent;
      const buf2 = original.slice(0, 10);
      await c.send(buf2);
      buf2.fill(0xdd);
      const [a, b] = await got;
      assert.deepEqual(a, original);
      assert.deepEqual(b, original.slice(0, 10));
    });

    test('buffers packets that arrive before the first listener and delivers them in order', async (h) => {
      const { c, p } = await connectPair(h);
      const packets = Array.from({ length: 5 }, (_, i) => pattern(i, 10 + i));
      await sendAll(c, packets);
      await waitFor(() => p.stats().packetsReceived >= packets.length, 'the packets to arrive');
      await settle();
      const got: Uint8Array[] = [];
      p.onPacket((pk) => got.push(pk));
      await waitFor(() => got.length >= packets.length, 'the buffered packets');
      assert.deepEqual(got, packets);
    });

    test('buffers 256 packets with no listener; the 257th closes that end with PQBLE_ERR_QUEUE_FULL and the peer with a close code', async (h) => {
      const { c, p } = await connectPair(h);
      const pReason = new Promise<PqbleError | undefined>((resolve) => p.onClose(resolve));
      const cReason = new Promise<PqbleError | undefined>((resolve) => c.onClose(resolve));
      await sendAll(
        c,
        Array.from({ length: 256 }, (_, i) => pattern(i, 1 + (i % 20))),
      );
      await waitFor(() => p.stats().packetsReceived >= 256, 'the 256 packets to arrive');
      await settle();
      assert.equal(p.isOpen, true, '256 unread packets are kept');
      const late = c.send(Uint8Array.of(7));
      late.catch(() => undefined);
      const reason = await within(pReason, 'the receiving end to close');
      assert.ok(reason !== undefined && isPqbleError(reason, 'PQBLE_ERR_QUEUE_FULL'), `closed with ${String(reason?.code)}`);
      assertCoded(await within(cReason, 'the sending end to close'), CLOSE_CODES);
      const got: Uint8Array[] = [];
      p.onPacket((pk) => got.push(pk));
      await settle();
      assert.deepEqual(got, [], 'nothing is delivered once the link failed');
    });

    test('a later packet listener gets its own copy: changing it changes nothing the first one holds', async (h) => {
      const { c, p } = await connectPair(h);
      const seen: Uint8Array[] = [];
      p.onPacket((pk) => seen.push(pk));
      p.onPacket((pk) => pk.fill(0));
      await c.send(Uint8Array.of(5, 6, 7));
      await waitFor(() => seen.length === 1, 'the packet');
      assert.deepEqual(seen[0], Uint8Array.of(5, 6, 7));
    });

    test('one function subscribed twice gets each packet twice, and each subscription unsubscribes once', async (h) => {
      const { c, p } = await connectPair(h);
      const seen: number[] = [];
      const listener = (pk: Uint8Array): void => {
        seen.push(pk[0]);
      };
      const off1 = p.onPacket(listener);
      p.onPacket(listener);
      await c.send(Uint8Array.of(1));
      await waitFor(() => seen.length === 2, 'the packet twice');
      off1();
      await c.send(Uint8Array.of(2));
      await waitFor(() => seen.length === 3, 'the second packet once');
      await settle();
      assert.deepEqual(seen, [1, 1, 2]);
    });

    test('a close listener added after the close still fires, once, with the reason', async (h) => {
      const { c } = await connectPair(h);
      const cw = watchClose(c);
      await c.close();
      await cw.closed;
      const late: unknown[] = [];
      c.onClose((reason) => late.push(reason));
      await settle();
      assert.deepEqual(late, [undefined], 'a local close has no reason');
    });

    test('unsubscribing stops delivery to that listener only', async (h) => {
      const { c, p } = await connectPair(h);
      const a: Uint8Array[] = [];
      const b: Uint8Array[] = [];
      const offA = p.onPacket((pk) => a.push(pk));
      p.onPacket((pk) => b.push(pk));
      await c.send(Uint8Array.of(1));
      await waitFor(() => a.length === 1 && b.length === 1, 'the first packet');
      offA();
      offA();
      await c.send(Uint8Array.of(2));
      await waitFor(() => b.length === 2, 'the second packet');
      await settle();
      assert.deepEqual(a, [Uint8Array.of(1)]);
      assert.deepEqual(b, [Uint8Array.of(1), Uint8Array.of(2)]);
      // An unsubscribed close listener is not called.
      let called = false;
      const offClose = c.onClose(() => {
        called = true;
      });
      offClose();
      const cw = watchClose(c);
      await c.close();
      await cw.closed;
      await settle();
      assert.equal(called, false);
    });

    for (const closer of ['central', 'peripheral'] as const) {
      test(`close() from the ${closer} closes both ends; onClose fires exactly once on each`, async (h) => {
        const { c, p } = await connectPair(h);
        const [local, remote] = closer === 'central' ? [c, p] : [p, c];
        const lw = watchClose(local);
        const rw = watchClose(remote);
        await within(local.close(), 'close()');
        assert.equal(local.isOpen, false);
        assert.equal(await lw.closed, undefined);
        const remoteReason = await rw.closed;
        assertCoded(remoteReason, CLOSE_CODES);
        assert.equal(remote.isOpen, false);
        await within(local.close(), 'a second close()');
        await within(remote.close(), 'close() of the closed end');
        await settle();
        assert.equal(lw.calls(), 1);
        assert.equal(rw.calls(), 1);
        // A listener added after the close is called on a later tick, with the reason.
        let late: PqbleError | undefined | 'not called' = 'not called';
        remote.onClose((reason) => {
          late = reason;
        });
        assert.equal(late, 'not called');
        await settle();
        assert.equal(late, remoteReason);
      });
    }

    test('send() after close rejects with PQBLE_ERR_DISCONNECTED or the close reason', async (h) => {
      const { c, p } = await connectPair(h);
      const pw = watchClose(p);
      await c.close();
      await assert.rejects(c.send(Uint8Array.of(1)), (err: unknown) => {
        assertCoded(err, new Set(['PQBLE_ERR_DISCONNECTED']));
        return true;
      });
      const reason = await pw.closed;
      await assert.rejects(p.send(Uint8Array.of(1)), (err: unknown) => {
        assertCoded(err, new Set(['PQBLE_ERR_DISCONNECTED', reason?.code ?? 'PQBLE_ERR_DISCONNECTED']));
        return true;
      });
    });

    for (const closer of ['local', 'remote'] as const) {
      test(`pending sends settle, with coded rejections, when the link is closed (${closer} close)`, async (h) => {
        const { c, p } = await connectPair(h);
        const big = new Uint8Array(c.maxPayloadBytes).fill(3);
        // allSettled at once, so no rejection is ever unhandled.
        const settled = Promise.allSettled(Array.from({ length: 2000 }, () => c.send(big)));
        await within(closer === 'local' ? c.close() : p.close(), 'close()');
        const results = await within(settled, 'the pending sends');
        let rejected = 0;
        for (const r of results) {
          if (r.status === 'rejected') {
            rejected += 1;
            assertCoded(r.reason, CLOSE_CODES);
          }
        }
        assert.ok(rejected > 0, 'some of 2000 full-size sends should still have been pending');
      });
    }

    test('connect() with an aborted signal rejects with PQBLE_ERR_ABORTED', async (h) => {
      h.peripheral.onIncoming(() => {});
      await assert.rejects(h.central.connect(h.peripheral.deviceId, { signal: AbortSignal.abort() }), (err: unknown) => {
        assertCoded(err, new Set(['PQBLE_ERR_ABORTED']));
        return true;
      });
      const ac = new AbortController();
      const pending = h.central.connect(h.peripheral.deviceId, { signal: ac.signal });
      ac.abort();
      await assert.rejects(within(pending, 'the aborted connect'), (err: unknown) => {
        assertCoded(err, new Set(['PQBLE_ERR_ABORTED']));
        return true;
      });
    });

    if (capabilities.unknownDevice === true) {
      test('connect() to an unknown device rejects with PQBLE_ERR_DEVICE_NOT_FOUND', async (h) => {
        const unknown = h.central.deviceId === '00000000a5a5' ? '00000000a5a6' : '00000000a5a5';
        await assert.rejects(within(h.central.connect(unknown), 'connect()'), (err: unknown) => {
          assertCoded(err, new Set(['PQBLE_ERR_DEVICE_NOT_FOUND']));
          return true;
        });
      });
    }

    test('stats() count packets and payload bytes both ways', async (h) => {
      const { c, p } = await connectPair(h);
      const c0 = c.stats();
      const p0 = p.stats();
      const toP = [pattern(1, 5), pattern(2, c.maxPayloadBytes), pattern(3, 1)];
      const toC = [pattern(4, 17), pattern(5, 2)];
      const atP = collect(p, toP.length);
      const atC = collect(c, toC.length);
      await Promise.all([sendAll(c, toP), sendAll(p, toC)]);
      await Promise.all([atP, atC]);
      const sum = (a: Uint8Array[]): number => a.reduce((n, x) => n + x.length, 0);
      const c1 = c.stats();
      const p1 = p.stats();
      assert.equal(c1.packetsSent - c0.packetsSent, toP.length);
      assert.equal(c1.bytesSent - c0.bytesSent, sum(toP));
      assert.equal(p1.packetsReceived - p0.packetsReceived, toP.length);
      assert.equal(p1.bytesReceived - p0.bytesReceived, sum(toP));
      assert.equal(p1.packetsSent - p0.packetsSent, toC.length);
      assert.equal(p1.bytesSent - p0.bytesSent, sum(toC));
      assert.equal(c1.packetsReceived - c0.packetsReceived, toC.length);
      assert.equal(c1.bytesReceived - c0.bytesReceived, sum(toC));
      for (const s of [c1, p1]) {
        // On-air figures are optional (0 if unknown) but never below the payload when known.
        if (s.bytesOnAirSent > 0) assert.ok(s.bytesOnAirSent >= s.bytesSent);
        if (s.bytesOnAirReceived > 0) assert.ok(s.bytesOnAirReceived >= s.bytesReceived);
        assert.ok(s.airtimeSentMs >= 0 && s.airtimeReceivedMs >= 0);
      }
    });

    test('a link dropped by the peripheral (out of range) closes with a coded reason', async (h, t) => {
      if (h.dropLink === undefined) {
        t.skip('the harness has no dropLink()');
        return;
      }
      const { c, p } = await connectPair(h);
      const cw = watchClose(c);
      const pw = watchClose(p);
      await h.dropLink(p);
      const reason = await cw.closed;
      assertCoded(reason, CLOSE_CODES);
      assertCoded(await pw.closed, CLOSE_CODES);
      assert.equal(c.isOpen, false);
      await assert.rejects(c.send(Uint8Array.of(1)), (err: unknown) => {
        assertCoded(err, new Set(['PQBLE_ERR_DISCONNECTED', reason?.code ?? 'PQBLE_ERR_DISCONNECTED']));
        return true;
      });
    });
  });
}
