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
  readonly advertisingIntervalMs: number;
  readonly scanIntervalMs: number;
  readonly scanWindowMs: number;
  readonly transmitWindowOffsetMs: number;
  readonly transmitWindowSizeMs: number;
  readonly gattCaching: boolean;
  readonly maxConnectionsPerDevice: number;
  readonly packetSizing: 'airtime' | 'fixed';
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
  advertisingIntervalMs: 20,
  scanIntervalMs: 60,
  scanWindowMs: 60,
  transmitWindowOffsetMs: 0,
  transmitWindowSizeMs: 1.25,
  gattCaching: false,
  maxConnectionsPerDevice: 20,
  packetSizing: 'airtime',
};

/** Checks an advertising interval (20 ms .. 10,485.76 s). */
export function checkAdvertisingInterval(value: unknown, label: string): number {
  return checkNumber(value, label, 20, 10_485_759.375);
}

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
    ...establishmentOptions(o),
  };
}

function establishmentOptions(o: SimulatedRadioOptions): Pick<ResolvedRadioOptions, 'advertisingIntervalMs' | 'scanIntervalMs' | 'scanWindowMs' | 'transmitWindowOffsetMs' | 'transmitWindowSizeMs' | 'gattCaching' | 'maxConnectionsPerDevice' | 'packetSizing'> {
  const d = RADIO_DEFAULTS;
  const interval = o.connectionIntervalMs === undefined ? d.connectionIntervalMs : o.connectionIntervalMs;
  const scanIntervalMs = o.scanIntervalMs === undefined ? d.scanIntervalMs : checkNumber(o.scanIntervalMs, 'scanIntervalMs', 2.5, 10_240);
  const scanWindowMs = o.scanWindowMs === undefined ? Math.min(d.scanWindowMs, scanIntervalMs) : checkNumber(o.scanWindowMs, 'scanWindowMs', 2.5, scanIntervalMs);
  const packetSizing = o.packetSizing === undefined ? d.packetSizing : o.packetSizing;
  if (packetSizing !== 'airtime' && packetSizing !== 'fixed') throw new RangeError(`packetSizing must be 'airtime' or 'fixed', got ${String(packetSizing).slice(0, 20)}`);
  return {
    advertisingIntervalMs: o.advertisingIntervalMs === undefined ? d.advertisingIntervalMs : checkAdvertisingInterval(o.advertisingIntervalMs, 'advertisingIntervalMs'),
    scanIntervalMs,
    scanWindowMs,
    transmitWindowOffsetMs: o.transmitWindowOffsetMs === undefined ? d.transmitWindowOffsetMs : checkNumber(o.transmitWindowOffsetMs, 'transmitWindowOffsetMs', 0, interval),
    transmitWindowSizeMs:
      o.transmitWindowSizeMs === undefined ? d.transmitWindowSizeMs : checkNumber(o.transmitWindowSizeMs, 'transmitWindowSizeMs', 1.25, Math.max(1.25, Math.min(10, interval - 1.25))),
    gattCaching: o.gattCaching === undefined ? d.gattCaching : checkBoolean(o.gattCaching, 'gattCaching'),
    maxConnectionsPerDevice: o.maxConnectionsPerDevice === undefined ? d.maxConnectionsPerDevice : checkInteger(o.maxConnectionsPerDevice, 'maxConnectionsPerDevice', 1, 64),
    packetSizing,
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
