/** Operations: the logger and the watch over the UNIX socket files. */
export {
  createLogger,
  DEFAULT_LOG_LEVEL,
  LOG_LEVEL,
  type LogFields,
  type Logger,
  type LoggerOptions,
} from './logger.js';
export {
  SOCKET_WATCH_INTERVAL_MS,
  SOCKET_WATCH_REMIND_MS,
  type SocketFileState,
  type SocketWatch,
  type SocketWatchOptions,
  type WatchedSocket,
  watchSocketFiles,
} from './socket-watch.js';
