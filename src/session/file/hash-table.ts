/**
 * An open-addressed hash table of row numbers (docs/store.md "Memory and time"): 64
 * independent shards (chosen by the hash's top 6 bits), each linear probing over one typed
 * array of slot pairs (row + 1, then the full 32-bit hash, side by side so a probe touches one
 * cache line), at most half full, deletion by backward shift (no tombstones). A shard doubles on its own, so growing never rehashes more than about a
 * 64th of the rows at once (a few hundred microseconds at a million entries). The keys live
 * in the rows; the table only knows each row's hash, so callers walk the candidates of a
 * hash ({@link HashTable.first}, {@link HashTable.next}) and compare the keys themselves.
 * Several rows may share a hash (collisions, or a multimap such as the device hints).
 * {@link HashTable.reserve} sizes the shards for a known row count up front (a load sizes
 * them from the file size), so filling the table never regrows it.
 *
 * A slot number is `shard * 2^24 + index` (at most 2^24 slots per shard, 2^30 in all: slot
 * numbers stay small integers, never boxed; a 4 GiB store file holds at most 32 million
 * entries, a table of them 2^20 slots per shard).
 *
 * @module
 */

const SHARD_BITS = 6;
const SHARDS = 1 << SHARD_BITS;
const INDEX_BITS = 24;
const INDEX_MASK = (1 << INDEX_BITS) - 1;
const SHARD_SCALE = 2 ** INDEX_BITS;
const MIN_SHARD_CAPACITY = 64;

class Shard {
  /** Slot `i` is `slots[2i]` = row + 1 (0: empty) and `slots[2i + 1]` = its hash (as int32). */
  slots = new Int32Array(2 * MIN_SHARD_CAPACITY);
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
    for (const s of this.#shards) n += s.slots.byteLength;
    return n;
  }

  /** Slots over all shards. */
  get capacity(): number {
    let n = 0;
    for (const s of this.#shards) n += s.mask + 1;
    return n;
  }

  /**
   * Grows every shard (never shrinks one) so that `rows` rows spread evenly over the shards
   * fit without a further doubling: each shard gets room for its share plus a margin for an
   * uneven spread (hashes are uniform: the blinded ids are AES outputs).
   */
  reserve(rows: number): void {
    if (!(rows > 0)) return;
    const share = rows / SHARDS;
    const perShard = Math.ceil(share + 4 * Math.sqrt(share) + 8);
    let cap = MIN_SHARD_CAPACITY;
    while (cap < 2 * perShard + 2 && cap < SHARD_SCALE) cap *= 2;
    for (const shard of this.#shards) if (shard.mask + 1 < cap) grow(shard, cap);
  }

  /** Adds `row` under `hash` (duplicates are the caller's business). */
  insert(hash: number, row: number): void {
    const h = hash | 0;
    const shard = this.#shards[h >>> (32 - SHARD_BITS)];
    if ((shard.count + 1) * 2 > shard.mask + 1) grow(shard);
    const slots = shard.slots;
    const mask = shard.mask;
    let i = h & mask;
    while (slots[2 * i] !== 0) i = (i + 1) & mask;
    slots[2 * i] = row + 1;
    slots[2 * i + 1] = h;
    shard.count++;
    this.count++;
  }

  /**
   * Like {@link first}, but when no (further) slot holds hash `hash`, returns where the scan
   * stopped instead of -1: `-(slot + 1)` for the empty slot that {@link insertAt} fills
   * without probing again (one walk of the probe run for a lookup and the insert after it).
   */
  seek(hash: number): number {
    const h = hash | 0;
    const s = h >>> (32 - SHARD_BITS);
    return this.#seek(s, h & this.#shards[s].mask, h);
  }

  /** {@link seek} from the slot after `slot` (a slot {@link seek} returned). */
  seekNext(slot: number, hash: number): number {
    const s = slot >>> INDEX_BITS;
    return this.#seek(s, ((slot & INDEX_MASK) + 1) & this.#shards[s].mask, hash | 0);
  }

  #seek(s: number, from: number, h: number): number {
    const slots = this.#shards[s].slots;
    const mask = this.#shards[s].mask;
    let i = from;
    for (; slots[2 * i] !== 0; i = (i + 1) & mask) if (slots[2 * i + 1] === h) return s * SHARD_SCALE + i;
    return -(s * SHARD_SCALE + i) - 1;
  }

  /**
   * Adds `row` under `hash` into the empty slot a {@link seek} of the same hash stopped at
   * (`stop`, its negative result), with no change to the table since; as {@link insert} if
   * the shard must grow first.
   */
  insertAt(stop: number, hash: number, row: number): void {
    const slot = -stop - 1;
    const h = hash | 0;
    const shard = this.#shards[slot >>> INDEX_BITS];
    if ((shard.count + 1) * 2 > shard.mask + 1 || shard !== this.#shards[h >>> (32 - SHARD_BITS)]) {
      this.insert(hash, row);
      return;
    }
    const i = slot & INDEX_MASK;
    shard.slots[2 * i] = row + 1;
    shard.slots[2 * i + 1] = h;
    shard.count++;
    this.count++;
  }

  /** Removes `row` (stored under `hash`); does nothing if it is not there. */
  remove(hash: number, row: number): void {
    const h = hash | 0;
    const shard = this.#shards[h >>> (32 - SHARD_BITS)];
    const slots = shard.slots;
    const mask = shard.mask;
    let i = h & mask;
    while (slots[2 * i] !== 0 && slots[2 * i] !== row + 1) i = (i + 1) & mask;
    if (slots[2 * i] === 0) return;
    // Backward shift: move later members of the probe run into the hole when their home
    // position does not lie (cyclically) in (hole, j].
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (slots[2 * j] === 0) break;
      const home = slots[2 * j + 1] & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      slots[2 * i] = slots[2 * j];
      slots[2 * i + 1] = slots[2 * j + 1];
      i = j;
    }
    slots[2 * i] = 0;
    slots[2 * i + 1] = 0;
    shard.count--;
    this.count--;
  }

