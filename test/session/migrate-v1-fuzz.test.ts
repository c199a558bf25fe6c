// Fuzzing of the cache-file loader and metadata reader: arbitrary JSON values, arbitrary
// bytes and random damage to a valid file never throw, never yield a partial result.
// More runs: PQBLE_FUZZ_RUNS=2000 npm test -- test/session/file-store-fuzz.test.ts
import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { randomBytes } from '../../../src/bytes.js';
import { FileFormatError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/logger.js';
import { FileSessionStore, readCacheFileMetadata } from '../../../bench/baseline/file-store-v1.js';
import { plain, sampleSessions, tempDir } from '../../session/helpers.js';

const RUNS = Number(process.env.PQBLE_FUZZ_RUNS ?? 60);

describe('cache file loader under fuzzing', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  const storageKey = randomBytes(32);
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(() => cleanup());

  async function emptyDir(): Promise<void> {
    for (const f of await readdir(dir)) await rm(join(dir, f), { recursive: true, force: true });
  }

  /** Loads `content` as a cache file; checks the invariants; returns what load() gave. */
  async function loadBytes(content: Uint8Array | string): Promise<unknown[]> {
    await emptyDir();
    const path = join(dir, 'c.json');
    await writeFile(path, content, { mode: 0o600 });
    const store = new FileSessionStore({ path, storageKey, logger: silentLogger });
    const loaded = await store.load(); // must not throw
    assert.ok(Array.isArray(loaded));
    try {
      await readCacheFileMetadata(path);
    } catch (err) {
      assert.ok(err instanceof FileFormatError, `readCacheFileMetadata threw ${String(err)}`);
      assert.equal(err.code, 'PQBLE_ERR_CACHE_FILE');
    }
    return loaded;
  }

  it('arbitrary JSON values load as [] without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        assert.deepEqual(await loadBytes(JSON.stringify(value) ?? 'null'), []);
      }),
      { numRuns: RUNS },
    );
  });

  it('cache-shaped JSON with arbitrary fields loads as [] without throwing', async () => {
    const entry = fc.dictionary(
      fc.constantFrom('peerFingerprint', 'deviceId', 'sessionId', 'established', 'lastActive', 'ticketId', 'sealedSecret', 'other'),
      fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f]{12,64}$/), fc.stringMatching(/^[A-Za-z0-9_-]{80}$/), fc.jsonValue()),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 4 }), fc.constantFrom(1, 2, '1'), async (sessions, version) => {
        const doc = { version, format: 'pqble-session-cache', savedAt: new Date().toISOString(), sessions };
        assert.deepEqual(await loadBytes(JSON.stringify(doc)), []);
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary bytes load as [] without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        assert.deepEqual(await loadBytes(bytes), []);
      }),
      { numRuns: RUNS },
    );
  });

  it('random damage to a valid file gives [] or the whole original, never a part of it', async () => {
    await emptyDir();
    const path = join(dir, 'c.json');
    const sessions = sampleSessions(3);
    await new FileSessionStore({ path, storageKey, logger: silentLogger }).save(sessions);
    const { readFile } = await import('node:fs/promises');
    const original = new Uint8Array(await readFile(path));
    const expected = JSON.stringify(sessions.map(plain));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat(original.length - 1), bit: fc.nat(7) }),
          fc.record({ kind: fc.constant('cut' as const), at: fc.nat(original.length - 1) }),
          fc.record({ kind: fc.constant('set' as const), at: fc.nat(original.length - 1), value: fc.integer({ min: 0, max: 255 }) }),
        ),
        async (damage) => {
          let bytes: Uint8Array;
          if (damage.kind === 'cut') bytes = original.slice(0, damage.at);
          else {
            bytes = original.slice();
            bytes[damage.at] = damage.kind === 'flip' ? bytes[damage.at] ^ (1 << damage.bit) : damage.value;
          }
          const loaded = (await loadBytes(bytes)) as Parameters<typeof plain>[0][];
          if (loaded.length !== 0) assert.equal(JSON.stringify(loaded.map(plain)), expected);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });
});
