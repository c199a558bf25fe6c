/**
 * The state of one end of a simulated connection (docs/radio-model.md "Closing"): whether it
 * still accepts sends, why it closed, its inbound buffer and listeners (the link-end core
 * shared with the adapters' links), its counters and its {@link SimulatedLink}.
 *
 * @module
 */

import { LinkError, codedError, type LinkErrorCode, type PqbleError } from '../errors.js';
import { LinkEndCore } from '../link/link-end.js';
import type { LinkRole, LinkStats } from '../link/types.js';
import type { SimulatedConnection } from './connection.js';
import { emptyStats, type MutableLinkStats } from './counters.js';
import type { Direction } from './fragment-queue.js';
import { SimulatedLink } from './simulated-link.js';

/** A {@link LinkError} with `cause` only when one is given. */
export function linkError(code: LinkErrorCode, message: string, cause?: unknown): LinkError {
  return new LinkError(code, message, cause === undefined ? {} : { cause });
}

/** One end of a connection. */
export class LinkSide {
  readonly role: LinkRole;
  readonly link: SimulatedLink;
  /** Accepts sends (false after a local close or once the link closed). */
  open = true;
  /** onClose has been decided (fired or queued). */
  closed = false;
  reason: PqbleError | undefined = undefined;
  /** Inbound buffering and the packet and close listeners (shared with the adapters' links). */
  readonly end = new LinkEndCore();
  readonly stats: MutableLinkStats = emptyStats();
  closePromise: Promise<void> | undefined = undefined;

  /** Created by the connection only. */
  constructor(conn: SimulatedConnection, role: LinkRole, localDeviceId: string, peerDeviceId: string) {
    this.role = role;
    this.link = new SimulatedLink(conn, role, localDeviceId, peerDeviceId);
  }

  /** The error a send on this closed side rejects with: a fresh copy of the close reason, else DISCONNECTED. */
  closedError(): PqbleError {
    const reason = this.reason;
    if (reason === undefined) return linkError('PQBLE_ERR_DISCONNECTED', 'the link is closed');
    return codedError(reason.code, `the link is closed: ${reason.message}`, { cause: reason });
  }

  /** Closes this side with `reason`: the sends waiting in `dir` (its outbound direction) reject, onClose fires. */
  close(reason: PqbleError | undefined, dir: Direction): void {
    this.open = false;
    this.closed = true;
    this.reason = reason;
    for (const w of dir.waiters.splice(0)) {
      w.cleanup();
      w.reject(this.closedError());
    }
    this.end.close(reason);
  }

  /** Counts an arrived application value and hands it to the listener or the buffer; false if the buffer overflowed. */
  deliver(packet: Uint8Array): boolean {
    this.stats.packetsReceived += 1;
    this.stats.bytesReceived += packet.length;
    return this.end.deliver(packet) !== 'overflow';
  }

  /** This side's figures as {@link LinkStats}. */
  snapshot(connectionEstablishmentUs: number): LinkStats {
    const s = this.stats;
    return {
      packetsSent: s.packetsSent,
      packetsReceived: s.packetsReceived,
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
      bytesOnAirSent: s.bytesOnAirSent,
      bytesOnAirReceived: s.bytesOnAirReceived,
      airtimeSentMs: s.airtimeSentUs / 1000,
      airtimeReceivedMs: s.airtimeReceivedUs / 1000,
      connectionEstablishmentMs: connectionEstablishmentUs / 1000,
    };
  }
}
