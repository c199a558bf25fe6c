/**
 * A simulated BLE device: one {@link LinkEndpoint} on a {@link SimulatedRadio}
 * (docs/radio-model.md "Devices and connection setup"). It connects out as central and,
 * while it has at least one `onIncoming` listener and is powered on, advertises and accepts
 * connections as peripheral.
 *
 * @module
 */

import type { Clock, Timer } from '../clock.js';
import { AbortError, LinkError, TimeoutError, type PqbleError } from '../errors.js';
import { parseDeviceId } from '../ids.js';
import type { Link, LinkConnectOptions, LinkEndpoint } from '../link/types.js';
import type { SimulatedConnection } from './connection.js';
import type { SimulatedLink } from './simulated-link.js';
import { checkOptions, optNumber, optSignal } from '../util/options.js';
import type { ResolvedRadioOptions } from './options.js';

/** What a device needs from its radio. */
export interface DeviceHost {
  readonly clock: Clock;
  readonly options: ResolvedRadioOptions;
  /** The open device with this id, if any. */
  findDevice(deviceId: string): SimulatedDevice | undefined;
  /** Every connection not yet closed that involves `deviceId`. */
  connectionsOf(deviceId: string): SimulatedConnection[];
  /** Starts a connection (CONNECT_IND sent now). */
  startConnection(
    central: SimulatedDevice,
    peripheral: SimulatedDevice,
    handlers: { readonly requestedAtMs: number; ready(link: SimulatedLink): void; failed(err: PqbleError): void },
  ): SimulatedConnection;
  /** Delay from the start of scanning until the connect request to `target` has been sent, in ms. */
  connectRequestDelayMs(target: SimulatedDevice): number;
  /** The device closed: forget it. */
  removeDevice(device: SimulatedDevice): void;
}

interface PendingConnect {
  /** The target started advertising: try again. */
  retry(): void;
  /** This device went away: fail. */
  fail(err: PqbleError): void;
}

/** One simulated BLE device. Create it with `SimulatedRadio.createDevice()`. */
export class SimulatedDevice implements LinkEndpoint {
  /** 12 lowercase hex digits. */
  readonly deviceId: string;
  /** The radio's clock. */
  readonly clock: Clock;
  /** Display name. */
  readonly name: string;
  /** The ATT MTU this device offers. */
  readonly attMtu: number;
  /** Advertising interval as a peripheral, ms. */
  readonly advertisingIntervalMs: number;
  readonly #host: DeviceHost;
  readonly #incoming = new Set<(link: Link) => void>();
  /** Connects of other devices waiting for this one to advertise. */
  readonly #watchers = new Set<PendingConnect>();
  /** This device's own connect() calls in progress. */
  readonly #outgoing = new Set<PendingConnect>();
  /** The connect() that holds the initiator (scanning for its peer until its connect request is sent). */
  #initiator: PendingConnect | undefined;
  #powered = true;
  #closed = false;

  /** Created by `SimulatedRadio.createDevice()` only. */
  constructor(host: DeviceHost, deviceId: string, name: string, attMtu: number, advertisingIntervalMs: number) {
    this.#host = host;
    this.clock = host.clock;
    this.deviceId = deviceId;
    this.name = name;
    this.attMtu = attMtu;
    this.advertisingIntervalMs = advertisingIntervalMs;
  }

  /** Links of this device not yet closed (as central or peripheral, in setup included). */
  get linkCount(): number {
    return this.#host.connectionsOf(this.deviceId).length;
  }

  /** Powered on and not closed. */
  get isPoweredOn(): boolean {
    return this.#powered && !this.#closed;
  }

  /**
   * Accepting connections: powered on, not closed, with at least one incoming listener and
   * fewer links than the radio's `maxConnectionsPerDevice` (a controller at its link cap
   * stops connectable advertising).
   */
  get isAdvertising(): boolean {
    return this.isPoweredOn && this.#incoming.size > 0 && this.linkCount < this.#host.options.maxConnectionsPerDevice;
  }

