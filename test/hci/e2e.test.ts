/**
 * pqble over the REAL noble and bleno, on BlueZ's emulated LE controllers (btvirt), each
 * device in its own process (test/hci/harness.ts; docs/hardware.md "Try it without
 * hardware"): scan, connect, MTU exchange, the full handshake, messages both ways up to the
 * largest message, resumption, resumption from disk after both processes restarted, a
 * peripheral killed mid-transfer, a central killed, and two centrals on one peripheral.
 * Skipped, with one line, where btvirt or socat is not installed (`.ci/run` installs them).
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { HciEmulator, hciSkipReason, patternDigest, type Agent, type AgentEvent, type Controller } from './harness.js';

const SKIP = hciSkipReason();
/** The transport's largest message by default (64 KiB less the record overhead). */
const MAX_MESSAGE = 65_518;
const SEED = { peripheral: '11'.repeat(32), central: '22'.repeat(32), central2: '33'.repeat(32) } as const;

interface Described {
  readonly conn: number;
  readonly type: string;
  readonly peerDeviceId: string;
  readonly peerFingerprint: string;
  readonly attMtu?: number;
  readonly connectMs?: number;
  readonly stats: {
    setupMs: number;
    setupRoundTrips: number;
    setupBytesSent: number;
    setupBytesReceived: number;
    bytesSent: number;
    bytesReceived: number;
    fellBack: boolean;
  };
}

const isConnection = (e: AgentEvent): boolean => e.event === 'connection';

function setupBytes(d: Described): number {
  return d.stats.setupBytesSent + d.stats.setupBytesReceived;
}

