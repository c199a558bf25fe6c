/**
 * The LL PDUs waiting in one direction of a simulated connection (docs/radio-model.md
 * "Connection events", "Loss and retransmission"): fragments of ATT values and control PDUs
 * in a FIFO, the flow-control count and the sends waiting for room.
 *
 * @module
 */

import type { LinkRole } from '../link/types.js';

/**
 * Control PDUs: the LL procedures of the first connection events (feature exchange, data
 * length update), the ATT exchanges of link establishment (docs/radio-model.md "Link
 * establishment") and LL_TERMINATE_IND.
 */
export type ControlKind = 'feature-req' | 'feature-rsp' | 'length-req' | 'length-rsp' | 'att-req' | 'att-rsp' | 'terminate';

export interface Fragment {
  /** LL payload bytes. */
  readonly size: number;
  /** On the last fragment of an application ATT value: the value. */
  readonly value: Uint8Array | undefined;
  /** On a control PDU: which one. */
  readonly control: ControlKind | undefined;
  /** On an ATT establishment PDU: the index of its exchange. */
  readonly step: number;
  /**
   * Sent only in connection events whose anchor is at or after this time (µs). A host's
   * reaction to a PDU of establishment goes out at the next connection event: the event in
   * which the PDU arrived closes with neither side having more data (MD = 0).
   */
  readonly notBeforeUs: number;
  /** Sent at least once. */
  transmitted: boolean;
  /** The peer received it (it may not have acknowledged it yet). */
  received: boolean;
}

/** A FIFO of fragments with O(1) shift. */
export class FragmentQueue {
  #items: Fragment[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  peek(): Fragment | undefined {
    return this.#items[this.#head];
  }

  /** The first fragment the peer has not received yet. */
  firstUnreceived(): Fragment | undefined {
    const first = this.#items[this.#head];
    if (first === undefined || !first.received) return first;
    return this.#items[this.#head + 1];
  }

  push(f: Fragment): void {
    this.#items.push(f);
  }

  shift(): void {
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

export interface SendWaiter {
  readonly packet: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly cleanup: () => void;
}

/** One direction of a connection. */
export class Direction {
  readonly queue = new FragmentQueue();
  /** Application values accepted and not yet delivered (flow control). */
  inFlight = 0;
  readonly waiters: SendWaiter[] = [];
  /** Application values that reached the receiver's radio (the intercept index). */
  arrived = 0;
  constructor(readonly from: LinkRole) {}
}
