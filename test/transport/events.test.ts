/**
 * Transport events (`transport.onEvent`) and the `pqble:*` diagnostics channels
 * (docs/api.md "Transport events", "Diagnostics channels"): the sequence of a full handshake
 * and of a resumption on both sides, fallbacks with their reasons, refusals, failures,
 * closes, listeners that throw, and payloads without secrets.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { bytesToHex } from '../../src/bytes.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { DIAGNOSTICS_CHANNELS, type TransportEvent } from '../../src/transport/index.js';
import { publish } from '../../src/transport/diagnostics.js';
import { PERIPHERAL_ID, connectPair, identity, makePair, type Pair } from './helpers.js';

interface Published {
  readonly channel: string;
  readonly message: Record<string, unknown>;
}

/** Subscribes to every pqble channel; returns what arrived and the unsubscribe. */
function record(): { readonly seen: Published[]; stop(): void } {
  const seen: Published[] = [];
  const subs = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
    const fn = (message: unknown): void => {
      seen.push({ channel: name, message: message as Record<string, unknown> });
    };
    diagnostics.subscribe(name, fn);
    return () => diagnostics.unsubscribe(name, fn);
  });
  return { seen, stop: () => subs.forEach((off) => off()) };
}

/** One side's setup steps as short strings (store calls left out). */
function steps(seen: readonly Published[], role: 'initiator' | 'responder'): string[] {
  const ids = new Set(seen.filter((p) => p.channel === 'pqble:setup:start' && p.message.role === role).map((p) => p.message.setupId));
  return seen
    .filter((p) => p.channel !== 'pqble:store:call' && ids.has(p.message.setupId))
    .map(({ channel, message: m }) => {
      const name = channel.slice('pqble:'.length);
      switch (channel) {
        case 'pqble:setup:message':
          return `${String(m.direction)} ${String(m.messageType)}`;
        case 'pqble:handshake:start':
          return `${name} pinned=${String(m.pinned)}`;
        case 'pqble:trust:decision':
          return `${name} ${String(m.stage)} ${String(m.verdict)}`;
        case 'pqble:resume:start':
          return role === 'initiator' ? `${name} ${String(m.mode)}` : name;
        case 'pqble:resume:fallback':
          return `${name} ${String(m.reason)}${m.peerReason === undefined ? '' : ` (${m.peerReason as string})`}`;
        case 'pqble:setup:end':
          return `${name} ${m.ok === true ? String(m.how) : String(m.code)}`;
        default:
          return name;
      }
    });
}

/** Every value of every payload: no byte arrays (no key material), only plain data. */
function assertPlainData(seen: readonly Published[]): void {
  const allowed = new Set([
    'setupId',
    'role',
    'deviceId',
    'localFingerprint',
    'direction',
    'messageType',
    'messageTypeByte',
    'bytes',
    'packets',
    'pinned',
    'attempt',
    'peerFingerprint',
    'mode',
    'stage',
    'verdict',
    'reason',
    'peerReason',
    'ok',
    'how',
    'code',
    'durationMs',
    'op',
  ]);
  for (const { channel, message } of seen) {
    for (const [key, value] of Object.entries(message)) {
      assert.ok(allowed.has(key), `${channel}: unexpected field ${key}`);
      assert.ok(value === undefined || ['string', 'number', 'boolean'].includes(typeof value), `${channel}.${key} is ${typeof value}`);
    }
  }
}

const brief = (e: TransportEvent): string => {
  switch (e.type) {
    case 'connection-opened':
      return `opened ${e.role} ${e.how}`;
    case 'connection-closed':
      return `closed ${e.role} ${e.code ?? 'in order'}`;
    case 'resume-fallback':
      return `fallback ${e.role} ${e.reason}${e.peerReason === undefined ? '' : ` (${e.peerReason})`}`;
    case 'peer-refused':
      return `refused ${e.role} by ${e.by} at ${e.stage}`;
    case 'setup-failed':
      return `failed ${e.role} ${e.code}`;
  }
};

