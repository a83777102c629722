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
import type { ProcessTable } from './process-table.js';
import type { CommandRegistry } from './registry.js';
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
}

const BAD_PARAMETER: MiCommandResult = Object.freeze({ code: 400, reason: 'Bad parameter' });
const UNKNOWN_COMMAND: MiCommandResult = Object.freeze({ code: 404, reason: 'unknown MI command' });
const HELP_USAGE: MiCommandResult = Object.freeze({
  json: Object.freeze({ Usage: "help mi_cmd - returns information about 'mi_cmd'" }),
});

const INTEGER = /^[+-]?[0-9]+$/;

/** `str2sint` of the original: an optionally signed decimal int32, else null. */
function parseInt32(text: string | null): number | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (!INTEGER.test(trimmed)) return null;
  const n = Number(trimmed);
  return n >= -2147483648 && n <= 2147483647 ? n : null;
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
      help: 'prints the version string of the running server',
      noInput: true,
      handler: () => versionResult,
    },
    {
      name: 'pwd',
      help: 'prints the working directory of the server',
      noInput: true,
      handler: (): MiCommandResult => ({ json: { WD: cwd() } }),
    },
    {
      name: 'arg',
      help: 'returns the full list of arguments used at startup',
      noInput: true,
      handler: (): MiCommandResult => ({ json: [...argv] }),
    },
    {
      name: 'which',
      help: 'lists all available MI commands',
      noInput: true,
      handler: (): MiCommandResult => ({ json: ctx.registry.names() }),
    },
    {
      name: 'ps',
      help: 'lists all processes used by the server',
      noInput: true,
      async handler(): Promise<MiCommandResult> {
        const table = await ctx.processes.list();
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
      },
    },
    {
      name: 'kill',
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
      async handler(request): Promise<MiCommandResult> {
        const args = request.args;
        if (args.length === 0) {
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
        const level = parseInt32(args[0]?.value ?? null);
        if (level === null) return BAD_PARAMETER;
        const pidArg = args[1];
        if (pidArg === undefined) {
          await ctx.processes.setGlobalLogLevel(level);
          return { json: { 'New global log level': level } };
        }
        const pid = parseInt32(pidArg.value);
        if (pid === null || pid <= 0) return BAD_PARAMETER;
        if (!(await ctx.processes.setProcessLogLevel(pid, level))) return BAD_PARAMETER;
        return { json: { 'New log level': level } };
      },
    },
    {
      name: 'help',
      help: 'prints information about MI commands usage',
      handler(request): MiCommandResult {
        const first = request.args[0];
        if (first === undefined || first.value === null) return HELP_USAGE;
        const entry = ctx.registry.get(first.value);
        if (entry === undefined) return UNKNOWN_COMMAND;
        return { json: { Help: entry.help, 'Exported by': entry.module } };
      },
    },
  ];
}

/** Names of the core commands whose reply depends only on the registry (cacheable bytes). */
export const CONSTANT_REPLY_COMMANDS: ReadonlySet<string> = new Set(['version', 'which']);

/** Registers the core commands (module `core`). */
export function registerCoreCommands(ctx: CoreCommandContext): void {
  const defs = createCoreCommands(ctx);
  if (ctx.stats !== undefined) defs.push(createStatsCommand(ctx.stats));
  for (const def of defs) {
    ctx.registry.register(def, {
      module: CORE_MODULE,
      constantReply: CONSTANT_REPLY_COMMANDS.has(def.name),
      // Core commands without a declaration only read (issue 8); user
      // commands default to admin.
      defaultLevel: 'read',
    });
  }
}
