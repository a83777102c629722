/**
 * The core commands of the original (PROTOCOL.md 3.1), in its reply shapes
 * (`../shared/conformance/replies-opensips-2.4.txt`). They are JSON-first
 * (README "JSON-first commands"): each returns the JSON result OpenSIPS 3
 * answers over JSON-RPC; the legacy tree is derived from it, or given beside
 * it where the 2.x shape has attributes (`ps`, `log_level`).
 */
import type { MiNode } from '@mi-datagram/protocol';
import { formatCtime } from './ctime.js';
import type { CommandLevel, MiCommandDefinition, MiCommandResult, MiRequest } from './define.js';
import { createStatsCommand, type MiStatsProvider } from './mi-stats-command.js';
import { recipeNames } from './params.js';
import { InvalidParamsError } from './params-errors.js';
import type { ProcessEntry, ProcessTable } from './process-table.js';
import type { CommandRegistry } from './registry.js';
import { createStatisticsCommands, type StatisticsProvider } from './statistics-commands.js';
import { platformTag, serverVersion } from './version.js';

/** The module name `help` shows for core commands. */
export const CORE_MODULE = 'core';

/** Everything the core commands read or act on. */
export interface CoreCommandContext {
  readonly registry: CommandRegistry;
  readonly processes: ProcessTable;
  /** When the server started (for `uptime`). */
  readonly startedAt: Date;
  /** Server name shown by `version`. Default `mi-datagram`. */
  readonly serverName?: string;
  /** Version shown by `version`. Default this package's version. */
  readonly version?: string;
  /** Default `process.argv`. */
  readonly argv?: readonly string[];
  /** Default `() => new Date()`. */
  readonly now?: () => Date;
  /** Default `process.cwd`. */
  readonly cwd?: () => string;
  /** Called (on a later tick, after the reply went out) by `kill`. */
  readonly kill: () => void;
  /**
   * The server's statistics (`() => server.stats()`; may be called only
   * once the server exists). Given: `mi_stats` is registered too.
   */
  readonly stats?: MiStatsProvider;
  /**
   * The server's statistics (src/statistics). Given: `get_statistics`,
   * `list_statistics`, `reset_statistics` and `reset_all_statistics` are
   * registered first, as OpenSIPS lists them.
   */
  readonly statistics?: StatisticsProvider;
}

const UNKNOWN_COMMAND: MiCommandResult = Object.freeze({ code: 404, reason: 'unknown MI command' });
const HELP_TEXT = "help mi_cmd - returns information about 'mi_cmd'";
/** OpenSIPS 3 answers a string, 2.4 a `Usage::` node. */
const HELP_USAGE: MiCommandResult = Object.freeze({
  json: `Usage: ${HELP_TEXT}`,
  nodes: Object.freeze([Object.freeze({ name: 'Usage', value: HELP_TEXT })]),
});
/** The commands that take no input declare the one empty recipe (what `which NAME` shows). */
const NO_PARAMS = Object.freeze({});

/** `ps`: OpenSIPS 3's JSON and 2.4's `Process::` lines with attributes. */
function psResult(table: readonly ProcessEntry[]): MiCommandResult {
  return {
    json: { Processes: table.map((p) => ({ ID: p.id, PID: p.pid, Type: p.type })) },
    nodes: table.map(
      (p): MiNode => ({
        name: 'Process',
        value: '',
        attributes: [
          ['ID', String(p.id)],
          ['PID', String(p.pid)],
          ['Type', p.type],
        ],
      }),
    ),
  };
}

function logLevelAccess(request: MiRequest): CommandLevel {
  return request.args.length === 0 ? 'read' : 'admin';
}

