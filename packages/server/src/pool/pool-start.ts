/**
 * `children_count` > 1: the primary binds every `socket_name` once and runs
 * `children_count` worker processes (src/pool/pool-worker.ts) through
 * `@mi-datagram/worker-pool`; each worker adopts every socket and serves the
 * full pipeline. The primary answers no datagram: it supervises the workers,
 * logs for them, and holds its own row of `ps` / `log_level`.
 */
import { resolve } from 'node:path';
import { UdpTransportError } from '@mi-datagram/transport-udp';
import { UnixTransportError } from '@mi-datagram/transport-unix';
import type { JsonValue } from '@mi-datagram/worker-pool';
import {
  type LogEntry,
  type RestartPolicy,
  startWorkerPool,
  type WorkerPool,
} from '@mi-datagram/worker-pool';
import {
  answerSharedStoreRequest,
  buildRegistry,
  LocalProcessTable,
  LocalSharedStore,
  parseSharedStoreRequest,
} from '../commands/index.js';
import {
  CONFIG_KEYS,
  type MiDatagramParams,
  metricsEndpointSpec,
  type ResolvedConfig,
  resolveConfig,
  type SocketSpec,
  validateParams,
} from '../config/index.js';
import {
  answerEventsRequest,
  EventService,
  events,
  SERVER_EVENTS,
  subscribedNamesPayload,
} from '../events/index.js';
import { bindFailure, poolSocketOptions } from '../listeners/index.js';
import {
  createLogger,
  LOG_LEVEL,
  type Logger,
  type MetricsEndpoint,
  type SocketFileState,
  startMetricsEndpoint,
  watchSocketFiles,
} from '../ops/index.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from '../statistics/index.js';
import { encodePoolWorkerData, parseLogLevelRequest } from './pool-data.js';
import { gatherPoolStatistics } from './pool-statistics.js';

const POOL_WORKER = new URL('./pool-worker.js', import.meta.url);

/** Default of {@link PooledServerOptions.shutdownGraceMs}. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5000;

export interface PooledServerOptions {
  /** Paths of commands modules (like `--commands`); every worker loads them. */
  readonly commandModules?: readonly string[];
  /** The primary's logger (its own lines and the pool's). Default: JSON lines on stderr at `log_level`. */
  readonly logger?: Logger;
  /** Run when a worker received `kill` (its reply is out). Default: close the server. */
  readonly onKill?: () => void;
  /** What `arg` lists. Default `process.argv` of the primary. */
  readonly argv?: readonly string[];
  /** How long a graceful stop waits for in-flight requests before workers are killed. Default 5000 ms. */
  readonly shutdownGraceMs?: number;
  /** Restart policy of the workers (see `@mi-datagram/worker-pool`). */
  readonly restart?: Partial<RestartPolicy>;
  /** Node options of the workers. Default: the primary's `process.execArgv`. */
  readonly execArgv?: readonly string[];
}

export interface RunningPooledServer {
  readonly pool: WorkerPool;
  /** The primary's logger. */
  readonly logger: Logger;
  readonly config: ResolvedConfig;
  /** Bound addresses in `socket_name` order, real ports included. */
  readonly addresses: readonly string[];
  /** `HOST:PORT` of the metrics endpoint (`metrics_listen`, served by the primary), or null. */
  readonly metricsAddress: string | null;
  /** Resolves when the pool is closed (signal, `kill`, `close`). */
  readonly closed: Promise<void>;
  /**
   * Graceful stop: workers stop receiving, finish in-flight requests (at most
   * `timeoutMs`, default `shutdownGraceMs`) and exit; then the sockets are
   * closed (UNIX socket files removed).
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
  /**
   * Checks the UNIX socket files now (what SIGHUP does). With workers a
   * removed file cannot be re-created (they hold the original socket): it is
   * reported. Resolves to the state of each path.
   */
  recheckSockets(): Promise<ReadonlyMap<string, SocketFileState>>;
}

const POOL_LOG_LEVELS: Readonly<Record<LogEntry['level'], number>> = {
  debug: LOG_LEVEL.DBG,
  info: LOG_LEVEL.INFO,
  warn: LOG_LEVEL.WARN,
  error: LOG_LEVEL.ERR,
};

/** Like `startServer`, with `children_count` worker processes (any value >= 1). */
export async function startPooledServer(
  options: MiDatagramParams & PooledServerOptions = {},
): Promise<RunningPooledServer> {
  const params: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) params[key] = value;
  }
  return startPooledServerFromConfig(resolveConfig([validateParams(params, 'options')]), options);
}

/** The spec a bind error is about (the pool binds them all in one call). */
function failedSpec(config: ResolvedConfig, error: unknown): SocketSpec | undefined {
  const text = error instanceof Error ? error.message : '';
  const kind = error instanceof UdpTransportError ? 'udp' : 'unix';
  const sameKind = config.sockets.filter((s) => s.kind === kind);
  return (
    sameKind.find((s) => (s.kind === 'unix' ? text.includes(s.path) : text.includes(s.host))) ??
    sameKind[0]
  );
}

