/**
 * The worker-pool glue (`children_count` > 1): the primary that starts the
 * pool, and what workers exchange (process table, log level, statistics).
 * The worker program itself is pool-worker.ts, a build entry of its own.
 */
export { POOL_PROCESS_TYPES } from './pool-data.js';
export {
  DEFAULT_SHUTDOWN_GRACE_MS,
  type PooledServerOptions,
  type RunningPooledServer,
  startPooledServer,
  startPooledServerFromConfig,
} from './pool-start.js';
export { POOL_STATS_TIMEOUT_MS } from './pool-stats.js';
