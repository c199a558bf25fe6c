// Tests of the session cache file store (docs/cache-file.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, writeFile, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzz } from '../../support/fuzz.js';
import { bytesToHex, randomBytes } from '../../../src/bytes.js';
import { isPqbleError } from '../../../src/errors.js';
import { SessionCache } from '../../../bench/baseline/session-cache-v1.js';
import {
  clearCacheFile,
  FileSessionStore,
  pruneCacheFile,
  readCacheFileMetadata,
  type FileSessionStoreOptions,
} from '../../../bench/baseline/file-store-v1.js';
import { MemorySnapshotStore } from '../../../bench/baseline/snapshot-store-v1.js';
import type { CachedSession } from '../../../src/session/types.js';
import { capturingLogger, plain, sampleSessions, tempDir, type CapturingLogger } from '../../session/helpers.js';

const IS_ROOT = process.getuid?.() === 0;
const POSIX = process.platform !== 'win32';

async function withStore(
  fn: (ctx: { dir: string; path: string; logger: CapturingLogger; make: (o?: Partial<FileSessionStoreOptions>) => FileSessionStore }) => Promise<void>,
): Promise<void> {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'cache.json');
  const logger = capturingLogger();
  try {
    await fn({ dir, path, logger, make: (o = {}) => new FileSessionStore({ path, logger, ...o }) });
  } finally {
    await cleanup();
  }
}

async function corruptFiles(dir: string, name = 'cache.json'): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith(`${name}.corrupt-`));
}

