/**
 * The command registry of a server process: core commands, `--commands`
 * modules, in-memory definitions. Built the same way by the in-process
 * server, by every worker process of `children_count` > 1, and by the
 * primary of a pool (which only validates it before anything is bound).
 */

import { ConfigError } from '../common/index.js';
import { registerCoreCommands } from './core-commands.js';
import type { MiCommandDefinition } from './define.js';
import { loadCommandModule } from './load-commands.js';
import type { MiStatsProvider } from './mi-stats-command.js';
import type { ProcessTable } from './process-table.js';
import { CommandRegistry } from './registry.js';
import type { StatisticsProvider } from './statistics-commands.js';

export interface RegistryOptions {
  /** Register the core commands. Default true. */
  readonly coreCommands?: boolean;
  /** For `ps` / `log_level`. */
  readonly processes: ProcessTable;
  /** For `uptime`. */
  readonly startedAt: Date;
  /** Run by `kill` after its reply went out. */
  readonly kill: () => void;
  /** What `arg` lists. Default `process.argv`. */
  readonly argv?: readonly string[];
  /** Paths of commands modules (absolute or relative to the cwd). */
  readonly commandModules?: readonly string[];
  /** In-memory definitions (`help` shows them as exported by `app`). */
  readonly commands?: readonly unknown[];
  /** The server's statistics, for `mi_stats` (registered with the core commands when given). */
  readonly stats?: MiStatsProvider;
  /** The server's statistics, for `get_statistics` & co. (registered with the core commands when given). */
  readonly statistics?: StatisticsProvider;
  /** Built-in commands of other parts of the server (events), registered after the core ones. */
  readonly builtins?: {
    readonly module: string;
    readonly commands: readonly MiCommandDefinition[];
  };
}

/** Throws {@link ConfigError} `INVALID_COMMANDS` for a bad module, definition or duplicate name. */
export async function buildRegistry(options: RegistryOptions): Promise<CommandRegistry> {
  const registry = new CommandRegistry();
  if (options.coreCommands !== false) {
    registerCoreCommands({
      registry,
      processes: options.processes,
      startedAt: options.startedAt,
      kill: options.kill,
      ...(options.argv === undefined ? {} : { argv: options.argv }),
      ...(options.stats === undefined ? {} : { stats: options.stats }),
      ...(options.statistics === undefined ? {} : { statistics: options.statistics }),
    });
  }
  if (options.builtins !== undefined) {
    registry.registerAll(options.builtins.commands, { module: options.builtins.module });
  }
  for (const path of options.commandModules ?? []) {
    const loaded = await loadCommandModule(path);
    registry.registerAll(loaded.commands, { module: loaded.module });
  }
  if (options.commands !== undefined) {
    if (!Array.isArray(options.commands)) {
      throw new ConfigError(
        'INVALID_COMMANDS',
        'commands',
        'invalid commands: expected an array of command definitions',
      );
    }
    registry.registerAll(options.commands, { module: 'app' });
  }
  return registry;
}
