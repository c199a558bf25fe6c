/**
 * The full post-quantum handshake (docs/protocol.md): hybrid ML-KEM-768 + X25519 key
 * exchange, mutual ML-DSA-65 authentication with encrypted identities, a transcript-bound
 * HKDF-SHA-256 key schedule, pinned mode, and the trust policy applied to its result.
 * Pure state machines; the transport's driver does the I/O.
 *
 * @module
 */

export { HandshakeInitiator } from './initiator.js';
export { HandshakeResponder } from './responder.js';
export type { HandshakePeer, HandshakeResult, InitiatorOptions, InitiatorState, ResponderOptions, ResponderState } from './types.js';
export {
  HANDSHAKE_MESSAGE_BYTES,
  decodeHandshakeFinish,
  decodeHandshakeInit,
  decodeHandshakeResponse,
  decodeIdentityPayload,
  encodeHandshakeFinish,
  encodeHandshakeInit,
  encodeHandshakeResponse,
  encodeIdentityPayload,
} from './messages.js';
export type { HandshakeFinish, HandshakeInit, HandshakeMode, HandshakeResponse, IdentityPayload } from './messages.js';
export { deriveApplicationSecrets, deriveHandshakeSecrets, expandLabel, hkdfLabel } from './key-schedule.js';
export type { ApplicationSecrets, HandshakeSecrets } from './key-schedule.js';
export { signatureInput } from './internal.js';
export { PeerDirectory, makePeerInfo } from './trust.js';
export type { PeerDirectoryOptions, PeerInfo, TrustPolicy } from './trust.js';