  /** The first slot holding a row of hash `hash`, or -1. */
  first(hash: number): number {
    const h = hash | 0;
    const s = h >>> (32 - SHARD_BITS);
    return this.#scan(s, h & this.#shards[s].mask, h);
  }

  /** The slot after `slot` holding a row of hash `hash`, or -1. */
  next(slot: number, hash: number): number {
    const s = slot >>> INDEX_BITS;
    return this.#scan(s, ((slot & INDEX_MASK) + 1) & this.#shards[s].mask, hash | 0);
  }

  /** The row in a slot returned by {@link first} or {@link next}. */
  rowAt(slot: number): number {
    return this.#shards[slot >>> INDEX_BITS].slots[2 * (slot & INDEX_MASK)] - 1;
  }

  #scan(s: number, from: number, h: number): number {
    const shard = this.#shards[s];
    const slots = shard.slots;
    const mask = shard.mask;
    for (let i = from; slots[2 * i] !== 0; i = (i + 1) & mask) if (slots[2 * i + 1] === h) return s * SHARD_SCALE + i;
    return -1;
  }

  /** Empties the table (back to the smallest size). */
  clear(): void {
    this.#shards = Array.from({ length: SHARDS }, () => new Shard());
    this.count = 0;
  }
}

/** Doubles a shard, or grows it to `cap` slots (a power of two); one pass over its slots, the rows are not touched. */
function grow(shard: Shard, cap = 2 * (shard.mask + 1)): void {
  const old = shard.slots;
  const oldCap = old.length >>> 1;
  if (cap > SHARD_SCALE) throw new RangeError('hash table shard is full');
  const slots = new Int32Array(2 * cap);
  const mask = cap - 1;
  for (let k = 0; k < oldCap; k++) {
    const r = old[2 * k];
    if (r === 0) continue;
    const h = old[2 * k + 1];
    let i = h & mask;
    while (slots[2 * i] !== 0) i = (i + 1) & mask;
    slots[2 * i] = r;
    slots[2 * i + 1] = h;
  }
  shard.slots = slots;
  shard.mask = mask;
}
