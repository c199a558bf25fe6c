/**
 * The device-id helpers under their old module path. The one parser and the helpers live in
 * `src/ids.ts` (the link seam's `index.ts` re-exports them from there); this re-export only
 * remains for modules not yet moved to `src/ids.ts` and goes with them.
 *
 * @module
 */

export { parseDeviceId, isDeviceId, formatDeviceId, deviceIdToBytes, deviceIdFromBytes } from '../ids.js';
