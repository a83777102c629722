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
  type MiRequest,
  type MiRequestArgument,
  validateCommandDefinition,
} from './define.js';
export { type LoadedCommandModule, loadCommandModule } from './load-commands.js';
export { createStatsCommand, type MiStatsProvider } from './mi-stats-command.js';
export { LocalProcessTable, type ProcessInfo, type ProcessTable } from './process-table.js';
export { CommandRegistry, type RegisteredCommand, type RegisterOptions } from './registry.js';
export { platformTag, serverVersion } from './version.js';
