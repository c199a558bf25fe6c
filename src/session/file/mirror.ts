/**
 * The in-memory copy of the store file's bytes (docs/store.md "Memory and time"): the file
 * as read at open, then every append, in a few large chunks outside the JavaScript heap.
 * Entries are unsealed from it on use, so a lookup never waits for a read. It holds only
 * what the file holds (sealed bodies and blinded ids), never a secret in clear. A record
 * never straddles two chunks (every append lands in one chunk).
 *
 * @module
 */

/** Smallest chunk appends are copied into. */
const ARENA_BYTES = 1024 * 1024;

/** The store file's bytes, by absolute file offset. */
export class FileMirror {
  #starts: number[] = [];
  #chunks: Uint8Array[] = [];
  /** Bytes of the last chunk in use. */
  #tailUsed = 0;
  /** The file size mirrored. */
  size = 0;

  /** A mirror holding `bytes` (kept, not copied) as the file from offset 0. */
  static of(bytes: Uint8Array): FileMirror {
    const m = new FileMirror();
    m.#starts.push(0);
    m.#chunks.push(bytes);
    m.#tailUsed = bytes.length;
    m.size = bytes.length;
    return m;
  }

  /** Bytes held (chunk capacity). */
  get memoryBytes(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.byteLength;
    return n;
  }

  /** Adds `bytes`, written at offset {@link size} of the file. */
  append(bytes: Uint8Array): void {
    const last = this.#chunks.length - 1;
    const tail = last >= 0 ? this.#chunks[last] : undefined;
    if (tail !== undefined && this.#starts[last] + this.#tailUsed === this.size && tail.length - this.#tailUsed >= bytes.length) {
      tail.set(bytes, this.#tailUsed);
      this.#tailUsed += bytes.length;
    } else {
      const chunk = new Uint8Array(Math.max(ARENA_BYTES, bytes.length));
      chunk.set(bytes, 0);
      this.#starts.push(this.size);
      this.#chunks.push(chunk);
      this.#tailUsed = bytes.length;
    }
    this.size += bytes.length;
  }

  /** Adds a chunk as it is (kept, not copied): a buffer of whole records written at {@link size}. */
  appendChunk(bytes: Uint8Array): void {
    this.#starts.push(this.size);
    this.#chunks.push(bytes);
    this.#tailUsed = bytes.length;
    this.size += bytes.length;
  }

  /** Forgets bytes from `size` on (a rolled-back append). */
  truncate(size: number): void {
    while (this.#chunks.length > 0 && this.#starts[this.#chunks.length - 1] >= size) {
      this.#chunks.pop();
      this.#starts.pop();
    }
    const last = this.#chunks.length - 1;
    this.#tailUsed = last >= 0 ? Math.min(this.#chunks[last].length, size - this.#starts[last]) : 0;
    this.size = Math.min(this.size, size);
  }

  /**
   * The chunk holding file offset `offset` and the position in it: the record at `offset`
   * is `chunk[pos, pos + length)`. Throws if the offset is not mirrored.
   */
  locate(offset: number): { readonly chunk: Uint8Array; readonly pos: number } {
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    if (starts.length === 0 || offset < starts[lo] || offset >= this.size) throw new RangeError(`file offset ${offset} is not mirrored`);
    return { chunk: this.#chunks[lo], pos: offset - starts[lo] };
  }
}
