// The file store's memory of consumed tickets (docs/store.md: a consumed ticket stays refused
// even if an old entry comes back): the most recent CONSUMED_TICKETS_REMEMBERED blinded ids,
// a re-consumed id counting as the most recent, the oldest forgotten first, in that order when
// compaction writes them out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RowIndex } from '../../src/session/file/row-index.js';
import { CONSUMED_TICKETS_REMEMBERED } from '../../src/session/store-checks.js';

const id = (n: number): string => `t${n}`;

describe('RowIndex consumed tickets', () => {
  it('keeps the most recent ids, oldest first, and a re-consumed id moves to the newest', () => {
    const ix = new RowIndex();
    for (let i = 0; i < CONSUMED_TICKETS_REMEMBERED; i++) ix.rememberConsumed(id(i));
    assert.equal(ix.consumed.size, CONSUMED_TICKETS_REMEMBERED);
    ix.rememberConsumed(id(0)); // now the newest: t1 is the oldest
    ix.rememberConsumed(id(-1)); // one over the bound: t1 goes
    ix.rememberConsumed(id(-2)); // and then t2
    assert.equal(ix.consumed.size, CONSUMED_TICKETS_REMEMBERED);
    assert.equal(ix.consumed.has(id(0)), true);
    assert.equal(ix.consumed.has(id(1)), false);
    assert.equal(ix.consumed.has(id(2)), false);
    assert.equal(ix.consumed.has(id(3)), true);
    const order = [...ix.consumed.keys()];
    assert.deepEqual(order.slice(0, 2), [id(3), id(4)]);
    assert.deepEqual(order.slice(-3), [id(0), id(-1), id(-2)]);
    ix.clear();
    assert.equal(ix.consumed.size, 0);
  });
});