  /**
   * Connects to `peerDeviceId` as central. Takes an advertising delay, two connection
   * intervals of link-layer setup and one ATT MTU exchange on air; resolves with the link
   * once its MTU is final. Rejects with `PQBLE_ERR_DEVICE_NOT_FOUND` at once if no device
   * has that id, `PQBLE_ERR_TIMEOUT` if the peer does not accept within the timeout (for
   * example it has no incoming listener, or is powered off), `PQBLE_ERR_ABORTED`, or
   * `PQBLE_ERR_RADIO_UNAVAILABLE` if this device is powered off or closed.
   * @throws TypeError/RangeError (as a rejection) for a malformed id or options, or connecting to itself
   */
  connect(peerDeviceId: string, options?: LinkConnectOptions): Promise<Link> {
    let peerId: string;
    let timeoutMs: number;
    try {
      const o = checkOptions(options, 'connect options', ['signal', 'timeoutMs']);
      optSignal(o.signal, 'signal');
      peerId = parseDeviceId(peerDeviceId, 'peerDeviceId');
      timeoutMs = optNumber(o.timeoutMs, 'timeoutMs', 0, 86_400_000, this.#host.options.connectTimeoutMs);
      if (peerId === this.deviceId) throw new RangeError('a device cannot connect to itself');
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const signal = options?.signal;
    if (signal?.aborted === true) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    if (!this.isPoweredOn) return Promise.reject(this.#unavailable());
    if (this.linkCount >= this.#host.options.maxConnectionsPerDevice) {
      return Promise.reject(
        new LinkError('PQBLE_ERR_CONNECTION_LIMIT', `device ${this.deviceId} already holds ${this.linkCount} links (maxConnectionsPerDevice)`),
      );
    }
    const target = this.#host.findDevice(peerId);
    if (target === undefined) return Promise.reject(new LinkError('PQBLE_ERR_DEVICE_NOT_FOUND', `no device ${peerId} on this radio`));

    const host = this.#host;
    const clock = this.clock;
    const requestedAtMs = clock.now();
    return new Promise<Link>((resolve, reject) => {
      let settled = false;
      let conn: SimulatedConnection | undefined;
      let advTimer: Timer | undefined;
      let phase: 'waiting' | 'advertising' | 'connecting' = 'waiting';
      const pending: PendingConnect = {
        retry: () => {
          if (settled || phase !== 'waiting' || !target.isAdvertising) return;
          // One initiator per controller: connects scan for their peers one after another.
          if (this.#initiator !== undefined && this.#initiator !== pending) return;
          this.#initiator = pending;
          phase = 'advertising';
          advTimer = clock.setTimer(host.connectRequestDelayMs(target), onAdvertisement, { ref: true });
        },
        fail: (err) => fail(err),
      };
      const cleanup = (): void => {
        settled = true;
        timeout.cancel();
        advTimer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        target.#watchers.delete(pending);
        this.#outgoing.delete(pending);
        this.#releaseInitiator(pending);
      };
      const fail = (err: PqbleError): void => {
        if (settled) return;
        cleanup();
        conn?.abortSetup(err);
        reject(err);
      };
      const onAdvertisement = (): void => {
        advTimer = undefined;
        if (settled) return;
        if (!target.isAdvertising || !this.isPoweredOn) {
          phase = 'waiting';
          this.#releaseInitiator(pending);
          return;
        }
        if (this.linkCount >= host.options.maxConnectionsPerDevice) {
          fail(new LinkError('PQBLE_ERR_CONNECTION_LIMIT', `device ${this.deviceId} reached maxConnectionsPerDevice while connecting`));
          return;
        }
        phase = 'connecting';
        conn = host.startConnection(this, target, {
          requestedAtMs,
          ready: (link) => {
            if (settled) return;
            cleanup();
            resolve(link);
          },
          // A link lost before it was ready (the peer went silent): the attempt timed out.
          failed: (err) =>
            fail(
              err.code === 'PQBLE_ERR_SUPERVISION_TIMEOUT'
                ? new TimeoutError(`connecting to ${peerId} failed: ${err.message}`, 'PQBLE_ERR_TIMEOUT', { cause: err })
                : err,
            ),
        });
        // The connect request went out: the initiator is free for the next connect.
        this.#releaseInitiator(pending);
      };
      const onAbort = (): void => fail(new AbortError(undefined, { cause: signal?.reason }));
      const timeout = clock.setTimer(timeoutMs, () => fail(new TimeoutError(`connecting to ${peerId} timed out after ${timeoutMs} ms`)), { ref: true });
      signal?.addEventListener('abort', onAbort, { once: true });
      target.#watchers.add(pending);
      this.#outgoing.add(pending);
      pending.retry();
    });
  }

  /**
   * Subscribes to links accepted as peripheral (every listener gets every link). The device
   * advertises while it has at least one listener. Returns an unsubscribe function.
   */
  onIncoming(listener: (link: Link) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const entry = (link: Link): void => listener(link);
    this.#incoming.add(entry);
    this.#advertisingMayHaveStarted();
    return () => {
      this.#incoming.delete(entry);
    };
  }

  /**
   * Switches the radio off: the device goes silent on all its links; its own links close
   * with `PQBLE_ERR_DISCONNECTED` at once, the peers' with `PQBLE_ERR_SUPERVISION_TIMEOUT`
   * after the supervision timeout. It neither accepts nor connects until {@link powerOn}.
   */
  powerOff(): void {
    if (this.#closed || !this.#powered) return;
    this.#powered = false;
    for (const p of [...this.#outgoing]) p.fail(this.#unavailable());
    for (const conn of this.#host.connectionsOf(this.deviceId)) conn.powerOff(this.deviceId);
  }

  /** Switches the radio back on (advertising again if it has incoming listeners). */
  powerOn(): void {
    if (this.#closed || this.#powered) return;
    this.#powered = true;
    this.#advertisingMayHaveStarted();
  }

  /**
   * Closes every link of this device (its side with no reason, the peer's with
   * `PQBLE_ERR_DISCONNECTED`), fails its pending connects with
   * `PQBLE_ERR_RADIO_UNAVAILABLE` and removes it from the radio (idempotent).
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const p of [...this.#outgoing]) p.fail(this.#unavailable());
    for (const conn of this.#host.connectionsOf(this.deviceId)) conn.destroy(this.deviceId);
    this.#incoming.clear();
    this.#host.removeDevice(this);
    return Promise.resolve();
  }

  /**
   * Hands a new peripheral-side link to the incoming listeners; false if none took it
   * (the radio calls this when the central's MTU request arrives).
   */
  acceptIncoming(link: SimulatedLink): boolean {
    // The link cap was checked when the connection started (this link counts already).
    if (!this.isPoweredOn || this.#incoming.size === 0) return false;
    for (const l of [...this.#incoming]) {
      try {
        l(link);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    return true;
  }

  /** `p` no longer needs the initiator: the next waiting connect (in call order) may scan. */
  #releaseInitiator(p: PendingConnect): void {
    if (this.#initiator !== p) return;
    this.#initiator = undefined;
    for (const o of [...this.#outgoing]) {
      o.retry();
      if (this.#initiator !== undefined) return;
    }
  }

  /** A link of this device closed: below its link cap it advertises again. */
  linksChanged(): void {
    this.#advertisingMayHaveStarted();
  }

  #advertisingMayHaveStarted(): void {
    if (!this.isAdvertising) return;
    for (const w of [...this.#watchers]) w.retry();
  }

  #unavailable(): LinkError {
    return new LinkError('PQBLE_ERR_RADIO_UNAVAILABLE', `device ${this.deviceId} is ${this.#closed ? 'closed' : 'powered off'}`);
  }
}
