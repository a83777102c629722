/** Operations: the logger, systemd notifications, the watch over the UNIX socket files, SIGHUP. */

export { type HangupTarget, onHangup } from './hangup.js';
export {
  chooseLogFormat,
  isLogFormat,
  LOG_FORMAT_ENV,
  LOG_FORMATS,
  type LogFormat,
} from './log-format.js';
export {
  createLogger,
  DEFAULT_LOG_LEVEL,
  LOG_LEVEL,
  type LogFields,
  type Logger,
  type LoggerOptions,
} from './logger.js';
export {
  type MetricsEndpoint,
  type MetricsEndpointSpec,
  type MetricsPage,
  startMetricsEndpoint,
} from './metrics-http.js';
export { dropPrivileges, type PrivilegedProcess, parseRunAs, type RunAs } from './privileges.js';
export { SHUTDOWN_GRACE_MS } from './shutdown.js';
export {
  SOCKET_WATCH_INTERVAL_MS,
  SOCKET_WATCH_REMIND_MS,
  type SocketFileState,
  type SocketWatch,
  type SocketWatchOptions,
  type WatchedSocket,
  watchSocketFiles,
} from './socket-watch.js';
export { type NotifyOptions, notifySocketPath, notifySystemd } from './systemd.js';