/** Asserts the outcome of loading a damaged file: [] , one warning naming the path, file set aside. */
async function assertSetAside(
  ctx: { dir: string; path: string; logger: CapturingLogger; make: () => FileSessionStore },
  secrets: string[] = [],
): Promise<void> {
  const loaded = await ctx.make().load();
  assert.deepEqual(loaded, []);
  assert.ok(ctx.logger.warnings.length >= 1, 'a warning is logged');
  const text = ctx.logger.text();
  assert.ok(text.includes(ctx.path), 'the warning names the file');
  for (const s of secrets) assert.ok(!text.includes(s), 'the warning carries no secret');
  assert.equal((await corruptFiles(ctx.dir)).length, 1, 'the file is set aside as *.corrupt-*');
  await assert.rejects(stat(ctx.path), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
}

describe('FileSessionStore round trip and file format', () => {
  it('saves and loads sessions in order with their secrets', async () => {
    await withStore(async ({ path, logger, make }) => {
      const sessions = sampleSessions(5);
      await make().save(sessions);
      const loaded = await make().load();
      assert.deepEqual(loaded.map(plain), sessions.map(plain));
      assert.equal(logger.warnings.length, 0);
      const meta = await readCacheFileMetadata(path);
      assert.equal(meta.sessions.length, 5);
    });
  });

  it('writes the documented JSON format with readable metadata and nothing else', async () => {
    await withStore(async ({ path, make }) => {
      const now = Date.UTC(2026, 0, 24, 12, 0, 0, 123);
      const [s] = sampleSessions(1, now, 3_600_000);
      await make({ now: () => now }).save([s]);
      const doc = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(Object.keys(doc), ['version', 'format', 'savedAt', 'sessions']);
      assert.equal(doc.version, 1);
      assert.equal(doc.format, 'pqble-session-cache');
      assert.equal(doc.savedAt, '2026-01-24T12:00:00.123Z');
      const [e] = doc.sessions as Record<string, string>[];
      assert.deepEqual(Object.keys(e), ['peerFingerprint', 'deviceId', 'sessionId', 'established', 'lastActive', 'ticketId', 'sealedSecret']);
      assert.equal(e.peerFingerprint, s.peerFingerprint);
      assert.equal(e.deviceId, s.deviceId);
      assert.equal(e.sessionId, s.sessionId);
      assert.equal(e.ticketId, s.ticketId);
      assert.equal(e.established, new Date(s.establishedMs).toISOString());
      assert.equal(e.lastActive, new Date(s.lastActiveMs).toISOString());
      assert.match(e.sealedSecret, /^[A-Za-z0-9_-]{80}$/);
    });
  });

  it('writes and reads back any timestamp from 1970 to 9999 exactly as toISOString does', async () => {
    await withStore(async ({ path, make }) => {
      const store = make({ storageKey: randomBytes(32) });
      const time = fc.oneof(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.constantFrom(0, 951_782_400_000, 4_107_542_399_999, 253_402_300_799_999));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(time, time), { minLength: 1, maxLength: 4 }), async (times) => {
          const sessions = sampleSessions(times.length).map((s, i) => ({ ...s, establishedMs: times[i][0], lastActiveMs: times[i][1] }));
          await store.save(sessions);
          const doc = JSON.parse(await readFile(path, 'utf8')) as { sessions: { established: string; lastActive: string }[] };
          doc.sessions.forEach((e, i) => {
            assert.equal(e.established, new Date(times[i][0]).toISOString());
            assert.equal(e.lastActive, new Date(times[i][1]).toISOString());
          });
          assert.deepEqual((await store.load()).map(plain), sessions.map(plain));
        }),
        fuzz(40),
      );
    });
  });

  it('never writes a secret or the storage key in plaintext', async () => {
    await withStore(async ({ path, make }) => {
      const sessions = sampleSessions(20);
      await make().save(sessions);
      const text = await readFile(path, 'utf8');
      const keyText = await readFile(`${path}.key`, 'utf8');
      const key = Buffer.from((JSON.parse(keyText) as { key: string }).key, 'base64');
      for (const secret of [...sessions.map((s) => s.resumptionSecret), key]) {
        const b = Buffer.from(secret);
        for (const form of [
          b.toString('hex'),
          b.toString('hex').toUpperCase(),
          b.toString('base64'),
          b.toString('base64url'),
          b.subarray(0, 12).toString('base64url'),
        ]) {
          assert.ok(!text.includes(form), `secret found in the file as ${form}`);
        }
      }
    });
  });

  it('creates the file and a separate key file with mode 0600, the parent dir with 0700, and leaves no temp file', { skip: !POSIX }, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'nested', 'deeper', 'cache.json');
      const store = new FileSessionStore({ path, logger: capturingLogger() });
      await store.save(sampleSessions(2));
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await stat(`${path}.key`)).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'nested'))).mode & 0o777, 0o700);
      const keyDoc = JSON.parse(await readFile(`${path}.key`, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(Object.keys(keyDoc).sort(), ['key', 'type', 'version']);
      assert.equal(keyDoc.type, 'pqble-storage-key');
      assert.equal(keyDoc.version, 1);
      assert.equal(Buffer.from(keyDoc.key as string, 'base64').length, 32);
      assert.deepEqual((await readdir(join(dir, 'nested', 'deeper'))).sort(), ['cache.json', 'cache.json.key']);
    } finally {
      await cleanup();
    }
  });

  it('uses a caller-supplied storage key without any key file; another key cannot open the file', async () => {
    await withStore(async (ctx) => {
      const storageKey = randomBytes(32);
      const sessions = sampleSessions(3);
      await ctx.make({ storageKey }).save(sessions);
      await assert.rejects(stat(`${ctx.path}.key`));
      assert.deepEqual((await ctx.make({ storageKey }).load()).map(plain), sessions.map(plain));
      await assertSetAside(
        { ...ctx, make: () => ctx.make({ storageKey: randomBytes(32) }) },
        sessions.map((s) => bytesToHex(s.resumptionSecret)),
      );
    });
  });

  it('round-trips a SessionCache, keeping LRU order', async () => {
    await withStore(async ({ make }) => {
      let t = Date.now();
      const cache = new SessionCache({ now: () => t });
      for (const s of sampleSessions(4, t)) cache.set({ ...s, lastActiveMs: t });
      const order = [...cache.entries()].map((e) => e.peerFingerprint);
      t += 10;
      cache.touch(order[0]);
      const expected = [...cache.entries()].map(plain);
      await make().save(cache.entries());
      const restored = new SessionCache({ now: () => t });
      for (const s of await make().load()) restored.set(s);
      assert.deepEqual([...restored.entries()].map(plain), expected);
      assert.equal([...restored.entries()][3].peerFingerprint, order[0]);
    });
  });

  it('clear() empties an existing file and keeps the key file', async () => {
    await withStore(async ({ path, make }) => {
      const store = make();
      await store.clear();
      await assert.rejects(stat(path), 'clearing a missing file creates nothing');
      await store.save(sampleSessions(3));
      await store.clear();
      assert.deepEqual(await make().load(), []);
      assert.equal((await readCacheFileMetadata(path)).sessions.length, 0);
      await stat(`${path}.key`);
      await store.save(sampleSessions(1));
      assert.equal((await make().load()).length, 1);
    });
  });

  it('validates options and the sessions passed to save()', async () => {
    await withStore(async ({ path, make }) => {
      assert.throws(() => new FileSessionStore({ path, storagekey: randomBytes(32) } as never), TypeError);
      assert.throws(() => new FileSessionStore({} as never), TypeError);
      assert.throws(() => new FileSessionStore({ path: '' }), RangeError);
      assert.throws(() => new FileSessionStore({ path, storageKey: randomBytes(16) }), RangeError);
      assert.throws(() => new FileSessionStore({ path, keyPath: path }), RangeError);
      assert.throws(() => new FileSessionStore({ path, maxFileBytes: 0 }), RangeError);
      assert.throws(() => new FileSessionStore({ path, logger: {} as never }), TypeError);
      const store = make();
      assert.throws(() => store.save([{ ...sampleSessions(1)[0], deviceId: 'nope' }]), RangeError);
      assert.throws(() => store.save(42 as never), TypeError);
      await assert.rejects(stat(path), 'nothing was written');
    });
  });

  it('refuses to save two sessions with one fingerprint or one ticket id (the file would not load)', async () => {
    await withStore(async ({ path, make }) => {
      const [a, b] = sampleSessions(2);
      assert.throws(() => make().save([a, { ...b, peerFingerprint: a.peerFingerprint }]), RangeError);
      assert.throws(() => make().save([a, { ...b, ticketId: a.ticketId }]), RangeError);
      await assert.rejects(stat(path));
    });
  });

  it('load() resolves to [] even when the logger or the crypto provider throws', async () => {
    await withStore(async ({ path, make }) => {
      await make().save(sampleSessions(2));
      const { nobleCrypto } = await import('../../../src/crypto/index.js');
      const throwing = {
        ...nobleCrypto,
        aeadOpen: () => {
          throw new Error('broken backend');
        },
      };
      const logger = {
        warn: () => {
          throw new Error('broken logger');
        },
      };
      assert.deepEqual(await new FileSessionStore({ path, logger, crypto: throwing }).load(), []);
      await writeFile(path, 'garbage');
      assert.deepEqual(await new FileSessionStore({ path, logger }).load(), []);
    });
  });

  it('copies the sessions at the call: wiping them afterwards does not change what is saved', async () => {
    await withStore(async ({ make }) => {
      const sessions = sampleSessions(3);
      const expected = sessions.map(plain);
      const done = make().save(sessions);
      for (const s of sessions) s.resumptionSecret.fill(0);
      await done;
      assert.deepEqual((await make().load()).map(plain), expected);
    });
  });

  it('rejects a save that cannot be written or would exceed maxFileBytes, with a coded error', async () => {
    await withStore(async ({ dir, logger }) => {
      await writeFile(join(dir, 'file'), 'x');
      const blocked = new FileSessionStore({ path: join(dir, 'file', 'cache.json'), storageKey: randomBytes(32), logger });
      await assert.rejects(blocked.save(sampleSessions(1)), (e: unknown) => isPqbleError(e, 'PQBLE_ERR_CACHE_FILE'));
      const small = new FileSessionStore({ path: join(dir, 'small.json'), maxFileBytes: 1000, logger });
      await assert.rejects(small.save(sampleSessions(5)), (e: unknown) => isPqbleError(e, 'PQBLE_ERR_CACHE_FILE'));
      await small.save(sampleSessions(1));
    });
  });
});

