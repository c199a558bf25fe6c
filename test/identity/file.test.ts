// Identity key files: round trip, mode 0600, atomic no-clobber writes, and every way a file
// can be wrong (each a FileFormatError PQBLE_ERR_KEY_FILE, never anything else, no warnings).
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { FileFormatError } from '../../src/errors.js';
import { fingerprintToHex, identityFromKeyPair, identityFromSeed, loadIdentity, saveIdentity, type Identity } from '../../src/identity/index.js';
import { fuzz } from '../support/fuzz.js';

const alice = identityFromSeed(new Uint8Array(32).fill(1));
const bob = identityFromSeed(new Uint8Array(32).fill(2));
const aliceBare = identityFromKeyPair(alice.publicKey, alice.secretKey)!;
const isWindows = process.platform === 'win32';
let dir: string;
let n = 0;
const fresh = (): string => join(dir, `id-${n++}.json`);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pqble-identity-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejectsKeyFile(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof FileFormatError, `expected FileFormatError, got ${String(err)}`);
    assert.equal(err.code, 'PQBLE_ERR_KEY_FILE');
    return true;
  });
}

function same(a: Identity, b: Identity): void {
  assert.deepEqual(a.publicKey, b.publicKey);
  assert.deepEqual(a.secretKey, b.secretKey);
  assert.deepEqual(a.fingerprint, b.fingerprint);
}

/** Writes a valid file, lets `edit` change its JSON, and returns the path. */
async function edited(edit: (json: Record<string, unknown>) => void, id: Identity = alice): Promise<string> {
  const path = fresh();
  await saveIdentity(path, id);
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(path, JSON.stringify(json));
  return path;
}

describe('identity files', () => {
  it('save and load round-trip (seed form); the file is JSON with the documented fields', async () => {
    const path = fresh();
    await saveIdentity(path, alice);
    same(await loadIdentity(path), alice);
    const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), ['algorithm', 'fingerprint', 'publicKey', 'seed', 'type', 'version']);
    assert.equal(json.version, 1);
    assert.equal(json.type, 'pqble-identity');
    assert.equal(json.algorithm, 'ML-DSA-65');
    assert.equal(json.fingerprint, fingerprintToHex(alice.fingerprint));
    assert.equal(json.seed, Buffer.from(alice.seed!).toString('base64'));
  });

  it('round-trips an identity without a seed (secret key form)', async () => {
    const bare = identityFromKeyPair(bob.publicKey, bob.secretKey)!;
    const path = fresh();
    await saveIdentity(path, bare);
    const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    assert.equal(typeof json.secretKey, 'string');
    assert.equal(json.seed, undefined);
    same(await loadIdentity(path), bob);
  });

  it('writes mode 0600, creates missing directories, leaves no temporary files', { skip: isWindows }, async () => {
    const sub = join(dir, 'nested', 'deeper');
    const path = join(sub, 'id.json');
    await saveIdentity(path, alice);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(sub)).mode & 0o077, 0);
    assert.deepEqual(await readdir(sub), ['id.json']);
  });

  it('refuses to overwrite unless asked, and then replaces atomically', async () => {
    const path = fresh();
    await saveIdentity(path, alice);
    await rejectsKeyFile(saveIdentity(path, bob));
    same(await loadIdentity(path), alice);
    await saveIdentity(path, bob, { overwrite: true });
    same(await loadIdentity(path), bob);
    if (!isWindows) assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await readdir(dir)).filter((f) => f.includes('.tmp-')).length, 0);
  });

  it('concurrent saves without overwrite: exactly one wins', async () => {
    const path = fresh();
    const results = await Promise.allSettled([saveIdentity(path, alice), saveIdentity(path, bob), saveIdentity(path, alice)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    await loadIdentity(path);
  });

  it('rejects bad arguments with TypeError', async () => {
    await assert.rejects(saveIdentity('', alice), TypeError);
    await assert.rejects(saveIdentity(fresh(), { ...alice, fingerprint: bob.fingerprint }), TypeError);
    await assert.rejects(saveIdentity(fresh(), alice, { overwrite: 'yes' } as never), TypeError);
    await assert.rejects(saveIdentity(fresh(), alice, { force: true } as never), TypeError);
    await assert.rejects(loadIdentity(5 as never), TypeError);
  });

  it('a directory in the way of the save is a KEY_FILE error', async () => {
    const path = fresh();
    await mkdir(path);
    await rejectsKeyFile(saveIdentity(path, alice, { overwrite: true }));
  });
});

