/**
 * An open-addressed hash table of row numbers (docs/store.md "Memory and time"): 64
 * independent shards (chosen by the hash's top 6 bits), each linear probing over two typed
 * arrays (the row, and its full 32-bit hash), at most half full, deletion by backward shift
 * (no tombstones). A shard doubles on its own, so growing never rehashes more than about a
 * 64th of the rows at once (a few hundred microseconds at a million entries). The keys live
 * in the rows; the table only knows each row's hash, so callers walk the candidates of a
 * hash ({@link HashTable.first}, {@link HashTable.next}) and compare the keys themselves.
 * Several rows may share a hash (collisions, or a multimap such as the device hints).
 *
 * A slot number is `shard * 2^26 + index` (at most 2^26 slots per shard).
 *
 * @module
 */

const SHARD_BITS = 6;
const SHARDS = 1 << SHARD_BITS;
const INDEX_BITS = 26;
const INDEX_MASK = (1 << INDEX_BITS) - 1;
const SHARD_SCALE = 2 ** INDEX_BITS;
const MIN_SHARD_CAPACITY = 64;

class Shard {
  /** row + 1, or 0 for an empty slot. */
  rows = new Int32Array(MIN_SHARD_CAPACITY);
  hashes = new Uint32Array(MIN_SHARD_CAPACITY);
  mask = MIN_SHARD_CAPACITY - 1;
  count = 0;
}

/** Row numbers by 32-bit hash, in typed arrays. */
export class HashTable {
  #shards: Shard[] = Array.from({ length: SHARDS }, () => new Shard());
  /** Rows in the table. */
  count = 0;

  /** Bytes of the arrays. */
  get memoryBytes(): number {
    let n = 0;
    for (const s of this.#shards) n += s.rows.byteLength + s.hashes.byteLength;
    return n;
  }

  /** Slots over all shards. */
  get capacity(): number {
    let n = 0;
    for (const s of this.#shards) n += s.mask + 1;
    return n;
  }

  /** Adds `row` under `hash` (duplicates are the caller's business). */
  insert(hash: number, row: number): void {
    const h = hash >>> 0;
    const shard = this.#shards[h >>> (32 - SHARD_BITS)];
    if ((shard.count + 1) * 2 > shard.mask + 1) grow(shard);
    const rows = shard.rows;
    const mask = shard.mask;
    let i = h & mask;
    while (rows[i] !== 0) i = (i + 1) & mask;
    rows[i] = row + 1;
    shard.hashes[i] = h;
    shard.count++;
    this.count++;
  }

  /** Removes `row` (stored under `hash`); does nothing if it is not there. */
  remove(hash: number, row: number): void {
    const h = hash >>> 0;
    const shard = this.#shards[h >>> (32 - SHARD_BITS)];
    const rows = shard.rows;
    const hashes = shard.hashes;
    const mask = shard.mask;
    let i = h & mask;
    while (rows[i] !== 0 && rows[i] !== row + 1) i = (i + 1) & mask;
    if (rows[i] === 0) return;
    // Backward shift: move later members of the probe run into the hole when their home
    // position does not lie (cyclically) in (hole, j].
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (rows[j] === 0) break;
      const home = hashes[j] & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      rows[i] = rows[j];
      hashes[i] = hashes[j];
      i = j;
    }
    rows[i] = 0;
    hashes[i] = 0;
    shard.count--;
    this.count--;
  }

  /** The first slot holding a row of hash `hash`, or -1. */
  first(hash: number): number {
    const h = hash >>> 0;
    const s = h >>> (32 - SHARD_BITS);
    return this.#scan(s, h & this.#shards[s].mask, h);
  }

  /** The slot after `slot` holding a row of hash `hash`, or -1. */
  next(slot: number, hash: number): number {
    const s = slot >>> INDEX_BITS;
    return this.#scan(s, ((slot & INDEX_MASK) + 1) & this.#shards[s].mask, hash >>> 0);
  }

  /** The row in a slot returned by {@link first} or {@link next}. */
  rowAt(slot: number): number {
    return this.#shards[slot >>> INDEX_BITS].rows[slot & INDEX_MASK] - 1;
  }

  #scan(s: number, from: number, h: number): number {
    const shard = this.#shards[s];
    const rows = shard.rows;
    const hashes = shard.hashes;
    const mask = shard.mask;
    for (let i = from; rows[i] !== 0; i = (i + 1) & mask) if (hashes[i] === h) return s * SHARD_SCALE + i;
    return -1;
  }

  /** Empties the table (back to the smallest size). */
  clear(): void {
    this.#shards = Array.from({ length: SHARDS }, () => new Shard());
    this.count = 0;
  }
}

/** Doubles a shard (one pass over its arrays; the rows are not touched). */
function grow(shard: Shard): void {
  const oldRows = shard.rows;
  const oldHashes = shard.hashes;
  const cap = oldRows.length * 2;
  if (cap > SHARD_SCALE) throw new RangeError('hash table shard is full');
  const rows = new Int32Array(cap);
  const hashes = new Uint32Array(cap);
  const mask = cap - 1;
  for (let k = 0; k < oldRows.length; k++) {
    const r = oldRows[k];
    if (r === 0) continue;
    const h = oldHashes[k];
    let i = h & mask;
    while (rows[i] !== 0) i = (i + 1) & mask;
    rows[i] = r;
    hashes[i] = h;
  }
  shard.rows = rows;
  shard.hashes = hashes;
  shard.mask = mask;
}