describe('FileSessionStore damaged files: warn, set aside, start empty, never throw', () => {
  async function saved(ctx: { make: () => FileSessionStore; path: string }, n = 3): Promise<{ sessions: CachedSession[]; secrets: string[]; text: string }> {
    const sessions = sampleSessions(n);
    await ctx.make().save(sessions);
    return { sessions, secrets: sessions.map((s) => bytesToHex(s.resumptionSecret)), text: await readFile(ctx.path, 'utf8') };
  }

  it('a missing file gives [] silently', async () => {
    await withStore(async ({ logger, make }) => {
      assert.deepEqual(await make().load(), []);
      assert.equal(logger.warnings.length, 0);
    });
  });

  it('truncated file', async () => {
    await withStore(async (ctx) => {
      const { text, secrets } = await saved(ctx);
      await writeFile(ctx.path, text.slice(0, Math.floor(text.length / 2)), { mode: 0o600 });
      await assertSetAside(ctx, secrets);
    });
  });

  it('bit flip in a sealed secret', async () => {
    await withStore(async (ctx) => {
      const { text, secrets } = await saved(ctx);
      const doc = JSON.parse(text) as { sessions: { sealedSecret: string }[] };
      const s = doc.sessions[1].sealedSecret;
      const i = 40;
      doc.sessions[1].sealedSecret = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
      await writeFile(ctx.path, JSON.stringify(doc), { mode: 0o600 });
      await assertSetAside(ctx, secrets);
      assert.match(ctx.logger.text(), /sessions\[1\]\.sealedSecret/);
    });
  });

  for (const [name, edit] of [
    ['lastActive moved by 1 ms', (e: Record<string, string>) => (e.lastActive = new Date(Date.parse(e.lastActive) + 1).toISOString())],
    ['established moved back a day', (e: Record<string, string>) => (e.established = new Date(Date.parse(e.established) + 86_400_000).toISOString())],
    ['deviceId edited', (e: Record<string, string>) => (e.deviceId = e.deviceId === '000000000000' ? '000000000001' : '000000000000')],
    ['ticketId edited', (e: Record<string, string>) => (e.ticketId = '0'.repeat(32))],
    ['peerFingerprint edited', (e: Record<string, string>) => (e.peerFingerprint = 'f'.repeat(64))],
  ] as const) {
    it(`metadata edit breaks the seal: ${name}`, async () => {
      await withStore(async (ctx) => {
        const { text, secrets } = await saved(ctx);
        const doc = JSON.parse(text) as { sessions: Record<string, string>[] };
        edit(doc.sessions[0]);
        await writeFile(ctx.path, JSON.stringify(doc), { mode: 0o600 });
        await assertSetAside(ctx, secrets);
      });
    });
  }

  it('sealed secrets swapped between entries', async () => {
    await withStore(async (ctx) => {
      const { text, secrets } = await saved(ctx);
      const doc = JSON.parse(text) as { sessions: Record<string, string>[] };
      [doc.sessions[0].sealedSecret, doc.sessions[1].sealedSecret] = [doc.sessions[1].sealedSecret, doc.sessions[0].sealedSecret];
      await writeFile(ctx.path, JSON.stringify(doc), { mode: 0o600 });
      await assertSetAside(ctx, secrets);
    });
  });

  it('a duplicated entry', async () => {
    await withStore(async (ctx) => {
      const { text } = await saved(ctx);
      const doc = JSON.parse(text) as { sessions: unknown[] };
      doc.sessions.push(doc.sessions[0]);
      await writeFile(ctx.path, JSON.stringify(doc), { mode: 0o600 });
      await assertSetAside(ctx);
    });
  });

  it('validly sealed entries with a repeated fingerprint or ticket id (spliced from two files)', async () => {
    await withStore(async (ctx) => {
      const storageKey = randomBytes(32);
      const [a] = sampleSessions(1);
      const b = { ...a, ticketId: bytesToHex(randomBytes(16)), resumptionSecret: randomBytes(32) };
      const c = { ...sampleSessions(1)[0], ticketId: a.ticketId };
      const other = join(ctx.dir, 'other.json');
      const entriesOf = async (s: CachedSession): Promise<unknown> => {
        await new FileSessionStore({ path: other, storageKey, logger: ctx.logger }).save([s]);
        return (JSON.parse(await readFile(other, 'utf8')) as { sessions: unknown[] }).sessions[0];
      };
      const [ea, eb, ec] = [await entriesOf(a), await entriesOf(b), await entriesOf(c)];
      const doc = JSON.parse(await readFile(other, 'utf8')) as { sessions: unknown[] };
      for (const pair of [
        [ea, eb],
        [ea, ec],
      ]) {
        doc.sessions = pair;
        await writeFile(ctx.path, JSON.stringify(doc), { mode: 0o600 });
        const loaded = await ctx.make({ storageKey }).load();
        assert.deepEqual(loaded, []);
        assert.match(ctx.logger.text(), /appears twice/);
      }
      assert.equal((await corruptFiles(ctx.dir)).length, 2);
      doc.sessions = [ea];
      await writeFile(ctx.path, JSON.stringify(doc), { mode: 0o600 });
      assert.deepEqual((await ctx.make({ storageKey }).load()).map(plain), [plain(a)]);
    });
  });

  for (const [name, edit] of [
    ['wrong version', (d: Record<string, unknown>) => (d.version = 2)],
    ['wrong format', (d: Record<string, unknown>) => (d.format = 'something-else')],
    ['bad savedAt', (d: Record<string, unknown>) => (d.savedAt = '2026-02-30T00:00:00.000Z')],
    ['sessions not an array', (d: Record<string, unknown>) => (d.sessions = {})],
    ['an extra field', (d: Record<string, unknown>) => (d.extra = true)],
    ['an entry with a bad field', (d: Record<string, unknown>) => ((d.sessions as Record<string, unknown>[])[0].sessionId = 12)],
  ] as const) {
    it(name, async () => {
      await withStore(async (ctx) => {
        const { text } = await saved(ctx);
        const doc = JSON.parse(text) as Record<string, unknown>;
        edit(doc);
        await writeFile(ctx.path, JSON.stringify(doc), { mode: 0o600 });
        await assertSetAside(ctx);
      });
    });
  }

  it('not JSON, not UTF-8, empty', async () => {
    for (const content of [Buffer.from('hello, not json'), Buffer.from([0xff, 0xfe, 0x00, 0x7b]), Buffer.alloc(0), Buffer.from('[]'), Buffer.from('null')]) {
      await withStore(async (ctx) => {
        await writeFile(ctx.path, content, { mode: 0o600 });
        await assertSetAside(ctx);
      });
    }
  });

  it('a file bigger than maxFileBytes is not read', async () => {
    await withStore(async (ctx) => {
      await saved(ctx, 10);
      await assertSetAside({ ...ctx, make: () => ctx.make({ maxFileBytes: 1024 }) });
      assert.match(ctx.logger.text(), /too big/);
    });
  });

  it('a directory instead of a file', async () => {
    await withStore(async (ctx) => {
      await mkdir(ctx.path);
      await assertSetAside(ctx);
    });
  });

  it('a FIFO instead of a file (must not block)', { skip: !POSIX }, async () => {
    await withStore(async (ctx) => {
      const r = spawnSync('mkfifo', [ctx.path]);
      if (r.status !== 0) return;
      await assertSetAside(ctx);
    });
  });

  it('mode 000: unreadable (as root, checked in a child process running as nobody)', { skip: !POSIX }, async () => {
    await withStore(async (ctx) => {
      await saved(ctx);
      await chmod(ctx.path, 0o000);
      if (!IS_ROOT) {
        await assertSetAside(ctx);
        assert.match(ctx.logger.text(), /permission denied/);
        return;
      }
      // Root reads anything: check the permission path as an unprivileged user instead.
      await chown(ctx.dir, 65534, 65534);
      await chmod(ctx.dir, 0o700);
      const script = join(ctx.dir, 'child.mts');
      const storeUrl = new URL('../../../bench/baseline/file-store-v1.ts', import.meta.url).href;
      await writeFile(
        script,
        `import { FileSessionStore } from ${JSON.stringify(storeUrl)};
const warnings = [];
const sessions = await new FileSessionStore({ path: ${JSON.stringify(ctx.path)}, logger: { warn: (m) => warnings.push(m) } }).load();
console.log(JSON.stringify({ n: sessions.length, warnings }));`,
      );
      await chown(script, 65534, 65534);
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { uid: 65534, gid: 65534, cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 });
      if (r.status !== 0 && /EACCES|permission/i.test(r.stderr) && !r.stdout) {
        // The sandbox does not let an unprivileged child run node here; nothing to check.
        return;
      }
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { n: number; warnings: string[] };
      assert.equal(out.n, 0);
      assert.equal(out.warnings.length, 1);
      assert.match(out.warnings[0], /permission denied/);
      assert.equal((await corruptFiles(ctx.dir)).length, 1);
    });
  });

  it('key file missing while the cache file has sessions', async () => {
    await withStore(async (ctx) => {
      const { secrets } = await saved(ctx);
      await writeFile(`${ctx.path}.key`, '');
      const { unlink } = await import('node:fs/promises');
      await unlink(`${ctx.path}.key`);
      await assertSetAside(ctx, secrets);
      assert.match(ctx.logger.text(), /key file .* missing/);
      // A new save creates a new key; the store works again.
      const fresh = sampleSessions(2);
      await ctx.make().save(fresh);
      assert.deepEqual((await ctx.make().load()).map(plain), fresh.map(plain));
    });
  });

  it('key file damaged: both set aside, then a new key is made on save', async () => {
    await withStore(async (ctx) => {
      const { secrets } = await saved(ctx);
      await writeFile(`${ctx.path}.key`, '{"version":1,"type":"pqble-storage-key","key":"short"}', { mode: 0o600 });
      await assertSetAside(ctx, secrets);
      assert.equal((await corruptFiles(ctx.dir, 'cache.json.key')).length, 1);
      const fresh = sampleSessions(1);
      await ctx.make().save(fresh);
      assert.deepEqual((await ctx.make().load()).map(plain), fresh.map(plain));
    });
  });

  it('a key file replaced between saves does not leave seals under the old key', async () => {
    await withStore(async (ctx) => {
      const store = ctx.make();
      const sessions = sampleSessions(3);
      await store.save(sessions);
      const { unlink } = await import('node:fs/promises');
      await unlink(`${ctx.path}.key`);
      await store.save(sessions);
      assert.deepEqual((await ctx.make().load()).map(plain), sessions.map(plain));
      assert.equal(ctx.logger.warnings.length, 0);
    });
  });

  it('a file other users may read is kept, with a warning, and its mode set to 0600', { skip: !POSIX }, async () => {
    await withStore(async (ctx) => {
      const { sessions } = await saved(ctx);
      await chmod(ctx.path, 0o644);
      await chmod(`${ctx.path}.key`, 0o640);
      assert.deepEqual((await ctx.make().load()).map(plain), sessions.map(plain));
      assert.equal((await stat(ctx.path)).mode & 0o777, 0o600);
      assert.equal((await stat(`${ctx.path}.key`)).mode & 0o777, 0o600);
      assert.equal(ctx.logger.warnings.length, 2);
      assert.match(ctx.logger.text(), /0644/);
      assert.equal((await corruptFiles(ctx.dir)).length, 0);
    });
  });

  it('a second corrupt file in the same millisecond gets its own name', async () => {
    await withStore(async (ctx) => {
      const now = Date.UTC(2026, 0, 1);
      await writeFile(ctx.path, 'x');
      assert.deepEqual(await ctx.make({ now: () => now }).load(), []);
      await writeFile(ctx.path, 'y');
      assert.deepEqual(await ctx.make({ now: () => now }).load(), []);
      assert.deepEqual((await corruptFiles(ctx.dir)).sort(), ['cache.json.corrupt-20260101T000000000Z', 'cache.json.corrupt-20260101T000000000Z-1']);
    });
  });
});

