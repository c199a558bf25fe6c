/**
 * Advertising for the bleno peripheral (docs/hardware.md "Several centrals"): the
 * advertised name rule, and when to advertise. bleno restarts advertising after each
 * accept, so more centrals can connect; at the connection limit the peripheral stops
 * advertising (bleno's own advice) and starts again when a central leaves. A controller
 * that powered off forgot its advertising set, so advertising starts again when it is back.
 *
 * @module
 */

import { raceAbort } from '../../util/abort.js';
import { PQBLE_SERVICE_UUID, compactUuid } from '../gatt.js';
import { callbackToPromise, type BlenoLike } from './library.js';

/** A peripheral's advertised local name: 1..29 printable ASCII characters (31 payload bytes less the 2-byte AD header). Checked by the bleno adapter and, up front, by the CLI. */
export const ADVERTISED_NAME_RE = /^[\x20-\x7e]{1,29}$/;

/** How long closing waits for bleno to confirm that advertising stopped. */
const STOP_TIMEOUT_MS = 1000;

/** Advertises the pqble service under one name on one bleno object. */
export class BlenoAdvertiser<C> {
  readonly #bleno: BlenoLike<C>;
  readonly #name: string;
  #advertising = false;
  #poweredOn = true;
  #stopped = false;

  /** @param name - the advertised name (checked against {@link ADVERTISED_NAME_RE} by the caller) */
  constructor(bleno: BlenoLike<C>, name: string) {
    this.#bleno = bleno;
    this.#name = name;
  }

  /** Starts advertising; rejects if bleno cannot. */
  async start(): Promise<void> {
    await callbackToPromise((done) => this.#bleno.startAdvertising(this.#name, [compactUuid(PQBLE_SERVICE_UUID)], done));
    this.#advertising = true;
  }

  /** Advertises when `want` (room for another central), stops when not; nothing while powered off or stopped. */
  update(want: boolean): void {
    if (this.#stopped || !this.#poweredOn || want === this.#advertising) return;
    this.#advertising = want;
    try {
      if (want) this.#bleno.startAdvertising(this.#name, [compactUuid(PQBLE_SERVICE_UUID)], () => undefined);
      else this.#bleno.stopAdvertising();
    } catch {
      // the adapter is going away; its state change closes everything
    }
  }

  /** The adapter left `poweredOn`: the controller no longer advertises. */
  poweredOff(): void {
    this.#poweredOn = false;
    this.#advertising = false;
  }

  /** The adapter is `poweredOn` again: advertises again if `want`. */
  poweredOn(want: boolean): void {
    if (this.#poweredOn) return;
    this.#poweredOn = true;
    this.update(want);
  }

  /** Stops advertising for good; waits at most a second for bleno to confirm. */
  async stop(): Promise<void> {
    this.#stopped = true;
    try {
      await raceAbort(
        callbackToPromise((done) => this.#bleno.stopAdvertising(() => done())),
        undefined,
        { timeoutMs: STOP_TIMEOUT_MS, keepAlive: false },
      );
    } catch {
      // not advertising, or bleno did not confirm in time
    }
  }
}
