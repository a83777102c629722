/**
 * `@mi-datagram/server`: the composed MI datagram server: configuration
 * (`socket_name` & co.), command registry, core commands, request pipeline.
 */
export {
  compileListenerPolicy,
  LEVEL_RANK,
  ListenerAccess,
  type ListenerPolicy,
  type ListenerStats,
  OPEN_POLICY,
  REFUSAL_STATUS,
  type RefusalKind,
  sourceOf,
  UNBOUND_SOURCE,
} from './access.js';
export { type Cidr, CidrList, isLoopbackHost, LOOPBACK_CIDRS, parseCidr } from './cidr.js';
export {
  COMMAND_LEVELS,
  type CommandLevel,
  defineCommand,
  type MiCommandDefinition,
  type MiCommandHandler,
  type MiCommandResult,
  type MiCommandReturn,
  type MiRequest,
  type MiRequestArgument,
  validateCommandDefinition,
} from './commands.js';
export {
  CONFIG_KEYS,
  DEFAULT_SOCKET_NAME,
  DEFAULTS,
  LISTENER_PARAM_NAMES,
  type ListenerOverrides,
  type ListenerSpec,
  MAX_RATE_LIMIT,
  type MiDatagramParams,
  PARAM_NAMES,
  type ParamName,
  parseSocketSpec,
  type ResolvedConfig,
  resolveConfig,
  SOCKET_ENTRY_KEYS,
  type SocketEntry,
  type SocketParams,
  type SocketSpec,
  type ValidatedParams,
  validateParams,
} from './config.js';
export {
  CORE_MODULE,
  type CoreCommandContext,
  createCoreCommands,
  registerCoreCommands,
} from './core-commands.js';
export { formatCtime } from './ctime.js';
export {
  ConfigError,
  type ConfigErrorCode,
  isConfigError,
  isMiError,
  MiError,
} from './errors.js';
export { type LoadedCommandModule, loadCommandModule } from './load-commands.js';
export {
  createLogger,
  DEFAULT_LOG_LEVEL,
  LOG_LEVEL,
  type LogFields,
  type Logger,
  type LoggerOptions,
} from './logger.js';
export { type ModparamValue, readModparams } from './opensips-cfg.js';
export { POOL_PROCESS_TYPES } from './pool-data.js';
export {
  DEFAULT_SHUTDOWN_GRACE_MS,
  type PooledServerOptions,
  type RunningPooledServer,
  startPooledServer,
  startPooledServerFromConfig,
} from './pool-start.js';
export { POOL_STATS_TIMEOUT_MS } from './pool-stats.js';
export { LocalProcessTable, type ProcessInfo, type ProcessTable } from './process-table.js';
export {
  RATE_LIMIT_MAX_SOURCES,
  RateLimiter,
  type RateLimiterOptions,
} from './rate-limit.js';
export { CommandRegistry, type RegisteredCommand, type RegisterOptions } from './registry.js';
export {
  type AttachOptions,
  MiServer,
  type MiServerOptions,
  type MiServerStats,
  type RequestGuard,
} from './server.js';
export {
  type CliOptions,
  loadConfigFile,
  loadOpensipsCfg,
  parseCommandLine,
} from './sources.js';
export {
  CHILDREN_UNSUPPORTED,
  type RunningServer,
  type ServeOptions,
  type StartServerOptions,
  startServer,
  startServerFromConfig,
} from './start.js';
export {
  type CommandStats,
  createStatsCommand,
  LatencyHistogram,
  type MiStatsProvider,
  type MiStatsSnapshot,
  type MiStatsSource,
  mergeStatsSnapshots,
  miStatsJson,
  miStatsNodes,
  type ReplyClasses,
} from './stats.js';
export { platformTag, serverVersion } from './version.js';
