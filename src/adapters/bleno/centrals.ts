/**
 * The centrals connected to a bleno peripheral (docs/hardware.md "Several centrals", "MTU"): one record per
 * connection handle (on macOS, per central UUID), made on the first event that names it,
 * with its MTU, its notify callback once it subscribed, its link, and the values it wrote
 * before it had one. Centrals beyond the connection limit are marked refused.
 *
 * @module
 */

import type { AdapterLink } from '../link-core.js';
import { deviceIdForBlePeer, deviceIdFromAddress } from '../peer-address.js';
import type { BlenoConnectionHandle } from './library.js';

/** One central connected to the peripheral (the BLE connection, not the pqble link on it). */
export interface ConnectedCentral {
  /** `String(handle)`: the table's key. */
  readonly key: string;
  readonly handle: BlenoConnectionHandle;
  readonly peerDeviceId: string;
  /** Order of arrival (the newest central gets an MTU report bleno does not attribute). */
  readonly acceptedSeq: number;
  attMtu: number;
  /** The MTU was reported (or confirmed by the subscription). */
  mtuKnown: boolean;
  /** Sends a notification; set while the central is subscribed. */
  notify: ((data: Buffer) => void) | undefined;
  link: AdapterLink | undefined;
  /** Values written before the link existed (bounded by the caller). */
  readonly early: Uint8Array[];
  /** Beyond the connection limit: disconnected where the OS allows, otherwise ignored. */
  refused: boolean;
  /** Resolves once bleno reported the disconnection. */
  readonly disconnected: Promise<void>;
  markDisconnected: () => void;
}

/** The table of connected centrals, by handle. */
export class ConnectedCentrals {
  readonly #byKey = new Map<string, ConnectedCentral>();
  readonly #maxConnections: number;
  #acceptSeq = 0;

  /** @param maxConnections - centrals served at once; later ones are refused */
  constructor(maxConnections: number) {
    this.#maxConnections = maxConnections;
  }

  /** Number of records (refused ones included). */
  get size(): number {
    return this.#byKey.size;
  }

  /** The record of `key` (`String(handle)`), if any. */
  get(key: string): ConnectedCentral | undefined {
    return this.#byKey.get(key);
  }

  /** Removes the record of `key`. */
  delete(key: string): void {
    this.#byKey.delete(key);
  }

  /** Every record. */
  values(): IterableIterator<ConnectedCentral> {
    return this.#byKey.values();
  }

  /** Removes every record. */
  clear(): void {
    this.#byKey.clear();
  }

  /**
   * A new record for `handle` (at `address`, if bleno gave one), refused (and `disconnect`ed)
   * beyond the connection limit; `undefined` if the address names no device id.
   */
  add(handle: BlenoConnectionHandle, address: string | undefined, disconnect: (handle: BlenoConnectionHandle) => void): ConnectedCentral | undefined {
    const key = String(handle);
    let markDisconnected!: () => void;
    const disconnected = new Promise<void>((resolve) => {
      markDisconnected = resolve;
    });
    let peerDeviceId: string;
    try {
      peerDeviceId = deviceIdFromAddress(address) ?? deviceIdForBlePeer(address ?? key);
    } catch {
      return undefined;
    }
    const conn: ConnectedCentral = {
      key,
      handle,
      peerDeviceId,
      acceptedSeq: ++this.#acceptSeq,
      attMtu: 23,
      mtuKnown: false,
      notify: undefined,
      link: undefined,
      early: [],
      refused: false,
      disconnected,
      markDisconnected,
    };
    if (this.servedCount() >= this.#maxConnections) {
      conn.refused = true;
      try {
        disconnect(handle);
      } catch {
        // the OS may not let a peripheral drop a central (macOS); the central is ignored instead
      }
    }
    this.#byKey.set(key, conn);
    return conn;
  }

  /** Connections being served (not refused at the connection limit). */
  servedCount(): number {
    let served = 0;
    for (const c of this.#byKey.values()) if (!c.refused) served++;
    return served;
  }

  /** True while another central may be served. */
  get hasRoom(): boolean {
    return this.servedCount() < this.#maxConnections;
  }

  /**
   * The central an MTU report belongs to. bleno reports the MTU without saying which central
   * negotiated it. Centrals exchange MTUs right after connecting, so it goes to the newest
   * connection whose MTU is not known yet (or the only connection); the subscribe callback
   * later confirms it.
   */
  mtuReportTarget(): ConnectedCentral | undefined {
    const candidates = [...this.#byKey.values()].filter((c) => !c.mtuKnown && !c.refused);
    return candidates.sort((a, b) => b.acceptedSeq - a.acceptedSeq)[0] ?? (this.#byKey.size === 1 ? [...this.#byKey.values()][0] : undefined);
  }
}
