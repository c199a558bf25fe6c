/**
 * The connection-event engine of one simulated connection (docs/radio-model.md "Connection
 * events", "Loss and retransmission", "Several connections per device").
 *
 * It walks connection events in time: at each anchor the central sends one LL PDU (data,
 * control or empty), T_IFS later the peripheral answers with one, and pairs follow while
 * either side has data and the next pair still ends T_IFS before the next anchor (the first
 * pair of an event always runs). Every LL PDU is a timer on the radio's clock at the moment
 * its last bit arrives. Acknowledgement follows the LL's SN/NESN rule: a PDU is acked by the
 * peer's next PDU, so a lost PDU, or a lost acknowledgement, makes the sender send it again
 * at the next event. Idle links schedule nothing. What a received PDU means is the
 * connection's business (./connection.ts): the engine hands each fragment over once.
 *
 * @module
 */

import type { Clock, Timer } from '../clock.js';
import type { LinkRole } from '../link/types.js';
import { llPacketAirtimeUs, llPacketBytesOnAir, T_IFS_US, type Phy } from './airtime.js';
import type { MutableLinkStats, RadioCounters } from './counters.js';
import { transmitWindowDelayUs } from './establishment.js';
import type { Direction, Fragment } from './fragment-queue.js';
import type { ResolvedFaults, ResolvedRadioOptions } from './options.js';
import type { Prng } from './prng.js';

/** What the engine needs from its radio. */
export interface EventContext {
  readonly clock: Clock;
  readonly options: ResolvedRadioOptions;
  readonly counters: RadioCounters;
  /** The faults in force now. */
  faults(): ResolvedFaults;
}

/** How another connection of a shared device uses the radio (what the engine defers to). */
export interface RadioShare {
  /** True while one of its connection events runs. */
  readonly eventRunning: boolean;
  /** The anchor of its next scheduled event (µs), if one is scheduled. */
  readonly scheduledAnchorUs: number | undefined;
  /** The end of its last event, µs. */
  readonly busyUntilUs: number;
  /** Events it missed in a row because the radio served another connection. */
  readonly skipStreak: number;
}

/** The connection the engine works for. */
export interface EventHost {
  /**
   * A fragment reached its receiver for the first time. Returns false if the connection
   * stopped (closed or silent) as a consequence.
   */
  onFragment(dir: Direction, frag: Fragment): boolean;
  /** A side heard nothing for the supervision timeout: the connection is lost. */
  supervisionTimeout(): void;
  /** The other open connections that share a device (and so its radio) with this one. */
  sharing(): Iterable<RadioShare>;
}

/** Parameters of a new {@link ConnectionEvents}. */
export interface ConnectionEventsParams {
  readonly ctx: EventContext;
  /** Loss decisions and the first anchor's point in the transmit window. */
  readonly prng: Prng;
  /** Central to peripheral. */
  readonly c2p: Direction;
  /** Peripheral to central. */
  readonly p2c: Direction;
  /** The per-end counters the engine adds on-air bytes and airtime to. */
  readonly stats: Readonly<Record<LinkRole, MutableLinkStats>>;
  readonly host: EventHost;
}

/** Schedules and runs the connection events of one connection (see the module header). */
export class ConnectionEvents implements RadioShare {
  readonly #ctx: EventContext;
  readonly #host: EventHost;
  readonly #prng: Prng;
  readonly #stats: Readonly<Record<LinkRole, MutableLinkStats>>;
  readonly #phy: Phy;
  readonly #intervalUs: number;
  readonly #supervisionUs: number;
  readonly #c2p: Direction;
  readonly #p2c: Direction;
  /** stop() was called: the connection went silent or closed. */
  #stopped = false;
  #timer: Timer | undefined;
  #inEvent = false;
  #firstPair = false;
  #eventAnchorUs = 0;
  readonly #anchor0Us: number;
  #lastAnchorUs: number;
  #busyUntilUs = 0;
  readonly #lastRxUs: Record<LinkRole, number>;
  /** The anchor of the scheduled (not yet started) connection event, µs. */
  #scheduledAnchorUs: number | undefined;
  /** Events missed in a row because the radio served another connection. */
  #skipStreak = 0;

  /** Created when the connect request ended (the clock's now). Schedules nothing until {@link kick}. */
  constructor(params: ConnectionEventsParams) {
    const ctx = params.ctx;
    this.#ctx = ctx;
    this.#host = params.host;
    this.#prng = params.prng;
    this.#stats = params.stats;
    this.#c2p = params.c2p;
    this.#p2c = params.p2c;
    const o = ctx.options;
    this.#phy = o.phy;
    this.#intervalUs = Math.round(o.connectionIntervalMs * 1000);
    this.#supervisionUs = Math.round(o.supervisionTimeoutMs * 1000);
    // The connect request ended now. The first anchor lies in the transmit window:
    // transmitWindowDelay + transmitWindowOffset, plus a point the central picks in
    // transmitWindowSize. Event 0 carries the central's LL_FEATURE_REQ and the
    // peripheral's LL_LENGTH_REQ, event 1 their responses; the ATT exchanges follow, one
    // PDU per side per event.
    const now = this.#nowUs();
    const windowUs = Math.round(o.transmitWindowSizeMs * 1000);
    this.#anchor0Us = now + transmitWindowDelayUs(this.#phy) + Math.round(o.transmitWindowOffsetMs * 1000) + Math.floor(params.prng() * windowUs);
    this.#lastAnchorUs = this.#anchor0Us - 1;
    this.#lastRxUs = { central: now, peripheral: now };
  }

