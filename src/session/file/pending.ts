/**
 * The bodies of entries not yet written (docs/store.md "Memory and time"): each is
 * `deviceId(6) || outbound(32) || inboundSecret(32)` in clear, kept from the change that made
 * it until its record is in the file and its mirror, in slots of big pages outside the
 * JavaScript heap (no object per entry). Freed slots are wiped.
 *
 * @module
 */

import { ENTRY_PLAIN_BYTES } from './format.js';

const SLOTS_PER_PAGE = 4096;
const SLOT_SHIFT = 12;
const SLOT_MASK = SLOTS_PER_PAGE - 1;

/** Slots of {@link ENTRY_PLAIN_BYTES} bytes. */
export class PendingBodies {
  readonly #pages: Buffer[] = [];
  #free = new Int32Array(256);
  #freeCount = 0;
  #highWater = 0;
  /** Slots in use. */
  count = 0;

  /** A new slot (its bytes are zero). */
  alloc(): number {
    let slot: number;
    if (this.#freeCount > 0) slot = this.#free[--this.#freeCount];
    else {
      slot = this.#highWater++;
      if (slot >>> SLOT_SHIFT >= this.#pages.length) this.#pages.push(Buffer.alloc(SLOTS_PER_PAGE * ENTRY_PLAIN_BYTES));
    }
    this.count++;
    return slot;
  }

  /** The page and byte offset of a slot (to write into it or copy out of it without a view). */
  at(slot: number): { readonly page: Buffer; readonly offset: number } {
    return { page: this.#pages[slot >>> SLOT_SHIFT], offset: (slot & SLOT_MASK) * ENTRY_PLAIN_BYTES };
  }

  /** The page of a slot. */
  page(slot: number): Buffer {
    return this.#pages[slot >>> SLOT_SHIFT];
  }

  /** The byte offset of a slot in its page. */
  offset(slot: number): number {
    return (slot & SLOT_MASK) * ENTRY_PLAIN_BYTES;
  }

  /** Wipes and frees a slot. */
  free(slot: number): void {
    const o = this.offset(slot);
    this.page(slot).fill(0, o, o + ENTRY_PLAIN_BYTES);
    if (this.#freeCount === this.#free.length) {
      const next = new Int32Array(this.#free.length * 2);
      next.set(this.#free);
      this.#free = next;
    }
    this.#free[this.#freeCount++] = slot;
    this.count--;
  }

  /** Wipes everything. */
  wipe(): void {
    for (const p of this.#pages) p.fill(0);
    this.#pages.length = 0;
    this.#freeCount = 0;
    this.#highWater = 0;
    this.count = 0;
  }
}
