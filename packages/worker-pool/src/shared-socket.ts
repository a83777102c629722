/**
 * The one socket the primary binds and every worker receives from. The
 * primary never reads from it: the UNIX transport is bound without
 * `onMessage` (no polling), the UDP socket is adopted without `onMessage`
 * (the UDP transport then stops node:dgram's reading, which would otherwise
 * consume and drop the workers' datagrams).
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  adoptUdpSocket,
  DEFAULT_SERVER_RECEIVE_BUFFER_SIZE,
  resolveUdpPeer,
  type UdpTransport,
} from '@mi-datagram/transport-udp';
import { bindUnixSocket, type UnixTransport } from '@mi-datagram/transport-unix';
import { errorMessage, WorkerPoolError } from './errors.js';
import type { SocketKind } from './messages.js';
import type { LogEntry, SocketOptions } from './options.js';

/**
 * Where the first UNIX socket's descriptor lands in each worker: index 4 of
 * its `stdio` (0–2 standard streams, 3 the IPC channel); further UNIX sockets
 * follow at 5, 6, … in the order of the pool's `sockets`.
 */
export const CHILD_SOCKET_FD = 4;

export interface SharedSocket {
  readonly kind: SocketKind;
  /** `socket_name` form: `/path` or `udp:127.0.0.1:port` (the real port). */
  readonly address: string;
  /** UNIX: the descriptor to put into each worker's stdio. */
  readonly fd: number | null;
  /** UDP: the bound socket sent to each worker as an IPC handle. */
  readonly handle: Socket | null;
  /** Releases the socket (a UNIX socket file is removed). Idempotent. */
  close(): Promise<void>;
}

type Log = (entry: LogEntry) => void;

export async function bindSharedSocket(options: SocketOptions, log: Log): Promise<SharedSocket> {
  const onWarning = (warning: Error | string): void =>
    log({ level: 'warn', message: typeof warning === 'string' ? warning : warning.message });
  const onError = (error: Error): void => log({ level: 'error', message: error.message });
  if (options.kind === 'unix') {
    const transport: UnixTransport = await bindUnixSocket(options.path, {
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.user === undefined ? {} : { user: options.user }),
      ...(options.group === undefined ? {} : { group: options.group }),
      onWarning,
      onError,
    });
    return {
      kind: 'unix',
      address: transport.address,
      fd: transport.fd,
      handle: null,
      close: () => transport.close(),
    };
  }
  // Port 1 only satisfies the resolver's check: we want the address and family.
  const { address, family } = await resolveUdpPeer(options.host, 1);
  const socket = await bindDgram(address, options.port, family === 'IPv6' ? 6 : 4);
  let transport: UdpTransport;
  try {
    // The buffer bindUdpSocket would ask for: shared by all workers' reads.
    transport = adoptUdpSocket(socket, {
      onWarning,
      onError,
      receiveBufferSize: DEFAULT_SERVER_RECEIVE_BUFFER_SIZE,
    });
  } catch (error) {
    socket.close();
    throw error;
  }
  return {
    kind: 'udp',
    address: transport.address,
    fd: null,
    handle: socket,
    close: () => transport.close(),
  };
}

/**
 * Binds every socket in order. If one fails, those already bound are closed
 * (their socket files removed) before the error is rethrown.
 */
export async function bindSharedSockets(
  list: readonly SocketOptions[],
  log: Log,
): Promise<SharedSocket[]> {
  const bound: SharedSocket[] = [];
  try {
    for (const options of list) bound.push(await bindSharedSocket(options, log));
  } catch (error) {
    await Promise.allSettled(bound.map((socket) => socket.close()));
    throw error;
  }
  return bound;
}

function bindDgram(address: string, port: number, family: 4 | 6): Promise<Socket> {
  const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', ipv6Only: family === 6 });
  return new Promise<Socket>((resolve, reject) => {
    const fail = (error: unknown): void => {
      socket.removeListener('listening', onListening);
      try {
        socket.close();
      } catch {
        // never bound
      }
      reject(
        new WorkerPoolError(
          'BIND_FAILED',
          `cannot bind udp ${address}:${port}: ${errorMessage(error)}`,
          {
            cause: error,
          },
        ),
      );
    };
    const onListening = (): void => {
      socket.removeListener('error', fail);
      resolve(socket);
    };
    socket.once('error', fail);
    socket.once('listening', onListening);
    try {
      // exclusive: the handle is ours to share, never routed through node:cluster.
      socket.bind({ address, port, exclusive: true });
    } catch (error) {
      socket.removeListener('error', fail);
      fail(error);
    }
  });
}
