export {
  UnixTransportError,
  UnixTransportErrorCode,
  type UnixTransportErrorDetails,
} from './errors.js';
/** The addon itself, for @mi-datagram/transport-udp's native path (not a stable API). */
export {
  loadNative,
  type NativeBatchCallback,
  type NativeBinding,
  type NativePeers,
  type NativeSocket,
} from './native.js';
export {
  MAX_DATAGRAM_SIZE,
  type UnixPeer,
  type UnixTransportOptions,
} from './options.js';
export {
  type AdoptUnixSocketOptions,
  adoptUnixSocket,
  bindUnixSocket,
  openUnixReplySocket,
  resolveOwner,
  type UnixReplySocketOptions,
} from './sockets.js';
export { UnixTransport, type UnixTransportStats } from './transport.js';
