/**
 * The LL PDUs waiting in one direction of a simulated connection (docs/radio-model.md
 * "Connection events", "Loss and retransmission"): fragments of ATT values and control PDUs
 * in a FIFO, the flow-control count and the sends waiting for room.
 *
 * @module
 */

import { AbortError } from '../errors.js';
import type { LinkRole } from '../link/types.js';
import { llFragmentSizes } from './airtime.js';

/**
 * Control PDUs: the LL procedures of the first connection events (feature exchange, data
 * length update), the ATT exchanges of link establishment (docs/radio-model.md "Link
 * establishment") and LL_TERMINATE_IND.
 */
export type ControlKind = 'feature-req' | 'feature-rsp' | 'length-req' | 'length-rsp' | 'att-req' | 'att-rsp' | 'terminate';

/** One LL PDU waiting to go (or be acknowledged). */
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

/** A `send()` waiting for room in its direction (flow control). */
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

  /** Queues a control PDU of `l2capBytes` (segmented into LL PDUs like any L2CAP PDU; the last one carries the kind). */
  pushControl(control: ControlKind, l2capBytes: number, maxLlPayloadBytes: number, step: number, notBeforeUs: number): void {
    const max = maxLlPayloadBytes;
    for (let rest = l2capBytes; rest > 0; rest -= max) {
      const last = rest <= max;
      this.queue.push({
        size: Math.min(rest, max),
        value: undefined,
        control: last ? control : undefined,
        step,
        notBeforeUs,
        transmitted: false,
        received: false,
      });
    }
  }

  /** Queues an application value as LL fragments (the last one carries the value); it counts as in flight. */
  pushValue(value: Uint8Array, maxLlPayloadBytes: number): void {
    const sizes = llFragmentSizes(value.length, maxLlPayloadBytes);
    for (let i = 0; i < sizes.length; i++) {
      this.queue.push({
        size: sizes[i],
        value: i === sizes.length - 1 ? value : undefined,
        control: undefined,
        step: 0,
        notBeforeUs: 0,
        transmitted: false,
        received: false,
      });
    }
    this.inFlight += 1;
  }

  /** A send of `packet` (a private copy) that waits in line for room; rejects with `PQBLE_ERR_ABORTED` on `signal`. */
  waitForRoom(packet: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      const waiter: SendWaiter = {
        packet,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
