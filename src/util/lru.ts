/**
 * A map that keeps its keys in least-recently-used order with a doubly linked list
 * (lookup, touch, insert and evict O(1)).
 *
 * A plain `Map` used as an LRU (delete + set to move a key to the end, `keys().next()` for
 * the oldest) is O(1) on paper only: V8 leaves a deleted slot behind for every delete, and
 * `keys().next()` walks over all of them until the table is rebuilt, so eviction under
 * steady touching degrades towards O(n). Here every operation is a few pointer updates.
 *
 * @module
 */

interface Node<V> {
  readonly key: string;
  value: V;
  prev: Node<V> | undefined;
  next: Node<V> | undefined;
}

/** String-keyed map in LRU order: `set` makes the key the most recently used. */
export class LruMap<V> {
  readonly #nodes = new Map<string, Node<V>>();
  /** Least recently used. */
  #head: Node<V> | undefined;
  /** Most recently used. */
  #tail: Node<V> | undefined;

  /** Number of keys. */
  get size(): number {
    return this.#nodes.size;
  }

  /** The value of `key` (its position does not change). */
  get(key: string): V | undefined {
    return this.#nodes.get(key)?.value;
  }

  /** True if `key` is in the map (its position does not change). */
  has(key: string): boolean {
    return this.#nodes.has(key);
  }

  /** Inserts or replaces `key`'s value and makes it the most recently used. */
  set(key: string, value: V): void {
    let node = this.#nodes.get(key);
    if (node === undefined) {
      node = { key, value, prev: undefined, next: undefined };
      this.#nodes.set(key, node);
    } else {
      node.value = value;
      if (node === this.#tail) return;
      this.#unlink(node);
    }
    node.prev = this.#tail;
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
  }

  /** Removes `key`; returns true if it was there. */
  delete(key: string): boolean {
    const node = this.#nodes.get(key);
    if (node === undefined) return false;
    this.#unlink(node);
    this.#nodes.delete(key);
    return true;
  }

  /** The least recently used value. */
  oldest(): V | undefined {
    return this.#head?.value;
  }

  /** The least recently used key. */
  oldestKey(): string | undefined {
    return this.#head?.key;
  }

  /** Removes everything. */
  clear(): void {
    this.#nodes.clear();
    this.#head = undefined;
    this.#tail = undefined;
  }

  /** Values from least to most recently used. Do not change the map while iterating. */
  *values(): IterableIterator<V> {
    for (let node = this.#head; node !== undefined; node = node.next) yield node.value;
  }

  /** Keys from least to most recently used. Do not change the map while iterating. */
  *keys(): IterableIterator<string> {
    for (let node = this.#head; node !== undefined; node = node.next) yield node.key;
  }

  /** `[key, value]` pairs from least to most recently used. Do not change the map while iterating. */
  *entries(): IterableIterator<[string, V]> {
    for (let node = this.#head; node !== undefined; node = node.next) yield [node.key, node.value];
  }

  #unlink(node: Node<V>): void {
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
  }
}
