import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkOptions,
  optBoolean,
  optFunction,
  optInteger,
  optNumber,
  optOneOf,
  optRenamed,
  optSignal,
  optString,
  rejectingChecks,
} from '../../src/util/options.js';

const typeError = (pattern: RegExp) => (err: unknown) => err instanceof TypeError && pattern.test(err.message);
const rangeError = (pattern: RegExp) => (err: unknown) => err instanceof RangeError && pattern.test(err.message);

describe('checkOptions', () => {
  it('accepts undefined (as {}) and an object with known keys, returning it', () => {
    assert.deepEqual(checkOptions(undefined, 'f options', ['a']), {});
    const o = { a: 1 };
    assert.equal(checkOptions(o, 'f options', ['a', 'b']), o);
  });

  it('an unknown key is a TypeError naming it, the label and the accepted keys', () => {
    assert.throws(
      () => checkOptions({ a: 1, tiemoutMs: 5 }, 'f options', ['a', 'timeoutMs']),
      typeError(/^f options: unknown option "tiemoutMs" \(expected one of: a, timeoutMs\)$/),
    );
  });

  it('a non-object is a TypeError', () => {
    for (const bad of [null, 5, 'x', true])
      assert.throws(() => checkOptions(bad as unknown as object, 'f options', ['a']), typeError(/^f options must be an object$/));
  });
});

describe('option readers', () => {
  it('optInteger: the default for undefined, the value in range, TypeError for a non-number, RangeError out of range', () => {
    assert.equal(optInteger(undefined, 'n', 1, 10, 7), 7);
    assert.equal(optInteger(undefined, 'n', 1, 10, undefined), undefined);
    assert.equal(optInteger(10, 'n', 1, 10, 7), 10);
    assert.equal(optInteger(1, 'n', 1, 10, 7), 1);
    for (const bad of ['5', null, Number.NaN, Infinity, {}])
      assert.throws(() => optInteger(bad, 'n', 1, 10, 7), typeError(/^n must be a finite number$/), typeof bad);
    for (const bad of [0, 11, 1.5, -3]) assert.throws(() => optInteger(bad, 'n', 1, 10, 7), rangeError(/^n must be an integer in 1\.\.10, got /), String(bad));
  });

  it('optNumber accepts fractions within the range', () => {
    assert.equal(optNumber(1.25, 'x', 1.25, 4, 2), 1.25);
    assert.equal(optNumber(undefined, 'x', 1.25, 4, 2), 2);
    assert.throws(() => optNumber(4.01, 'x', 1.25, 4, 2), rangeError(/^x must be in 1\.25\.\.4, got 4\.01$/));
    assert.throws(() => optNumber('1', 'x', 1.25, 4, 2), typeError(/^x must be a finite number$/));
  });

  it('optBoolean', () => {
    assert.equal(optBoolean(undefined, 'b', true), true);
    assert.equal(optBoolean(false, 'b', true), false);
    for (const bad of [0, 'true', null]) assert.throws(() => optBoolean(bad, 'b', true), typeError(/^b must be a boolean$/));
  });

  it('optOneOf: TypeError for a non-string, RangeError for another string', () => {
    const modes = ['psk', 'psk-dhe'] as const;
    assert.equal(optOneOf(undefined, 'mode', modes, 'psk-dhe'), 'psk-dhe');
    assert.equal(optOneOf('psk', 'mode', modes, 'psk-dhe'), 'psk');
    assert.throws(() => optOneOf(1, 'mode', modes, 'psk'), typeError(/^mode must be one of 'psk', 'psk-dhe'$/));
    assert.throws(() => optOneOf('PSK', 'mode', modes, 'psk'), rangeError(/^mode must be one of 'psk', 'psk-dhe', got 'PSK'$/));
  });

  it('optSignal, optFunction, optString', () => {
    const signal = new AbortController().signal;
    assert.equal(optSignal(signal, 's'), signal);
    assert.equal(optSignal(undefined, 's'), undefined);
    assert.throws(() => optSignal({ aborted: false }, 's'), typeError(/^s must be an AbortSignal$/));
    const fn = (): number => 1;
    assert.equal(optFunction(fn, 'f'), fn);
    assert.equal(optFunction(undefined, 'f'), undefined);
    assert.throws(() => optFunction('fn', 'f'), typeError(/^f must be a function$/));
    assert.equal(optString('ab', 'name', 2, 'z'), 'ab');
    assert.equal(optString(undefined, 'name', 2, 'z'), 'z');
    assert.throws(() => optString(3, 'name', 2, 'z'), typeError(/^name must be a string$/));
    assert.throws(() => optString('abc', 'name', 2, 'z'), rangeError(/^name must be 1\.\.2 characters$/));
    assert.throws(() => optString('', 'name', 2, 'z'), rangeError(/must be 1\.\.2 characters/));
  });
});

describe('optRenamed (a deprecated alias)', () => {
  it('reads the new name; the old name stands in for it and warns once per process and label', () => {
    const warnings: string[] = [];
    const warn = (m: string): void => {
      warnings.push(m);
    };
    assert.equal(optRenamed({ newMs: 5 }, 'newMs', 'old', 'T1', warn), 5);
    assert.equal(optRenamed({}, 'newMs', 'old', 'T1', warn), undefined);
    assert.deepEqual(warnings, []);
    assert.equal(optRenamed({ old: 7 }, 'newMs', 'old', 'T1', warn), 7);
    assert.equal(optRenamed({ old: 8 }, 'newMs', 'old', 'T1', warn), 8);
    assert.deepEqual(warnings, ['T1: the option old is deprecated; use newMs']);
    assert.equal(optRenamed({ old: 9 }, 'newMs', 'old', 'T2', warn), 9);
    assert.equal(warnings.length, 2);
  });

  it('both names: the same value is accepted, different values are a RangeError', () => {
    assert.equal(optRenamed({ newMs: 5, old: 5 }, 'newMs', 'old', 'T3'), 5);
    assert.equal(optRenamed({ newMs: null, old: null }, 'newMs', 'old', 'T3'), null);
    assert.throws(() => optRenamed({ newMs: 5, old: 6 }, 'newMs', 'old', 'T3'), rangeError(/^T3: old is the deprecated name of newMs/));
    assert.throws(() => optRenamed({ newMs: null, old: 6 }, 'newMs', 'old', 'T3'), RangeError);
  });
});

describe('rejectingChecks', () => {
  it('a throw from the checks is a rejection, never a synchronous throw; the call is not made', async () => {
    let called = false;
    const p = rejectingChecks(
      () => {
        throw new RangeError('bad argument');
      },
      () => {
        called = true;
        return Promise.resolve(1);
      },
    );
    assert.ok(p instanceof Promise);
    await assert.rejects(p, rangeError(/^bad argument$/));
    assert.equal(called, false);
  });

  it('a non-Error throw is wrapped in an Error', async () => {
    await assert.rejects(
      rejectingChecks(
        () => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error
          throw 'nope';
        },
        () => Promise.resolve(0),
      ),
      (err: unknown) => err instanceof Error && err.message === 'nope',
    );
  });

  it('passes the checked arguments to the call and settles as it does', async () => {
    assert.equal(
      await rejectingChecks(
        () => 20,
        (n) => Promise.resolve(n + 1),
      ),
      21,
    );
    await assert.rejects(
      rejectingChecks(
        () => 1,
        () => Promise.reject(new Error('io')),
      ),
      /io/,
    );
  });
});
