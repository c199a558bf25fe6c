import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LruMap } from '../../src/util/lru.js';

describe('LruMap', () => {
  it('keeps LRU order: set moves a key to the end, oldest() is the first', () => {
    const m = new LruMap<number>();
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.set('a', 10);
    assert.deepEqual([...m.values()], [2, 3, 10]);
    assert.equal(m.oldest(), 2);
    assert.equal(m.oldestKey(), 'b');
    assert.deepEqual([...m.keys()], ['b', 'c', 'a']);
    assert.deepEqual(
      [...m.entries()],
      [
        ['b', 2],
        ['c', 3],
        ['a', 10],
      ],
    );
    assert.equal(m.has('c'), true);
    assert.equal(m.has('z'), false);
    assert.equal(m.delete('b'), true);
    assert.equal(m.delete('b'), false);
    assert.equal(m.oldest(), 3);
    assert.equal(m.get('a'), 10);
    m.clear();
    assert.equal(m.size, 0);
    assert.equal(m.oldest(), undefined);
    assert.equal(m.oldestKey(), undefined);
  });

  it('behaves like a Map kept in insertion order under any sequence of operations (model test)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 7 }), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const lru = new LruMap<number>();
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            model.delete(String(o.key));
            model.set(String(o.key), o.value);
            lru.set(String(o.key), o.value);
          } else if (o.kind === 'delete') {
            assert.equal(lru.delete(String(o.key)), model.delete(String(o.key)));
          } else {
            model.clear();
            lru.clear();
          }
          assert.equal(lru.size, model.size);
          assert.deepEqual([...lru.values()], [...model.values()]);
          assert.deepEqual([...lru.keys()], [...model.keys()]);
          assert.deepEqual([...lru.entries()], [...model.entries()]);
          assert.equal(lru.oldest(), model.values().next().value);
          assert.equal(lru.oldestKey(), model.keys().next().value);
          for (let k = 0; k < 8; k++) assert.equal(lru.has(String(k)), model.has(String(k)));
        }
      }),
    );
  });
});
