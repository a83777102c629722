/**
 * `@mi-datagram/transport-udp`: the MI datagram transport contract
 * (`DatagramTransport` from `@mi-datagram/protocol`) on `node:dgram` UDP
 * sockets, IPv4 and IPv6.
 */
export type {
  DatagramHandler,
  DatagramInfo,
  DatagramTransport,
  SendOutcome,
  TransportStats,
} from '@mi-datagram/protocol';
export {
  UdpTransportError,
  UdpTransportErrorCode,
  type UdpTransportErrorDetails,
} from './errors.js';
export { adoptUdpSocket, bindUdpSocket, openUdpReplySocket, type UdpReplyTarget } from './open.js';
export {
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_PENDING_REPLIES,
  DEFAULT_SERVER_RECEIVE_BUFFER_SIZE,
  DEFAULT_SOCKET_TIMEOUT,
  type UdpTransportOptions,
} from './options.js';
export {
  formatUdpAddress,
  resolveUdpPeer,
  type UdpFamily,
  type UdpLookup,
  type UdpLookupResult,
  type UdpPeer,
} from './peer.js';
export type { UdpTransportStats } from './stats.js';
export { UdpTransport } from './transport.js';