function startFailure(config: ResolvedConfig, error: unknown): Error {
  const spec = failedSpec(config, error);
  if (
    spec !== undefined &&
    (error instanceof UnixTransportError || error instanceof UdpTransportError)
  ) {
    return bindFailure(spec, error);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Like {@link startPooledServer} with an already validated and merged configuration (the CLI's path). */
export async function startPooledServerFromConfig(
  config: ResolvedConfig,
  options: PooledServerOptions = {},
): Promise<RunningPooledServer> {
  const logger = options.logger ?? createLogger({ level: config.log_level });
  const startedAt = new Date();
  const commandModules = (options.commandModules ?? []).map((path) => resolve(path));
  const grace = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  // Validate the commands before anything is bound (exit 2, nothing touched):
  // the primary imports the modules once, it never runs a handler.
  await buildRegistry({
    processes: new LocalProcessTable(logger),
    startedAt,
    kill: () => {},
    commandModules,
  });
  const workerData = encodePoolWorkerData({
    config,
    commandModules,
    argv: [...(options.argv ?? process.argv)],
    startedAt: startedAt.getTime(),
    shutdownGraceMs: grace,
  });
  for (const warning of config.warnings) logger.warn(warning);

  // What every worker's `request.shared` reaches over IPC (src/commands/shared-store.ts).
  const sharedStore = new LocalSharedStore();
  let pool: WorkerPool | null = null;
  // The one subscription list of the server, and its delivery (src/events/remote.ts):
  // workers learn which events have subscribers whenever that changes.
  const tellWorkers = (names: readonly string[]) => {
    void pool?.broadcast(subscribedNamesPayload(names)).catch(() => {});
  };
  const eventService = new EventService({
    logger,
    socketTimeoutMs: config.socket_timeout,
    onSubscribedChange: tellWorkers,
  });
  let running: RunningPooledServer | null = null;
  const kill = options.onKill ?? (() => void running?.close());
  try {
    pool = await startWorkerPool({
      sockets: config.sockets.map((spec) => poolSocketOptions(spec, config)),
      workers: config.children_count,
      module: POOL_WORKER,
      workerData,
      closeTimeoutMs: grace + 1000,
      ...(options.restart === undefined ? {} : { restart: options.restart }),
      ...(options.execArgv === undefined ? {} : { execArgv: options.execArgv }),
      onLog: (entry) =>
        logger.log(
          POOL_LOG_LEVELS[entry.level],
          entry.message,
          entry.workerId === undefined ? {} : { worker: entry.workerId, workerPid: entry.pid },
        ),
      // The shared store every worker's handlers use (request.shared), and
      // `log_level` aimed at the primary (global, or its PID).
      onRequest: (payload) => {
        const storeRequest = parseSharedStoreRequest(payload);
        if (storeRequest !== null) return answerSharedStoreRequest(sharedStore, storeRequest);
        const eventsAnswer = answerEventsRequest(eventService, payload);
        if (eventsAnswer !== undefined) return eventsAnswer as JsonValue;
        const level = parseLogLevelRequest(payload);
        if (level === null) throw new Error('unknown request');
        logger.level = level;
        pool?.setLogLevel(level);
        return { pid: process.pid, level };
      },
      // A worker that died is replaced: the server event E_MI_WORKER_REPLACED.
      onEvent: (event) => {
        if (event.type === 'restart' && events.hasSubscribers(SERVER_EVENTS.WORKER_REPLACED)) {
          events.raise(SERVER_EVENTS.WORKER_REPLACED, {
            worker: event.workerId,
            reason: String(event.reason),
            failures: event.failures,
          });
        }
      },
      onShutdownRequest: ({ pid, reason }) => {
        logger.notice('shutdown requested by a worker', { workerPid: pid, reason });
        kill();
      },
    });
  } catch (error) {
    await eventService.close();
    throw startFailure(config, error);
  }
  pool.setLogLevel(logger.level);
  const started = pool;
  // The workers hold the sockets: a removed socket file cannot be re-created, only reported (socket-watch.ts).
  const socketWatch = watchSocketFiles(
    config.sockets.flatMap((spec) => (spec.kind === 'unix' ? [{ path: spec.path }] : [])),
    {
      logger,
      isClosing: () => started.state === 'closing' || started.state === 'closed',
      onRemoved: (path) => {
        if (events.hasSubscribers(SERVER_EVENTS.SOCKET_REMOVED)) {
          events.raise(SERVER_EVENTS.SOCKET_REMOVED, { socket: path, recreating: 0 });
        }
      },
    },
  );
  let metrics: MetricsEndpoint | null = null;
  if (config.metrics !== null) {
    // The primary serves /metrics: every worker's statistics, summed (pool-statistics.ts).
    const broadcast = started.broadcast.bind(started);
    try {
      metrics = await startMetricsEndpoint(
        metricsEndpointSpec(config.metrics),
        async () => {
          const all = await gatherPoolStatistics(broadcast, null, config.children_count, logger);
          return {
            body: renderMetrics(all.values, all.histograms),
            contentType: METRICS_CONTENT_TYPE,
          };
        },
        logger,
      );
    } catch (error) {
      socketWatch.stop();
      await started.close({ timeoutMs: 0 });
      await eventService.close();
      throw error;
    }
  }
  const endpoint = metrics;
  void started.closed.then(() => {
    void eventService.close();
    socketWatch.stop();
    void endpoint?.close();
  });
  running = {
    pool: started,
    logger,
    config,
    addresses: started.addresses,
    metricsAddress: endpoint?.address ?? null,
    closed: started.closed,
    // Workers get `timeoutMs` for their in-flight work; the pool kills what is left 1 s later.
    close: (closeOptions) => {
      socketWatch.stop();
      void endpoint?.close();
      return started.close({ timeoutMs: (closeOptions?.timeoutMs ?? grace) + 1000 });
    },
    recheckSockets: () => socketWatch.check().then(() => socketWatch.states()),
  };
  logger.info('listening', {
    addresses: running.addresses,
    children_count: config.children_count,
    workers: started.workers,
  });
  return running;
}
