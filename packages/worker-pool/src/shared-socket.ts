/**
 * The one socket the primary binds and every worker receives from. The
 * primary never reads from it: the UNIX transport is bound without
 * `onMessage` (no polling), and so is the UDP socket (the UDP transport then
 * stops node:dgram's reading, which would otherwise consume and drop the
 * workers' datagrams).
 */
import type { Socket } from 'node:dgram';
import { bindUdpSocket, type UdpTransport } from '@mi-datagram/transport-udp';
import { bindUnixSocket, type UnixTransport } from '@mi-datagram/transport-unix';
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
  // Bound without `onMessage`: the UDP transport stops node:dgram's reading
  // in this process, and its socket is the handle sent to each worker.
  const transport: UdpTransport = await bindUdpSocket(options.host, options.port, {
    onWarning,
    onError,
  });
  return {
    kind: 'udp',
    address: transport.address,
    fd: null,
    handle: transport.socket,
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
