import { createSocket, type Socket } from 'node:dgram';
import { bindError, invalidArgument } from './errors.js';
import {
  DEFAULT_SERVER_RECEIVE_BUFFER_SIZE,
  resolveOptions,
  type UdpTransportOptions,
} from './options.js';
import {
  checkFamily,
  checkPort,
  familyName,
  formatUdpAddress,
  isLoopbackAddress,
  resolveHost,
} from './peer.js';
import { UdpTransport } from './transport.js';

/**
 * Binds a UDP socket to `host`:`port` and returns its transport.
 *
 * `host` is an IPv4 literal, an IPv6 literal (`::1`; `[::1]` is accepted
 * too) or a host name, resolved once with the first result's family. IPv6
 * sockets are IPv6-only. Port 0 binds an ephemeral port (see
 * `transport.port`). Rejects with a {@link UdpTransportError}:
 * `ADDRESS_IN_USE`, `PERMISSION_DENIED`, `ADDRESS_NOT_AVAILABLE`,
 * `HOST_NOT_FOUND`, `INVALID_ARGUMENT` or `BIND_FAILED`; nothing stays open
 * after a failure.
 */
export async function bindUdpSocket(
  host: string,
  port: number,
  options?: UdpTransportOptions,
): Promise<UdpTransport> {
  const resolved = resolveOptions(options);
  checkPort(port, true);
  const { address, family } = await resolveHost(host, resolved.lookup);
  const socket = await bindFresh(address, port, family);
  return adoptOrClose(socket, {
    ...options,
    receiveBufferSize: resolved.receiveBufferSize ?? DEFAULT_SERVER_RECEIVE_BUFFER_SIZE,
  });
}

/**
 * Takes over an already bound `dgram.Socket`, for example one a worker
 * received from its primary:
 *
 * ```ts
 * process.on('message', (message, handle) => {
 *   if (handle instanceof dgram.Socket) adoptUdpSocket(handle, { onMessage });
 * });
 * ```
 *
 * The transport owns the socket from then on. Socket buffer sizes are left
 * as they are unless given. Throws `INVALID_ARGUMENT` (not a bound socket,
 * already owned by a transport) or `CLOSED` (closed by a transport).
 */
export function adoptUdpSocket(socket: Socket, options?: UdpTransportOptions): UdpTransport {
  return new UdpTransport(socket, options);
}

/** Where a client will send its requests (see {@link openUdpReplySocket}). */
export interface UdpReplyTarget {
  /** IP literal or host name of the server. */
  readonly host: string;
  /** Address family to use; default: that of `host` (resolved if it is a name). */
  readonly family?: 4 | 6;
}

/**
 * Client side: binds a socket on an ephemeral port to send requests from and
 * receive their replies on, in the family of `target`: on the loopback
 * address (`127.0.0.1`/`::1`) when the target is a loopback address, else on
 * the wildcard address (`0.0.0.0`/`::`). Pass the `onMessage` that receives
 * the replies. Rejects like {@link bindUdpSocket}.
 */
export async function openUdpReplySocket(
  target: UdpReplyTarget,
  options?: UdpTransportOptions,
): Promise<UdpTransport> {
  if (typeof target !== 'object' || target === null) {
    throw invalidArgument('target must be an object { host, family? }');
  }
  const resolved = resolveOptions(options);
  const wanted = checkFamily(target.family);
  const { address, family } = await resolveHost(target.host, resolved.lookup, wanted);
  const local = isLoopbackAddress(address, family)
    ? family === 4
      ? '127.0.0.1'
      : '::1'
    : family === 4
      ? '0.0.0.0'
      : '::';
  const socket = await bindFresh(local, 0, family);
  return adoptOrClose(socket, options);
}

function adoptOrClose(socket: Socket, options: UdpTransportOptions | undefined): UdpTransport {
  try {
    return new UdpTransport(socket, options);
  } catch (error) {
    socket.close();
    throw error;
  }
}

/** Creates and binds a socket; on failure it is closed and a typed error thrown. */
function bindFresh(address: string, port: number, family: 4 | 6): Promise<Socket> {
  const printable = formatUdpAddress(address, port, familyName(family));
  const socket = createSocket({
    type: family === 4 ? 'udp4' : 'udp6',
    ipv6Only: family === 6,
    reuseAddr: false,
  });
  return new Promise<Socket>((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.removeListener('listening', onListening);
      closeQuietly(socket);
      reject(bindError(error, printable));
    };
    const onListening = (): void => {
      socket.removeListener('error', onError);
      resolve(socket);
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    try {
      // exclusive: never route the bind through a node:cluster primary.
      socket.bind({ address, port, exclusive: true });
    } catch (error) {
      socket.removeListener('error', onError);
      socket.removeListener('listening', onListening);
      closeQuietly(socket);
      reject(bindError(error, printable));
    }
  });
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}
