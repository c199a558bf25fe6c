/**
 * One simulated BLE connection: its state (setup, open, silent, closed), the link-layer and
 * ATT procedures of link establishment, what each application value does on arrival (fault
 * intercepts, delivery, flow control) and the teardown of both ends (docs/radio-model.md
 * "Link establishment", "Faults", "Closing"; the link seam in src/link/types.ts).
 *
 * The connection events that carry the PDUs are ./connection-events.ts; the per-direction
 * queues ./fragment-queue.ts; the link ends ./simulated-link.ts; the counters ./counters.ts.
 *
 * @module
 */

import type { Timer } from '../clock.js';
import { AbortError, LinkError, type PqbleError, type PqbleErrorCode } from '../errors.js';
import { LinkEndCore, MAX_BUFFERED_PACKETS, reportListenerError } from '../link/link-end.js';
import type { LinkRole, LinkSendOptions, LinkStats, LinkTiming } from '../link/types.js';
import { LL_MAX_PAYLOAD_LEGACY, llFragmentSizes, type Phy } from './airtime.js';
import { attPduL2capBytes, gattSetupExchanges, LL_CONTROL_PROCEDURE_BYTES, type AttExchange } from './establishment.js';
import { ConnectionEvents, type EventContext } from './connection-events.js';
import { checkOptionKeys } from '../util/options.js';
import type { Prng } from './prng.js';
import type { InterceptVerdict, SimulatedLinkInfo } from './types.js';
import { emptyStats, type MutableLinkStats } from './counters.js';
import { Direction, type ControlKind, type Fragment, type SendWaiter } from './fragment-queue.js';
import { SimulatedLink } from './simulated-link.js';

// Packets held for a link with no packet listener before it fails with `PQBLE_ERR_QUEUE_FULL`.
export { MAX_BUFFERED_PACKETS } from '../link/link-end.js';

/** LL payload of LL_TERMINATE_IND: opcode + error code. */
const TERMINATE_PDU_BYTES = 2;

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

/** What a connection needs from its radio. */
export interface ConnectionContext extends EventContext {
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

function linkError(code: PqbleErrorCode, message: string, cause?: unknown): LinkError {
  return new LinkError(code, message, cause === undefined ? {} : { cause });
}

/** The error a send on a closed side rejects with: a fresh copy of the close reason, else DISCONNECTED. */
function closedError(side: Side): PqbleError {
  const reason = side.reason;
  if (reason === undefined) return linkError('PQBLE_ERR_DISCONNECTED', 'the link is closed');
  return linkError(reason.code, `the link is closed: ${reason.message}`, reason);
}

/** One simulated BLE connection between a central and a peripheral. */
export class Connection {
  /** What fault callbacks see. */
  readonly info: SimulatedLinkInfo;
  readonly #p: ConnectionParams;
  readonly #ctx: ConnectionContext;
  readonly #phy: Phy;
  readonly #supervisionUs: number;
  readonly #c2p = new Direction('central');
  readonly #p2c = new Direction('peripheral');
  readonly #central: Side;
  readonly #peripheral: Side;
  #state: 'setup' | 'open' | 'silent' | 'closed' = 'setup';
  /** The connection events (the engine); stopped once the link goes silent or closes. */
  readonly #events: ConnectionEvents;
  #supervisionTimer: Timer | undefined;
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

  constructor(params: ConnectionParams) {
    this.#p = params;
    const ctx = params.ctx;
    this.#ctx = ctx;
    this.#phy = ctx.options.phy;
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
    // The connect request ended now: the engine places the first anchor in the transmit window.
    this.#events = new ConnectionEvents({
      ctx,
      prng: params.prng,
      c2p: this.#c2p,
      p2c: this.#p2c,
      stats: { central: this.#central.stats, peripheral: this.#peripheral.stats },
      host: {
        onFragment: (dir, frag) => this.#onFragment(dir, frag),
        supervisionTimeout: () => this.#supervisionTimeout(),
        sharing: () => ctx.sharing(this),
      },
    });
    ctx.counters.linksOpened += 1;
    ctx.counters.linksOpen += 1;
    this.#pushControl(this.#c2p, 'feature-req', LL_CONTROL_PROCEDURE_BYTES, 0, 0);
    if (params.maxLlPayloadBytes > LL_MAX_PAYLOAD_LEGACY) this.#pushControl(this.#p2c, 'length-req', LL_CONTROL_PROCEDURE_BYTES, 0, 0);
    this.#events.kick();
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
    this.#pushControl(dir, control, l2cap, step, this.#events.eventAnchorUs + 1);
  }

  /** True while a connection event of this connection runs. */
  get eventRunning(): boolean {
    return this.#events.eventRunning;
  }

  /** The anchor of this connection's next scheduled event (µs), if one is scheduled. */
  get scheduledAnchorUs(): number | undefined {
    return this.#events.scheduledAnchorUs;
  }

  /** The end of this connection's last event, µs. */
  get busyUntilUs(): number {
    return this.#events.busyUntilUs;
  }

  /** Events missed in a row because a shared radio served another connection. */
  get skipStreak(): number {
    return this.#events.skipStreak;
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
      this.#events.kick();
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
    const err = linkError(code, message, cause);
    this.#finish(err, err);
  }

  /** The link goes silent: nothing more crosses it; both sides time out after the supervision timeout. */
  silence(): void {
    if (this.#state === 'closed' || this.#state === 'silent') return;
    this.#state = 'silent';
    this.#events.stop();
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
    this.#events.stop();
    this.#supervisionTimer?.cancel();
    this.#supervisionTimer = undefined;
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
    this.#events.kick();
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
          this.#establishmentUs = Math.round(this.#ctx.clock.now() * 1000) - this.#p.connectRequestedAtUs;
          this.#p.ready(this.#central.link);
        }
        return this.#state === 'open';
      case 'terminate':
        this.#closedBy(dir.from);
        return false;
    }
  }

}
