// `pqble sessions list|show|prune|clear|forget` driven in process (helpers.ts runInProcess), on version-1 cache
// files written by the version-1 store (bench/baseline, the migration source) and on version-2 stores: metadata only
// (never a secret), expiry states, prefix lookup, prune/clear/forget refused on a version-1 file, atomic prune and clear
// of a version-2 store, and a one-line failure on a corrupt or foreign file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runDemo } from '../../src/demo/scenario.js';
import { silentLogger } from '../../src/logger.js';
import type { CachedSession, StoredSession } from '../../src/session/index.js';
import { FileSessionStore } from '../../bench/baseline/file-store-v1.js';
import { FileSessionStore as FileStoreV2 } from '../../src/session/file/index.js';
import { runInProcess, tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.remove());

const HOUR = 3_600_000;

function session(i: number, ageHours: number): CachedSession {
  const hex = (n: number, bytes: number): string => n.toString(16).padStart(2, '0').repeat(bytes);
  const now = Date.now();
  return {
    peerFingerprint: `${hex(i, 1)}${'ab'.repeat(31)}`,
    deviceId: `c0ffee0000${hex(i, 1)}`,
    sessionId: `${hex(0x10 + i, 1)}${'5e'.repeat(15)}`,
    establishedMs: now - ageHours * HOUR,
    lastActiveMs: now - (ageHours / 2) * HOUR,
    resumptionSecret: new Uint8Array(32).fill(0x40 + i),
    ticketId: `${hex(0x20 + i, 1)}${'7c'.repeat(15)}`,
  };
}

/** Writes a cache file with the store: sessions 1 (30 h old: expired), 2 (2 h) and 3 (6 min). */
async function writeCache(name: string): Promise<{ path: string; sessions: CachedSession[] }> {
  const path = join(tmp.dir, name);
  const sessions = [session(1, 30), session(2, 2), session(3, 0.1)];
  await new FileSessionStore({ path, logger: silentLogger }).save(sessions.map((s) => ({ ...s, resumptionSecret: s.resumptionSecret.slice() })));
  return { path, sessions };
}

interface ListDoc {
  path: string;
  savedAt: string;
  now: string;
  ttlHours: number;
  sessions: {
    peerFingerprint: string;
    deviceId: string;
    sessionId: string;
    established: string;
    lastActive: string;
    ageMs: number;
    idleMs: number;
    expiresInMs: number;
    state: string;
  }[];
}

function assertNoSecret(text: string, path: string, sessions: CachedSession[]): void {
  const file = readFileSync(path, 'utf8');
  for (const sealed of file.matchAll(/"sealedSecret":"([^"]+)"/g)) assert.ok(!text.includes(sealed[1].slice(0, 24)), 'sealed secret printed');
  for (const s of sessions) {
    assert.ok(!text.includes(Buffer.from(s.resumptionSecret).toString('hex')), 'secret printed');
    assert.ok(!text.includes(s.ticketId), 'ticket id printed');
  }
}

