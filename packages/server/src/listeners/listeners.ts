/**
 * One listener per `socket_name`: how its transport is opened and attached
 * to the {@link MiServer} pipeline. Shared by the in-process server (which
 * binds the socket here) and the worker processes of `children_count` > 1
 * (which adopt the socket the primary bound), so a listener is built the same
 * way, from the same {@link SocketSpec}, in both.
 */
import type { DatagramHandler, DatagramTransport } from '@mi-datagram/protocol';
import { bindUdpSocket, UdpTransportError } from '@mi-datagram/transport-udp';
import { bindUnixSocket, UnixTransportError } from '@mi-datagram/transport-unix';
import type { SocketOptions } from '@mi-datagram/worker-pool';
import { ConfigError } from '../common/index.js';
import type { ListenerSpec, ResolvedConfig, SocketSpec } from '../config/index.js';
import type { Logger } from '../ops/index.js';
import type { MiServer } from '../request/index.js';

/** What every listener's transport gets, whether it is bound or adopted. */
export interface ListenerTransportOptions {
  /** `socket_timeout`. */
  readonly socketTimeout: number;
  readonly onError: (error: Error) => void;
  readonly onWarning: (message: string, code?: string) => void;
}

/** Creates the transport of one listener, handing `onMessage` to it. */
export type OpenListener = (
  spec: SocketSpec,
  onMessage: DatagramHandler<unknown>,
  options: ListenerTransportOptions,
) => Promise<DatagramTransport<unknown>>;

/**
 * Owner and permissions of a UNIX socket file (`unix_socket_mode`, `_user`,
 * `_group`): the listener's own (a `sockets` entry's overrides are resolved
 * into it) when `spec` is a resolved {@link ListenerSpec}, else the top-level ones.
 */
export function unixSocketFileOptions(
  config: ResolvedConfig,
  spec?: SocketSpec | ListenerSpec,
): {
  readonly mode: number;
  readonly user?: string;
  readonly group?: string;
} {
  const own = spec !== undefined && 'unix_socket_mode' in spec ? spec : config;
  return {
    mode: own.unix_socket_mode,
    ...(own.unix_socket_user === null ? {} : { user: own.unix_socket_user }),
    ...(own.unix_socket_group === null ? {} : { group: own.unix_socket_group }),
  };
}

/** The socket a worker pool's primary binds for `spec`. */
export function poolSocketOptions(spec: SocketSpec, config: ResolvedConfig): SocketOptions {
  return spec.kind === 'unix'
    ? { kind: 'unix', path: spec.path, ...unixSocketFileOptions(config, spec) }
    : { kind: 'udp', host: spec.host, port: spec.port };
}

/** {@link OpenListener} of the in-process server: binds the socket in this process. */
export function bindListener(config: ResolvedConfig): OpenListener {
  return (spec, onMessage, common) =>
    spec.kind === 'unix'
      ? bindUnixSocket(spec.path, {
          onMessage,
          onError: common.onError,
          onWarning: (message) => common.onWarning(message),
          socketTimeout: common.socketTimeout,
          ...unixSocketFileOptions(config, spec),
        })
      : bindUdpSocket(spec.host, spec.port, {
          onMessage,
          onError: common.onError,
          onWarning: (warning) => common.onWarning(warning.message, warning.code),
          socketTimeout: common.socketTimeout,
        });
}

/**
 * Opens the listener of `spec` with `open` and serves it with `server`.
 * Errors of the socket layer that are configuration mistakes become
 * {@link ConfigError}s naming the parameter (see {@link bindFailure}).
 */
export async function attachListener(
  server: MiServer,
  spec: SocketSpec,
  config: ResolvedConfig,
  logger: Logger,
  open: OpenListener,
): Promise<DatagramTransport<unknown>> {
  const label = spec.kind === 'unix' ? 'UNIX' : 'UDP';
  try {
    return await server.attach<unknown>(
      (onMessage) =>
        open(spec, onMessage, {
          socketTimeout: config.socket_timeout,
          onError: (error) =>
            logger.error(`${label} transport error`, { socket: spec.text, error }),
          onWarning: (message, code) =>
            logger.warn(
              message,
              code === undefined ? { socket: spec.text } : { socket: spec.text, code },
            ),
        }),
      // transport-unix hands out views into a buffer it reuses (batched receive).
      // The listener's access policy (level, allowlist, rate limit) travels
      // in its resolved spec and is compiled by MiServer.attach.
      {
        reusesBuffers: spec.kind === 'unix',
        ...('policy' in spec ? { policy: (spec as ListenerSpec).policy } : {}),
      },
    );
  } catch (error) {
    throw bindFailure(spec, error);
  }
}

/** Maps a bind error of the transports to a {@link ConfigError} when it is a configuration mistake. */
export function bindFailure(spec: SocketSpec, error: unknown): Error {
  if (error instanceof UnixTransportError) {
    switch (error.code) {
      case 'UNKNOWN_USER':
        return invalidParameter('unix_socket_user', 'unix_socket_user', error);
      case 'UNKNOWN_GROUP':
        return invalidParameter('unix_socket_group', 'unix_socket_group', error);
      case 'PATH_NOT_SOCKET':
      case 'PATH_TOO_LONG':
      case 'INVALID_ARGUMENT':
        return invalidParameter('socket_name', `socket_name ${spec.text}`, error);
      default:
        return error;
    }
  }
  if (error instanceof UdpTransportError) {
    switch (error.code) {
      case 'HOST_NOT_FOUND':
      case 'ADDRESS_NOT_AVAILABLE':
      case 'INVALID_ARGUMENT':
        return invalidParameter('socket_name', `socket_name ${spec.text}`, error);
      default:
        return error;
    }
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** `invalid <what>: <the transport's message>`, about `parameter`. */
function invalidParameter(parameter: string, what: string, error: Error): ConfigError {
  return new ConfigError('INVALID_PARAMETER', parameter, `invalid ${what}: ${error.message}`);
}
