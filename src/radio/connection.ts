/**
 * One simulated BLE connection and its two {@link Link} ends (docs/radio-model.md
 * "Connection events", "Loss and retransmission", "Closing"; the link seam in
 * src/link/types.ts).
 *
 * The engine walks connection events in time: at each anchor the central sends one LL PDU
 * (data, control or empty), T_IFS later the peripheral answers with one, and pairs follow
 * while either side has data and the next pair still ends T_IFS before the next anchor (the
 * first pair of an event always runs). Every LL PDU is a timer on the radio's clock at the
 * moment its last bit arrives. Acknowledgement follows the LL's SN/NESN rule: a PDU is acked
 * by the peer's next PDU, so a lost PDU, or a lost acknowledgement, makes the sender send it
 * again at the next event. Idle links schedule nothing.
 *
 * @module
 */

import type { Clock, Timer } from '../clock.js';
import { AbortError, LinkError, codedError, type LinkErrorCode, type PqbleError, type PqbleErrorCode } from '../errors.js';
import { LinkEndCore, MAX_BUFFERED_PACKETS, reportListenerError } from '../link/link-end.js';
import type { Link, LinkRole, LinkSendOptions, LinkStats, LinkTiming } from '../link/types.js';
import { LL_MAX_PAYLOAD_LEGACY, llFragmentSizes, llPacketAirtimeUs, llPacketBytesOnAir, T_IFS_US, type Phy } from './airtime.js';
import { attPduL2capBytes, gattSetupExchanges, LL_CONTROL_PROCEDURE_BYTES, transmitWindowDelayUs, type AttExchange } from './establishment.js';
import { checkOptionKeys } from '../util/options.js';
import type { ResolvedFaults, ResolvedRadioOptions } from './options.js';
import type { Prng } from './prng.js';
import type { InterceptVerdict, RadioStats, SimulatedLinkInfo } from './types.js';

// Packets held for a link with no packet listener before it fails with `PQBLE_ERR_QUEUE_FULL`.
export { MAX_BUFFERED_PACKETS } from '../link/link-end.js';

/** LL payload of LL_TERMINATE_IND: opcode + error code. */
const TERMINATE_PDU_BYTES = 2;

/**
 * Control PDUs: the LL procedures of the first connection events (feature exchange, data
 * length update), the ATT exchanges of link establishment (docs/radio-model.md "Link
 * establishment") and LL_TERMINATE_IND.
 */
type ControlKind = 'feature-req' | 'feature-rsp' | 'length-req' | 'length-rsp' | 'att-req' | 'att-rsp' | 'terminate';