describe('broken identity files are PQBLE_ERR_KEY_FILE', () => {
  const cases: [string, () => Promise<string>][] = [
    ['missing', () => Promise.resolve(join(dir, 'does-not-exist.json'))],
    [
      'a directory',
      async () => {
        const p = fresh();
        await mkdir(p);
        return p;
      },
    ],
    [
      'empty',
      async () => {
        const p = fresh();
        await writeFile(p, '');
        return p;
      },
    ],
    [
      'not JSON',
      async () => {
        const p = fresh();
        await writeFile(p, 'hello');
        return p;
      },
    ],
    [
      'truncated',
      async () => {
        const p = fresh();
        await saveIdentity(p, alice);
        const text = await readFile(p, 'utf8');
        await writeFile(p, text.slice(0, text.length / 2));
        return p;
      },
    ],
    [
      'a JSON array',
      async () => {
        const p = fresh();
        await writeFile(p, '[]');
        return p;
      },
    ],
    [
      'too large',
      async () => {
        const p = fresh();
        await writeFile(p, ' '.repeat(70_000));
        return p;
      },
    ],
    ['wrong version', () => edited((j) => (j.version = 2))],
    ['version as a string', () => edited((j) => (j.version = '1'))],
    ['wrong type', () => edited((j) => (j.type = 'pqble-session-cache'))],
    ['wrong algorithm', () => edited((j) => (j.algorithm = 'Ed25519'))],
    ['an unknown field', () => edited((j) => (j.comment = 'hi'))],
    ['no seed or secret key', () => edited((j) => delete j.seed)],
    ['both seed and secret key', () => edited((j) => (j.secretKey = Buffer.from(alice.secretKey).toString('base64')))],
    ['a seed of the wrong length', () => edited((j) => (j.seed = Buffer.alloc(31).toString('base64')))],
    ['a seed that is not base64', () => edited((j) => (j.seed = '!!!!'))],
    ['a public key of the wrong length', () => edited((j) => (j.publicKey = Buffer.alloc(100).toString('base64')))],
    ['an uppercase fingerprint', () => edited((j) => (j.fingerprint = String(j.fingerprint).toUpperCase()))],
    ['a fingerprint of another key', () => edited((j) => (j.fingerprint = fingerprintToHex(bob.fingerprint)))],
    ['a public key of another identity', () => edited((j) => (j.publicKey = Buffer.from(bob.publicKey).toString('base64')))],
    ["another identity's seed", () => edited((j) => (j.seed = Buffer.from(bob.seed!).toString('base64')))],
    ['a secret key that does not match', () => edited((j) => (j.secretKey = Buffer.from(bob.secretKey).toString('base64')), aliceBare)],
    [
      'a bit flipped in the seed',
      () =>
        edited((j) => {
          const seed = Buffer.from(String(j.seed), 'base64');
          seed[0] ^= 1;
          j.seed = seed.toString('base64');
        }),
    ],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      await rejectsKeyFile(loadIdentity(await make()));
    });
  }

  it('an unreadable file (mode 000)', { skip: isWindows || process.getuid?.() === 0 ? 'not enforceable here (Windows or root)' : false }, async () => {
    const p = fresh();
    await saveIdentity(p, alice);
    await chmod(p, 0o000);
    await rejectsKeyFile(loadIdentity(p));
  });

  it('emits no warnings while loading good or bad files', async () => {
    const warnings: unknown[] = [];
    const onWarning = (w: unknown): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const good = fresh();
      await saveIdentity(good, alice);
      await loadIdentity(good);
      await loadIdentity(await edited((j) => (j.version = 9))).catch(() => undefined);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });

  it('arbitrary JSON values and bytes give only KEY_FILE errors (fuzz)', async () => {
    const path = fresh();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json().map((s) => Buffer.from(s)),
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        ),
        async (content) => {
          await writeFile(path, content);
          await rejectsKeyFile(loadIdentity(path));
        },
      ),
      fuzz(100),
    );
  });

  it('field-level fuzz: any field replaced by an arbitrary JSON value is rejected (or still loads the same identity)', async () => {
    const path = fresh();
    await saveIdentity(path, alice);
    const good = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(good)), fc.jsonValue(), async (key, value) => {
        await writeFile(path, JSON.stringify({ ...good, [key]: value }));
        try {
          same(await loadIdentity(path), alice);
        } catch (err) {
          assert.ok(err instanceof FileFormatError && err.code === 'PQBLE_ERR_KEY_FILE', String(err));
        }
      }),
      fuzz(60),
    );
  });
});