describe('pqble sessions', () => {
  it("reads the cache file a real transport wrote (the demo hub's), without its key", async () => {
    const dir = join(tmp.dir, 'demo');
    const report = await runDemo({ dir });
    const path = join(dir, 'hub.sessions');
    const r = await runInProcess(['sessions', 'list', '--path', path, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ListDoc;
    assert.deepEqual(
      doc.sessions.map((x) => [x.peerFingerprint, x.deviceId]),
      [[report.sensorFingerprint, '5e4502000002']],
    );
    const [entry] = doc.sessions;
    // A version-2 store keeps no session id (the transport does not need one to resume).
    assert.equal(entry.sessionId, null);
    // The simulated radio's wall clock starts at the real time: the session a demo just made is active.
    assert.equal(entry.state, 'active');
    const key = readFileSync(`${path}.key`, 'utf8');
    for (const m of key.matchAll(/"([A-Za-z0-9+/_-]{40,})"/g)) assert.ok(!r.stdout.includes(m[1]), 'storage key printed');
    const show = await runInProcess(['sessions', 'show', report.sensorFingerprint.slice(0, 6), '--path', path]);
    assert.equal(show.status, 0, show.stderr);
    assert.ok(show.stdout.includes(report.sensorFingerprint));
  });

  it('list --json gives every session with its state, and no secret', async () => {
    const { path, sessions } = await writeCache('list.json');
    const r = await runInProcess(['sessions', 'list', '--path', path, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ListDoc;
    assert.equal(doc.path, path);
    assert.equal(doc.ttlHours, 24);
    assert.ok(!Number.isNaN(Date.parse(doc.savedAt)) && !Number.isNaN(Date.parse(doc.now)));
    assert.deepEqual(
      doc.sessions.map((s) => [s.peerFingerprint, s.deviceId, s.sessionId, s.state]),
      sessions.map((s, i) => [s.peerFingerprint, s.deviceId, s.sessionId, i === 0 ? 'expired' : 'active']),
    );
    const [expired, active] = doc.sessions;
    assert.equal(expired.expiresInMs, 0);
    assert.ok(Math.abs(expired.ageMs - 30 * HOUR) < 60_000);
    assert.ok(Math.abs(active.expiresInMs - 22 * HOUR) < 60_000);
    assert.ok(Math.abs(active.idleMs - HOUR) < 60_000);
    assert.equal(active.established, new Date(sessions[1].establishedMs).toISOString());
    assertNoSecret(r.stdout, path, sessions);
  });

  it('list prints a table within 80 columns; --ttl-hours changes the states', async () => {
    const { path, sessions } = await writeCache('table.json');
    const r = await runInProcess(['sessions', 'list', '--path', path]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /3 sessions/);
    assert.match(r.stdout, /c0:ff:ee:00:00:02/);
    assert.equal(r.stdout.match(/ active$/gm)?.length, 2);
    assert.equal(r.stdout.match(/ expired$/gm)?.length, 1);
    // The first line names the file (any length); the table fits 80 columns.
    for (const line of r.stdout.split('\n').slice(1)) assert.ok([...line].length <= 80, `line too long: ${line}`);
    assertNoSecret(r.stdout, path, sessions);
    const short = JSON.parse((await runInProcess(['sessions', 'list', '--path', path, '--json', '--ttl-hours', '1'])).stdout) as ListDoc;
    assert.deepEqual(
      short.sessions.map((s) => s.state),
      ['expired', 'expired', 'active'],
    );
  });

  it('show finds one session by fingerprint or session id prefix', async () => {
    const { path, sessions } = await writeCache('show.json');
    const byFingerprint = await runInProcess(['sessions', 'show', '02AB', '--path', path]);
    assert.equal(byFingerprint.status, 0, byFingerprint.stderr);
    assert.ok(byFingerprint.stdout.includes(sessions[1].peerFingerprint));
    assert.ok(byFingerprint.stdout.includes(sessions[1].sessionId));
    assertNoSecret(byFingerprint.stdout, path, sessions);
    const bySession = JSON.parse((await runInProcess(['sessions', 'show', '13', '--path', path, '--json'])).stdout) as ListDoc;
    assert.deepEqual(
      bySession.sessions.map((s) => s.peerFingerprint),
      [sessions[2].peerFingerprint],
    );

    const none = await runInProcess(['sessions', 'show', 'ff', '--path', path]);
    assert.equal(none.status, 1);
    assert.deepEqual(none.stderrLines, [`pqble: no session in ${path} matches 'ff'`]);
    const ambiguous = await runInProcess(['sessions', 'show', '0', '--path', path]);
    assert.equal(ambiguous.status, 1);
    assert.equal(ambiguous.stderrLines.length, 1);
    assert.match(ambiguous.stderrLines[0], /matches 3 sessions/);
    const notHex = await runInProcess(['sessions', 'show', 'xyz', '--path', path]);
    assert.equal(notHex.status, 2);
  });

  it('prune, clear and forget refuse a version-1 file with one line (a transport migrates it) and leave it as it was', async () => {
    const { path, sessions } = await writeCache('refuse.json');
    const before = readFileSync(path, 'utf8');
    for (const args of [['prune'], ['clear'], ['forget', '01']]) {
      const r = await runInProcess(['sessions', ...args, '--path', path, '--json']);
      assert.equal(r.status, 1, args[0]);
      assert.equal(r.stderrLines.length, 1, r.stderr);
      assert.match(r.stderrLines[0], new RegExp(`^pqble: cannot ${args[0]} .*: it is a version-1 cache file.*migrates it to a version-2 store`));
      assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'PQBLE_ERR_CACHE_FILE');
    }
    assert.equal(readFileSync(path, 'utf8'), before);
    const loaded = await new FileSessionStore({ path, logger: silentLogger }).load();
    assert.deepEqual(
      loaded.map((s) => s.peerFingerprint),
      sessions.map((s) => s.peerFingerprint),
    );
    const missing = await runInProcess(['sessions', 'clear', '--path', join(tmp.dir, 'never.json')]);
    assert.equal(missing.status, 0);
    assert.match(missing.stdout, /nothing to clear/);
  });

  it('a corrupt or foreign file fails with one clear line, exit 1, and is left untouched', async () => {
    const corrupt = join(tmp.dir, 'corrupt.json');
    writeFileSync(corrupt, '{"version":1,"format":"pqble-session-cache","savedAt":"2026-01-2', { mode: 0o600 });
    const foreign = join(tmp.dir, 'foreign.json');
    writeFileSync(foreign, '{"hello":"world"}\n', { mode: 0o600 });
    for (const path of [corrupt, foreign]) {
      const before = readFileSync(path, 'utf8');
      for (const action of ['list', 'prune', 'clear']) {
        const r = await runInProcess(['sessions', action, '--path', path]);
        assert.equal(r.status, 1, `${action} ${path}`);
        assert.equal(r.stdout, '');
        assert.equal(r.stderrLines.length, 1, r.stderr);
        assert.match(r.stderrLines[0], new RegExp(`^pqble: cannot ${action === 'list' ? 'read' : action} the session cache: `));
      }
      assert.equal(readFileSync(path, 'utf8'), before);
    }
    const missing = await runInProcess(['sessions', 'list', '--path', join(tmp.dir, 'nope.json')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderrLines[0], /^pqble: no session cache file at /);
  });
});

describe('pqble sessions on a version-2 store', () => {
  async function writeStore(name: string): Promise<{ path: string; sessions: StoredSession[] }> {
    const path = join(tmp.dir, name);
    const now = Date.now();
    const sessions: StoredSession[] = [1, 2, 3].map((i) => {
      const s = session(i, [30, 2, 0.1][i - 1]);
      return {
        peerFingerprint: s.peerFingerprint,
        deviceId: s.deviceId,
        establishedMs: s.establishedMs,
        lastActiveMs: Math.min(s.lastActiveMs, now),
        outbound: new Uint8Array(32).fill(0x50 + i),
        inbound: i === 3 ? undefined : { secret: new Uint8Array(32).fill(0x60 + i), ticketId: new Uint8Array(16).fill(0x70 + i) },
      };
    });
    const store = await FileStoreV2.open({ path, logger: silentLogger });
    for (const s of sessions) await store.put(s);
    await store.close();
    return { path, sessions };
  }

  function assertNoV2Secret(text: string, sessions: StoredSession[]): void {
    for (const s of sessions) {
      assert.ok(!text.includes(Buffer.from(s.outbound!).toString('hex')), 'outbound secret printed');
      if (s.inbound !== undefined) {
        assert.ok(!text.includes(Buffer.from(s.inbound.secret).toString('hex')), 'inbound secret printed');
        assert.ok(!text.includes(Buffer.from(s.inbound.ticketId).toString('hex')), 'ticket id printed');
      }
    }
  }

  it('list and show read it with its key file, without the lock and without secrets', async () => {
    const { path, sessions } = await writeStore('v2-list.db');
    const r = await runInProcess(['sessions', 'list', '--path', path, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Omit<ListDoc, 'sessions'> & {
      version: number;
      sessions: (Omit<ListDoc['sessions'][number], 'sessionId'> & { outbound: boolean; inbound: boolean; sessionId: null })[];
    };
    assert.equal(doc.version, 2);
    assert.deepEqual(
      doc.sessions.map((s) => [s.peerFingerprint, s.deviceId, s.state, s.sessionId, s.outbound, s.inbound]),
      sessions.map((s, i) => [s.peerFingerprint, s.deviceId, i === 0 ? 'expired' : 'active', null, true, i !== 2]),
    );
    assertNoV2Secret(r.stdout, sessions);
    const table = await runInProcess(['sessions', 'list', '--path', path]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /3 sessions/);
    assert.match(table.stdout, /out\/in/);
    for (const line of table.stdout.split('\n').slice(1)) assert.ok([...line].length <= 80, `line too long: ${line}`);
    // Reading works while a transport (here: a store) holds the lock.
    const holder = await FileStoreV2.open({ path, logger: silentLogger });
    try {
      const show = await runInProcess(['sessions', 'show', '02ab', '--path', path]);
      assert.equal(show.status, 0, show.stderr);
      assert.ok(show.stdout.includes(sessions[1].peerFingerprint));
      assertNoV2Secret(show.stdout, sessions);
      // Changing does not.
      const prune = await runInProcess(['sessions', 'prune', '--path', path]);
      assert.equal(prune.status, 1);
      assert.match(prune.stderrLines[0], /^pqble: cannot prune the session cache: .*in use by/);
    } finally {
      await holder.close();
    }
  });

  it('prune, forget and clear change it; the store then opens to the result', async () => {
    const { path, sessions } = await writeStore('v2-change.db');
    const prune = await runInProcess(['sessions', 'prune', '--path', path, '--json']);
    assert.equal(prune.status, 0, prune.stderr);
    assert.deepEqual(JSON.parse(prune.stdout), { path, removed: 1, remaining: 2 });
    // Trust state the transport keeps of the peer: its key and two trust-on-first-use bindings, plus another peer's binding.
    const fp1 = Uint8Array.from(Buffer.from(sessions[1].peerFingerprint, 'hex'));
    const fp2 = Uint8Array.from(Buffer.from(sessions[2].peerFingerprint, 'hex'));
    const writer = await FileStoreV2.open({ path, logger: silentLogger });
    await writer.putValue('tofu:aa0000000001', fp1);
    await writer.putValue('tofu:aa0000000002', fp1);
    await writer.putValue('tofu:bb0000000001', fp2);
    await writer.putValue(`pk:${sessions[1].peerFingerprint}`, new Uint8Array(1952).fill(7));
    await writer.close();
    const forget = await runInProcess(['sessions', 'forget', sessions[1].peerFingerprint.slice(0, 6), '--path', path, '--json']);
    assert.equal(forget.status, 0, forget.stderr);
    assert.deepEqual(JSON.parse(forget.stdout), { path, forgotten: sessions[1].peerFingerprint, unbound: ['aa0000000001', 'aa0000000002'] });
    const store = await FileStoreV2.open({ path, logger: silentLogger });
    const values: string[] = [];
    for await (const [name] of store.listValues('')) values.push(name);
    assert.ok(
      !values.includes('tofu:aa0000000001') && !values.includes('tofu:aa0000000002') && !values.includes(`pk:${sessions[1].peerFingerprint}`),
      values.join(' '),
    );
    assert.ok(values.includes('tofu:bb0000000001'), "another peer's binding stays");
    const left: string[] = [];
    for await (const s of store.entries()) left.push(s.peerFingerprint);
    assert.deepEqual(left, [sessions[2].peerFingerprint]);
    assert.equal(Buffer.from((await store.get(sessions[2].peerFingerprint))!.outbound!).toString('hex'), Buffer.from(sessions[2].outbound!).toString('hex'));
    await store.close();
    const none = await runInProcess(['sessions', 'forget', 'ffff', '--path', path]);
    assert.equal(none.status, 1);
    assert.deepEqual(none.stderrLines, [`pqble: no session in ${path} matches 'ffff'`]);
    const clear = await runInProcess(['sessions', 'clear', '--path', path, '--json']);
    assert.equal(clear.status, 0, clear.stderr);
    assert.deepEqual(JSON.parse(clear.stdout), { path, removed: 1 });
    assert.deepEqual((JSON.parse((await runInProcess(['sessions', 'list', '--path', path, '--json'])).stdout) as ListDoc).sessions, []);
  });

  it('without its key file it fails with one line; forget on a version-1 file says why it cannot', async () => {
    const { path } = await writeStore('v2-nokey.db');
    const r = await runInProcess(['sessions', 'list', '--path', path, '--key', join(tmp.dir, 'missing.key')]);
    assert.equal(r.status, 1);
    assert.equal(r.stderrLines.length, 1);
    assert.match(r.stderrLines[0], /no storage key file/);
    const { path: v1 } = await writeCache('forget-v1.json');
    const f = await runInProcess(['sessions', 'forget', '01', '--path', v1]);
    assert.equal(f.status, 1);
    assert.match(f.stderrLines[0], /version-1 cache file/);
  });
});
