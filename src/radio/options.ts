/**
 * Option checking for the simulated radio (docs/radio-model.md "Options"):
 * defaults merged once, labelled TypeError/RangeError, unknown keys rejected.
 *
 * @module
 */

import { checkInteger, checkNumber, checkOptions, optBoolean, optFunction, optInteger, optNumber, optOneOf } from '../util/options.js';
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

const PHYS: readonly Phy[] = ['coded', '1m', '2m'];
const PACKET_SIZINGS: readonly ResolvedRadioOptions['packetSizing'][] = ['airtime', 'fixed'];

/** Checks an ATT MTU (23..517). */
export function checkAttMtu(value: unknown, label: string): number {
  return checkInteger(value, label, 23, 517);
}

const RADIO_KEYS = Object.keys(RADIO_DEFAULTS);

/** Merges `options` over {@link RADIO_DEFAULTS}, checking every value. */
export function resolveRadioOptions(options: SimulatedRadioOptions | undefined): ResolvedRadioOptions {
  const o = checkOptions(options, 'SimulatedRadio options', RADIO_KEYS);
  const d = RADIO_DEFAULTS;
  return {
    seed: optInteger(o.seed, 'seed', 0, 0xffffffff, d.seed),
    realtime: optBoolean(o.realtime, 'realtime', d.realtime),
    phy: optOneOf(o.phy, 'phy', PHYS, d.phy),
    connectionIntervalMs: optNumber(o.connectionIntervalMs, 'connectionIntervalMs', 7.5, 4000, d.connectionIntervalMs),
    attMtu: o.attMtu === undefined ? d.attMtu : checkAttMtu(o.attMtu, 'attMtu'),
    dataLengthExtension: optBoolean(o.dataLengthExtension, 'dataLengthExtension', d.dataLengthExtension),
    connectTimeoutMs: optNumber(o.connectTimeoutMs, 'connectTimeoutMs', 1, 86_400_000, d.connectTimeoutMs),
    supervisionTimeoutMs: optNumber(o.supervisionTimeoutMs, 'supervisionTimeoutMs', 100, 32_000, d.supervisionTimeoutMs),
    txQueuePackets: optInteger(o.txQueuePackets, 'txQueuePackets', 1, 65_536, d.txQueuePackets),
    ...establishmentOptions(o),
  };
}

function establishmentOptions(
  o: Partial<SimulatedRadioOptions>,
): Pick<
  ResolvedRadioOptions,
  | 'advertisingIntervalMs'
  | 'scanIntervalMs'
  | 'scanWindowMs'
  | 'transmitWindowOffsetMs'
  | 'transmitWindowSizeMs'
  | 'gattCaching'
  | 'maxConnectionsPerDevice'
  | 'packetSizing'
> {
  const d = RADIO_DEFAULTS;
  const interval = o.connectionIntervalMs === undefined ? d.connectionIntervalMs : o.connectionIntervalMs;
  const scanIntervalMs = optNumber(o.scanIntervalMs, 'scanIntervalMs', 2.5, 10_240, d.scanIntervalMs);
  const scanWindowMs = optNumber(o.scanWindowMs, 'scanWindowMs', 2.5, scanIntervalMs, Math.min(d.scanWindowMs, scanIntervalMs));
  return {
    advertisingIntervalMs:
      o.advertisingIntervalMs === undefined ? d.advertisingIntervalMs : checkAdvertisingInterval(o.advertisingIntervalMs, 'advertisingIntervalMs'),
    scanIntervalMs,
    scanWindowMs,
    transmitWindowOffsetMs: optNumber(o.transmitWindowOffsetMs, 'transmitWindowOffsetMs', 0, interval, d.transmitWindowOffsetMs),
    transmitWindowSizeMs: optNumber(
      o.transmitWindowSizeMs,
      'transmitWindowSizeMs',
      1.25,
      Math.max(1.25, Math.min(10, interval - 1.25)),
      d.transmitWindowSizeMs,
    ),
    gattCaching: optBoolean(o.gattCaching, 'gattCaching', d.gattCaching),
    maxConnectionsPerDevice: optInteger(o.maxConnectionsPerDevice, 'maxConnectionsPerDevice', 1, 64, d.maxConnectionsPerDevice),
    packetSizing: optOneOf(o.packetSizing, 'packetSizing', PACKET_SIZINGS, d.packetSizing),
  };
}

/** Checks a {@link FaultOptions} object. */
export function resolveFaults(faults: FaultOptions): ResolvedFaults {
  if (faults === undefined) throw new TypeError('faults must be an object');
  const f = checkOptions(faults, 'FaultOptions', ['packetLossRate', 'disconnectAfterBytes', 'intercept']);
  return {
    packetLossRate: optNumber(f.packetLossRate, 'packetLossRate', 0, 1, 0),
    disconnectAfterBytes: optInteger(f.disconnectAfterBytes, 'disconnectAfterBytes', 1, Number.MAX_SAFE_INTEGER, undefined),
    intercept: optFunction<(event: InterceptEvent) => InterceptVerdict>(f.intercept, 'intercept'),
  };
}
