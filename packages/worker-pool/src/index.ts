/**
 * `@mi-datagram/worker-pool`: N worker processes receiving from one datagram
 * socket that the primary binds once (the pre-fork model of OpenSIPS'
 * `children_count`), supervised and shut down gracefully.
 */
export { DEFAULT_RESTART_POLICY, type RestartPolicy, restartDelay } from './backoff.js';
export {
  isWorkerPoolErrorCode,
  WORKER_POOL_ERROR_CODES,
  WorkerPoolError,
  type WorkerPoolErrorCode,
} from './errors.js';
export type { JsonValue } from './json.js';
export type { BroadcastResult, LogLevel, RemoteError, SocketKind } from './messages.js';
export type {
  LogEntry,
  PoolEvent,
  PrimaryRequestHandler,
  SocketOptions,
  WorkerPoolOptions,
} from './options.js';
export {
  type CloseOptions,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type RequestOptions,
  startWorkerPool,
  WorkerPool,
  type WorkerPoolStats,
} from './pool.js';
export type {
  ProcessInfo,
  ProcessMember,
  ProcessState,
  ProcessTableSnapshot,
} from './process-table.js';
export type {
  AdoptOptions,
  StartWorker,
  WorkerCallOptions,
  WorkerContext,
  WorkerDatagramHandler,
  WorkerPeer,
  WorkerRequestHandler,
} from './worker-context.js';