  /** True while a connection event of this connection runs. */
  get eventRunning(): boolean {
    return this.#inEvent;
  }

  /** The anchor of this connection's next scheduled event (µs), if one is scheduled. */
  get scheduledAnchorUs(): number | undefined {
    return this.#scheduledAnchorUs;
  }

  /** The end of this connection's last event, µs. */
  get busyUntilUs(): number {
    return this.#busyUntilUs;
  }

  /** Events missed in a row because a shared radio served another connection. */
  get skipStreak(): number {
    return this.#skipStreak;
  }

  /** The anchor of the current (or last) connection event, µs. */
  get eventAnchorUs(): number {
    return this.#eventAnchorUs;
  }

  /** Stops for good (the link went silent or closed): cancels the pending PDU or event, schedules nothing more. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#scheduledAnchorUs = undefined;
    this.#inEvent = false;
  }

  #nowUs(): number {
    return Math.round(this.#ctx.clock.now() * 1000);
  }

  #running(): boolean {
    return !this.#stopped;
  }

  #at(us: number, fn: () => void): void {
    this.#timer = this.#ctx.clock.setTimer(
      us / 1000 - this.#ctx.clock.now(),
      () => {
        this.#timer = undefined;
        fn();
      },
      { ref: true },
    );
  }

  /** Anything the peer has not received yet, or a central PDU still unacknowledged. */
  #hasWork(): boolean {
    return this.#c2p.queue.length > 0 || this.#p2c.queue.firstUnreceived() !== undefined;
  }

  /** May `frag` go in the current event? */
  #eligible(frag: Fragment | undefined): frag is Fragment {
    return frag !== undefined && frag.notBeforeUs <= this.#eventAnchorUs;
  }

  /** Work that may go in the current event (keeps the event going). */
  #hasEventWork(): boolean {
    return this.#eligible(this.#c2p.queue.peek()) || this.#eligible(this.#p2c.queue.firstUnreceived());
  }

  /**
   * The latest time the current event may last to: its next anchor, or earlier the anchor
   * of another connection of the same device (its radio serves one connection at a time,
   * so the controller ends this event to keep the other one's).
   */
  #eventLimitUs(): number {
    let limit = this.#eventAnchorUs + this.#intervalUs;
    for (const other of this.#host.sharing()) {
      const a = other.scheduledAnchorUs;
      if (a !== undefined && a > this.#eventAnchorUs && a < limit) limit = a;
    }
    return limit;
  }

  /**
   * Another connection of a device of this one is using the radio at `us`, or one that
   * missed its last event has an anchor inside this event's first pair (it goes first:
   * links whose anchors nearly coincide take turns instead of one starving the other).
   */
  #radioBusy(us: number): boolean {
    const c = this.#c2p.queue.peek();
    const p = this.#p2c.queue.firstUnreceived();
    const firstPairUs = this.#airUs(this.#eligible(c) ? c.size : 0) + T_IFS_US + this.#airUs(this.#eligible(p) ? p.size : 0) + T_IFS_US;
    for (const other of this.#host.sharing()) {
      if (other.eventRunning || other.busyUntilUs > us) return true;
      const a = other.scheduledAnchorUs;
      if (a !== undefined && a >= us && a < us + firstPairUs && other.skipStreak > this.#skipStreak) return true;
    }
    return false;
  }

  /** Schedules the next connection event if there is work and nothing is scheduled. */
  kick(): void {
    if (!this.#running() || this.#inEvent || this.#timer !== undefined || !this.#hasWork()) return;
    const earliest = Math.max(this.#nowUs(), this.#busyUntilUs, this.#lastAnchorUs + 1);
    const k = Math.max(0, Math.ceil((earliest - this.#anchor0Us) / this.#intervalUs));
    const anchor = this.#anchor0Us + k * this.#intervalUs;
    this.#scheduledAnchorUs = anchor;
    this.#at(anchor, () => {
      this.#scheduledAnchorUs = undefined;
      this.#startEvent(anchor);
    });
  }

  #startEvent(anchorUs: number): void {
    if (!this.#running()) return;
    this.#eventAnchorUs = anchorUs;
    if (this.#radioBusy(anchorUs)) {
      // The radio is serving another connection: this event is missed (the peer listens
      // and hears nothing); try at the next anchor.
      this.#lastAnchorUs = anchorUs;
      this.#skipStreak += 1;
      this.#ctx.counters.skippedEvents += 1;
      this.kick();
      return;
    }
    this.#skipStreak = 0;
    this.#inEvent = true;
    this.#firstPair = true;
    this.#lastAnchorUs = anchorUs;
    this.#centralTx(anchorUs);
  }

  #endEvent(endUs: number): void {
    this.#inEvent = false;
    this.#busyUntilUs = endUs;
    this.kick();
  }

  #airUs(size: number): number {
    return llPacketAirtimeUs(this.#phy, size);
  }

  #transmit(from: LinkRole, frag: Fragment | undefined): void {
    const size = frag?.size ?? 0;
    const air = this.#airUs(size);
    const bytes = llPacketBytesOnAir(this.#phy, size);
    const s = this.#stats[from];
    s.bytesOnAirSent += bytes;
    s.airtimeSentUs += air;
    const c = this.#ctx.counters;
    if (from === 'central') {
      c.bytesOnAirC2P += bytes;
      c.airtimeC2PUs += air;
    } else {
      c.bytesOnAirP2C += bytes;
      c.airtimeP2CUs += air;
    }
    c.llPackets += 1;
    if (frag === undefined) c.emptyPackets += 1;
    else if (frag.transmitted) c.retransmissions += 1;
    if (frag !== undefined) frag.transmitted = true;
  }

  #lost(): boolean {
    const rate = this.#ctx.faults().packetLossRate;
    if (rate <= 0) return false;
    const lost = rate >= 1 || this.#prng() < rate;
    if (lost) this.#ctx.counters.lostPackets += 1;
    return lost;
  }

  #received(to: LinkRole, size: number, atUs: number): void {
    const s = this.#stats[to];
    s.bytesOnAirReceived += llPacketBytesOnAir(this.#phy, size);
    s.airtimeReceivedUs += this.#airUs(size);
    this.#lastRxUs[to] = atUs;
  }

  /** A side heard nothing: end the event, or time out if it has been too long. */
  #missed(listener: LinkRole, atUs: number): void {
    if (atUs - this.#lastRxUs[listener] >= this.#supervisionUs) {
      this.#host.supervisionTimeout();
      return;
    }
    this.#endEvent(atUs);
  }

  #centralTx(t: number): void {
    if (!this.#running()) return;
    const head = this.#c2p.queue.peek();
    const frag = this.#eligible(head) ? head : undefined;
    const cAir = this.#airUs(frag?.size ?? 0);
    if (!this.#firstPair && !this.#pairFits(t)) {
      this.#endEvent(t - T_IFS_US);
      return;
    }
    this.#transmit('central', frag);
    const lost = this.#lost();
    const end = t + cAir;
    this.#at(end, () => this.#peripheralRx(end, frag, lost));
  }

  #peripheralRx(t: number, frag: Fragment | undefined, lost: boolean): void {
    if (!this.#running()) return;
    if (lost) {
      this.#missed('peripheral', t);
      return;
    }
    this.#received('peripheral', frag?.size ?? 0, t);
    // The central's PDU acknowledges the peripheral's previous one, if the central got it.
    if (this.#p2c.queue.peek()?.received === true) this.#p2c.queue.shift();
    if (frag !== undefined && !frag.received) {
      frag.received = true;
      if (!this.#host.onFragment(this.#c2p, frag) || !this.#running()) return;
    }
    const start = t + T_IFS_US;
    const pHead = this.#p2c.queue.peek();
    let pFrag = this.#eligible(pHead) ? pHead : undefined;
    if (pFrag !== undefined && !this.#firstPair && start + this.#airUs(pFrag.size) + T_IFS_US > this.#eventLimitUs()) {
      pFrag = undefined; // no time left in this event: answer with an empty PDU
    }
    this.#transmit('peripheral', pFrag);
    const pLost = this.#lost();
    const end = start + this.#airUs(pFrag?.size ?? 0);
    this.#at(end, () => this.#centralRx(end, pFrag, pLost));
  }

  #centralRx(t: number, frag: Fragment | undefined, lost: boolean): void {
    if (!this.#running()) return;
    if (lost) {
      this.#missed('central', t);
      return;
    }
    this.#received('central', frag?.size ?? 0, t);
    // The peripheral's PDU acknowledges the central's, which the peripheral received.
    if (this.#c2p.queue.peek()?.received === true) this.#c2p.queue.shift();
    if (frag !== undefined && !frag.received) {
      frag.received = true;
      if (!this.#host.onFragment(this.#p2c, frag) || !this.#running()) return;
    }
    this.#firstPair = false;
    // The central decides now whether another pair follows, so that a closing event frees
    // the next anchor at once.
    const next = t + T_IFS_US;
    if (this.#hasEventWork() && this.#pairFits(next)) {
      this.#at(next, () => this.#centralTx(next));
    } else {
      this.#endEvent(t);
    }
  }

  /** A pair (and the T_IFS after it) starting at `startUs` ends by the event's limit. */
  #pairFits(startUs: number): boolean {
    const c = this.#c2p.queue.peek();
    const p = this.#p2c.queue.firstUnreceived();
    const cAir = this.#airUs(this.#eligible(c) ? c.size : 0);
    const pAir = this.#airUs(this.#eligible(p) ? p.size : 0);
    return startUs + cAir + T_IFS_US + pAir + T_IFS_US <= this.#eventLimitUs();
  }
}
