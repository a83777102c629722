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
  metricsEndpointSpec,
  type ResolvedConfig,
  resolveConfig,
  validateParams,
  workLimitsOf,
} from './config/index.js';
import { createEventCommands, EventService, events, SERVER_EVENTS } from './events/index.js';
import { attachListener, bindListener } from './listeners/index.js';
import {
  createLogger,
  dropPrivileges,
  type Logger,
  type MetricsEndpoint,
  type SocketFileState,
  startMetricsEndpoint,
  type WatchedSocket,
  watchSocketFiles,
} from './ops/index.js';
import { MiServer, type RequestGuard } from './request/index.js';
import {
  METRICS_CONTENT_TYPE,
  ProcessStatisticsSet,
  renderMetrics,
  type StatisticsRegistry,
} from './statistics/index.js';

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
  /**
   * Where the statistics commands find the program's own statistics. Default
   * the process-wide registry `statistics` (README "Statistics").
   */
  readonly statistics?: StatisticsRegistry;
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
  /** This server's statistics (built-in groups and the program's registry). */
  readonly statistics: ProcessStatisticsSet;
  /** This server's events: subscriptions and delivery (docs/events.md). */
  readonly events: EventService;
  /** `HOST:PORT` of the metrics endpoint (`metrics_listen`), or null. */
  readonly metricsAddress: string | null;
  /** Graceful stop (see {@link MiServer.close}). */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
  /**
   * Checks the UNIX socket files now (what SIGHUP does): a removed one is
   * re-created, as the periodic socket-file watch would. Resolves to the
   * state of each path.
   */
  recheckSockets(): Promise<ReadonlyMap<string, SocketFileState>>;
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
  const stats = () => {
    if (statsOf === null) throw new Error('mi_stats: the server is not built yet');
    return statsOf.stats();
  };
  const statisticsSet = new ProcessStatisticsSet(stats, options.statistics);
  // Events: the subscription list and delivery live in this process (src/events).
  const eventService = new EventService({ logger, socketTimeoutMs: config.socket_timeout });
  const registry = await buildRegistry({
    builtins: { module: 'events', commands: createEventCommands(eventService) },
    processes,
    startedAt: new Date(),
    kill,
    stats,
    statistics: {
      values: () => statisticsSet.values(),
      reset: (names) => statisticsSet.reset(names),
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
    limits: workLimitsOf(config),
    commandTimeoutMs: config.command_timeout,
    ...(options.guard === undefined ? {} : { guard: options.guard }),
  });
  statsOf = server;
  const watched: WatchedSocket[] = [];
  let metrics: MetricsEndpoint | null = null;
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
    if (config.metrics !== null) {
      metrics = await startMetricsEndpoint(
        metricsEndpointSpec(config.metrics),
        () => ({
          body: renderMetrics(statisticsSet.values(), server.statsSnapshot().histograms),
          contentType: METRICS_CONTENT_TYPE,
        }),
        logger,
      );
    }
    // Root was needed to bind (and give the files away) only: serve as run_as.
    if (config.run_as !== null) {
      const { uid, gid } = dropPrivileges(config.run_as);
      logger.notice('dropped privileges', { uid, gid });
    }
  } catch (error) {
    statisticsSet.close();
    await eventService.close();
    await server.close({ timeoutMs: 0 });
    throw error;
  }
  const socketWatch = watchSocketFiles(watched, {
    logger,
    onRemoved: (path, recreating) => {
      if (events.hasSubscribers(SERVER_EVENTS.SOCKET_REMOVED)) {
        events.raise(SERVER_EVENTS.SOCKET_REMOVED, {
          socket: path,
          recreating: recreating ? 1 : 0,
        });
      }
    },
  });
  const started: RunningServer = {
    server,
    registry,
    logger,
    config,
    addresses: server.addresses,
    statistics: statisticsSet,
    events: eventService,
    metricsAddress: metrics?.address ?? null,
    close: async (closeOptions) => {
      socketWatch.stop();
      statisticsSet.close();
      await metrics?.close();
      await server.close(closeOptions);
      await eventService.close();
    },
    recheckSockets: () => socketWatch.check().then(() => socketWatch.states()),
  };
  running = started;
  logger.info('listening', { addresses: started.addresses });
  return started;
}
