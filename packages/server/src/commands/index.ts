/**
 * Commands: the definition contract, the registry, the loader of command
 * modules, and the core commands (with `mi_stats` and the `ps` process table).
 */
export { buildRegistry, type RegistryOptions } from './compose.js';
export {
  CONSTANT_REPLY_COMMANDS,
  CORE_MODULE,
  type CoreCommandContext,
  createCoreCommands,
  registerCoreCommands,
} from './core-commands.js';
export { formatCtime } from './ctime.js';
export {
  COMMAND_LEVELS,
  type CommandLevel,
  defineCommand,
  type MiCommandDefinition,
  type MiCommandHandler,
  type MiCommandResult,
  type MiCommandReturn,
  type MiListener,
  type MiParamsRequest,
  type MiProtocol,
  type MiRequest,
  type MiRequestArgument,
  type MiTypedCommandDefinition,
  validateCommandDefinition,
} from './define.js';
export { type LoadedCommandModule, loadCommandModule } from './load-commands.js';
export { createStatsCommand, type MiStatsProvider } from './mi-stats-command.js';
export {
  type CompiledParams,
  compileParams,
  type ParamDeclaration,
  type ParamDeclarations,
  type ParamSpec,
  type ParamsOf,
  type ParamType,
  type ParamValue,
  type ParamValues,
  type Recipe,
  recipeNames,
} from './params.js';
export {
  INVALID_PARAMS_CODE,
  INVALID_PARAMS_MESSAGE,
  InvalidParamsError,
  type InvalidParamsReason,
  invalidParamsJsonError,
  invalidParamsLegacyStatus,
  isInvalidParamsError,
  type LegacyStatus,
} from './params-errors.js';
export {
  type LegacyParamArgument,
  matchJsonParams,
  matchLegacyArgs,
  type ParamsMatchResult,
} from './params-match.js';
export {
  LocalProcessTable,
  type ProcessEntry,
  type ProcessInfo,
  type ProcessSnapshot,
  type ProcessTable,
} from './process-table.js';
export {
  CommandRegistry,
  type ConstantReplyKey,
  constantReplyKey,
  type RegisteredCommand,
  type RegisterOptions,
} from './registry.js';
export {
  answerSharedStoreRequest,
  LocalSharedStore,
  type MiSharedStore,
  parseSharedStoreRequest,
  RemoteSharedStore,
  SharedStoreError,
} from './shared-store.js';
export {
  createStatisticsCommands,
  requestedStatistics,
  type StatisticsProvider,
} from './statistics-commands.js';
export { platformTag, serverVersion } from './version.js';
