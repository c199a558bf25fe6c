/**
 * Call order of one fleet store (docs/fleet.md "Ordering"). Every call is one command on one
 * connection, so Redis runs them in the order they were made, except a ratchet that must
 * read the entry before its compare-and-set: while such a read is out, later calls wait and
 * are sent, in order, right after the ratchet's compare-and-set.
 *
 * @module
 */

/** Orders calls around ratchets that read before they write. */
export class CallOrder {
  #pending = 0;
  #gate: Promise<void> = Promise.resolve();

  /** Resolves when a call made now may send its command (at once unless a ratchet is reading). */
  async turn(): Promise<void> {
    if (this.#pending > 0) await this.#gate;
  }

  /**
   * A ratchet's place in line: `ready` resolves when it may start; call `release()` once its
   * compare-and-set is sent (or it gave up). Later calls wait until then.
   */
  hold(): { ready: Promise<void>; release: () => void } {
    const before = this.#pending > 0 ? this.#gate : Promise.resolve();
    let open!: () => void;
    this.#gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.#pending++;
    let released = false;
    return {
      ready: before,
      release: () => {
        if (released) return;
        released = true;
        this.#pending--;
        open();
      },
    };
  }
}
