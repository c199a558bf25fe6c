import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as errors from '../src/errors.js';
import {
  AbortError,
  ClosedError,
  ERROR_CLASS_OF_CODE,
  HandshakeError,
  LinkError,
  PqbleError,
  StoreError,
  codedError,
  isPqbleError,
  throwIfAborted,
  type PqbleErrorCode,
} from '../src/errors.js';
import { ResumeRejectedError } from '../src/resumption/reject.js';

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
    assert.throws(
      () => throwIfAborted(ac.signal),
      (e: unknown) => e instanceof AbortError && e.code === 'PQBLE_ERR_ABORTED',
    );
  });
});

/** Every class that owns codes, by name: the exports of src/errors.ts plus ResumeRejectedError. */
const CLASSES: ReadonlyMap<string, unknown> = new Map<string, unknown>([...Object.entries(errors), ['ResumeRejectedError', ResumeRejectedError]]);
const CODES = Object.keys(ERROR_CLASS_OF_CODE) as PqbleErrorCode[];

describe('error codes bound to classes', () => {
  it('every code names one exported PqbleError class, and every such class owns a code', () => {
    assert.ok(CODES.length > 20);
    const owners = new Set<string>();
    for (const code of CODES) {
      const name = ERROR_CLASS_OF_CODE[code];
      const cls = CLASSES.get(name);
      assert.ok(typeof cls === 'function' && (cls === PqbleError || cls.prototype instanceof PqbleError), `${code}: ${name} is not a PqbleError class`);
      owners.add(name);
    }
    const classes = [...CLASSES]
      .filter(([, v]) => typeof v === 'function' && (v === PqbleError || (v as { prototype: unknown }).prototype instanceof PqbleError))
      .map(([k]) => k);
    assert.deepEqual(classes.sort(), [...owners].sort(), 'a PqbleError class owns no code');
  });

  it('codedError builds the class that owns each code, with the code, message and cause', () => {
    const cause = new Error('inner');
    for (const code of CODES) {
      const err = codedError(code, 'm', { cause });
      const want = ERROR_CLASS_OF_CODE[code] === 'ResumeRejectedError' ? 'ResumptionError' : ERROR_CLASS_OF_CODE[code];
      assert.equal(err.name, want, code);
      assert.ok(err instanceof (CLASSES.get(want) as typeof PqbleError), code);
      assert.equal(err.code, code);
      assert.equal(err.message, 'm');
      assert.equal(err.cause, cause);
    }
  });

  it('the fixed-code classes carry their code; the family classes keep the code given', () => {
    assert.equal(new ClosedError().code, 'PQBLE_ERR_CLOSED');
    assert.equal(new AbortError().code, 'PQBLE_ERR_ABORTED');
    assert.equal(new ResumeRejectedError('expired').code, 'PQBLE_ERR_RESUME_REJECTED');
    assert.equal(new LinkError('PQBLE_ERR_QUEUE_FULL', 'x').code, 'PQBLE_ERR_QUEUE_FULL');
    assert.equal(new StoreError('PQBLE_ERR_STORE_IO', 'x').name, 'StoreError');
  });

  it('the constructors refuse codes of another class (checked by the compiler)', () => {
    // @ts-expect-error PQBLE_ERR_CLOSED belongs to ClosedError
    const a = new LinkError('PQBLE_ERR_CLOSED', 'x');
    // @ts-expect-error PQBLE_ERR_STORE_IO belongs to StoreError
    const b = new HandshakeError('PQBLE_ERR_STORE_IO', 'x');
    assert.ok(a instanceof LinkError && b instanceof HandshakeError);
  });

  it('every literal construction in src/ uses a code of that class', async () => {
    // `new PqbleError(...)` takes any code (it is the base of the others), so this scan is
    // its check. The benchmark (bench/) is scanned too: it ships with the repository.
    const bad: string[] = [];
    let seen = 0;
    for (const file of [...(await sourceFiles('src')), ...(await sourceFiles('bench'))]) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/new (\w+Error)\(\s*'(PQBLE_ERR_[A-Z_]+)'/g)) {
        seen++;
        const [, cls, code] = m as unknown as [string, string, PqbleErrorCode];
        if (ERROR_CLASS_OF_CODE[code] !== cls) bad.push(`${file}: new ${cls}('${code}')`);
      }
    }
    assert.ok(seen > 50, `only ${seen} constructions found`);
    assert.deepEqual(bad, []);
  });
});

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

describe('docs/errors.md', () => {
  it('lists every code once, with the class that owns it, and no other code', async () => {
    const doc = await readFile('docs/errors.md', 'utf8');
    const rows = [...doc.matchAll(/^\| `(PQBLE_ERR_[A-Z_]+)` \| ([^|]*) \|/gm)];
    const documented = new Map<string, string>();
    for (const [, code, cls] of rows) {
      assert.ok(code !== undefined && cls !== undefined);
      assert.ok(!documented.has(code), `${code} has two rows`);
      documented.set(code, cls.trim());
    }
    const expected = new Map(CODES.map((code) => [code, `\`${ERROR_CLASS_OF_CODE[code]}\``]));
    assert.deepEqual([...documented].sort(), [...expected].sort());
    const mentioned = new Set(doc.match(/PQBLE_ERR_[A-Z_]+/g));
    assert.deepEqual([...mentioned].sort(), [...CODES].sort(), 'docs/errors.md mentions a code that does not exist');
  });
});
