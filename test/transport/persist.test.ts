/**
 * Session persistence through BleTransport (spec phase 3.3 task 4; DESIGN.md "Resumption" 5):
 * resumption after both sides restart, the cache file's shape and mode, damaged files set
 * aside with a warning, debounced saves, forgetPeer on disk, and timers that never keep a
 * process alive.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bytesToHex } from '../../src/bytes.js';
import { PERIPHERAL_ID, connectPair, identity, makePair, tempDir, utf8 } from './helpers.js';

async function persistentPair(dir: string) {
  return makePair({
    central: { sessionPersistPath: join(dir, 'central.json') },
    peripheral: { sessionPersistPath: join(dir, 'peripheral.json') },
  });
}

describe('session persistence', () => {
  it('resumes after both sides restart from their cache files', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await persistentPair(dir);
    try {
      await connectPair(pair);
      await pair.restart('central');
      await pair.restart('peripheral');
      assert.equal(pair.central.cacheStats().size, 1);
      assert.equal(pair.peripheral.cacheStats().size, 1);
      const { central, peripheral } = await connectPair(pair);
      assert.equal(central.connectionType, 'resumed');
      assert.equal(peripheral.connectionType, 'resumed');
      await central.send(utf8('from disk'));
      assert.equal(new TextDecoder().decode(await peripheral.receive()), 'from disk');
      // and again after another restart: the ratcheted secret was saved
      await pair.restart('central');
      await pair.restart('peripheral');
      for (const c of pair.central.connections()) await c.close();
      const again = await connectPair(pair);
      assert.equal(again.central.connectionType, 'resumed');
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it('writes a versioned JSON file with readable metadata, mode 0600, and a separate key file', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await persistentPair(dir);
    try {
      await connectPair(pair);
      await pair.central.saveSessions();
      const path = join(dir, 'central.json');
      const doc = JSON.parse(await readFile(path, 'utf8')) as { version: number; sessions: Record<string, unknown>[] };
      assert.equal(doc.version, 1);
      assert.equal(doc.sessions.length, 1);
      const entry = doc.sessions[0];
      assert.equal(entry['peerFingerprint'], bytesToHex(identity(1).fingerprint));
      assert.equal(entry['deviceId'], PERIPHERAL_ID);
      assert.match(String(entry['established']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.match(String(entry['lastActive']), /Z$/);
      assert.match(String(entry['sessionId']), /^[0-9a-f]{32}$/);
      const secretFields = Object.keys(entry).filter((k) => /key|secret/i.test(k));
      assert.deepEqual(secretFields, ['sealedSecret'], 'the only secret on disk is the sealed resumption secret');
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      const keyFiles = (await readdir(dir)).filter((f) => f.startsWith('central.json') && f.endsWith('.key'));
      assert.equal(keyFiles.length, 1);
      assert.equal((await stat(join(dir, keyFiles[0]))).mode & 0o777, 0o600);
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it('saves after a cache change without being asked (debounced)', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await persistentPair(dir);
    try {
      await connectPair(pair);
      await pair.clock.advance(1500);
      let doc: { sessions: unknown[] } | undefined;
      for (let i = 0; i < 100 && doc === undefined; i++) {
        try {
          doc = JSON.parse(await readFile(join(dir, 'central.json'), 'utf8')) as { sessions: unknown[] };
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      assert.equal(doc?.sessions.length, 1);
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it('forgetPeer removes the entry from disk at once', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await persistentPair(dir);
    try {
      await connectPair(pair);
      await pair.central.saveSessions();
      await pair.central.forgetPeer(bytesToHex(identity(1).fingerprint));
      const doc = JSON.parse(await readFile(join(dir, 'central.json'), 'utf8')) as { sessions: unknown[] };
      assert.equal(doc.sessions.length, 0);
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  const damage: [string, (path: string, original: Buffer) => Promise<void>][] = [
    ['truncated', (p, o) => writeFile(p, o.subarray(0, Math.floor(o.length / 2)))],
    [
      'bit-flipped sealed secret',
      async (p, o) => {
        const doc = JSON.parse(o.toString('utf8')) as { sessions: { sealedSecret: string }[] };
        const s = doc.sessions[0].sealedSecret;
        doc.sessions[0].sealedSecret = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
        await writeFile(p, JSON.stringify(doc));
      },
    ],
    [
      'edited metadata',
      async (p, o) => {
        const doc = JSON.parse(o.toString('utf8')) as { sessions: { established: string }[] };
        doc.sessions[0].established = new Date(Date.UTC(2030, 0, 1)).toISOString();
        await writeFile(p, JSON.stringify(doc));
      },
    ],
    ['wrong version', (p, o) => writeFile(p, o.toString('utf8').replace('"version":1', '"version":99').replace('"version": 1', '"version": 99'))],
    ['not JSON', (p) => writeFile(p, 'this is not json {')],
    ['huge', (p) => writeFile(p, Buffer.alloc(70 * 1024 * 1024, 0x20))],
  ];

  for (const [label, corrupt] of damage) {
    it(`sets aside a ${label} cache file with a warning and starts empty`, async () => {
      const { dir, cleanup } = await tempDir();
      const pair = await persistentPair(dir);
      try {
        await connectPair(pair);
        const path = join(dir, 'peripheral.json');
        const before = pair.logger.warnings.length;
        await pair.restart('peripheral', undefined, async () => corrupt(path, await readFile(path)));
        assert.equal(pair.peripheral.cacheStats().size, 0);
        assert.ok(pair.logger.warnings.length > before, 'a warning was logged');
        assert.ok((await readdir(dir)).some((f) => f.startsWith('peripheral.json.corrupt-')), 'the file was moved aside');
        // Everything else keeps working: the central's resumption falls back, then resumes.
        for (const c of pair.central.connections()) await c.close();
        const { central } = await connectPair(pair);
        assert.equal(central.connectionType, 'full-handshake');
        assert.equal(central.stats().fellBack, true);
      } finally {
        await pair.close();
        await cleanup();
      }
    });
  }

  it('starts empty with a warning when the cache path is a directory', async () => {
    const { dir, cleanup } = await tempDir();
    await mkdir(join(dir, 'peripheral.json'));
    const pair = await persistentPair(dir);
    try {
      assert.equal(pair.peripheral.cacheStats().size, 0);
      assert.ok(pair.logger.warnings.length > 0);
      const { central } = await connectPair(pair);
      assert.equal(central.connectionType, 'full-handshake');
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it('never keeps a process alive: cleanup and save timers are unref\'d', () => {
    const script = `
      import { SimulatedRadio } from './src/radio/index.js';
      import { BleTransport } from './src/transport/index.js';
      import { generateIdentity } from './src/identity/index.js';
      import { silentLogger } from './src/logger.js';
      import { mkdtempSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const dir = mkdtempSync(join(tmpdir(), 'pqble-exit-'));
      const radio = new SimulatedRadio();
      const a = radio.createDevice({ deviceId: 'aa0000000001' });
      const b = radio.createDevice({ deviceId: 'bb0000000002' });
      const ta = await BleTransport.create({ identity: generateIdentity(), link: a, sessionPersistPath: join(dir, 'a.json'), logger: silentLogger });
      const tb = await BleTransport.create({ identity: generateIdentity(), link: b, sessionPersistPath: join(dir, 'b.json'), logger: silentLogger });
      const accepted = tb.accept();
      const c = await ta.connectToDevice('bb0000000002');
      const p = await accepted;
      await c.send(new Uint8Array([1, 2, 3]));
      await p.receive();
      await c.close();
      console.log('done');
      // no transport.close(), no radio.close(): the process must still exit on its own
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), timeout: 30_000, encoding: 'utf8' });
    assert.equal(r.signal, null, `the process had to be killed: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /done/);
  });
});
