/**
 * An open-addressed hash table of row numbers (docs/store.md "Memory and time"): linear
 * probing over two typed arrays (the row, and its full 32-bit hash), at most half full,
 * deletion by backward shift (no tombstones). The keys live in the rows; the table only
 * knows each row's hash, so callers walk the candidates of a hash ({@link HashTable.first},
 * {@link HashTable.next}) and compare the keys themselves. Several rows may share a hash
 * (collisions, or a multimap such as the device hints).
 *
 * @module
 */

const MIN_CAPACITY = 1024;

/** Row numbers by 32-bit hash, in typed arrays. */
export class HashTable {
  /** row + 1, or 0 for an empty slot. */
  #rows = new Int32Array(MIN_CAPACITY);
  #hashes = new Uint32Array(MIN_CAPACITY);
  #mask = MIN_CAPACITY - 1;
  /** Rows in the table. */
  count = 0;

  /** Bytes of the two arrays. */
  get memoryBytes(): number {
    return this.#rows.byteLength + this.#hashes.byteLength;
  }

  /** Slots (a power of two). */
  get capacity(): number {
    return this.#mask + 1;
  }

  /** Adds `row` under `hash` (duplicates are the caller's business). */
  insert(hash: number, row: number): void {
    if ((this.count + 1) * 2 > this.#mask + 1) this.#grow();
    const h = hash >>> 0;
    const rows = this.#rows;
    const mask = this.#mask;
    let i = h & mask;
    while (rows[i] !== 0) i = (i + 1) & mask;
    rows[i] = row + 1;
    this.#hashes[i] = h;
    this.count++;
  }

  /** Removes `row` (stored under `hash`); does nothing if it is not there. */
  remove(hash: number, row: number): void {
    const h = hash >>> 0;
    const rows = this.#rows;
    const hashes = this.#hashes;
    const mask = this.#mask;
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
    this.count--;
  }

  /** The first slot holding a row of hash `hash`, or -1. */
  first(hash: number): number {
    const h = hash >>> 0;
    return this.#scan(h & this.#mask, h);
  }

  /** The slot after `slot` holding a row of hash `hash`, or -1. */
  next(slot: number, hash: number): number {
    return this.#scan((slot + 1) & this.#mask, hash >>> 0);
  }

  /** The row in a slot returned by {@link first} or {@link next}. */
  rowAt(slot: number): number {
    return this.#rows[slot] - 1;
  }

  #scan(from: number, h: number): number {
    const rows = this.#rows;
    const hashes = this.#hashes;
    const mask = this.#mask;
    for (let i = from; rows[i] !== 0; i = (i + 1) & mask) if (hashes[i] === h) return i;
    return -1;
  }

  /** Doubles the table (one pass over the typed arrays; the rows are not touched). */
  #grow(): void {
    const oldRows = this.#rows;
    const oldHashes = this.#hashes;
    const cap = oldRows.length * 2;
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
    this.#rows = rows;
    this.#hashes = hashes;
    this.#mask = mask;
  }

  /** Empties the table (back to the smallest size). */
  clear(): void {
    this.#rows = new Int32Array(MIN_CAPACITY);
    this.#hashes = new Uint32Array(MIN_CAPACITY);
    this.#mask = MIN_CAPACITY - 1;
    this.count = 0;
  }
}
