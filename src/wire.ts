/**
 * Top-level message types (docs/protocol.md "Message types"). After fragmentation and
 * reassembly, every message on a link starts with one of these bytes; the rest of the
 * message is owned by the layer named below.
 *
 * @module
 */

/** Protocol version carried in the first handshake and resumption messages. */
export const PROTOCOL_VERSION = 1;

/** First byte of every reassembled message. */
export const MessageType = {
  /** Full handshake, initiator -> responder (src/handshake). */
  HandshakeInit: 0x01,
  /** Full handshake, responder -> initiator (src/handshake). */
  HandshakeResponse: 0x02,
  /** Full handshake, initiator -> responder, last flight (src/handshake). */
  HandshakeFinish: 0x03,
  /** Resumption request carrying the 32-byte token (src/resumption). */
  ResumeRequest: 0x10,
  /** Resumption accepted: responder nonce and confirmation MAC (src/resumption). */
  ResumeAccept: 0x11,
  /** "Cannot resume": the initiator falls back to the full handshake (src/resumption). */
  ResumeReject: 0x12,
  /** Resumption version 2: the initiator's key confirmation after an accept (src/resumption/resume.ts). */
  ResumeFinished: 0x13,
  /** Encrypted application record (src/record). */
  Record: 0x20,
  /** Plaintext alert before the link closes: one reason byte follows. */
  Alert: 0x30,
} as const;
