/** The radio link seam: types and device-id helpers. @module */
export type { Link, LinkEndpoint, LinkRole, LinkStats, LinkSendOptions, LinkConnectOptions, LinkTiming } from './types.js';
export { parseDeviceId, isDeviceId, formatDeviceId, deviceIdToBytes, deviceIdFromBytes } from '../ids.js';
