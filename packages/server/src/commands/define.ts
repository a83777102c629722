/**
 * The command-definition contract (ARCHITECTURE.md "Command definitions"):
 * plain objects `{ name, help?, noInput?, level?, handler }`.
 */
import type { JsonValue, MiArgument, MiNode } from '@mi-datagram/protocol';
import { COMMAND_LEVELS, type CommandLevel, ConfigError } from '../common/index.js';

export { COMMAND_LEVELS, type CommandLevel };

/** One argument as a handler sees it: UTF-8 strings, `null` = absent, `''` = present but empty. */
export interface MiRequestArgument {
  readonly name: string | null;
  readonly value: string | null;
}

/** What a handler receives. */
export interface MiRequest {
  /** The command name of the first line (UTF-8 decoded). */
  readonly command: string;
  /** The arguments in order; empty for `noInput` commands (never parsed). */
  readonly args: readonly MiRequestArgument[];
  /** The same arguments with their exact bytes (`nameBytes`, `valueBytes`). */
  readonly rawArgs: readonly MiArgument[];
  /** The whole request datagram, as received. Do not keep it beyond the call. */
  readonly datagram: Uint8Array;
}

/** What a handler returns (or nothing, for `200 OK`). */
export interface MiCommandResult {
  /** Status code; default 200. */
  readonly code?: number;
  /** Reason phrase; default `OK` for 200, `''` otherwise. */
  readonly reason?: string;
  /** Reply tree; default none. */
  readonly nodes?: readonly MiNode[];
  /**
   * JSON-first result (README "JSON-first commands"): the JSON-RPC `result`
   * as it is (numbers stay numbers). Legacy requests get `nodes` when given,
   * else the tree derived with `jsonToTree` (`"OK"` gives no nodes). With a
   * non-2xx `code`, JSON-RPC answers `error: {code, message: reason, data: json}`.
   */
  readonly json?: JsonValue;
}

// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing is typed `void`.
export type MiCommandReturn = MiCommandResult | undefined | void;

export type MiCommandHandler = (
  request: MiRequest,
) => MiCommandReturn | PromiseLike<MiCommandReturn>;

/** A command definition. Plain objects of this shape work; {@link defineCommand} only adds typing. */
export interface MiCommandDefinition {
  /** Exact, case-sensitive; non-empty, without `:` or newline. */
  readonly name: string;
  /** Shown by `help NAME`. */
  readonly help?: string;
  /** True: arguments are never parsed (garbage after the first line is ignored). */
  readonly noInput?: boolean;
  /**
   * Privilege needed to run it; a function when it depends on the arguments
   * (called after they are parsed; a throw or an invalid value means admin).
   * Default `'admin'` for user commands (`'read'` for core commands).
   */
  readonly level?: CommandLevel | ((request: MiRequest) => CommandLevel);
  readonly handler: MiCommandHandler;
}

/** Typing helper: returns its argument unchanged. */
export function defineCommand<const T extends MiCommandDefinition>(definition: T): T {
  return definition;
}

/** Why a name cannot be a command name, or `null` when it can. */
export function commandNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'the name must be a string';
  if (name.length === 0) return 'the name is empty';
  if (name.includes(':')) return 'the name contains ":"';
  if (name.includes('\n')) return 'the name contains a newline';
  return null;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/**
 * Checks an untrusted value (e.g. from a user module) against the
 * definition contract and returns it typed. `where` names its origin in the
 * error (`commands module ./x.mjs, entry 3`).
 */
export function validateCommandDefinition(value: unknown, where: string): MiCommandDefinition {
  const fail = (detail: string): never => {
    throw new ConfigError(
      'INVALID_COMMANDS',
      'commands',
      `invalid commands: bad definition in ${where}: ${detail}`,
    );
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`expected an object, got ${describe(value)}`);
  }
  const record = value as Record<string, unknown>;
  const nameProblem = commandNameProblem(record.name);
  if (nameProblem !== null) return fail(`${nameProblem} (name ${describe(record.name)})`);
  const name = record.name as string;
  if (typeof record.handler !== 'function') {
    return fail(`command ${JSON.stringify(name)}: handler must be a function`);
  }
  if (record.help !== undefined && typeof record.help !== 'string') {
    return fail(`command ${JSON.stringify(name)}: help must be a string`);
  }
  if (record.noInput !== undefined && typeof record.noInput !== 'boolean') {
    return fail(`command ${JSON.stringify(name)}: noInput must be a boolean`);
  }
  const level = record.level;
  if (
    level !== undefined &&
    typeof level !== 'function' &&
    !(typeof level === 'string' && (COMMAND_LEVELS as readonly string[]).includes(level))
  ) {
    return fail(
      `command ${JSON.stringify(name)}: level must be 'read', 'operator', 'admin' or a function`,
    );
  }
  return value as MiCommandDefinition;
}
