// `pqble identity new|show` driven in process (test/cli/helpers.ts runInProcess): file mode 0600, no overwrite without
// --force, the fingerprint shown and the secret never printed.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { identityFromKeyPair, loadIdentity, saveIdentity } from '../../src/identity/index.js';
import { runInProcess, tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.remove());

interface IdentityDoc {
  path: string;
  created: boolean;
  algorithm: string;
  fingerprint: string;
  publicKeyBytes: number;
  secret: 'seed' | 'secret-key';
  mode: string;
}

describe('pqble identity', () => {
  const path = join(tmp.dir, 'keys', 'hub.identity.json');
  let fingerprint = '';

  it('new creates a 0600 key file (and its folder) and prints the fingerprint', async () => {
    const r = await runInProcess(['identity', 'new', '--path', path, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as IdentityDoc;
    assert.equal(doc.created, true);
    assert.equal(doc.algorithm, 'ML-DSA-65');
    assert.match(doc.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(doc.publicKeyBytes, 1952);
    assert.equal(doc.secret, 'seed');
    assert.equal(typeof (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>).seed, 'string');
    assert.equal(doc.mode, '0600');
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
    const identity = await loadIdentity(path);
    assert.equal(Buffer.from(identity.fingerprint).toString('hex'), doc.fingerprint);
    fingerprint = doc.fingerprint;
  });

  it('show prints the fingerprint and none of the secret', async () => {
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    const secrets = [file.seed, file.secretKey].filter((s): s is string => typeof s === 'string');
    assert.ok(secrets.length > 0);
    for (const args of [
      ['identity', 'show', '--path', path],
      ['identity', 'show', '--path', path, '--json'],
    ]) {
      const r = await runInProcess(args);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.includes(fingerprint), r.stdout);
      for (const secret of secrets) {
        assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'secret printed');
        const hex = Buffer.from(secret, 'base64').toString('hex');
        assert.ok(!r.stdout.includes(hex.slice(0, 16)), 'secret printed as hex');
      }
      assert.ok(!r.stdout.includes(file.publicKey.slice(0, 40)), 'show prints the fingerprint, not the key');
    }
    assert.equal((JSON.parse((await runInProcess(['identity', 'show', '--path', path, '--json'])).stdout) as IdentityDoc).created, false);
  });

  it('show says when a file keeps a secret key instead of a seed, and how to get a seed file', async () => {
    const bare = join(tmp.dir, 'bare.identity.json');
    const id = await loadIdentity(path);
    const pair = identityFromKeyPair(id.publicKey, id.secretKey);
    assert.ok(pair !== undefined);
    await saveIdentity(bare, pair);
    const doc = JSON.parse((await runInProcess(['identity', 'show', '--path', bare, '--json'])).stdout) as IdentityDoc;
    assert.equal(doc.secret, 'secret-key');
    assert.equal(doc.fingerprint, fingerprint);
    const r = await runInProcess(['identity', 'show', '--path', bare]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /secret {7}4,032-byte secret key \(no seed\)/);
    assert.match(r.stdout, /pqble identity new/);
    assert.match((await runInProcess(['identity', 'show', '--path', path])).stdout, /secret {7}32-byte seed/);
  });

  it('new refuses to replace a file without --force, and replaces it with --force', async () => {
    const before = readFileSync(path, 'utf8');
    const r = await runInProcess(['identity', 'new', '--path', path]);
    assert.equal(r.status, 1);
    assert.equal(r.stderrLines.length, 1);
    assert.match(r.stderrLines[0], /^pqble: identity file .* already exists \(use --force to replace it\)$/);
    assert.equal(readFileSync(path, 'utf8'), before);

    const forced = await runInProcess(['identity', 'new', '--path', path, '--force', '--json']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.notEqual((JSON.parse(forced.stdout) as IdentityDoc).fingerprint, fingerprint);
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('show of a missing or damaged file fails with one line, exit 1', async () => {
    const damaged = join(tmp.dir, 'damaged.json');
    writeFileSync(damaged, '{"version":1,"type":"pqble-identity"', { mode: 0o600 });
    for (const p of [join(tmp.dir, 'missing.json'), damaged]) {
      const r = await runInProcess(['identity', 'show', '--path', p]);
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderrLines.length, 1, r.stderr);
      assert.match(r.stderrLines[0], /^pqble: identity file /);
    }
  });

  it('--force with show is a usage error', async () => {
    const r = await runInProcess(['identity', 'show', '--path', path, '--force']);
    assert.equal(r.status, 2);
    assert.equal(r.stderrLines.length, 1);
  });
});

describe('pqble identity export-public', () => {
  const path = join(tmp.dir, 'export', 'hub.identity.json');
  before(async () => {
    const r = await runInProcess(['identity', 'new', '--path', path]);
    assert.equal(r.status, 0, r.stderr);
  });

  it("prints the public key as hex on stdout (the fingerprint on stderr), and it is the identity's key", async () => {
    const identity = await loadIdentity(path);
    const r = await runInProcess(['identity', 'export-public', '--path', path]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${Buffer.from(identity.publicKey).toString('hex')}\n`);
    assert.match(r.stderr, new RegExp(Buffer.from(identity.fingerprint).toString('hex')));
    assert.ok(identity.seed !== undefined && !r.stdout.includes(Buffer.from(identity.seed).toString('hex')), 'the seed is not printed');
  });

  it('writes hex or raw to --out (mode 0644), never over a file without --force; the key pins as knownPeers', async () => {
    const identity = await loadIdentity(path);
    const hexOut = join(tmp.dir, 'export', 'hub.pub');
    const rawOut = join(tmp.dir, 'export', 'hub.pub.bin');
    assert.equal((await runInProcess(['identity', 'export-public', '--path', path, '--out', hexOut])).status, 0);
    const r = await runInProcess(['identity', 'export-public', '--path', path, '--out', rawOut, '--format', 'raw', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(doc, {
      path,
      algorithm: 'ML-DSA-65',
      fingerprint: Buffer.from(identity.fingerprint).toString('hex'),
      publicKeyBytes: 1952,
      format: 'raw',
      out: rawOut,
      publicKey: null,
    });
    const fromHex = Uint8Array.from(Buffer.from(readFileSync(hexOut, 'utf8').trim(), 'hex'));
    const fromRaw = new Uint8Array(readFileSync(rawOut));
    assert.deepEqual(fromHex, identity.publicKey);
    assert.deepEqual(fromRaw, identity.publicKey);
    if (process.platform !== 'win32') assert.equal(statSync(rawOut).mode & 0o777, 0o644);
    // Used as docs/cli.md shows: the fingerprint of the exported key is the identity's.
    const { identityFingerprint } = await import('../../src/identity/index.js');
    assert.deepEqual(identityFingerprint(fromHex), identity.fingerprint);
    const again = await runInProcess(['identity', 'export-public', '--path', path, '--out', hexOut, '--json']);
    assert.equal(again.status, 1);
    assert.equal((JSON.parse(again.stdout) as { error: { code: string } }).error.code, 'PQBLE_ERR_KEY_FILE');
    assert.equal((await runInProcess(['identity', 'export-public', '--path', path, '--out', hexOut, '--force'])).status, 0);
  });

  it('refuses --format raw without --out, and --out / --format with other actions (exit 2)', async () => {
    for (const args of [
      ['identity', 'export-public', '--path', path, '--format', 'raw'],
      ['identity', 'export-public', '--path', path, '--format', 'pem'],
      ['identity', 'show', '--path', path, '--out', 'x'],
    ]) {
      const r = await runInProcess(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderrLines.length, 1);
    }
  });
});
