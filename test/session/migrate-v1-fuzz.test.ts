// Fuzzing of the version-1 reader that ships (src/session/file/migrate-v1.ts, the migration
// source; docs/cache-file.md, docs/store.md "Migration from version 1"): arbitrary JSON values,
// cache-shaped JSON, arbitrary bytes and random damage to a valid file never throw from
// migrateV1File, never yield a part of a file, and readV1FileMetadata fails only with
// PQBLE_ERR_CACHE_FILE. Valid files are written by the version-1 store of bench/baseline/.
// More runs: PQBLE_FUZZ_RUNS=2000 node scripts/run-tests.mjs test/session/migrate-v1-fuzz.test.ts
import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { FileSessionStore as V1Store } from '../../bench/baseline/file-store-v1.js';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import { nobleCrypto } from '../../src/crypto/index.js';
import { FileFormatError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { migrateV1File, readV1FileMetadata, type V1Entry } from '../../src/session/file/migrate-v1.js';
import { fuzz } from '../support/fuzz.js';
import { sampleSessions, tempDir } from './helpers.js';

describe('the version-1 reader under fuzzing', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  const storageKey = randomBytes(32);
  let warnings = 0;
  const logger = { warn: () => void warnings++ };
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(() => cleanup());

  async function emptyDir(): Promise<void> {
    for (const f of await readdir(dir)) await rm(join(dir, f), { recursive: true, force: true });
  }

  /** Reads `content` as a version-1 file; checks the invariants; returns what migrateV1File gave. */
  async function readBytes(content: Uint8Array | string): Promise<V1Entry[]> {
    await emptyDir();
    const path = join(dir, 'c.json');
    await writeFile(path, content, { mode: 0o600 });
    let metadataOk = true;
    try {
      await readV1FileMetadata(path);
    } catch (err) {
      metadataOk = false;
      assert.ok(err instanceof FileFormatError, `readV1FileMetadata threw ${String(err)}`);
      assert.equal(err.code, 'PQBLE_ERR_CACHE_FILE');
    }
    const before = warnings;
    const entries = await migrateV1File(path, { logger, crypto: nobleCrypto, keyPath: `${path}.key`, storageKey }); // must not throw
    assert.ok(Array.isArray(entries));
    const names = await readdir(dir);
    if (warnings > before) {
      assert.deepEqual(entries, [], 'a file set aside yields nothing');
      assert.ok(!names.includes('c.json') && names.some((n) => n.startsWith('c.json.corrupt-')), 'a damaged file is set aside');
    } else {
      assert.ok(metadataOk, 'a file read without a warning is a valid version-1 file');
      assert.ok(names.includes('c.json'), 'a readable file is left where it was');
    }
    return entries;
  }

  it('arbitrary JSON values read as [] without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        assert.deepEqual(await readBytes(JSON.stringify(value) ?? 'null'), []);
      }),
      fuzz(60),
    );
  });

  it('cache-shaped JSON with arbitrary fields reads as [] without throwing', async () => {
    const entry = fc.dictionary(
      fc.constantFrom('peerFingerprint', 'deviceId', 'sessionId', 'established', 'lastActive', 'ticketId', 'sealedSecret', 'other'),
      fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f]{12,64}$/), fc.stringMatching(/^[A-Za-z0-9_-]{80}$/), fc.jsonValue()),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 4 }), fc.constantFrom(1, 2, '1'), async (sessions, version) => {
        const doc = { version, format: 'pqble-session-cache', savedAt: new Date().toISOString(), sessions };
        assert.deepEqual(await readBytes(JSON.stringify(doc)), []);
      }),
      fuzz(60),
    );
  });

  it('arbitrary bytes read as [] without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        assert.deepEqual(await readBytes(bytes), []);
      }),
      fuzz(60),
    );
  });

  it('a valid file reads whole; random damage gives [] or the whole original, never a part of it', async () => {
    await emptyDir();
    const path = join(dir, 'c.json');
    const sessions = sampleSessions(3);
    await new V1Store({ path, storageKey, logger: silentLogger }).save(sessions);
    const original = new Uint8Array(await readFile(path));
    const expected = JSON.stringify(sessions.map((s) => [s.peerFingerprint, s.deviceId, s.establishedMs, s.lastActiveMs, bytesToHex(s.resumptionSecret)]));
    const show = (entries: V1Entry[]): string =>
      JSON.stringify(entries.map((e) => [e.peerFingerprint, e.deviceId, e.establishedMs, e.lastActiveMs, bytesToHex(e.resumptionSecret)]));
    assert.equal(show(await readBytes(original)), expected, 'the undamaged file reads whole');
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
          const entries = await readBytes(bytes);
          if (entries.length !== 0) assert.equal(show(entries), expected);
        },
      ),
      fuzz(120),
    );
  });
});
