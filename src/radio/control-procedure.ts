/**
 * The order of the control PDUs of link establishment on the simulated radio
 * (docs/radio-model.md "Link establishment"): the LL feature exchange and data length update
 * of the first connection events, then the ATT exchanges one PDU per side per event, and
 * LL_TERMINATE_IND. Pure: given the PDU that arrived, which one its receiver queues next and
 * what the connection (./connection.ts) does then.
 *
 * @module
 */

import type { LinkRole } from '../link/types.js';
import { attPduL2capBytes, LL_CONTROL_PROCEDURE_BYTES, type AttExchange } from './establishment.js';
import type { ControlKind } from './fragment-queue.js';

/** A control PDU to queue for the next connection event. */
export interface ControlReply {
  /** The side that sends it. */
  readonly from: LinkRole;
  readonly control: ControlKind;
  /** The index of its ATT exchange (0 for LL procedures). */
  readonly step: number;
}

/** What the receiver of a control PDU does. */
export interface ControlReaction {
  /** The PDU it queues, if any. */
  readonly reply: ControlReply | undefined;
  /**
   * Then: go on; `'subscribed'`: the last ATT request (the CCCD write) arrived, the
   * peripheral hands out its link; `'established'`: the last ATT response arrived, the link
   * is ready; `'terminated'`: LL_TERMINATE_IND arrived, the sender closed the connection.
   */
  readonly outcome: 'continue' | 'subscribed' | 'established' | 'terminated';
}

/** The reaction to control PDU `kind` of exchange `step`, in a setup of `exchangeCount` ATT exchanges. */
export function reactToControl(kind: ControlKind, step: number, exchangeCount: number): ControlReaction {
  const last = exchangeCount - 1;
  switch (kind) {
    case 'feature-req':
      return { reply: { from: 'peripheral', control: 'feature-rsp', step: 0 }, outcome: 'continue' };
    case 'length-req':
      return { reply: { from: 'central', control: 'length-rsp', step: 0 }, outcome: 'continue' };
    case 'length-rsp':
      return { reply: undefined, outcome: 'continue' };
    case 'feature-rsp':
      return { reply: { from: 'central', control: 'att-req', step: 0 }, outcome: 'continue' };
    case 'att-req':
      return { reply: { from: 'peripheral', control: 'att-rsp', step }, outcome: step < last ? 'continue' : 'subscribed' };
    case 'att-rsp':
      if (step < last) return { reply: { from: 'central', control: 'att-req', step: step + 1 }, outcome: 'continue' };
      return { reply: undefined, outcome: 'established' };
    case 'terminate':
      return { reply: undefined, outcome: 'terminated' };
  }
}

/** L2CAP bytes of control PDU `control` of ATT exchange `exchange` (an LL control procedure for the non-ATT kinds). */
export function controlL2capBytes(control: ControlKind, exchange: AttExchange): number {
  const att = control === 'att-req' ? exchange.requestAttBytes : control === 'att-rsp' ? exchange.responseAttBytes : 0;
  return att === 0 ? LL_CONTROL_PROCEDURE_BYTES : attPduL2capBytes(att);
}
