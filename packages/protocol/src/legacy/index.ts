/**
 * The legacy text protocol of the OpenSIPS 2.x `mi_datagram` module
 * (PROTOCOL.md 2–4): request parser and encoder, reply encoder and parser,
 * transport error lines, `socket_name` values. Pure: no I/O, no Node APIs.
 */

export {
  isMiProtocolError,
  MI_PROTOCOL_ERROR_CODES,
  MiProtocolError,
  type MiProtocolErrorCode,
} from './errors.js';
export { MAX_ARGUMENTS, MAX_DATAGRAM_SIZE } from './limits.js';
export { type EncodeReplyOptions, encodeReply } from './reply-encoder.js';
export {
  type ParsedNode,
  type ParsedReply,
  type ParseReplyOptions,
  parseReply,
} from './reply-parser.js';
export { encodeRequest, type RequestArgumentInput } from './request-encoder.js';
export {
  type MiArgument,
  type ParsedRequest,
  parseArguments,
  parseRequest,
  parseRequestHead,
  type RequestHead,
} from './request-parser.js';
export { formatSocketName, parseSocketName, type SocketName } from './socket-name.js';
export {
  TRANSPORT_ERROR_LINES,
  type TransportErrorKind,
  transportErrorReply,
} from './transport-errors.js';
