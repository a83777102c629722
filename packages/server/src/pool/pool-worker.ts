/**
 * The program of each worker process of a `children_count` > 1 server (run
 * by `@mi-datagram/worker-pool`, built to dist/pool-worker.js). It builds the
 * registry and the {@link MiServer} pipeline as the in-process server does,
 * then adopts every socket the primary bound, in `socket_name` order.
 */
import type { WorkerContext } from '@mi-datagram/worker-pool';
import { buildRegistry, RemoteSharedStore } from '../commands/index.js';
import { workLimitsOf } from '../config/index.js';
import {
  createEventCommands,
  events,
  RemoteEventsBackend,
  subscribedNamesOf,
} from '../events/index.js';
import { attachListener } from '../listeners/index.js';
import { chooseLogFormat, createLogger } from '../ops/index.js';
import { MiServer } from '../request/index.js';
import { ProcessStatisticsSet } from '../statistics/index.js';
import { isPoolWorkerData } from './pool-data.js';
import { WorkerProcessTable } from './pool-processes.js';
import {
  answerStatisticsRequest,
  gatherPoolStatistics,
  resetPoolStatistics,
} from './pool-statistics.js';
import { gatherPoolStats, isStatsRequest } from './pool-stats.js';

export async function startWorker(context: WorkerContext): Promise<void> {
  const data = context.workerData;
  if (!isPoolWorkerData(data)) {
    throw new Error('pool-worker: malformed workerData (started by startPooledServer only)');
  }
  const { config } = data;
  // The primary passes the format it chose in the environment (LOG_FORMAT_ENV).
  const format = chooseLogFormat(null, process.env, process.stderr.isTTY === true);
  const logger = createLogger({ level: config.log_level, format });
  // As the CLI: no input of any kind stops the server, not even a command
  // handler's stray rejection or exception.
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection (a command handler?)', {
      error: reason instanceof Error ? reason : String(reason),
    });
  });
  process.on('uncaughtException', (error) => {
    logger.crit('uncaught exception (a command handler?)', { error });
  });

  const processes = new WorkerProcessTable(context, logger, config.log_level);
  // `mi_stats` and the stats requests of other workers read the server built below.
  let server: MiServer | null = null;
  const ownSnapshot = () => {
    if (server === null) throw new Error('mi_stats: the server is not built yet');
    return server.statsSnapshot();
  };
  // This worker's statistics (`get_statistics` & co.): read the server built below.
  const statisticsSet = new ProcessStatisticsSet(() => {
    if (server === null) throw new Error('statistics: the server is not built yet');
    return server.stats();
  });
  const histograms = () => (server === null ? [] : server.statsSnapshot().histograms);
  // Events live in the primary (src/events/remote.ts): commands and raises go there.
  const eventsBackend = new RemoteEventsBackend((payload) =>
    context.request(payload as Parameters<typeof context.request>[0]),
  );
  context.onRequest((payload) => {
    const subscribed = subscribedNamesOf(payload);
    if (subscribed !== undefined) {
      events.setSubscribed(subscribed);
      return true;
    }
    if (isStatsRequest(payload)) return ownSnapshot();
    const answer = answerStatisticsRequest(payload, () => statisticsSet, histograms);
    return answer === undefined ? processes.answer(payload) : answer;
  });
  const broadcast = context.broadcast.bind(context);
  context.setLogLevel(logger.level);
  const registry = await buildRegistry({
    processes,
    startedAt: new Date(data.startedAt),
    // `kill` replies first, then the whole server shuts down gracefully.
    kill: () => context.requestShutdown('kill command'),
    argv: data.argv,
    commandModules: data.commandModules,
    builtins: { module: 'events', commands: createEventCommands(eventsBackend) },
    // The whole server's counters: this worker's and every other worker's (src/pool/pool-stats.ts).
    stats: () => gatherPoolStats(context, ownSnapshot, config.children_count, logger),
    // The whole server's statistics: summed over every worker (src/pool/pool-statistics.ts).
    statistics: {
      values: async () =>
        (
          await gatherPoolStatistics(
            broadcast,
            { proc: context.workerId, values: statisticsSet.values(), histograms: [] },
            config.children_count,
            logger,
          )
        ).values,
      reset: (names) => resetPoolStatistics(broadcast, statisticsSet, names, logger),
    },
  });
  const built = new MiServer({
    registry,
    logger,
    replyIndent: config.reply_indent,
    // Handlers' shared data lives in the primary: every worker sees the same.
    shared: new RemoteSharedStore((payload) => context.request(payload)),
    limits: workLimitsOf(config),
    commandTimeoutMs: config.command_timeout,
  });
  server = built;
  await eventsBackend.connect(events, (error) => {
    logger.warn('events: an event could not reach the primary', { error: String(error) });
  });
  // A graceful stop: the pool stops delivering datagrams, then this waits for
  // the pipeline's in-flight handlers and queued replies.
  context.onStop(() => {
    statisticsSet.close();
    return built.close({ timeoutMs: data.shutdownGraceMs });
  });
  for (const [index, spec] of config.sockets.entries()) {
    await attachListener(built, spec, config, logger, (_spec, onMessage, common) =>
      context.adopt(onMessage, {
        socket: index,
        socketTimeout: common.socketTimeout,
        onError: common.onError,
      }),
    );
  }
}

export default startWorker;