function listen(pair: Pair): { central: string[]; peripheral: string[] } {
  const out = { central: [] as string[], peripheral: [] as string[] };
  pair.central.onEvent((e) => out.central.push(brief(e)));
  pair.peripheral.onEvent((e) => out.peripheral.push(brief(e)));
  return out;
}

describe('diagnostics channels', () => {
  it('a full handshake, then a resumption, step by step on both sides, without secrets', async () => {
    const pair = await makePair();
    const rec = record();
    try {
      await connectPair(pair);
      assert.deepEqual(steps(rec.seen, 'initiator'), [
        'setup:start',
        'handshake:start pinned=false',
        'sent handshake-init',
        'received handshake-response',
        'trust:decision full-handshake trusted',
        'sent handshake-finish',
        'received record',
        'setup:end full',
      ]);
      assert.deepEqual(steps(rec.seen, 'responder'), [
        'setup:start',
        'received handshake-init',
        'handshake:start pinned=false',
        'sent handshake-response',
        'received handshake-finish',
        'trust:decision full-handshake trusted',
        'sent record',
        'setup:end full',
      ]);
      const stores = rec.seen.filter((p) => p.channel === 'pqble:store:call').map((p) => p.message.op);
      assert.ok(stores.includes('put') && stores.includes('putValue') && stores.includes('getByDevice'), String(stores));
      assert.ok(rec.seen.filter((p) => p.channel === 'pqble:store:call').every((p) => p.message.ok === true && typeof p.message.durationMs === 'number'));
      const sentInit = rec.seen.find((p) => p.message.messageType === 'handshake-init');
      assert.equal(typeof sentInit?.message.bytes, 'number');
      assert.ok((sentInit?.message.packets as number) >= 1);

      rec.seen.length = 0;
      for (const c of pair.central.connections()) await c.close();
      await connectPair(pair);
      assert.deepEqual(steps(rec.seen, 'initiator'), [
        'setup:start',
        'trust:decision resumption trusted',
        'resume:start psk-dhe',
        'sent resume-request',
        'received resume-accept',
        'sent resume-finished',
        'resume:end',
        'setup:end psk-dhe',
      ]);
      assert.deepEqual(steps(rec.seen, 'responder'), [
        'setup:start',
        'received resume-request',
        'resume:start',
        'trust:decision resumption trusted',
        'sent resume-accept',
        'received resume-finished',
        'resume:end',
        'setup:end psk-dhe',
      ]);
      const ops = rec.seen.filter((p) => p.channel === 'pqble:store:call').map((p) => p.message.op);
      assert.ok(ops.includes('consumeInbound') && ops.includes('replaceOutbound'), String(ops));
      const end = rec.seen.find((p) => p.channel === 'pqble:setup:end' && p.message.role === 'initiator');
      assert.equal(end?.message.peerFingerprint, bytesToHex(identity(1).fingerprint));
      assertPlainData(rec.seen);
    } finally {
      rec.stop();
      await pair.close();
    }
  });

  it('builds no payload when nobody subscribes', () => {
    let built = 0;
    publish(DIAGNOSTICS_CHANNELS.setupStart, () => {
      built++;
      return {};
    });
    assert.equal(built, 0);
    const fn = (): void => undefined;
    diagnostics.subscribe(DIAGNOSTICS_CHANNELS.setupStart, fn);
    try {
      publish(DIAGNOSTICS_CHANNELS.setupStart, () => {
        built++;
        return {};
      });
    } finally {
      diagnostics.unsubscribe(DIAGNOSTICS_CHANNELS.setupStart, fn);
    }
    assert.equal(built, 1);
  });
});

