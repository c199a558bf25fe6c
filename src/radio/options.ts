/**
 * Option checking for the simulated radio (STYLE.md rule 5; docs/radio-model.md "Options"):
 * defaults merged once, labelled TypeError/RangeError, unknown keys rejected.
 *
 * @module
 */

import type { Phy } from './airtime.js';
import type { FaultOptions, InterceptEvent, InterceptVerdict, SimulatedRadioOptions } from './types.js';

/** {@link SimulatedRadioOptions} with every default filled in. */
export interface ResolvedRadioOptions {
  readonly seed: number;
  readonly realtime: boolean;
  readonly phy: Phy;
  readonly connectionIntervalMs: number;
  readonly attMtu: number;
  readonly dataLengthExtension: boolean;
  readonly connectTimeoutMs: number;
  readonly supervisionTimeoutMs: number;
  readonly txQueuePackets: number;
}

/** The radio's defaults (docs/radio-model.md "Options"). */
export const RADIO_DEFAULTS: ResolvedRadioOptions = {
  seed: 1,
  realtime: false,
  phy: 'coded',
  connectionIntervalMs: 30,
  attMtu: 247,
  dataLengthExtension: true,
  connectTimeoutMs: 5000,
  supervisionTimeoutMs: 4000,
  txQueuePackets: 64,
};

/** {@link FaultOptions} after checking. */
export interface ResolvedFaults {
  readonly packetLossRate: number;
  readonly disconnectAfterBytes: number | undefined;
  readonly intercept: ((event: InterceptEvent) => InterceptVerdict) | undefined;
}

/** No faults. */
export const NO_FAULTS: ResolvedFaults = { packetLossRate: 0, disconnectAfterBytes: undefined, intercept: undefined };

/** Throws a TypeError naming the first key of `options` not in `allowed`. */
export function checkKeys(options: unknown, allowed: readonly string[], label: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new TypeError(`${label} must be an object`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${label}: unknown option "${key}" (expected one of: ${allowed.join(', ')})`);
  }
}

/** Checks a finite number in [min, max] (integer if `integer`). */
export function checkNumberIn(value: unknown, label: string, min: number, max: number, integer: boolean): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${label} must be a number`);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${label} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${value}`);
  }
  return value;
}

function checkBoolean(value: unknown, label: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${label} must be a boolean`);
  return value;
}

/** Checks a PHY name. */
export function checkPhy(value: unknown, label: string): Phy {
  if (typeof value !== 'string') throw new TypeError(`${label} must be a string`);
  if (value !== 'coded' && value !== '1m' && value !== '2m') throw new RangeError(`${label} must be 'coded', '1m' or '2m', got '${value.slice(0, 20)}'`);
  return value;
}

/** Checks an ATT MTU (23..517). */
export function checkAttMtu(value: unknown, label: string): number {
  return checkNumberIn(value, label, 23, 517, true);
}

const RADIO_KEYS = Object.keys(RADIO_DEFAULTS);

/** Merges `options` over {@link RADIO_DEFAULTS}, checking every value. */
export function resolveRadioOptions(options: SimulatedRadioOptions | undefined): ResolvedRadioOptions {
  checkKeys(options, RADIO_KEYS, 'SimulatedRadio options');
  const o = options ?? {};
  const d = RADIO_DEFAULTS;
  return {
    seed: o.seed === undefined ? d.seed : checkNumberIn(o.seed, 'seed', 0, 0xffffffff, true),
    realtime: o.realtime === undefined ? d.realtime : checkBoolean(o.realtime, 'realtime'),
    phy: o.phy === undefined ? d.phy : checkPhy(o.phy, 'phy'),
    connectionIntervalMs: o.connectionIntervalMs === undefined ? d.connectionIntervalMs : checkNumberIn(o.connectionIntervalMs, 'connectionIntervalMs', 7.5, 4000, false),
    attMtu: o.attMtu === undefined ? d.attMtu : checkAttMtu(o.attMtu, 'attMtu'),
    dataLengthExtension: o.dataLengthExtension === undefined ? d.dataLengthExtension : checkBoolean(o.dataLengthExtension, 'dataLengthExtension'),
    connectTimeoutMs: o.connectTimeoutMs === undefined ? d.connectTimeoutMs : checkNumberIn(o.connectTimeoutMs, 'connectTimeoutMs', 1, 86_400_000, false),
    supervisionTimeoutMs: o.supervisionTimeoutMs === undefined ? d.supervisionTimeoutMs : checkNumberIn(o.supervisionTimeoutMs, 'supervisionTimeoutMs', 100, 32_000, false),
    txQueuePackets: o.txQueuePackets === undefined ? d.txQueuePackets : checkNumberIn(o.txQueuePackets, 'txQueuePackets', 1, 65_536, true),
  };
}

/** Checks a {@link FaultOptions} object. */
export function resolveFaults(faults: FaultOptions): ResolvedFaults {
  if (faults === undefined || faults === null || typeof faults !== 'object') throw new TypeError('faults must be an object');
  checkKeys(faults, ['packetLossRate', 'disconnectAfterBytes', 'intercept'], 'FaultOptions');
  const rate = faults.packetLossRate === undefined ? 0 : checkNumberIn(faults.packetLossRate, 'packetLossRate', 0, 1, false);
  const after = faults.disconnectAfterBytes === undefined ? undefined : checkNumberIn(faults.disconnectAfterBytes, 'disconnectAfterBytes', 1, Number.MAX_SAFE_INTEGER, true);
  const intercept = faults.intercept;
  if (intercept !== undefined && typeof intercept !== 'function') throw new TypeError('intercept must be a function');
  return { packetLossRate: rate, disconnectAfterBytes: after, intercept };
}
