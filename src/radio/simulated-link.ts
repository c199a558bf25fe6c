/**
 * {@link SimulatedLink}: one end of a simulated connection, the {@link Link} seam
 * (src/link/types.ts) over ./connection.ts.
 *
 * @module
 */

import type { PqbleError } from '../errors.js';
import type { Link, LinkRole, LinkSendOptions, LinkStats, LinkTiming } from '../link/types.js';
import type { SimulatedConnection } from './connection.js';
import type { SimulatedLinkInfo } from './types.js';

/** One end of a simulated connection; implements the {@link Link} seam. */
export class SimulatedLink implements Link {
  /** This device's id. */
  readonly localDeviceId: string;
  /** The peer's id. */
  readonly peerDeviceId: string;
  /** Our role on this link. */
  readonly role: LinkRole;
  readonly #conn: SimulatedConnection;

  /** Created by the radio only. */
  constructor(conn: SimulatedConnection, role: LinkRole, localDeviceId: string, peerDeviceId: string) {
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
