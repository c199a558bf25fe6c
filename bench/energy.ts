/**
 * Radio energy of a connection setup (docs/benchmarks.md "Radio energy"): each side's
 * transmit and receive airtime, as the simulated radio counts it per link-layer PDU
 * (src/radio/airtime.ts), times the supply current of a published radio profile.
 *
 * energy (µJ) = supply (V) × (I_TX (mA) × t_TX (ms) + I_RX (mA) × t_RX (ms))
 *
 * @module
 */

/** Supply currents of a BLE radio while it transmits and receives, at one supply voltage. */
export interface RadioCurrentProfile {
  /** Where the figures come from. */
  readonly name: string;
  /** Supply voltage, V. */
  readonly supplyVolts: number;
  /** Current while transmitting, mA. */
  readonly txMilliamps: number;
  /** Current while receiving, mA. */
  readonly rxMilliamps: number;
}

/**
 * Nordic nRF52840 at 3 V with the DC/DC regulator on (nRF52840 Product Specification,
 * "Current consumption: Radio transmitting/receiving"): TX at 0 dBm 4.8 mA, RX at 1 Mbit/s
 * 4.6 mA. The same currents are applied on every PHY (the data sheet's 1 Mbit/s figure;
 * coded and 2M reception differ by a few percent).
 */
export const NRF52840_DCDC_3V: RadioCurrentProfile = {
  name: 'nRF52840, 3 V, DC/DC, TX 0 dBm 4.8 mA, RX 4.6 mA',
  supplyVolts: 3,
  txMilliamps: 4.8,
  rxMilliamps: 4.6,
};

/** Radio energy of both sides of one setup, µJ. */
export interface RadioEnergy {
  readonly central: number;
  readonly peripheral: number;
}

/** One side's airtime in a setup, ms. */
export interface SideAirtime {
  /** What this side transmitted. */
  readonly txMs: number;
  /** What this side received. */
  readonly rxMs: number;
}

/**
 * Radio energy in µJ of `airtime` under `profile` (mA × ms × V = µJ).
 * @throws RangeError if an airtime is negative or not finite
 */
export function radioEnergyMicrojoules(airtime: SideAirtime, profile: RadioCurrentProfile = NRF52840_DCDC_3V): number {
  for (const [label, v] of [
    ['txMs', airtime.txMs],
    ['rxMs', airtime.rxMs],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${label} must be a finite number >= 0, got ${v}`);
  }
  return profile.supplyVolts * (profile.txMilliamps * airtime.txMs + profile.rxMilliamps * airtime.rxMs);
}
