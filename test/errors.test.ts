import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortError, HandshakeError, PqbleError, isPqbleError, throwIfAborted } from '../src/errors.js';

describe('errors', () => {
  it('carry a stable code, a subclass name and the cause', () => {
    const cause = new Error('inner');
    const err = new HandshakeError('PQBLE_ERR_HANDSHAKE_AUTH_FAILED', 'bad signature', { cause });
    assert.ok(err instanceof PqbleError);
    assert.equal(err.code, 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED');
    assert.equal(err.name, 'HandshakeError');
    assert.equal(err.cause, cause);
    assert.ok(isPqbleError(err, 'PQBLE_ERR_HANDSHAKE_AUTH_FAILED'));
    assert.ok(!isPqbleError(err, 'PQBLE_ERR_TIMEOUT'));
    assert.ok(!isPqbleError(new Error('x')));
  });

  it('throwIfAborted throws a coded AbortError only for an aborted signal', () => {
    throwIfAborted(undefined);
    throwIfAborted(new AbortController().signal);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    assert.throws(() => throwIfAborted(ac.signal), (e: unknown) => e instanceof AbortError && e.code === 'PQBLE_ERR_ABORTED');
  });
});

describe('docs/errors.md', () => {
  it('lists exactly the codes of the PqbleErrorCode union', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile('src/errors.ts', 'utf8');
    const union = source.slice(source.indexOf('export type PqbleErrorCode'), source.indexOf('/** Options accepted'));
    const fromCode = new Set(union.match(/PQBLE_ERR_[A-Z_]+/g));
    const doc = await readFile('docs/errors.md', 'utf8');
    const fromDoc = new Set(doc.match(/PQBLE_ERR_[A-Z_]+/g));
    assert.ok(fromCode.size > 20);
    assert.deepEqual([...fromDoc].sort(), [...fromCode].sort());
  });
});
