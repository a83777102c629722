import { type DatagramHandler, MAX_DATAGRAM_SIZE } from '@mi-datagram/protocol';
import { invalidArgument, type UdpTransportError } from './errors.js';
import type { UdpLookup, UdpPeer } from './peer.js';

/** Options of {@link bindUdpSocket}, {@link adoptUdpSocket} and {@link openUdpReplySocket}. */
export interface UdpTransportOptions {
  /**
   * Called once per received datagram with the bytes (a view of the received
   * buffer, not a copy), the sender and `{ truncated }`.
   * Default: none, and then the transport does not receive at all (the
   * socket stops reading), which is what a primary process that only binds
   * the socket for its workers needs: it must not consume their datagrams.
   */
  readonly onMessage?: DatagramHandler<UdpPeer>;
  /**
   * Called for errors that do not belong to a caller: a send the kernel
   * refused (`SEND_FAILED`), a reply larger than 65457 bytes
   * (`DATAGRAM_TOO_LARGE`), a socket error (`SOCKET_ERROR`), and an exception
   * thrown by `onMessage` (`HANDLER_FAILED`; without `onError` such an
   * exception propagates as usual). Default: none (errors are only counted).
   */
  readonly onError?: (error: UdpTransportError) => void;
  /**
   * Called for conditions worth logging: replies dropped at the pending bound
   * (`PENDING_LIMIT`) or after `socketTimeout` (`SEND_TIMEOUT`), a socket
   * buffer smaller than requested (`BUFFER_SIZE`). Default: none.
   */
  readonly onWarning?: (warning: UdpTransportError) => void;
  /**
   * `socket_timeout` in ms: how long one reply may stay outstanding (handed to
   * `node:dgram` but not yet reported complete) before it is given up and
   * counted as dropped. Finite, >= 0. Default: 2000.
   */
  readonly socketTimeout?: number;
  /**
   * Most replies outstanding at once; a send beyond it returns `'dropped'`.
   * Integer >= 1. Default: 1024.
   */
  readonly maxPendingReplies?: number;
  /**
   * Most bytes outstanding at once; a send that would exceed it returns
   * `'dropped'`. Integer >= 65457. Default: 8 MiB (8388608).
   */
  readonly maxPendingBytes?: number;
  /**
   * SO_RCVBUF to request, in bytes. The kernel caps it at
   * `net.core.rmem_max` (and Linux reports twice the granted value); a
   * smaller grant is reported through `onWarning`. Default: 4 MiB for
   * {@link bindUdpSocket} (room for dozens of 65457-byte datagrams); the
   * kernel default for {@link openUdpReplySocket} (it waits for one reply)
   * and for {@link adoptUdpSocket} (the socket is already configured).
   */
  readonly receiveBufferSize?: number;
  /** SO_SNDBUF to request, in bytes. Default: the kernel default. */
  readonly sendBufferSize?: number;
  /**
   * Host name resolver used by {@link bindUdpSocket} and
   * {@link openUdpReplySocket} when the host is not an IP literal.
   * Default: `dns.promises.lookup` (getaddrinfo: `/etc/hosts`, then DNS),
   * first result.
   */
  readonly lookup?: UdpLookup;
  /**
   * Receive and send through the native addon of `@mi-datagram/transport-unix`
   * (batched `recvmmsg`, direct `sendto`) when it loads on this platform.
   * `false`, or `MI_DATAGRAM_UDP_NATIVE=0` in the environment, keeps to
   * `node:dgram` alone (also what happens when the addon cannot load).
   * Default: true.
   */
  readonly native?: boolean;
}

export const DEFAULT_SOCKET_TIMEOUT = 2000;
export const DEFAULT_MAX_PENDING_REPLIES = 1024;
export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
export const DEFAULT_SERVER_RECEIVE_BUFFER_SIZE = 4 * 1024 * 1024;

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  readonly onMessage: DatagramHandler<UdpPeer> | undefined;
  readonly onError: ((error: UdpTransportError) => void) | undefined;
  readonly onWarning: ((warning: UdpTransportError) => void) | undefined;
  readonly socketTimeout: number;
  readonly maxPendingReplies: number;
  readonly maxPendingBytes: number;
  readonly receiveBufferSize: number | undefined;
  readonly sendBufferSize: number | undefined;
  readonly lookup: UdpLookup | undefined;
  readonly native: boolean;
}

function optionalFunction<T>(options: object, name: string): T | undefined {
  const value: unknown = (options as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalidArgument(`option ${name} must be a function`);
  return value as T;
}

function optionalInteger(
  options: object,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value: unknown = (options as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`option ${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function nativeWanted(value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalidArgument('option native must be a boolean');
  }
  return value !== false && process.env.MI_DATAGRAM_UDP_NATIVE !== '0';
}

/** Validates options (throws `INVALID_ARGUMENT`) and applies the defaults. */
export function resolveOptions(options: UdpTransportOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('options must be an object');
  }
  const socketTimeout: unknown = options.socketTimeout;
  if (
    socketTimeout !== undefined &&
    (typeof socketTimeout !== 'number' || !Number.isFinite(socketTimeout) || socketTimeout < 0)
  ) {
    throw invalidArgument('option socketTimeout must be a finite number of ms >= 0');
  }
  const maxBuffer = 2 ** 31 - 1;
  return {
    onMessage: optionalFunction(options, 'onMessage'),
    onError: optionalFunction(options, 'onError'),
    onWarning: optionalFunction(options, 'onWarning'),
    socketTimeout: socketTimeout ?? DEFAULT_SOCKET_TIMEOUT,
    maxPendingReplies:
      optionalInteger(options, 'maxPendingReplies', 1, 2 ** 24) ?? DEFAULT_MAX_PENDING_REPLIES,
    maxPendingBytes:
      optionalInteger(options, 'maxPendingBytes', MAX_DATAGRAM_SIZE, Number.MAX_SAFE_INTEGER) ??
      DEFAULT_MAX_PENDING_BYTES,
    receiveBufferSize: optionalInteger(options, 'receiveBufferSize', 1, maxBuffer),
    sendBufferSize: optionalInteger(options, 'sendBufferSize', 1, maxBuffer),
    lookup: optionalFunction(options, 'lookup'),
    native: nativeWanted(options.native),
  };
}
