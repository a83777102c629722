/**
 * The program of each worker process of a `children_count` > 1 server (run
 * by `@mi-datagram/worker-pool`, built to dist/pool-worker.js). It builds the
 * registry and the {@link MiServer} pipeline as the in-process server does,
 * then adopts every socket the primary bound, in `socket_name` order.
 */
import type { WorkerContext } from '@mi-datagram/worker-pool';
import { buildRegistry } from '../commands/index.js';
import { attachListener } from '../listeners/index.js';
import { createLogger } from '../ops/index.js';
import { MiServer } from '../request/index.js';
import { isPoolWorkerData } from './pool-data.js';
import { WorkerProcessTable } from './pool-processes.js';
import { gatherPoolStats, isStatsRequest } from './pool-stats.js';

export async function startWorker(context: WorkerContext): Promise<void> {
  const data = context.workerData;
  if (!isPoolWorkerData(data)) {
    throw new Error('pool-worker: malformed workerData (started by startPooledServer only)');
  }
  const { config } = data;
  const logger = createLogger({ level: config.log_level });
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
  context.onRequest((payload) =>
    isStatsRequest(payload) ? ownSnapshot() : processes.answer(payload),
  );
  context.setLogLevel(logger.level);
  const registry = await buildRegistry({
    processes,
    startedAt: new Date(data.startedAt),
    // `kill` replies first, then the whole server shuts down gracefully.
    kill: () => context.requestShutdown('kill command'),
    argv: data.argv,
    commandModules: data.commandModules,
    // The whole server's counters: this worker's and every other worker's (src/pool/pool-stats.ts).
    stats: () => gatherPoolStats(context, ownSnapshot, config.children_count, logger),
  });
  const built = new MiServer({ registry, logger, replyIndent: config.reply_indent });
  server = built;
  // A graceful stop: the pool stops delivering datagrams, then this waits for
  // the pipeline's in-flight handlers and queued replies.
  context.onStop(() => built.close({ timeoutMs: data.shutdownGraceMs }));
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
