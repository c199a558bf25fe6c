// `pqble identity new|show` through the built tool: file mode 0600, no overwrite without
// --force, the fingerprint shown and the secret never printed.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { identityFromKeyPair, loadIdentity, saveIdentity } from '../../src/identity/index.js';
import { ensureBuilt, runCli, tempDir } from './helpers.js';

const tmp = tempDir();
before(() => ensureBuilt());
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
    const r = runCli(['identity', 'new', '--path', path, '--json']);
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

  it('show prints the fingerprint and none of the secret', () => {
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    const secrets = [file.seed, file.secretKey].filter((s): s is string => typeof s === 'string');
    assert.ok(secrets.length > 0);
    for (const args of [['identity', 'show', '--path', path], ['identity', 'show', '--path', path, '--json']]) {
      const r = runCli(args);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.includes(fingerprint), r.stdout);
      for (const secret of secrets) {
        assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'secret printed');
        const hex = Buffer.from(secret, 'base64').toString('hex');
        assert.ok(!r.stdout.includes(hex.slice(0, 16)), 'secret printed as hex');
      }
      assert.ok(!r.stdout.includes(file.publicKey.slice(0, 40)), 'show prints the fingerprint, not the key');
    }
    assert.equal((JSON.parse(runCli(['identity', 'show', '--path', path, '--json']).stdout) as IdentityDoc).created, false);
  });

  it('show says when a file keeps a secret key instead of a seed, and how to get a seed file', async () => {
    const bare = join(tmp.dir, 'bare.identity.json');
    const id = await loadIdentity(path);
    const pair = identityFromKeyPair(id.publicKey, id.secretKey);
    assert.ok(pair !== undefined);
    await saveIdentity(bare, pair);
    const doc = JSON.parse(runCli(['identity', 'show', '--path', bare, '--json']).stdout) as IdentityDoc;
    assert.equal(doc.secret, 'secret-key');
    assert.equal(doc.fingerprint, fingerprint);
    const r = runCli(['identity', 'show', '--path', bare]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /secret {7}4,032-byte secret key \(no seed\)/);
    assert.match(r.stdout, /pqble identity new/);
    assert.match(runCli(['identity', 'show', '--path', path]).stdout, /secret {7}32-byte seed/);
  });

  it('new refuses to replace a file without --force, and replaces it with --force', () => {
    const before = readFileSync(path, 'utf8');
    const r = runCli(['identity', 'new', '--path', path]);
    assert.equal(r.status, 1);
    assert.equal(r.stderrLines.length, 1);
    assert.match(r.stderrLines[0], /^pqble: identity file .* already exists \(use --force to replace it\)$/);
    assert.equal(readFileSync(path, 'utf8'), before);

    const forced = runCli(['identity', 'new', '--path', path, '--force', '--json']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.notEqual((JSON.parse(forced.stdout) as IdentityDoc).fingerprint, fingerprint);
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('show of a missing or damaged file fails with one line, exit 1', () => {
    const damaged = join(tmp.dir, 'damaged.json');
    writeFileSync(damaged, '{"version":1,"type":"pqble-identity"', { mode: 0o600 });
    for (const p of [join(tmp.dir, 'missing.json'), damaged]) {
      const r = runCli(['identity', 'show', '--path', p]);
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderrLines.length, 1, r.stderr);
      assert.match(r.stderrLines[0], /^pqble: identity file /);
    }
  });

  it('--force with show is a usage error', () => {
    const r = runCli(['identity', 'show', '--path', path, '--force']);
    assert.equal(r.status, 2);
    assert.equal(r.stderrLines.length, 1);
  });
});