/** Definitions of `which help version uptime pwd arg ps log_level kill`. */
export function createCoreCommands(ctx: CoreCommandContext): MiCommandDefinition[] {
  const now = ctx.now ?? (() => new Date());
  const cwd = ctx.cwd ?? (() => process.cwd());
  const argv = ctx.argv ?? process.argv;
  const versionResult: MiCommandResult = Object.freeze({
    json: Object.freeze({
      Server: `${ctx.serverName ?? 'mi-datagram'} (${ctx.version ?? serverVersion()} (${platformTag()}))`,
    }),
  });

  return [
    {
      name: 'uptime',
      params: NO_PARAMS,
      help: 'prints various time information about the server - when it started to run, for how long it runs',
      noInput: true,
      handler(): MiCommandResult {
        const current = now();
        const seconds = Math.max(
          0,
          Math.floor((current.getTime() - ctx.startedAt.getTime()) / 1000),
        );
        return {
          json: {
            Now: formatCtime(current),
            'Up since': formatCtime(ctx.startedAt),
            'Up time': `${seconds} [sec]`,
          },
        };
      },
    },
    {
      name: 'version',
      params: NO_PARAMS,
      help: 'prints the version string of the running server',
      noInput: true,
      handler: () => versionResult,
    },
    {
      name: 'pwd',
      params: NO_PARAMS,
      help: 'prints the working directory of the server',
      noInput: true,
      handler: (): MiCommandResult => ({ json: { WD: cwd() } }),
    },
    {
      name: 'arg',
      params: NO_PARAMS,
      help: 'returns the full list of arguments used at startup',
      noInput: true,
      handler: (): MiCommandResult => ({ json: [...argv] }),
    },
    {
      name: 'which',
      help: 'lists all available MI commands, or the ways to call one of them',
      params: { command: { type: 'string', description: 'a command name' } },
      recipes: [[], ['command']],
      handler(request): MiCommandResult {
        const name = request.params?.command;
        if (name === undefined) return { json: ctx.registry.names() };
        const entry = ctx.registry.get(String(name));
        if (entry === undefined) return UNKNOWN_COMMAND;
        // Its recipes (docs/commands.md); legacy: one line per recipe, names separated by blanks.
        const recipes = entry.params === null ? [] : recipeNames(entry.params);
        return {
          json: recipes,
          nodes: recipes.map((names): MiNode => ({ value: names.join(' ') })),
        };
      },
    },
    {
      name: 'ps',
      params: NO_PARAMS,
      help: 'lists all processes used by the server',
      noInput: true,
      handler(): MiCommandResult | Promise<MiCommandResult> {
        // Known without asking (a pool worker's announced table): answered at once.
        const snapshot = ctx.processes.snapshot?.() ?? null;
        if (snapshot !== null) return psResult(snapshot.processes);
        return Promise.resolve(ctx.processes.list()).then(psResult);
      },
    },
    {
      name: 'kill',
      params: NO_PARAMS,
      help: 'terminates the server',
      noInput: true,
      level: 'admin',
      handler(): undefined {
        // The pipeline sends `200 OK` synchronously after we return; shut
        // down on a later tick so the reply goes out first.
        setImmediate(ctx.kill);
        return undefined;
      },
    },
    {
      name: 'log_level',
      help: 'gets/sets the per process or global log level of the server',
      level: logLevelAccess,
      params: {
        level: { type: 'integer', description: 'the new log level' },
        pid: { type: 'integer', description: 'the process to set it for (default: all)' },
      },
      recipes: [[], ['level'], ['level', 'pid']],
      async handler(request): Promise<MiCommandResult> {
        const level = request.params?.level;
        if (typeof level !== 'number') {
          const table = await ctx.processes.list();
          return {
            json: {
              Processes: table.map((p) => ({ PID: p.pid, 'Log level': p.logLevel, Type: p.type })),
            },
            nodes: table.map(
              (p): MiNode => ({
                name: 'Process',
                value: '',
                attributes: [
                  ['PID', String(p.pid)],
                  ['Log level', String(p.logLevel)],
                  ['Type', p.type],
                ],
              }),
            ),
          };
        }
        const pid = request.params?.pid;
        if (typeof pid !== 'number') {
          await ctx.processes.setGlobalLogLevel(level);
          return { json: { 'New global log level': level } };
        }
        if (pid <= 0 || !(await ctx.processes.setProcessLogLevel(pid, level))) {
          throw new InvalidParamsError('Bad PID');
        }
        // OpenSIPS 3 answers `Log level`, 2.4 `New log level`.
        return {
          json: { 'Log level': level },
          nodes: [{ name: 'New log level', value: String(level) }],
        };
      },
    },
    {
      name: 'help',
      help: 'prints information about MI commands usage',
      params: { mi_cmd: { type: 'string', description: 'a command name' } },
      recipes: [[], ['mi_cmd']],
      handler(request): MiCommandResult {
        const name = request.params?.mi_cmd;
        if (name === undefined) return HELP_USAGE;
        const entry = ctx.registry.get(String(name));
        if (entry === undefined) return UNKNOWN_COMMAND;
        return { json: { Help: entry.help, 'Exported by': entry.module } };
      },
    },
  ];
}

/** Names of the core commands whose reply depends only on the registry (cacheable bytes). */
export const CONSTANT_REPLY_COMMANDS: ReadonlySet<string> = new Set(['version', 'which']);

/**
 * How a core command's reply may be cached: `version` and `which` for a
 * registry generation, `ps` also for a generation of the process table
 * (none while the table is not known without asking).
 */
function constantReplyOf(name: string, processes: ProcessTable): boolean | (() => number | null) {
  if (name === 'ps') return () => processes.snapshot?.()?.generation ?? null;
  return CONSTANT_REPLY_COMMANDS.has(name);
}

/** Registers the core commands (module `core`). */
export function registerCoreCommands(ctx: CoreCommandContext): void {
  const defs = [
    ...(ctx.statistics === undefined ? [] : createStatisticsCommands(ctx.statistics)),
    ...createCoreCommands(ctx),
  ];
  if (ctx.stats !== undefined) defs.push(createStatsCommand(ctx.stats));
  for (const def of defs) {
    ctx.registry.register(def, {
      module: CORE_MODULE,
      constantReply: constantReplyOf(def.name, ctx.processes),
      // Core commands without a declaration only read (issue 8); user
      // commands default to admin.
      defaultLevel: 'read',
    });
  }
}
