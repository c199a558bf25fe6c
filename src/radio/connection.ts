/**
 * One simulated BLE connection: its state (setup, open, silent, closed), the link-layer and
 * ATT procedures of link establishment, what each application value does on arrival (fault
 * intercepts, delivery, flow control) and the teardown of both ends (docs/radio-model.md
 * "Link establishment", "Faults", "Closing"; the link seam in src/link/types.ts).
 *
 * The connection events that carry the PDUs are ./connection-events.ts; the order of the
 * establishment PDUs ./control-procedure.ts; the per-direction queues ./fragment-queue.ts;
 * the state of each end ./link-side.ts and its link ./simulated-link.ts; the counters
 * ./counters.ts.
 *
 * Why one file of about 450 lines: what is left is the connection's state machine, and every
 * handler here reads or moves `#state` (a send, a close, an arriving value or control PDU,
 * a fault, the teardown). Split further, each transition would be spread over files.
 *
 * @module
 */

import type { Timer } from '../clock.js';
import { AbortError, codedError, type PqbleError, type PqbleErrorCode } from '../errors.js';
import { MAX_BUFFERED_PACKETS, reportListenerError } from '../link/link-end.js';
import type { LinkRole, LinkSendOptions, LinkStats, LinkTiming } from '../link/types.js';
import { LL_MAX_PAYLOAD_LEGACY, type Phy } from './airtime.js';
import { gattSetupExchanges, LL_CONTROL_PROCEDURE_BYTES, type AttExchange } from './establishment.js';
import { controlL2capBytes, reactToControl } from './control-procedure.js';
import { ConnectionEvents, type EventContext } from './connection-events.js';
import { checkOptionKeys } from '../util/options.js';
import type { Prng } from './prng.js';
import type { InterceptVerdict, SimulatedLinkInfo } from './types.js';
import { Direction, type ControlKind, type Fragment } from './fragment-queue.js';
import { LinkSide, linkError } from './link-side.js';
import type { SimulatedLink } from './simulated-link.js';

// Packets held for a link with no packet listener before it fails with `PQBLE_ERR_QUEUE_FULL`.
export { MAX_BUFFERED_PACKETS } from '../link/link-end.js';

/** LL payload of LL_TERMINATE_IND: opcode + error code. */
const TERMINATE_PDU_BYTES = 2;

/** What a connection needs from its radio. */
export interface SimulatedConnectionContext extends EventContext {
  /** The other open connections that share a device (and so its radio) with `conn`. */
  sharing(conn: SimulatedConnection): Iterable<SimulatedConnection>;
}

/** Parameters of a new {@link SimulatedConnection}. */
export interface SimulatedConnectionParams {
  readonly id: number;
  readonly ctx: SimulatedConnectionContext;
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
  readonly closed: (conn: SimulatedConnection) => void;
}

/** One simulated BLE connection between a central and a peripheral (the radio layer; its ends are {@link SimulatedLink}s, and the secure connection over one is the transport's `BleConnection`). */
export class SimulatedConnection {
  /** What fault callbacks see. */
  readonly info: SimulatedLinkInfo;
  readonly #p: SimulatedConnectionParams;
  readonly #ctx: SimulatedConnectionContext;
  readonly #phy: Phy;
  readonly #supervisionUs: number;
  readonly #c2p = new Direction('central');
  readonly #p2c = new Direction('peripheral');
  readonly #central: LinkSide;
  readonly #peripheral: LinkSide;
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

  constructor(params: SimulatedConnectionParams) {
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
    this.#central = new LinkSide(this, 'central', params.centralDeviceId, params.peripheralDeviceId);
    this.#peripheral = new LinkSide(this, 'peripheral', params.peripheralDeviceId, params.centralDeviceId);
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
        sharing: () => this.#sharedEvents(),
      },
    });
    ctx.counters.linksOpened += 1;
    ctx.counters.linksOpen += 1;
    this.#c2p.pushControl('feature-req', LL_CONTROL_PROCEDURE_BYTES, params.maxLlPayloadBytes, 0, 0);
    if (params.maxLlPayloadBytes > LL_MAX_PAYLOAD_LEGACY) this.#p2c.pushControl('length-req', LL_CONTROL_PROCEDURE_BYTES, params.maxLlPayloadBytes, 0, 0);
    this.#events.kick();
  }

  /** Queues the next PDU of establishment for the next connection event. */
  #pushNext(dir: Direction, control: ControlKind, step: number): void {
    const l2cap = controlL2capBytes(control, this.#exchanges[step]);
    dir.pushControl(control, l2cap, this.info.maxLlPayloadBytes, step, this.#events.eventAnchorUs + 1);
  }

  /** The engines of the other open connections that share a device (and so its radio) with this one. */
  *#sharedEvents(): Iterable<ConnectionEvents> {
    for (const other of this.#ctx.sharing(this)) yield other.#events;
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
    if (!side.open) return Promise.reject(side.closedError());
    const dir = this.#dirFrom(role);
    const copy = packet.slice();
    if (dir.waiters.length === 0 && dir.inFlight < this.#ctx.options.txQueuePackets) {
      this.#enqueue(dir, side, copy);
      return Promise.resolve();
    }
    return dir.waitForRoom(copy, signal);
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
      this.#dirFrom(role).pushControl('terminate', TERMINATE_PDU_BYTES, this.info.maxLlPayloadBytes, 0, 0);
      this.#events.kick();
    }
    return side.closePromise;
  }

  /** @see Link.stats */
  stats(role: LinkRole): LinkStats {
    return this.#side(role).snapshot(this.#establishmentUs);
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

  #closeSide(side: LinkSide, reason: PqbleError | undefined): void {
    side.close(reason, this.#dirFrom(side.role));
  }

  // ---------------------------------------------------------------- queues and delivery

  #side(role: LinkRole): LinkSide {
    return role === 'central' ? this.#central : this.#peripheral;
  }

  #dirFrom(role: LinkRole): Direction {
    return role === 'central' ? this.#c2p : this.#p2c;
  }

  #enqueue(dir: Direction, side: LinkSide, value: Uint8Array): void {
    dir.pushValue(value, this.info.maxLlPayloadBytes);
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

  #deliver(side: LinkSide, packet: Uint8Array): void {
    if (!side.deliver(packet)) {
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
    const { reply, outcome } = reactToControl(kind, step, this.#exchanges.length);
    if (reply !== undefined) this.#pushNext(this.#dirFrom(reply.from), reply.control, reply.step);
    switch (outcome) {
      case 'continue':
        return true;
      case 'subscribed': {
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
      case 'established':
        if (this.#state === 'setup') {
          this.#state = 'open';
          this.#ready = true;
          this.#establishmentUs = Math.round(this.#ctx.clock.now() * 1000) - this.#p.connectRequestedAtUs;
          this.#p.ready(this.#central.link);
        }
        return this.#state === 'open';
      case 'terminated':
        this.#closedBy(dir.from);
        return false;
    }
  }
}
