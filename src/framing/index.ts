/**
 * Fragmentation and reassembly (docs/framing.md): messages of up to
 * `maxMessageBytes` (default 64 KiB) are cut into packets of at most `Link.maxPayloadBytes`
 * (ATT MTU - 3, 20..514) bytes and put back together on the other side.
 *
 * @module
 */

export {
  COMPACT_CONTINUATION_HEADER_BYTES,
  CONTINUATION_FRAGMENT_HEADER_BYTES,
  MAX_DECLARED_LENGTH,
  MAX_FRAGMENT_SEQUENCE,
  SINGLE_PACKET_HEADER_BYTES,
  START_FRAGMENT_HEADER_BYTES,
  decodeFragmentHeader,
  encodeFragmentHeader,
} from './header.js';
export type { DecodedFragmentHeader, FragmentHeader } from './header.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  MAX_MESSAGE_BYTES_LIMIT,
  MAX_PACKET_BYTES,
  MIN_PACKET_BYTES,
  MessageIdAllocator,
  fragmentCount,
  fragmentMessage,
  fragmentSizes,
} from './fragment.js';
export type { ContinuationHeader, FragmentOptions, PacketSizePolicy } from './fragment.js';
export { airtimePacketPolicy } from './size-policy.js';
export { Reassembler } from './reassembler.js';
export type { ReassemblerOptions } from './reassembler.js';
