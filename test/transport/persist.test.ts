/**
 * Session persistence through BleTransport (docs/store.md): resumption after both sides
 * restart, nothing secret in clear on disk, durable at once, one owner per file, damaged
 * files set aside with a warning, version-1 files migrated, and timers that never keep a
 * process alive.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import { isPqbleError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { FileSessionStore } from '../../src/session/file/index.js';
import { FileSessionStore as V1FileSessionStore } from '../../bench/baseline/file-store-v1.js';
import { BleTransport } from '../../src/transport/index.js';
import { MessageType } from '../../src/wire.js';
import { CENTRAL_ID, OTHER_ID, PERIPHERAL_ID, connectPair, identity, makePair, tempDir, utf8, startedMessageType } from './helpers.js';

async function persistentPair(dir: string) {
  return makePair({
    central: { sessionPersistPath: join(dir, 'central.sessions') },
    peripheral: { sessionPersistPath: join(dir, 'peripheral.sessions') },
  });
}

async function reconnect(pair: Awaited<ReturnType<typeof persistentPair>>) {
  for (const c of pair.central.connections()) await c.close();
  return connectPair(pair);
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

  it('writes a session file with no secret or ticket id in clear, mode 0600, and a separate key file', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await persistentPair(dir);
    try {
      await connectPair(pair);
      // The next request's ticket id, as seen on air.
      let ticketId: Uint8Array | undefined;
      pair.radio.setFaults({
        intercept: (e) => {
          if (e.from === 'central' && startedMessageType(e.packet) === MessageType.ResumeRequest) ticketId = e.packet.slice(5, 21);
          return 'deliver';
        },
      });
      const second = await reconnect(pair);
      assert.equal(second.central.connectionType, 'resumed');
      const third = await reconnect(pair);
      assert.equal(third.central.connectionType, 'resumed');
      pair.radio.setFaults({});
      assert.ok(ticketId !== undefined);
      await pair.central.saveSessions();
      await pair.peripheral.saveSessions();
      for (const name of ['central', 'peripheral']) {
        const path = join(dir, `${name}.sessions`);
        const bytes = new Uint8Array(await readFile(path));
        assert.equal(bytesToHex(bytes).includes(bytesToHex(ticketId)), false, `${name}: the last ticket id is not in the file`);
        assert.equal((await stat(path)).mode & 0o777, 0o600);
        const keyFiles = (await readdir(dir)).filter((f) => f.startsWith(`${name}.sessions`) && f.endsWith('.key'));
        assert.equal(keyFiles.length, 1);
        assert.equal((await stat(join(dir, keyFiles[0]))).mode & 0o777, 0o600);
      }
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it('a session is on disk once its setup completed, and forgetPeer removes it at once', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await persistentPair(dir);
    try {
      await connectPair(pair);
      const onDisk = async (): Promise<number> => {
        const store = await FileSessionStore.open({ path: join(dir, 'central.sessions'), readOnly: true, logger: pair.logger });
        try {
          return await store.size();
        } finally {
          await store.close();
        }
      };
      assert.equal(await onDisk(), 1, 'written without saveSessions() or a timer');
      assert.equal(await pair.central.forgetPeer(bytesToHex(identity(1).fingerprint)), true);
      assert.equal(await onDisk(), 0);
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it('a second transport on the same session file gets PQBLE_ERR_STORE_LOCKED', async () => {
    const { dir, cleanup } = await tempDir();
    const pair = await persistentPair(dir);
    try {
      const other = pair.radio.createDevice({ deviceId: OTHER_ID });
      await assert.rejects(
        BleTransport.create({ identity: identity(0), link: other, logger: pair.logger, sessionPersistPath: join(dir, 'central.sessions') }),
        (err: unknown) => isPqbleError(err, 'PQBLE_ERR_STORE_LOCKED'),
      );
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  // A torn tail is what a crash leaves: it is cut off (with a warning); other damage is copied aside.
  const damage: [string, (path: string, original: Buffer) => Promise<void>, boolean][] = [
    ['truncated', (p, o) => writeFile(p, o.subarray(0, Math.floor(o.length / 2))), false],
    [
      'bit-flipped',
      async (p, o) => {
        const b = Buffer.from(o);
        for (let i = Math.floor(b.length / 2); i < b.length; i += 7) b[i] ^= 0x10;
        await writeFile(p, b);
      },
      true,
    ],
    ['not a store file', (p) => writeFile(p, 'this is not a session store'), true],
  ];

  for (const [label, corrupt, setAside] of damage) {
    it(`sets aside a ${label} session file with a warning; everything else keeps working`, async () => {
      const { dir, cleanup } = await tempDir();
      const pair = await persistentPair(dir);
      try {
        await connectPair(pair);
        const path = join(dir, 'peripheral.sessions');
        const before = pair.logger.warnings.length;
        await pair.restart('peripheral', undefined, async () => corrupt(path, await readFile(path)));
        assert.equal(pair.peripheral.cacheStats().size, 0);
        assert.ok(pair.logger.warnings.length > before, 'a warning was logged');
        assert.equal(
          (await readdir(dir)).some((f) => f.startsWith('peripheral.sessions.corrupt-')),
          setAside,
          'damage set aside, a torn tail cut off',
        );
        // The central's resumption falls back, then resumes.
        for (const c of pair.central.connections()) await c.close();
        const { central } = await connectPair(pair);
        assert.equal(central.connectionType, 'full-handshake');
        assert.equal(central.stats().fellBack, true);
        assert.equal((await reconnect(pair)).central.connectionType, 'resumed');
      } finally {
        await pair.close();
        await cleanup();
      }
    });
  }

  it('migrates a version-1 cache file: sessions saved by the previous release still resume', async () => {
    const { dir, cleanup } = await tempDir();
    const now = Date.now() - 60_000;
    const secret = randomBytes(32);
    const write = async (name: string, peer: number, deviceId: string): Promise<void> => {
      const store = new V1FileSessionStore({ path: join(dir, `${name}.sessions`), logger: silentLogger });
      await store.save([
        {
          peerFingerprint: bytesToHex(identity(peer).fingerprint),
          deviceId,
          sessionId: '00'.repeat(16),
          establishedMs: now,
          lastActiveMs: now,
          resumptionSecret: secret.slice(),
          ticketId: '00'.repeat(16),
        },
      ]);
    };
    await write('central', 1, PERIPHERAL_ID);
    await write('peripheral', 0, CENTRAL_ID);
    const pair = await persistentPair(dir);
    try {
      assert.equal(pair.central.cacheStats().size, 1);
      const { central } = await connectPair(pair);
      assert.equal(central.connectionType, 'resumed');
    } finally {
      await pair.close();
      await cleanup();
    }
  });

  it('a session file that cannot be opened is a coded error at create', async () => {
    const { dir, cleanup } = await tempDir();
    await mkdir(join(dir, 'central.sessions'));
    try {
      await assert.rejects(persistentPair(dir), (err: unknown) => isPqbleError(err, 'PQBLE_ERR_STORE_IO'));
    } finally {
      await cleanup();
    }
  });

  it("never keeps a process alive: cleanup and save timers are unref'd", () => {
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
      const ta = await BleTransport.create({ identity: generateIdentity(), link: a, sessionPersistPath: join(dir, 'a.sessions'), logger: silentLogger });
      const tb = await BleTransport.create({ identity: generateIdentity(), link: b, sessionPersistPath: join(dir, 'b.sessions'), logger: silentLogger });
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