describe('transport events', () => {
  it('opened (full, then resumed) and closed, on both sides', async () => {
    const pair = await makePair();
    const ev = listen(pair);
    try {
      await connectPair(pair);
      for (const c of pair.central.connections()) await c.close();
      await pair.clock.advance(100);
      await connectPair(pair);
      assert.deepEqual(ev.central, ['opened initiator full', 'closed initiator in order', 'opened initiator psk-dhe']);
      assert.equal(ev.peripheral[0], 'opened responder full');
      assert.match(ev.peripheral[1] ?? '', /^closed responder /);
      assert.equal(ev.peripheral[2], 'opened responder psk-dhe');
    } finally {
      await pair.close();
    }
  });

  it('psk mode is reported as such', async () => {
    const pair = await makePair({ central: { resumptionMode: 'psk' } });
    const ev = listen(pair);
    try {
      await connectPair(pair);
      for (const c of pair.central.connections()) await c.close();
      await connectPair(pair);
      assert.equal(ev.central.at(-1), 'opened initiator psk');
      assert.equal(ev.peripheral.at(-1), 'opened responder psk');
    } finally {
      await pair.close();
    }
  });

  it('a responder that lost its sessions: fallback with the reason on both sides', async () => {
    const pair = await makePair();
    try {
      await connectPair(pair);
      await pair.restart('peripheral'); // a memory store: its sessions are gone
      for (const c of pair.central.connections()) await c.close();
      const ev = listen(pair);
      await connectPair(pair);
      assert.deepEqual(ev.central, ['fallback initiator peer-rejected (unknown-ticket)', 'opened initiator fallback']);
      assert.deepEqual(ev.peripheral, ['fallback responder unknown-ticket', 'opened responder fallback']);
    } finally {
      await pair.close();
    }
  });

  it('an expired session: the initiator reports it and runs a full handshake', async () => {
    const pair = await makePair({ central: { sessionCacheDurationMs: 60_000 } });
    try {
      await connectPair(pair);
      for (const c of pair.central.connections()) await c.close();
      await pair.clock.advance(61_000);
      const ev = listen(pair);
      await connectPair(pair);
      assert.deepEqual(ev.central, ['fallback initiator expired', 'opened initiator full']);
    } finally {
      await pair.close();
    }
  });

  it('a refused peer: refused by local / by peer, and setup failed, with the coded reason', async () => {
    const store = new MemorySessionStore();
    const pair = await makePair({ peripheral: { trust: { mode: 'allow-list', fingerprints: [] }, sessionStore: store } });
    const ev = listen(pair);
    try {
      await assert.rejects(pair.central.connectToDevice(PERIPHERAL_ID));
      await pair.clock.advance(100);
      assert.deepEqual(ev.peripheral, ['refused responder by local at full-handshake', 'failed responder PQBLE_ERR_PEER_UNTRUSTED']);
      assert.deepEqual(ev.central, ['refused initiator by peer at full-handshake', 'failed initiator PQBLE_ERR_PEER_UNTRUSTED']);
    } finally {
      await pair.close();
      await store.close();
    }
  });

  it('a setup that cannot reach the device fails with its code', async () => {
    const pair = await makePair({ central: { connectTimeoutMs: 500 } });
    const ev = listen(pair);
    try {
      await assert.rejects(pair.central.connectToDevice('dd0000000009'));
      assert.equal(ev.central.length, 1);
      assert.match(ev.central[0] ?? '', /^failed initiator PQBLE_ERR_/);
    } finally {
      await pair.close();
    }
  });

  it('a throwing listener is logged and stops neither the others nor the transport; unsubscribe works', async () => {
    const pair = await makePair();
    try {
      const got: string[] = [];
      pair.central.onEvent(() => {
        throw new Error('listener bug');
      });
      const off = pair.central.onEvent((e) => got.push(e.type));
      const { central, peripheral } = await connectPair(pair);
      await central.send(new Uint8Array([1, 2, 3]));
      assert.deepEqual(await peripheral.receive(), new Uint8Array([1, 2, 3]));
      assert.deepEqual(got, ['connection-opened']);
      assert.ok(pair.logger.warnings.some((w) => w.includes('transport event listener threw') && w.includes('listener bug')));
      off();
      off();
      await central.close();
      assert.deepEqual(got, ['connection-opened']);
      assert.throws(() => pair.central.onEvent('x' as never), TypeError);
    } finally {
      await pair.close();
    }
  });
});
