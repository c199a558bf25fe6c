/**
 * Option checking for the simulated radio (docs/radio-model.md "Options"):
 * defaults merged once, labelled TypeError/RangeError, unknown keys rejected.
 *
 * @module
 */

import { checkInteger, checkNumber, checkOptionKeys } from '../util/options.js';
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

function checkBoolean(value: unknown, label: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${label} must be a boolean`);
  return value;
}

/** Checks a PHY name. */
function checkPhy(value: unknown, label: string): Phy {
  if (typeof value !== 'string') throw new TypeError(`${label} must be a string`);
  if (value !== 'coded' && value !== '1m' && value !== '2m') throw new RangeError(`${label} must be 'coded', '1m' or '2m', got '${value.slice(0, 20)}'`);
  return value;
}

/** Checks an ATT MTU (23..517). */
export function checkAttMtu(value: unknown, label: string): number {
  return checkInteger(value, label, 23, 517);
}

const RADIO_KEYS = Object.keys(RADIO_DEFAULTS);

/** Merges `options` over {@link RADIO_DEFAULTS}, checking every value. */
export function resolveRadioOptions(options: SimulatedRadioOptions | undefined): ResolvedRadioOptions {
  checkOptionKeys(options, RADIO_KEYS, 'SimulatedRadio options');
  const o = options ?? {};
  const d = RADIO_DEFAULTS;
  return {
    seed: o.seed === undefined ? d.seed : checkInteger(o.seed, 'seed', 0, 0xffffffff),
    realtime: o.realtime === undefined ? d.realtime : checkBoolean(o.realtime, 'realtime'),
    phy: o.phy === undefined ? d.phy : checkPhy(o.phy, 'phy'),
    connectionIntervalMs: o.connectionIntervalMs === undefined ? d.connectionIntervalMs : checkNumber(o.connectionIntervalMs, 'connectionIntervalMs', 7.5, 4000),
    attMtu: o.attMtu === undefined ? d.attMtu : checkAttMtu(o.attMtu, 'attMtu'),
    dataLengthExtension: o.dataLengthExtension === undefined ? d.dataLengthExtension : checkBoolean(o.dataLengthExtension, 'dataLengthExtension'),
    connectTimeoutMs: o.connectTimeoutMs === undefined ? d.connectTimeoutMs : checkNumber(o.connectTimeoutMs, 'connectTimeoutMs', 1, 86_400_000),
    supervisionTimeoutMs: o.supervisionTimeoutMs === undefined ? d.supervisionTimeoutMs : checkNumber(o.supervisionTimeoutMs, 'supervisionTimeoutMs', 100, 32_000),
    txQueuePackets: o.txQueuePackets === undefined ? d.txQueuePackets : checkInteger(o.txQueuePackets, 'txQueuePackets', 1, 65_536),
  };
}

/** Checks a {@link FaultOptions} object. */
export function resolveFaults(faults: FaultOptions): ResolvedFaults {
  if (faults === undefined || faults === null || typeof faults !== 'object') throw new TypeError('faults must be an object');
  checkOptionKeys(faults, ['packetLossRate', 'disconnectAfterBytes', 'intercept'], 'FaultOptions');
  const rate = faults.packetLossRate === undefined ? 0 : checkNumber(faults.packetLossRate, 'packetLossRate', 0, 1);
  const after = faults.disconnectAfterBytes === undefined ? undefined : checkInteger(faults.disconnectAfterBytes, 'disconnectAfterBytes', 1, Number.MAX_SAFE_INTEGER);
  const intercept = faults.intercept;
  if (intercept !== undefined && typeof intercept !== 'function') throw new TypeError('intercept must be a function');
  return { packetLossRate: rate, disconnectAfterBytes: after, intercept };
}