interface Fragment {
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
class FragmentQueue {
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

interface SendWaiter {
  readonly packet: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly cleanup: () => void;
}

/** One direction of a connection. */
class Direction {
  readonly queue = new FragmentQueue();
  /** Application values accepted and not yet delivered (flow control). */
  inFlight = 0;
  readonly waiters: SendWaiter[] = [];
  /** Application values that reached the receiver's radio (the intercept index). */
  arrived = 0;
  constructor(readonly from: LinkRole) {}
}

interface MutableLinkStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  bytesOnAirSent: number;
  bytesOnAirReceived: number;
  airtimeSentUs: number;
  airtimeReceivedUs: number;
}

/** The state of one end of a connection. */
interface Side {
  readonly role: LinkRole;
  readonly link: SimulatedLink;
  /** Accepts sends (false after a local close or once the link closed). */
  open: boolean;
  /** onClose has been decided (fired or queued). */
  closed: boolean;
  reason: PqbleError | undefined;
  /** Inbound buffering and the packet and close listeners (shared with the adapters' links). */
  readonly end: LinkEndCore;
  readonly stats: MutableLinkStats;
  closePromise: Promise<void> | undefined;
}

/** Mutable radio-wide counters (the source of {@link RadioStats}). */
export interface RadioCounters {
  linksOpened: number;
  linksOpen: number;
  bytesOnAirC2P: number;
  bytesOnAirP2C: number;
  airtimeC2PUs: number;
  airtimeP2CUs: number;
  llPackets: number;
  emptyPackets: number;
  retransmissions: number;
  lostPackets: number;
  attPackets: number;
  attBytes: number;
  skippedEvents: number;
}

/** What a connection needs from its radio. */
export interface ConnectionContext {
  readonly clock: Clock;
  readonly options: ResolvedRadioOptions;
  readonly counters: RadioCounters;
  /** The faults in force now. */
  faults(): ResolvedFaults;
  /** The other open connections that share a device (and so its radio) with `conn`. */
  sharing(conn: Connection): Iterable<Connection>;
}

/** Parameters of a new {@link Connection}. */
export interface ConnectionParams {
  readonly id: number;
  readonly ctx: ConnectionContext;
  readonly centralDeviceId: string;
  readonly peripheralDeviceId: string;
  readonly attMtu: number;
  readonly maxLlPayloadBytes: number;
  readonly prng: Prng;
  /** Clock time of the central's `connect()` call, µs (the start of link establishment). */
  readonly connectRequestedAtUs: number;
  /** The central has the peripheral's GATT database cached (docs/radio-model.md "Link establishment"). */
  readonly gattCached: boolean;
  /** The packet-size policy the link offers (`Link.timing`), or none. */
  readonly exposeTiming: boolean;
  /** Hands the peripheral's link to its device's listeners; false if nobody took it. */
  readonly announce: (link: SimulatedLink) => boolean;
  /** The MTU exchange completed: `connect()` may resolve with the central's link. */
  readonly ready: (link: SimulatedLink) => void;
  /** The connection failed before it was ready. */
  readonly failed: (err: PqbleError) => void;
  /** The connection is closed on both sides. */
  readonly closed: (conn: Connection) => void;
}

function linkError(code: LinkErrorCode, message: string, cause?: unknown): LinkError {
  return new LinkError(code, message, cause === undefined ? {} : { cause });
}

/** The error a send on a closed side rejects with: a fresh copy of the close reason, else DISCONNECTED. */
function closedError(side: Side): PqbleError {
  const reason = side.reason;
  if (reason === undefined) return linkError('PQBLE_ERR_DISCONNECTED', 'the link is closed');
  return codedError(reason.code, `the link is closed: ${reason.message}`, { cause: reason });
}

function emptyStats(): MutableLinkStats {
  return { packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0, bytesOnAirSent: 0, bytesOnAirReceived: 0, airtimeSentUs: 0, airtimeReceivedUs: 0 };
}

/** One simulated BLE connection between a central and a peripheral. */
export class Connection {
  /** What fault callbacks see. */
  readonly info: SimulatedLinkInfo;
  readonly #p: ConnectionParams;
  readonly #ctx: ConnectionContext;
  readonly #phy: Phy;
  readonly #intervalUs: number;
  readonly #supervisionUs: number;
  readonly #c2p = new Direction('central');
  readonly #p2c = new Direction('peripheral');
  readonly #central: Side;
  readonly #peripheral: Side;
  #state: 'setup' | 'open' | 'silent' | 'closed' = 'setup';
  #timer: Timer | undefined;
  #supervisionTimer: Timer | undefined;
  #inEvent = false;
  #firstPair = false;
  #eventAnchorUs = 0;
  readonly #anchor0Us: number;
  #lastAnchorUs: number;
  #busyUntilUs = 0;
  readonly #lastRxUs: Record<LinkRole, number>;
  #bytesCrossed = 0;
  #bytesBaseline = 0;
  readonly #closeWaiters: (() => void)[] = [];
  #announced = false;
  /** `ready` was called (connect() resolved). */
  #ready = false;
  /** The ATT exchanges of link establishment. */
  readonly #exchanges: readonly AttExchange[];
  /** From the central's connect() call to the link being ready, µs (0 until then). */
  #establishmentUs = 0;
  /** The anchor of the scheduled (not yet started) connection event, µs. */
  #scheduledAnchorUs: number | undefined;
  /** Events missed in a row because the radio served another connection. */
  #skipStreak = 0;

