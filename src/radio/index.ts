/**
 * The simulated BLE radio (docs/radio-model.md): an
 * in-process implementation of the link seam (src/link/types.ts) with a virtual clock,
 * a BLE timing model and fault injection.
 *
 * @module
 */

export { SimulatedRadio, ADVERTISING_INTERVAL_MS } from './radio.js';
export { SimulatedDevice } from './device.js';
export { mulberry32, deriveSeed, type Prng } from './prng.js';
export type { SimulatedLink } from './simulated-link.js';
export { MAX_BUFFERED_PACKETS } from './connection.js';
export { VirtualClock, DEFAULT_WALL_EPOCH_MS, type VirtualClockOptions } from './virtual-clock.js';
export { RADIO_DEFAULTS, type ResolvedRadioOptions } from './options.js';
export {
  ADVERTISING_PDU_BYTES,
  ADV_DELAY_MAX_US,
  LL_CONTROL_PROCEDURE_BYTES,
  T_MAFS_US,
  attPduL2capBytes,
  connectRequestDelayUs,
  connectRequestTiming,
  gattSetupExchanges,
  transmitWindowDelayUs,
  type AttExchange,
  type ConnectRequestTiming,
  type ScanParams,
} from './establishment.js';
export type { SimulatedRadioOptions, SimulatedDeviceOptions, SimulatedLinkInfo, FaultOptions, InterceptEvent, InterceptVerdict, RadioStats } from './types.js';
export {
  type Phy,
  type StreamThroughputParams,
  type TransferParams,
  oneWayTransferUs,
  PHYS,
  T_IFS_US,
  LL_HEADER_BYTES,
  LL_CRC_BYTES,
  LL_ACCESS_ADDRESS_BYTES,
  LL_MIC_BYTES,
  L2CAP_HEADER_BYTES,
  ATT_HEADER_BYTES,
  LL_MAX_PAYLOAD_DLE,
  LL_MAX_PAYLOAD_LEGACY,
  llPacketAirtimeUs,
  llPacketBytesOnAir,
  maxLlPayloadBytes,
  llFragmentSizes,
  streamThroughputBps,
} from './airtime.js';