describe('FileSessionStore concurrency and atomicity', () => {
  it('serializes concurrent saves; the last state wins and every promise settles', async () => {
    await withStore(async ({ make, logger }) => {
      const store = make();
      const states = Array.from({ length: 8 }, (_, i) => sampleSessions(i + 1));
      await Promise.all(states.map((s) => store.save(s)));
      assert.deepEqual((await make().load()).map(plain), states[7].map(plain));
      // Interleaved with a clear: the last call wins again.
      const p1 = store.save(states[2]);
      const p2 = store.clear();
      const p3 = store.save(states[4]);
      await Promise.all([p1, p2, p3]);
      assert.deepEqual((await make().load()).map(plain), states[4].map(plain));
      assert.equal(logger.warnings.length, 0);
    });
  });

  it('two stores on one path agree on one storage key when both create it', async () => {
    await withStore(async ({ make }) => {
      const a = make();
      const b = make();
      const sa = sampleSessions(2);
      const sb = sampleSessions(3);
      await Promise.all([a.save(sa), b.save(sb)]);
      const loaded = (await make().load()).map(plain);
      assert.ok(JSON.stringify(loaded) === JSON.stringify(sa.map(plain)) || JSON.stringify(loaded) === JSON.stringify(sb.map(plain)));
    });
  });

  it('replaces the file atomically: a reader always sees the old or the new file, never a partial one', async () => {
    await withStore(async ({ path, make }) => {
      const store = make();
      const states = [sampleSessions(300), sampleSessions(200), sampleSessions(400)];
      await store.save(states[0]);
      const sizes = new Set(states.map((s) => s.length));
      let saving = true;
      let reads = 0;
      const reader = (async () => {
        while (saving) {
          const meta = await readCacheFileMetadata(path);
          assert.ok(sizes.has(meta.sessions.length), `saw ${meta.sessions.length} sessions`);
          reads++;
        }
      })();
      for (let i = 0; i < 6; i++) await store.save(states[i % 3]);
      saving = false;
      await reader;
      assert.ok(reads > 0);
      const files = await readdir(join(path, '..'));
      assert.ok(!files.some((f) => f.includes('.tmp-')), 'no temp file left behind');
    });
  });

  it('re-seals only what changed, and a changed secret is what gets saved', async () => {
    await withStore(async ({ make }) => {
      let t = Date.now();
      const cache = new SessionCache({ now: () => t });
      for (const s of sampleSessions(5, t)) cache.set(s);
      const store = make();
      await store.save(cache.entries());
      const first = [...cache.entries()][2];
      t += 5;
      assert.ok(cache.update(first.peerFingerprint, { resumptionSecret: randomBytes(32), ticketId: bytesToHex(randomBytes(16)) }));
      const expected = [...cache.entries()].map(plain);
      await store.save(cache.entries());
      assert.deepEqual((await make().load()).map(plain), expected);
      // A store that loaded the file and saves it back unchanged keeps every seal valid.
      const again = make();
      const loaded = await again.load();
      await again.save(loaded);
      assert.deepEqual((await make().load()).map(plain), expected);
    });
  });
});