  constructor(params: ConnectionParams) {
    this.#p = params;
    const ctx = params.ctx;
    this.#ctx = ctx;
    this.#phy = ctx.options.phy;
    this.#intervalUs = Math.round(ctx.options.connectionIntervalMs * 1000);
    this.#supervisionUs = Math.round(ctx.options.supervisionTimeoutMs * 1000);
    this.info = Object.freeze({
      id: params.id,
      centralDeviceId: params.centralDeviceId,
      peripheralDeviceId: params.peripheralDeviceId,
      phy: this.#phy,
      attMtu: params.attMtu,
      connectionIntervalMs: ctx.options.connectionIntervalMs,
      maxLlPayloadBytes: params.maxLlPayloadBytes,
    });
    this.#central = this.#makeSide('central', params.centralDeviceId, params.peripheralDeviceId);
    this.#peripheral = this.#makeSide('peripheral', params.peripheralDeviceId, params.centralDeviceId);
    this.#exchanges = gattSetupExchanges(params.attMtu, params.gattCached);
    // The connect request ended now. The first anchor lies in the transmit window:
    // transmitWindowDelay + transmitWindowOffset, plus a point the central picks in
    // transmitWindowSize. Event 0 carries the central's LL_FEATURE_REQ and the
    // peripheral's LL_LENGTH_REQ, event 1 their responses; the ATT exchanges follow, one
    // PDU per side per event.
    const now = this.#nowUs();
    const o = ctx.options;
    const windowUs = Math.round(o.transmitWindowSizeMs * 1000);
    this.#anchor0Us = now + transmitWindowDelayUs(this.#phy) + Math.round(o.transmitWindowOffsetMs * 1000) + Math.floor(params.prng() * windowUs);
    this.#lastAnchorUs = this.#anchor0Us - 1;
    this.#lastRxUs = { central: now, peripheral: now };
    ctx.counters.linksOpened += 1;
    ctx.counters.linksOpen += 1;
    this.#pushControl(this.#c2p, 'feature-req', LL_CONTROL_PROCEDURE_BYTES, 0, 0);
    if (params.maxLlPayloadBytes > LL_MAX_PAYLOAD_LEGACY) this.#pushControl(this.#p2c, 'length-req', LL_CONTROL_PROCEDURE_BYTES, 0, 0);
    this.#kick();
  }

  /** Queues a control PDU of `l2capBytes` (segmented into LL PDUs like any L2CAP PDU; the last one carries the kind). */
  #pushControl(dir: Direction, control: ControlKind, l2capBytes: number, step: number, notBeforeUs: number): void {
    const max = this.info.maxLlPayloadBytes;
    for (let rest = l2capBytes; rest > 0; rest -= max) {
      const last = rest <= max;
      dir.queue.push({ size: Math.min(rest, max), value: undefined, control: last ? control : undefined, step, notBeforeUs, transmitted: false, received: false });
    }
  }

  /** Queues the next PDU of establishment for the next connection event. */
  #pushNext(dir: Direction, control: ControlKind, step: number): void {
    const ex = this.#exchanges[step];
    const att = control === 'att-req' ? ex.requestAttBytes : control === 'att-rsp' ? ex.responseAttBytes : 0;
    const l2cap = att === 0 ? LL_CONTROL_PROCEDURE_BYTES : attPduL2capBytes(att);
    this.#pushControl(dir, control, l2cap, step, this.#eventAnchorUs + 1);
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