describe('pqble on the real noble and bleno over emulated controllers (btvirt)', { skip: SKIP === undefined ? false : `HCI tests skipped: ${SKIP}` }, () => {
  let emu: HciEmulator;
  before(async () => {
    emu = await HciEmulator.start();
  });
  after(async () => {
    await emu?.close();
  });

  describe('one central, one peripheral', () => {
    let pc: Controller;
    let cc: Controller;
    let peripheral: Agent;
    let central: Agent;
    let full: Described;
    let fullPeer: AgentEvent;

    before(async () => {
      pc = await emu.addController('p1');
      cc = await emu.addController('c1');
      [peripheral, central] = await Promise.all([
        emu.startAgent(pc, { role: 'peripheral', seed: SEED.peripheral, sessions: join(emu.dir, 'p1.sessions'), name: 'pqble-e2e' }),
        emu.startAgent(cc, { role: 'central', seed: SEED.central, sessions: join(emu.dir, 'c1.sessions') }),
      ]);
    });

    it('scan finds the peripheral: its address, name, RSSI and when it was last seen', async () => {
      const r = await central.request<{ devices: { deviceId: string; name?: string; rssi: number; lastSeenMs: number }[]; from: number; to: number }>('scan', {
        durationMs: 700,
      });
      const found = r.devices.find((d) => d.deviceId === pc.deviceId);
      assert.ok(found !== undefined, `the peripheral ${pc.deviceId} was not heard: ${JSON.stringify(r.devices)}`);
      assert.equal(found.name, 'pqble-e2e');
      // btvirt reports RSSI 127, HCI's "not available"; what matters is that the report's value arrives.
      assert.ok(Number.isInteger(found.rssi) && found.rssi >= -127 && found.rssi <= 127, `rssi ${found.rssi}`);
      assert.ok(found.lastSeenMs >= r.from && found.lastSeenMs <= r.to, `lastSeenMs ${found.lastSeenMs} not within the scan ${r.from}..${r.to}`);
      assert.equal(r.devices.length, 1, 'only pqble peripherals are listed (the central itself is not)');
    });

    it('connects with a full handshake after an ATT MTU exchange (256 on both sides)', async (t: TestContext) => {
      full = await central.request<Described>('connect', { device: pc.deviceId });
      fullPeer = await peripheral.waitFor(isConnection, "the peripheral's connection");
      assert.equal(full.type, 'full-handshake');
      assert.equal(fullPeer.type, 'full-handshake');
      assert.equal(full.peerDeviceId, pc.deviceId);
      assert.equal(fullPeer.peerDeviceId, cc.deviceId);
      assert.equal(full.peerFingerprint, peripheral.events.find((e) => e.event === 'ready')?.fingerprint);
      assert.equal(full.attMtu, 256, 'noble asks for 256, bleno accepts it');
      assert.equal(fullPeer.attMtu, 256);
      assert.equal(full.stats.setupRoundTrips, 2);
      // About 13 KB of handshake: both signatures, the ML-KEM ciphertext and key.
      assert.ok(setupBytes(full) > 12_000 && setupBytes(full) < 16_000, `full handshake moved ${setupBytes(full)} bytes`);
      t.diagnostic(`full handshake: ${full.stats.setupMs.toFixed(0)} ms, ${setupBytes(full)} ATT payload bytes, connect() ${full.connectMs} ms`);
    });

    it('carries messages both ways, up to the largest message (64 KiB less the record overhead)', async () => {
      const pconn = Number(fullPeer.conn);
      for (const [length, seed] of [
        [1, 1],
        [300, 2],
        [MAX_MESSAGE, 3],
      ] as const) {
        await central.request('send', { conn: full.conn, length, seed });
        const got = await peripheral.waitFor(
          (e) => e.event === 'message' && e.conn === pconn && e.sha256 === patternDigest(length, seed),
          `message ${seed} at the peripheral`,
        );
        assert.equal(got.length, length);
        await peripheral.request('send', { conn: pconn, length, seed: seed + 10 });
        const back = await central.waitFor(
          (e) => e.event === 'message' && e.conn === full.conn && e.sha256 === patternDigest(length, seed + 10),
          `message ${seed + 10} at the central`,
        );
        assert.equal(back.length, length);
      }
      // The ACL traffic seen between host and controller covers what was sent (ATT payload and headers).
      assert.ok(cc.proxy.stats().aclBytesFromHost > MAX_MESSAGE && pc.proxy.stats().aclBytesFromHost > MAX_MESSAGE);
    });

    it('resumes on the next connection (1 round trip, a small fraction of the bytes)', async (t: TestContext) => {
      await central.request('close', { conn: full.conn });
      await peripheral.waitFor((e) => e.event === 'closed' && e.conn === fullPeer.conn, 'the peripheral to see the close');
      const resumed = await central.request<Described>('connect', { device: pc.deviceId });
      assert.equal(resumed.type, 'resumed');
      assert.equal(resumed.stats.setupRoundTrips, 1);
      assert.ok(setupBytes(resumed) * 20 < setupBytes(full), `resumed ${setupBytes(resumed)} vs full ${setupBytes(full)} bytes`);
      await central.request('send', { conn: resumed.conn, length: 1000, seed: 4 });
      await peripheral.waitFor((e) => e.event === 'message' && e.sha256 === patternDigest(1000, 4), 'the message after resuming');
      await central.request('close', { conn: resumed.conn });
      t.diagnostic(`resumed: ${resumed.stats.setupMs.toFixed(0)} ms, ${setupBytes(resumed)} ATT payload bytes, connect() ${resumed.connectMs} ms`);
    });

    it('resumes from disk after both processes restarted, and each process exits by itself when closed', async (t: TestContext) => {
      const [c, p] = await Promise.all([central.exit(), peripheral.exit()]);
      // bleno's HCI layer polls once a second; the adapter stops that poll chain.
      assert.ok(c.exitMs < 5000 && p.exitMs < 5000, `exit took central ${c.exitMs} ms, peripheral ${p.exitMs} ms after closing`);
      [peripheral, central] = await Promise.all([
        emu.startAgent(pc, { role: 'peripheral', seed: SEED.peripheral, sessions: join(emu.dir, 'p1.sessions'), name: 'pqble-e2e' }),
        emu.startAgent(cc, { role: 'central', seed: SEED.central, sessions: join(emu.dir, 'c1.sessions') }),
      ]);
      const resumed = await central.request<Described>('connect', { device: pc.deviceId });
      const peer = await peripheral.waitFor(isConnection, "the restarted peripheral's connection");
      assert.equal(resumed.type, 'resumed');
      assert.equal(peer.type, 'resumed');
      assert.equal(resumed.stats.fellBack, false);
      assert.ok(setupBytes(resumed) * 20 < setupBytes(full), `resumed ${setupBytes(resumed)} vs full ${setupBytes(full)} bytes`);
      await peripheral.request('send', { conn: peer.conn, length: MAX_MESSAGE, seed: 5 });
      await central.waitFor((e) => e.event === 'message' && e.sha256 === patternDigest(MAX_MESSAGE, 5), 'a message on the resumed connection');
      t.diagnostic(
        `exit after close: central ${c.exitMs} ms, peripheral ${p.exitMs} ms; resumed from disk: ${resumed.stats.setupMs.toFixed(0)} ms, ${setupBytes(resumed)} bytes`,
      );
      await Promise.all([central.exit(), peripheral.exit()]);
    });
  });

  it("a peripheral killed mid-transfer: the central's connection closes with a coded error, then it reconnects cleanly", async (t: TestContext) => {
    const pc = await emu.addController('p2');
    const cc = await emu.addController('c2');
    const popts = { role: 'peripheral', seed: SEED.peripheral, sessions: join(emu.dir, 'p2.sessions') } as const;
    let peripheral = await emu.startAgent(pc, popts);
    const central = await emu.startAgent(cc, { role: 'central', seed: SEED.central, sessions: join(emu.dir, 'c2.sessions') });
    const first = await central.request<Described>('connect', { device: pc.deviceId });
    await central.request('send-many', { conn: first.conn, count: 100_000, length: 20_000 });
    await peripheral.waitFor((e) => e.event === 'message', 'the transfer to be under way');
    await emu.killDevice(peripheral, pc);
    const closed = await central.waitFor((e) => e.event === 'closed' && e.conn === first.conn, 'the central to see the loss', 10_000);
    assert.equal(closed.code, 'PQBLE_ERR_DISCONNECTED');
    assert.equal(closed.calls, 1);
    const failed = await central.waitFor((e) => e.event === 'send-failed', 'the interrupted send to fail');
    assert.equal(failed.code, 'PQBLE_ERR_DISCONNECTED');

    peripheral = await emu.startAgent(pc, popts);
    const again = await central.request<Described>('connect', { device: pc.deviceId });
    // The session was cached on both sides (the peripheral saved it before it was killed).
    assert.equal(again.type, 'resumed');
    await central.request('send', { conn: again.conn, length: 5000, seed: 6 });
    await peripheral.waitFor((e) => e.event === 'message' && e.sha256 === patternDigest(5000, 6), 'a message after the reconnect');
    t.diagnostic(`reconnected ${again.type} in ${again.connectMs} ms`);
    await Promise.all([central.exit(), peripheral.exit()]);
  });

  it('a central killed: the peripheral frees its slot (limit 1) and the next central gets in', async () => {
    const pc = await emu.addController('p3');
    const c1 = await emu.addController('c3a');
    const c2 = await emu.addController('c3b');
    const peripheral = await emu.startAgent(pc, { role: 'peripheral', seed: SEED.peripheral, maxConnections: 1 });
    const [first, second] = await Promise.all([
      emu.startAgent(c1, { role: 'central', seed: SEED.central }),
      emu.startAgent(c2, { role: 'central', seed: SEED.central2 }),
    ]);
    await first.request('connect', { device: pc.deviceId });
    const accepted = await peripheral.waitFor(isConnection, "the first central's connection");
    assert.equal(accepted.peerDeviceId, c1.deviceId);
    await emu.killDevice(first, c1);
    const closed = await peripheral.waitFor((e) => e.event === 'closed' && e.conn === accepted.conn, 'the peripheral to see the loss', 10_000);
    assert.equal(closed.code, 'PQBLE_ERR_DISCONNECTED');
    const info = await peripheral.request<{ links: number; connections: number }>('info');
    assert.equal(info.links, 0);
    assert.equal(info.connections, 0);
    const next = await second.request<Described>('connect', { device: pc.deviceId });
    assert.equal(next.type, 'full-handshake');
    await peripheral.waitFor((e) => isConnection(e) && e.peerDeviceId === c2.deviceId, "the second central's connection");
    await Promise.all([second.exit(), peripheral.exit()]);
  });

  it('two centrals on one peripheral at once, each with its own link and messages', async () => {
    const pc = await emu.addController('p4');
    const ca = await emu.addController('c4a');
    const cb = await emu.addController('c4b');
    const peripheral = await emu.startAgent(pc, { role: 'peripheral', seed: SEED.peripheral });
    const [a, b] = await Promise.all([
      emu.startAgent(ca, { role: 'central', seed: SEED.central }),
      emu.startAgent(cb, { role: 'central', seed: SEED.central2 }),
    ]);
    const ra = await a.request<Described>('connect', { device: pc.deviceId });
    // The peripheral's controller now uses handle 42; B's must skip it too (see reserveHandles).
    await emu.reserveHandles(cb, 1);
    const rb = await b.request<Described>('connect', { device: pc.deviceId });
    const pa = await peripheral.waitFor((e) => isConnection(e) && e.peerDeviceId === ca.deviceId, 'central A at the peripheral');
    const pb = await peripheral.waitFor((e) => isConnection(e) && e.peerDeviceId === cb.deviceId, 'central B at the peripheral');
    assert.equal(ra.type, 'full-handshake');
    assert.equal(rb.type, 'full-handshake');
    assert.notEqual(pa.peerFingerprint, pb.peerFingerprint);
    await Promise.all([a.request('send', { conn: ra.conn, length: 30_000, seed: 7 }), b.request('send', { conn: rb.conn, length: 30_000, seed: 8 })]);
    await peripheral.waitFor((e) => e.event === 'message' && e.conn === pa.conn && e.sha256 === patternDigest(30_000, 7), "A's message");
    await peripheral.waitFor((e) => e.event === 'message' && e.conn === pb.conn && e.sha256 === patternDigest(30_000, 8), "B's message");
    await peripheral.request('send', { conn: pb.conn, length: 4000, seed: 9 });
    await b.waitFor((e) => e.event === 'message' && e.sha256 === patternDigest(4000, 9), 'the reply at B');
    assert.equal(
      a.events.some((e) => e.event === 'message'),
      false,
      'A got nothing meant for B',
    );
    const info = await peripheral.request<{ links: number }>('info');
    assert.equal(info.links, 2);
    assert.equal(pc.proxy.handleMismatches, 0);
    await Promise.all([a.exit(), b.exit()]);
    await peripheral.exit();
  });
});
