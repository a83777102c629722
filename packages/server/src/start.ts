/**
 * `startServer`: configuration → registry (core + user commands) →
 * transports (UNIX or UDP per `socket_name`) → {@link MiServer}.
 */

import type { CommandRegistry } from './commands/index.js';
import { buildRegistry, LocalProcessTable, type ProcessTable } from './commands/index.js';
import { ConfigError } from './common/index.js';
import {
  CONFIG_KEYS,
  type MiDatagramParams,
  type ResolvedConfig,
  resolveConfig,
  validateParams,
} from './config/index.js';
import { attachListener, bindListener } from './listeners/index.js';
import { createLogger, type Logger, type WatchedSocket, watchSocketFiles } from './ops/index.js';
import { MiServer, type RequestGuard } from './request/index.js';

/**
 * Why {@link startServer} refuses `children_count` > 1: worker processes
 * are started by `startPooledServer` (pool-start.ts), the CLI's path.
 */
export const CHILDREN_UNSUPPORTED =
  'children_count > 1 runs worker processes: use startPooledServer (commands from modules only)';

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
  for (const key of CONFIG_KEYS) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) params[key] = value;
  }
  const config = resolveConfig([validateParams(params, 'options')]);
  return startServerFromConfig(config, options);
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
  const processes = options.processes ?? new LocalProcessTable(logger);
  let running: RunningServer | null = null;
  const kill =
    options.onKill ??
    (() => {
      void running?.close();
    });
  // `mi_stats` reads the server built below (it can only run once it exists).
  let statsOf: MiServer | null = null;
  const registry = await buildRegistry({
    processes,
    startedAt: new Date(),
    kill,
    stats: () => {
      if (statsOf === null) throw new Error('mi_stats: the server is not built yet');
      return statsOf.stats();
    },
    ...(options.coreCommands === undefined ? {} : { coreCommands: options.coreCommands }),
    ...(options.argv === undefined ? {} : { argv: options.argv }),
    ...(options.commandModules === undefined ? {} : { commandModules: options.commandModules }),
    ...(options.commands === undefined ? {} : { commands: options.commands }),
  });
  for (const warning of config.warnings) logger.warn(warning);

  const server = new MiServer({
    registry,
    logger,
    replyIndent: config.reply_indent,
    ...(options.guard === undefined ? {} : { guard: options.guard }),
  });
  statsOf = server;
  const watched: WatchedSocket[] = [];
  try {
    const open = bindListener(config);
    for (const spec of config.sockets) {
      const transport = await attachListener(server, spec, config, logger, open);
      if (spec.kind === 'unix') {
        // A socket file removed under the running server is re-created (socket-watch.ts).
        const recreate = () => attachListener(server, spec, config, logger, open);
        watched.push({ path: spec.path, transport, recreate });
      }
    }
  } catch (error) {
    await server.close({ timeoutMs: 0 });
    throw error;
  }
  const socketWatch = watchSocketFiles(watched, { logger });
  const started: RunningServer = {
    server,
    registry,
    logger,
    config,
    addresses: server.addresses,
    close: (closeOptions) => {
      socketWatch.stop();
      return server.close(closeOptions);
    },
  };
  running = started;
  logger.info('listening', { addresses: started.addresses });
  return started;
}
