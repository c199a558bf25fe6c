/**
 * Per-side CPU of a connection setup whose two sides share one process and one simulated
 * radio (docs/benchmarks.md "How CPU is measured"). Every row of the benchmark, pqble and
 * TLS alike, is measured with it.
 *
 * The simulated radio runs on a virtual clock that fires one timer per event-loop turn and
 * lets every promise continuation run before the next one; each delivery of an ATT value to
 * a side is one such turn. So the process CPU (`process.cpuUsage()`, user + system) from the
 * start of a turn in which the radio hands a side a packet (or in which the side's own
 * connect/accept call starts) to the start of the next turn is that side's: its whole stack,
 * the packet handler and everything that ran after it (framing, crypto, session store,
 * promise continuations, the replies it queued). Turns in which the radio only moved its
 * own link-layer packets are counted apart (`radioMs`), as a real BLE controller does that
 * work on its own chip.
 *
 * @module
 */

import type { Clock, Timer, TimerOptions } from '../src/clock.js';
import { linkStatsSince } from '../src/link/stats.js';
import type { Link, LinkConnectOptions, LinkEndpoint } from '../src/link/types.js';

/** Which side of the setup a turn belongs to. */
export type SetupSide = 'central' | 'peripheral';

/** CPU totals of one measured window, in ms. */
export interface SideCpuTotals {
  readonly centralMs: number;
  readonly peripheralMs: number;
  /** Turns that belonged to neither side (the radio simulation's own link-layer events). */
  readonly radioMs: number;
}

function nowMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Attributes process CPU to the side whose turn it is (see the module comment). */
export class SideCpuMeter {
  #current: SetupSide | undefined;
  #mark = nowMicros();
  #central = 0;
  #peripheral = 0;
  #radio = 0;
  readonly #links = new Set<() => void>();

  /** @internal A metered link's re-baselining, called by {@link SideCpuMeter.rebaseLinks}; returns the untrack function. */
  track(rebase: () => void): () => void {
    this.#links.add(rebase);
    return () => this.#links.delete(rebase);
  }

  /** Every open metered link starts counting afresh (both sides' links, when the central's link is handed over). */
  rebaseLinks(): void {
    for (const rebase of this.#links) rebase();
  }

  /** Closes the running slice: its CPU goes to the side that owned it (or to the radio). */
  #close(): void {
    const t = nowMicros();
    const used = t - this.#mark;
    this.#mark = t;
    if (this.#current === 'central') this.#central += used;
    else if (this.#current === 'peripheral') this.#peripheral += used;
    else this.#radio += used;
  }

  /** Starts a new turn owned by no side yet (called as each radio timer fires). */
  turn(): void {
    this.#close();
    this.#current = undefined;
  }

  /** The running turn belongs to `side` from here on (a packet is handed to it, or it starts a call). */
  enter(side: SetupSide): void {
    if (this.#current === side) return;
    this.#close();
    this.#current = side;
  }

  /** Zeroes the totals and starts a fresh window owned by no side. */
  reset(): void {
    this.#mark = nowMicros();
    this.#current = undefined;
    this.#central = 0;
    this.#peripheral = 0;
    this.#radio = 0;
  }

  /** Totals since the last {@link SideCpuMeter.reset}, the running slice included. */
  totals(): SideCpuTotals {
    this.#close();
    return { centralMs: this.#central / 1000, peripheralMs: this.#peripheral / 1000, radioMs: this.#radio / 1000 };
  }
}

/**
 * Makes every timer fired by `clock` start a new turn of `meter`. Patches this clock
 * object's `setTimer` (the simulated radio and the transports on it share the object);
 * returns a function that restores it.
 */
export function meterClockTurns(clock: Clock, meter: SideCpuMeter): () => void {
  const own = Object.prototype.hasOwnProperty.call(clock, 'setTimer');
  const original = clock.setTimer.bind(clock);
  const patched = (delayMs: number, fn: () => void, options?: TimerOptions): Timer =>
    original(
      delayMs,
      () => {
        meter.turn();
        fn();
      },
      options,
    );
  (clock as { setTimer: Clock['setTimer'] }).setTimer = patched;
  return () => {
    if (own) (clock as { setTimer: Clock['setTimer'] }).setTimer = original;
    else delete (clock as { setTimer?: Clock['setTimer'] }).setTimer;
  };
}

/**
 * `view` completed with every other member of `target` (its own and its prototypes', such as
 * a link's radio timing or members the interface gains later) as a getter reading the
 * target's, methods bound to it. The wrappers' hot members are plain properties of `view`.
 */
function withRest<T extends object>(target: T, view: Partial<T>): T {
  const names = new Set<PropertyKey>();
  for (let o: object | null = target; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) names.add(key);
  }
  for (const key of names) {
    if (key === 'constructor' || Object.prototype.hasOwnProperty.call(view, key)) continue;
    Object.defineProperty(view, key, {
      enumerable: true,
      get: () => {
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
  return view as T;
}

/**
 * `link` with every callback into its owner (packets, MTU changes, close) marked as
 * `side`'s turn. Its `stats()` count from the moment it was wrapped (once the radio handed
 * the link over) and again at {@link SideCpuMeter.rebaseLinks} (the central's `connect()`
 * through {@link meterEndpoint} calls it when the link is up, after the MTU exchange), so
 * both sides and every row count the same window. Every other member is the link's own.
 */
export function meterLink(link: Link, side: SetupSide, meter: SideCpuMeter): Link {
  let baseline = link.stats();
  const untrack = meter.track(() => {
    baseline = link.stats();
  });
  link.onClose(untrack);
  const mark =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      meter.enter(side);
      fn(...args);
    };
  return withRest<Link>(link, {
    get localDeviceId() {
      return link.localDeviceId;
    },
    get peerDeviceId() {
      return link.peerDeviceId;
    },
    get role() {
      return link.role;
    },
    get attMtu() {
      return link.attMtu;
    },
    get maxPayloadBytes() {
      return link.maxPayloadBytes;
    },
    get isOpen() {
      return link.isOpen;
    },
    send: (packet, options) => link.send(packet, options),
    onPacket: (listener) => link.onPacket(mark(listener)),
    onMtuChange: (listener) => link.onMtuChange(mark(listener)),
    onClose: (listener) => link.onClose(mark(listener)),
    close: () => link.close(),
    stats: () => linkStatsSince(link.stats(), baseline),
  });
}

/** `endpoint` whose links (made by `connect()` or handed to `onIncoming` listeners) are metered as `side`. */
export function meterEndpoint(endpoint: LinkEndpoint, side: SetupSide, meter: SideCpuMeter): LinkEndpoint {
  return withRest<LinkEndpoint>(endpoint, {
    get deviceId() {
      return endpoint.deviceId;
    },
    get clock() {
      return endpoint.clock;
    },
    close: () => endpoint.close(),
    connect: async (peerDeviceId: string, options?: LinkConnectOptions) => {
      const link = await endpoint.connect(peerDeviceId, options);
      meter.enter(side);
      const metered = meterLink(link, side, meter);
      meter.rebaseLinks();
      return metered;
    },
    onIncoming: (listener) =>
      endpoint.onIncoming((link) => {
        meter.enter(side);
        listener(meterLink(link, side, meter));
      }),
  });
}
