/**
 * `startServer`: configuration → registry (core + user commands) →
 * transports (UNIX or UDP per `socket_name`) → {@link MiServer}.
 */
import { bindUdpSocket, UdpTransportError } from '@mi-datagram/transport-udp';
import { bindUnixSocket, UnixTransportError } from '@mi-datagram/transport-unix';
import {
  type MiDatagramParams,
  PARAM_NAMES,
  type ResolvedConfig,
  resolveConfig,
  type SocketSpec,
  validateParams,
} from './config.js';
import { registerCoreCommands } from './core-commands.js';
import { ConfigError } from './errors.js';
import { loadCommandModule } from './load-commands.js';
import { createLogger, type Logger } from './logger.js';
import { LocalProcessTable, type ProcessTable } from './process-table.js';
import { CommandRegistry } from './registry.js';
import { MiServer, type RequestGuard } from './server.js';

/** Message of the refusal of `children_count` > 1 until the worker pool is wired. */
export const CHILDREN_UNSUPPORTED =
  'children_count > 1 needs @mi-datagram/worker-pool (not available yet)';

/** Everything besides the parameters. */
export interface ServeOptions {
  /**
   * Command definitions to serve besides the core ones (validated like a
   * commands module's; `help` shows them as exported by `app`).
   */
  readonly commands?: readonly unknown[];
  /** Paths of commands modules to load, like `--commands` (absolute or relative to the cwd). */
  readonly commandModules?: readonly string[];
  /** Register the core commands (`which`, `help`, `version`, …). Default true. */
  readonly coreCommands?: boolean;
  /** Default: JSON lines on stderr at `log_level`. */
  readonly logger?: Logger;
  /** Process table for `ps`/`log_level`. Default: this process only. */
  readonly processes?: ProcessTable;
  /** Run by the `kill` command after its reply went out. Default: close the server. */
  readonly onKill?: () => void;
  /** See {@link RequestGuard}. */
  readonly guard?: RequestGuard;
  /** What `arg` lists. Default `process.argv`. */
  readonly argv?: readonly string[];
}

/** Options of {@link startServer}: the parameters (snake_case, as in OpenSIPS) and {@link ServeOptions}. */
export type StartServerOptions = MiDatagramParams & ServeOptions;

export interface RunningServer {
  readonly server: MiServer;
  readonly registry: CommandRegistry;
  readonly logger: Logger;
  readonly config: ResolvedConfig;
  /** Bound addresses, real ports included (`udp:127.0.0.1:40123`). */
  readonly addresses: readonly string[];
  /** Graceful stop (see {@link MiServer.close}). */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
}

/** Validates the parameters, loads the commands, binds every socket and serves. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const params: Record<string, unknown> = {};
  for (const key of PARAM_NAMES) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) params[key] = value;
  }
  const config = resolveConfig([validateParams(params, 'options')]);
  return startServerFromConfig(config, options);
}

function bindFailure(spec: SocketSpec, error: unknown): Error {
  if (error instanceof UnixTransportError) {
    switch (error.code) {
      case 'UNKNOWN_USER':
        return new ConfigError(
          'INVALID_PARAMETER',
          'unix_socket_user',
          `invalid unix_socket_user: ${error.message}`,
        );
      case 'UNKNOWN_GROUP':
        return new ConfigError(
          'INVALID_PARAMETER',
          'unix_socket_group',
          `invalid unix_socket_group: ${error.message}`,
        );
      case 'PATH_NOT_SOCKET':
      case 'PATH_TOO_LONG':
      case 'INVALID_ARGUMENT':
        return new ConfigError(
          'INVALID_PARAMETER',
          'socket_name',
          `invalid socket_name ${spec.text}: ${error.message}`,
        );
      default:
        return error;
    }
  }
  if (error instanceof UdpTransportError) {
    switch (error.code) {
      case 'HOST_NOT_FOUND':
      case 'ADDRESS_NOT_AVAILABLE':
      case 'INVALID_ARGUMENT':
        return new ConfigError(
          'INVALID_PARAMETER',
          'socket_name',
          `invalid socket_name ${spec.text}: ${error.message}`,
        );
      default:
        return error;
    }
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Like {@link startServer} with an already validated and merged configuration (the CLI's path). */
export async function startServerFromConfig(
  config: ResolvedConfig,
  options: ServeOptions = {},
): Promise<RunningServer> {
  if (config.children_count > 1) {
    throw new ConfigError('UNSUPPORTED', 'children_count', CHILDREN_UNSUPPORTED);
  }
  const logger = options.logger ?? createLogger({ level: config.log_level });
  const registry = new CommandRegistry();
  const processes = options.processes ?? new LocalProcessTable(logger);
  let running: RunningServer | null = null;
  const kill =
    options.onKill ??
    (() => {
      void running?.close();
    });
  if (options.coreCommands !== false) {
    registerCoreCommands({
      registry,
      processes,
      startedAt: new Date(),
      kill,
      ...(options.argv === undefined ? {} : { argv: options.argv }),
    });
  }
  for (const path of options.commandModules ?? []) {
    const loaded = await loadCommandModule(path);
    registry.registerAll(loaded.commands, { module: loaded.module });
  }
  if (options.commands !== undefined) {
    if (!Array.isArray(options.commands)) {
      throw new ConfigError(
        'INVALID_COMMANDS',
        'commands',
        'invalid commands: expected an array of command definitions',
      );
    }
    registry.registerAll(options.commands, { module: 'app' });
  }
  for (const warning of config.warnings) logger.warn(warning);

  const server = new MiServer({
    registry,
    logger,
    replyIndent: config.reply_indent,
    ...(options.guard === undefined ? {} : { guard: options.guard }),
  });
  try {
    for (const spec of config.sockets) {
      try {
        if (spec.kind === 'unix') {
          await server.attach(
            (onMessage) =>
              bindUnixSocket(spec.path, {
                onMessage,
                onError: (error) =>
                  logger.error('UNIX transport error', { socket: spec.text, error }),
                onWarning: (message) => logger.warn(message, { socket: spec.text }),
                socketTimeout: config.socket_timeout,
                mode: config.unix_socket_mode,
                ...(config.unix_socket_user === null ? {} : { user: config.unix_socket_user }),
                ...(config.unix_socket_group === null ? {} : { group: config.unix_socket_group }),
              }),
            { reusesBuffers: true },
          );
        } else {
          await server.attach((onMessage) =>
            bindUdpSocket(spec.host, spec.port, {
              onMessage,
              onError: (error) => logger.error('UDP transport error', { socket: spec.text, error }),
              onWarning: (warning) =>
                logger.warn(warning.message, { socket: spec.text, code: warning.code }),
              socketTimeout: config.socket_timeout,
            }),
          );
        }
      } catch (error) {
        throw bindFailure(spec, error);
      }
    }
  } catch (error) {
    await server.close({ timeoutMs: 0 });
    throw error;
  }
  const started: RunningServer = {
    server,
    registry,
    logger,
    config,
    addresses: server.addresses,
    close: (closeOptions) => server.close(closeOptions),
  };
  running = started;
  logger.info('listening', { addresses: started.addresses });
  return started;
}