  #makeSide(role: LinkRole, local: string, peer: string): Side {
    return {
      role,
      link: new SimulatedLink(this, role, local, peer),
      open: true,
      closed: false,
      reason: undefined,
      end: new LinkEndCore(),
      stats: emptyStats(),
      closePromise: undefined,
    };
  }

  /** The central's link. */
  get centralLink(): SimulatedLink {
    return this.#central.link;
  }

  /** The peripheral's link. */
  get peripheralLink(): SimulatedLink {
    return this.#peripheral.link;
  }

  /** See {@link SimulatedLink.timing}. */
  get timing(): LinkTiming | undefined {
    if (!this.#p.exposeTiming) return undefined;
    return { phy: this.#phy, connectionIntervalMs: this.info.connectionIntervalMs, maxLlPayloadBytes: this.info.maxLlPayloadBytes };
  }

  /** True until both sides closed. */
  get active(): boolean {
    return this.#state !== 'closed';
  }

  /** True if `deviceId` is one end of this connection. */
  involves(deviceId: string): boolean {
    return this.info.centralDeviceId === deviceId || this.info.peripheralDeviceId === deviceId;
  }

  // ---------------------------------------------------------------- link facade

  /** @see Link.isOpen */
  isOpen(role: LinkRole): boolean {
    return this.#side(role).open;
  }

  /** @see Link.send */
  send(role: LinkRole, packet: Uint8Array, options?: LinkSendOptions): Promise<void> {
    if (!(packet instanceof Uint8Array)) return Promise.reject(new TypeError('packet must be a Uint8Array'));
    try {
      checkOptionKeys(options, ['signal'], 'send options');
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const max = this.info.attMtu - 3;
    if (packet.length === 0 || packet.length > max) {
      return Promise.reject(new RangeError(`packet must be 1..${max} bytes (maxPayloadBytes), got ${packet.length}`));
    }
    const signal = options?.signal;
    if (signal?.aborted === true) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const side = this.#side(role);
    if (!side.open) return Promise.reject(closedError(side));
    const dir = this.#dirFrom(role);
    const copy = packet.slice();
    if (dir.waiters.length === 0 && dir.inFlight < this.#ctx.options.txQueuePackets) {
      this.#enqueue(dir, side, copy);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = dir.waiters.indexOf(waiter);
        if (i >= 0) dir.waiters.splice(i, 1);
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      const waiter: SendWaiter = {
        packet: copy,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      dir.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** @see Link.onPacket */
  onPacket(role: LinkRole, listener: (packet: Uint8Array) => void): () => void {
    return this.#side(role).end.onPacket(listener);
  }

  /** @see Link.onClose */
  onClose(role: LinkRole, listener: (reason: PqbleError | undefined) => void): () => void {
    return this.#side(role).end.onClose(listener);
  }

  /**
   * @see Link.close. The local side closes at once (onClose fires with `undefined`, waiting
   * sends reject); packets it already accepted still go out, then LL_TERMINATE_IND; the
   * promise resolves when the peer got it, or the link was lost.
   */
  close(role: LinkRole): Promise<void> {
    const side = this.#side(role);
    if (side.closePromise !== undefined) return side.closePromise;
    if (this.#state === 'closed') {
      side.closePromise = Promise.resolve();
      return side.closePromise;
    }
    side.closePromise = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    if (!side.closed) this.#closeSide(side, undefined);
    if (this.#state !== 'silent') {
      this.#pushControl(this.#dirFrom(role), 'terminate', TERMINATE_PDU_BYTES, 0, 0);
      this.#kick();
    }
    return side.closePromise;
  }

  /** @see Link.stats */
  stats(role: LinkRole): LinkStats {
    const s = this.#side(role).stats;
    return {
      packetsSent: s.packetsSent,
      packetsReceived: s.packetsReceived,
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
      bytesOnAirSent: s.bytesOnAirSent,
      bytesOnAirReceived: s.bytesOnAirReceived,
      airtimeSentMs: s.airtimeSentUs / 1000,
      airtimeReceivedMs: s.airtimeReceivedUs / 1000,
      connectionEstablishmentMs: this.#establishmentUs / 1000,
    };
  }

  // ---------------------------------------------------------------- faults and teardown

  /** `setFaults()` was called: `disconnectAfterBytes` counts from now. */
  resetFaultBaseline(): void {
    this.#bytesBaseline = this.#bytesCrossed;
  }

  /** Drops the link now: both sides close with `code`. */
  drop(code: PqbleErrorCode, message: string, cause?: unknown): void {
    if (this.#state === 'closed') return;
    const err = codedError(code, message, cause === undefined ? {} : { cause });
    this.#finish(err, err);
  }

  /** The link goes silent: nothing more crosses it; both sides time out after the supervision timeout. */
  silence(): void {
    if (this.#state === 'closed' || this.#state === 'silent') return;
    this.#state = 'silent';
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#scheduledAnchorUs = undefined;
    this.#inEvent = false;
    this.#supervisionTimer = this.#ctx.clock.setTimer(
      this.#supervisionUs / 1000,
      () => {
        this.#supervisionTimer = undefined;
        this.#supervisionTimeout();
      },
      { ref: true },
    );
  }

  /** `deviceId` powered off: its side closes now with DISCONNECTED, the peer times out. */
  powerOff(deviceId: string): void {
    if (this.#state === 'closed') return;
    const side = this.info.centralDeviceId === deviceId ? this.#central : this.#peripheral;
    if (!side.closed) this.#closeSide(side, linkError('PQBLE_ERR_DISCONNECTED', 'the local radio was powered off'));
    this.silence();
  }

  /** `deviceId` closed (or the radio did): its side closes with no reason, the peer with DISCONNECTED, at once. */
  destroy(deviceId: string): void {
    if (this.#state === 'closed') return;
    this.#closedBy(this.info.centralDeviceId === deviceId ? 'central' : 'peripheral');
  }

  /** Gives up a connection that is still being set up (connect() aborted or timed out). */
  abortSetup(err: PqbleError): void {
    if (this.#state !== 'setup') return;
    this.#finish(err, linkError('PQBLE_ERR_DISCONNECTED', 'the central abandoned the connection'));
  }

  /** Closes both sides (those not closed yet) with the given reasons and stops everything. */
  #finish(centralReason: PqbleError | undefined, peripheralReason: PqbleError | undefined): void {
    if (this.#state === 'closed') return;
    const wasSetup = !this.#ready;
    this.#state = 'closed';
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#scheduledAnchorUs = undefined;
    this.#supervisionTimer?.cancel();
    this.#supervisionTimer = undefined;
    this.#inEvent = false;
    this.#c2p.queue.clear();
    this.#p2c.queue.clear();
    if (!this.#central.closed) this.#closeSide(this.#central, centralReason);
    if (!this.#peripheral.closed && (this.#announced || !wasSetup)) this.#closeSide(this.#peripheral, peripheralReason);
    this.#peripheral.open = false;
    this.#peripheral.closed = true;
    this.#ctx.counters.linksOpen -= 1;
    if (wasSetup) this.#p.failed(centralReason ?? linkError('PQBLE_ERR_DISCONNECTED', 'the connection closed during setup'));
    for (const resolve of this.#closeWaiters.splice(0)) resolve();
    this.#p.closed(this);
  }

  /** Closes both sides: `role`'s with `own`, the other's with `peer`. */
  #finishFrom(role: LinkRole, own: PqbleError | undefined, peer: PqbleError | undefined): void {
    if (role === 'central') this.#finish(own, peer);
    else this.#finish(peer, own);
  }

  /** `role` closed the connection: its side with no reason, the other with DISCONNECTED. */
  #closedBy(role: LinkRole): void {
    this.#finishFrom(role, undefined, linkError('PQBLE_ERR_DISCONNECTED', 'the peer closed the connection'));
  }

  /** Both sides close with `PQBLE_ERR_SUPERVISION_TIMEOUT`. */
  #supervisionTimeout(): void {
    this.drop('PQBLE_ERR_SUPERVISION_TIMEOUT', `no packet from the peer for ${this.#ctx.options.supervisionTimeoutMs} ms`);
  }

  #closeSide(side: Side, reason: PqbleError | undefined): void {
    side.open = false;
    side.closed = true;
    side.reason = reason;
    const dir = this.#dirFrom(side.role);
    for (const w of dir.waiters.splice(0)) {
      w.cleanup();
      w.reject(closedError(side));
    }
    side.end.close(reason);
  }

  // ---------------------------------------------------------------- queues and delivery

  #side(role: LinkRole): Side {
    return role === 'central' ? this.#central : this.#peripheral;
  }

  #dirFrom(role: LinkRole): Direction {
    return role === 'central' ? this.#c2p : this.#p2c;
  }

  #enqueue(dir: Direction, side: Side, value: Uint8Array): void {
    const sizes = llFragmentSizes(value.length, this.info.maxLlPayloadBytes);
    for (let i = 0; i < sizes.length; i++) {
      dir.queue.push({ size: sizes[i], value: i === sizes.length - 1 ? value : undefined, control: undefined, step: 0, notBeforeUs: 0, transmitted: false, received: false });
    }
    dir.inFlight += 1;
    side.stats.packetsSent += 1;
    side.stats.bytesSent += value.length;
    this.#kick();
  }

  /** Moves waiting sends into the queue while there is room. */
  #admit(dir: Direction): void {
    const side = this.#side(dir.from);
    while (dir.waiters.length > 0 && dir.inFlight < this.#ctx.options.txQueuePackets && side.open && this.#state !== 'closed') {
      const w = dir.waiters.shift()!;
      w.cleanup();
      this.#enqueue(dir, side, w.packet);
      w.resolve();
    }
  }

  #deliver(side: Side, packet: Uint8Array): void {
    side.stats.packetsReceived += 1;
    side.stats.bytesReceived += packet.length;
    if (side.end.deliver(packet) === 'overflow') {
      const err = linkError('PQBLE_ERR_QUEUE_FULL', `more than ${MAX_BUFFERED_PACKETS} packets arrived with no packet listener`);
      this.#finishFrom(side.role, err, linkError('PQBLE_ERR_DISCONNECTED', 'the peer dropped the connection'));
    }
  }

  /**
   * A fragment reached its receiver for the first time. Returns false if the connection
   * stopped (closed or silent) as a consequence.
   */
  #onFragment(dir: Direction, frag: Fragment): boolean {
    if (frag.control !== undefined) return this.#onControl(dir, frag.control, frag.step);
    const value = frag.value;
    if (value === undefined) return true;
    dir.inFlight -= 1;
    const index = dir.arrived++;
    const faults = this.#ctx.faults();
    let verdict: InterceptVerdict = 'deliver';
    if (faults.intercept !== undefined) {
      try {
        verdict = faults.intercept({ link: this.info, from: dir.from, packet: value, index });
      } catch (err) {
        this.drop('PQBLE_ERR_INTERNAL', 'the fault intercept callback threw', err);
        return false;
      }
      if (verdict !== 'deliver' && verdict !== 'drop' && verdict !== 'disconnect' && verdict !== 'silence') {
        this.drop('PQBLE_ERR_INTERNAL', `the fault intercept callback returned ${String(verdict)}`);
        return false;
      }
      if (this.#state === 'closed' || this.#state === 'silent') return false;
    }
    switch (verdict) {
      case 'disconnect':
        this.drop('PQBLE_ERR_DISCONNECTED', 'the link was dropped (fault injection)');
        return false;
      case 'silence':
        this.silence();
        return false;
      case 'drop':
        this.#admit(dir);
        return true;
      case 'deliver':
        break;
    }
    this.#ctx.counters.attPackets += 1;
    this.#ctx.counters.attBytes += value.length;
    this.#bytesCrossed += value.length;
    const receiver = this.#side(dir.from === 'central' ? 'peripheral' : 'central');
    if (!receiver.closed) this.#deliver(receiver, value);
    if (this.#state === 'closed') return false;
    const limit = faults.disconnectAfterBytes;
    if (limit !== undefined && this.#bytesCrossed - this.#bytesBaseline >= limit) {
      this.drop('PQBLE_ERR_DISCONNECTED', `the link was dropped after ${limit} bytes (fault injection)`);
      return false;
    }
    this.#admit(dir);
    return true;
  }

  #onControl(dir: Direction, kind: ControlKind, step: number): boolean {
    switch (kind) {
      case 'feature-req':
        this.#pushNext(this.#p2c, 'feature-rsp', 0);
        return true;
      case 'length-req':
        this.#pushNext(this.#c2p, 'length-rsp', 0);
        return true;
      case 'length-rsp':
        return true;
      case 'feature-rsp':
        this.#pushNext(this.#c2p, 'att-req', 0);
        return true;
      case 'att-req': {
        this.#pushNext(this.#p2c, 'att-rsp', step);
        if (step < this.#exchanges.length - 1) return true;
        // The CCCD write: the central subscribed, the peripheral offers its link.
        this.#announced = true;
        let taken = false;
        try {
          taken = this.#p.announce(this.#peripheral.link);
        } catch (err) {
          reportListenerError(err);
        }
        if (this.#state === 'closed') return false;
        if (!taken) {
          this.drop('PQBLE_ERR_DISCONNECTED', 'the peripheral stopped accepting connections');
          return false;
        }
        return this.#state === 'setup';
      }
      case 'att-rsp':
        if (step < this.#exchanges.length - 1) {
          this.#pushNext(this.#c2p, 'att-req', step + 1);
          return true;
        }
        if (this.#state === 'setup') {
          this.#state = 'open';
          this.#ready = true;
          this.#establishmentUs = this.#nowUs() - this.#p.connectRequestedAtUs;
          this.#p.ready(this.#central.link);
        }
        return this.#state === 'open';
      case 'terminate':
        this.#closedBy(dir.from);
        return false;
    }
  }

  // ---------------------------------------------------------------- the engine

  #nowUs(): number {
    return Math.round(this.#ctx.clock.now() * 1000);
  }

  #running(): boolean {
    return this.#state === 'setup' || this.#state === 'open';
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
    for (const other of this.#ctx.sharing(this)) {
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
    for (const other of this.#ctx.sharing(this)) {
      if (other.eventRunning || other.busyUntilUs > us) return true;
      const a = other.scheduledAnchorUs;
      if (a !== undefined && a >= us && a < us + firstPairUs && other.skipStreak > this.#skipStreak) return true;
    }
    return false;
  }

  /** Schedules the next connection event if there is work and nothing is scheduled. */
  #kick(): void {
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
      this.#kick();
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
    this.#kick();
  }

  #airUs(size: number): number {
    return llPacketAirtimeUs(this.#phy, size);
  }

  #transmit(from: LinkRole, frag: Fragment | undefined): void {
    const size = frag?.size ?? 0;
    const air = this.#airUs(size);
    const bytes = llPacketBytesOnAir(this.#phy, size);
    const s = this.#side(from).stats;
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
    const lost = rate >= 1 || this.#p.prng() < rate;
    if (lost) this.#ctx.counters.lostPackets += 1;
    return lost;
  }

  #received(to: LinkRole, size: number, atUs: number): void {
    const s = this.#side(to).stats;
    s.bytesOnAirReceived += llPacketBytesOnAir(this.#phy, size);
    s.airtimeReceivedUs += this.#airUs(size);
    this.#lastRxUs[to] = atUs;
  }

  /** A side heard nothing: end the event, or time out if it has been too long. */
  #missed(listener: LinkRole, atUs: number): void {
    if (atUs - this.#lastRxUs[listener] >= this.#supervisionUs) {
      this.#supervisionTimeout();
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
      if (!this.#onFragment(this.#c2p, frag) || !this.#running()) return;
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
      if (!this.#onFragment(this.#p2c, frag) || !this.#running()) return;
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

/** One end of a simulated connection; implements the {@link Link} seam. */
export class SimulatedLink implements Link {
  /** This device's id. */
  readonly localDeviceId: string;
  /** The peer's id. */
  readonly peerDeviceId: string;
  /** Our role on this link. */
  readonly role: LinkRole;
  readonly #conn: Connection;

  /** Created by the radio only. */
  constructor(conn: Connection, role: LinkRole, localDeviceId: string, peerDeviceId: string) {
    this.#conn = conn;
    this.role = role;
    this.localDeviceId = localDeviceId;
    this.peerDeviceId = peerDeviceId;
  }

  /** The connection's description (as fault callbacks see it). */
  get info(): SimulatedLinkInfo {
    return this.#conn.info;
  }

  /** Negotiated ATT MTU; final once the link is handed out. */
  get attMtu(): number {
    return this.#conn.info.attMtu;
  }

  /** `attMtu - 3`. */
  get maxPayloadBytes(): number {
    return this.#conn.info.attMtu - 3;
  }

  /** PHY, connection interval and LL payload limit, unless the radio's `packetSizing` is `'fixed'`. */
  get timing(): LinkTiming | undefined {
    return this.#conn.timing;
  }

  /** False once this side closed or the link was lost. */
  get isOpen(): boolean {
    return this.#conn.isOpen(this.role);
  }

  /** See {@link Link.send}. */
  send(packet: Uint8Array, options?: LinkSendOptions): Promise<void> {
    return this.#conn.send(this.role, packet, options);
  }

  /** See {@link Link.onPacket}. Packets also wait in the buffer whenever no listener is attached. */
  onPacket(listener: (packet: Uint8Array) => void): () => void {
    return this.#conn.onPacket(this.role, listener);
  }

  /** The MTU is final when the link is handed out, so this listener is never called. */
  onMtuChange(listener: (attMtu: number) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    return () => {};
  }

  /** See {@link Link.onClose}. */
  onClose(listener: (reason: PqbleError | undefined) => void): () => void {
    return this.#conn.onClose(this.role, listener);
  }

  /** See {@link Link.close}; resolves once the peer was told (or the link was lost). */
  close(): Promise<void> {
    return this.#conn.close(this.role);
  }

  /** See {@link Link.stats}. */
  stats(): LinkStats {
    return this.#conn.stats(this.role);
  }
}

/** Radio-wide counters as {@link RadioStats}. */
export function toRadioStats(c: RadioCounters): RadioStats {
  return {
    linksOpened: c.linksOpened,
    linksOpen: c.linksOpen,
    bytesOnAirCentralToPeripheral: c.bytesOnAirC2P,
    bytesOnAirPeripheralToCentral: c.bytesOnAirP2C,
    airtimeCentralToPeripheralMs: c.airtimeC2PUs / 1000,
    airtimePeripheralToCentralMs: c.airtimeP2CUs / 1000,
    airtimeMs: (c.airtimeC2PUs + c.airtimeP2CUs) / 1000,
    llPackets: c.llPackets,
    emptyPackets: c.emptyPackets,
    retransmissions: c.retransmissions,
    lostPackets: c.lostPackets,
    attPackets: c.attPackets,
    attBytes: c.attBytes,
    skippedEvents: c.skippedEvents,
  };
}

/** Fresh zeroed counters. */
export function newCounters(): RadioCounters {
  return {
    linksOpened: 0,
    linksOpen: 0,
    bytesOnAirC2P: 0,
    bytesOnAirP2C: 0,
    airtimeC2PUs: 0,
    airtimeP2CUs: 0,
    llPackets: 0,
    emptyPackets: 0,
    retransmissions: 0,
    lostPackets: 0,
    attPackets: 0,
    attBytes: 0,
    skippedEvents: 0,
  };
}