describe('cache file CLI helpers', () => {
  it('readCacheFileMetadata returns metadata only and throws coded errors', async () => {
    await withStore(async ({ path, dir, make }) => {
      await assert.rejects(
        readCacheFileMetadata(path),
        (e: unknown) => isPqbleError(e, 'PQBLE_ERR_CACHE_FILE') && (e.cause as { code?: string }).code === 'ENOENT',
      );
      const sessions = sampleSessions(3);
      await make({ now: () => Date.UTC(2026, 5, 1) }).save(sessions);
      const meta = await readCacheFileMetadata(path);
      assert.equal(meta.version, 1);
      assert.equal(meta.format, 'pqble-session-cache');
      assert.equal(meta.savedAtMs, Date.UTC(2026, 5, 1));
      assert.equal(meta.mode & 0o777, POSIX ? 0o600 : meta.mode & 0o777);
      assert.deepEqual(
        meta.sessions.map((s) => s.peerFingerprint),
        sessions.map((s) => s.peerFingerprint),
      );
      const text = JSON.stringify(meta);
      for (const s of sessions) assert.ok(!text.includes(bytesToHex(s.resumptionSecret)));
      assert.ok(!text.includes('sealed'));
      await writeFile(join(dir, 'bad.json'), '{"version":1}');
      await assert.rejects(readCacheFileMetadata(join(dir, 'bad.json')), (e: unknown) => isPqbleError(e, 'PQBLE_ERR_CACHE_FILE'));
      await assert.rejects(readCacheFileMetadata(dir), (e: unknown) => isPqbleError(e, 'PQBLE_ERR_CACHE_FILE'));
    });
  });

  it('pruneCacheFile drops expired sessions without the key; the rest still opens', async () => {
    await withStore(async ({ path, make }) => {
      const now = Date.now();
      const fresh = sampleSessions(3, now, 1000);
      const old = sampleSessions(2, now, 25 * 3_600_000);
      const future = sampleSessions(1, now + 3_600_000, 0);
      const all = [old[0], ...fresh.slice(0, 2), old[1], future[0], fresh[2]];
      await make().save(all);
      assert.equal(await pruneCacheFile(path, { now, ttlMs: 24 * 3_600_000 }), 3);
      assert.deepEqual((await make().load()).map(plain), fresh.map(plain));
      assert.equal(await pruneCacheFile(path, { now: () => now }), 0);
      assert.equal(await pruneCacheFile(path, { now: now + 2000, ttlMs: 1500 }), 3);
      assert.deepEqual(await make().load(), []);
      await assert.rejects(pruneCacheFile(path, { ttl: 5 } as never), TypeError);
    });
  });

  it('clearCacheFile empties a cache file, ignores a missing one and refuses a foreign file', async () => {
    await withStore(async ({ path, dir, make }) => {
      await clearCacheFile(path);
      await assert.rejects(stat(path));
      await make().save(sampleSessions(2));
      await clearCacheFile(path);
      assert.equal((await readCacheFileMetadata(path)).sessions.length, 0);
      const foreign = join(dir, 'notes.txt');
      await writeFile(foreign, 'my precious notes');
      await assert.rejects(clearCacheFile(foreign), (e: unknown) => isPqbleError(e, 'PQBLE_ERR_CACHE_FILE'));
      assert.equal(await readFile(foreign, 'utf8'), 'my precious notes');
    });
  });
});

describe('MemorySnapshotStore', () => {
  it('keeps copies and hands out copies', async () => {
    const store = new MemorySnapshotStore();
    const sessions = sampleSessions(2);
    const expected = sessions.map(plain);
    await store.save(sessions);
    sessions[0].resumptionSecret.fill(0);
    const loaded = await store.load();
    assert.deepEqual(loaded.map(plain), expected);
    loaded[1].resumptionSecret.fill(0);
    assert.deepEqual((await store.load()).map(plain), expected);
    await assert.rejects(store.save([{ ...sessions[0], ticketId: 'x' }]), RangeError);
    assert.deepEqual((await store.load()).map(plain), expected);
    await store.clear();
    assert.deepEqual(await store.load(), []);
  });
});
