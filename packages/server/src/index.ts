/**
 * `@mi-datagram/server`: the composed MI datagram server: configuration
 * (`socket_name` & co.), command registry, core commands, request pipeline.
 */
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
  DEFAULT_SOCKET_NAME,
  DEFAULTS,
  type MiDatagramParams,
  PARAM_NAMES,
  type ParamName,
  parseSocketSpec,
  type ResolvedConfig,
  resolveConfig,
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
export { LocalProcessTable, type ProcessInfo, type ProcessTable } from './process-table.js';
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
export { platformTag, serverVersion } from './version.js';
