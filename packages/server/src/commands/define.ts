/**
 * The command-definition contract (ARCHITECTURE.md "Command definitions"):
 * plain objects `{ name, help?, noInput?, level?, params?, recipes?, timeoutMs?, handler }`
 * (declared parameters: params.ts, docs/commands.md).
 */
import type { JsonValue, MiArgument, MiNode } from '@mi-datagram/protocol';
import {
  COMMAND_LEVELS,
  type CommandLevel,
  ConfigError,
  MAX_COMMAND_TIMEOUT_MS,
} from '../common/index.js';
import {
  type CompiledParams,
  compileParams,
  type ParamDeclarations,
  type ParamsOf,
  type ParamValues,
  type Recipe,
} from './params.js';
import type { LegacyStatus } from './params-errors.js';
import type { MiSharedStore } from './shared-store.js';

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
  /** The protocol of the request: legacy text or JSON-RPC. */
  readonly protocol: MiProtocol;
  /**
   * The converted parameters of the matched recipe (a null-prototype object
   * holding exactly its names); absent for commands that declare none.
   */
  readonly params?: ParamValues;
  /** Index of the matched recipe in the declaration; absent with `params`. */
  readonly recipe?: number;
  /** The store every process of the server sees (shared-store.ts). */
  readonly shared: MiSharedStore;
  /**
   * Fires when the server gives up on this request: its deadline passed
   * (the client got `504 command timed out`; a result returned afterwards is
   * dropped) or the server is shutting down. Its `reason` is a
   * `HandlerAbortError` (`code` `COMMAND_TIMED_OUT` or `SERVER_CLOSING`).
   * Pass it on to what the handler waits for (`fetch(url, { signal })`, a
   * database query …). An accessor: a copy made with `{ ...request }` does
   * not carry it.
   */
  readonly signal: AbortSignal;
  /**
   * The listener the request came in on (set once its access was checked;
   * absent for requests served without one). `event_subscribe` checks a UDP
   * subscriber against its allowlist.
   */
  readonly listener?: MiListener;
}

/** What a handler may ask about the listener of its request. */
export interface MiListener {
  /** Highest command level the listener grants. */
  readonly level: CommandLevel;
  /** True when the listener's allowlist admits the IP address (no allowlist: always). */
  allowsAddress(address: string): boolean;
}

export type MiProtocol = 'legacy' | 'jsonrpc';

/** The request of a command with declared parameters, typed from its declaration. */
export interface MiParamsRequest<T> extends Omit<MiRequest, 'params' | 'recipe'> {
  readonly params: T;
  readonly recipe: number;
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
  /**
   * The handler refuses a parameter value with this text: JSON-RPC answers
   * `-32602 Invalid params` with it as `data`, legacy text `400 Bad
   * parameter` (the same as throwing `InvalidParamsError`). Other members
   * are then ignored.
   */
  readonly paramsError?: string;
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
  /** Declared parameters: name → type or `{ type, description }` (docs/commands.md). */
  readonly params?: ParamDeclarations;
  /** The ways to call the command (lists of names); default one recipe of every declared name. */
  readonly recipes?: readonly (readonly string[])[];
  /** True: positional params are refused. */
  readonly namedOnly?: boolean;
  /** Legacy status for a wrong number of arguments; default `400 Too few or too many arguments`. */
  readonly legacyCountError?: LegacyStatus;
  /**
   * Deadline of the handler in ms (1..2147483647), instead of the server's
   * `command_timeout`. Past it `request.signal` fires and the client gets
   * `504 command timed out`.
   */
  readonly timeoutMs?: number;
  // Method syntax: a typed definition (handler of a narrower request) is still a definition.
  handler(request: MiRequest): MiCommandReturn | PromiseLike<MiCommandReturn>;
}

/** A definition whose handler's `params` is typed from `params` and `recipes`. */
export interface MiTypedCommandDefinition<
  P extends ParamDeclarations,
  R extends readonly Recipe<P>[] | undefined,
> extends Omit<MiCommandDefinition, 'handler' | 'params' | 'recipes'> {
  readonly params: P;
  readonly recipes?: R;
  handler(request: MiParamsRequest<ParamsOf<P, R>>): MiCommandReturn | PromiseLike<MiCommandReturn>;
}

/**
 * Typing helper: returns its argument unchanged. With `params`, the
 * handler's `request.params` is typed from the declaration: one member of a
 * union per recipe.
 */
export function defineCommand<
  const P extends ParamDeclarations,
  const R extends readonly Recipe<P>[] | undefined = undefined,
>(definition: MiTypedCommandDefinition<P, R>): MiTypedCommandDefinition<P, R>;
export function defineCommand<const T extends MiCommandDefinition>(definition: T): T;
export function defineCommand(definition: MiCommandDefinition): MiCommandDefinition {
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
  const timeoutMs = record.timeoutMs;
  if (
    timeoutMs !== undefined &&
    !(
      typeof timeoutMs === 'number' &&
      Number.isInteger(timeoutMs) &&
      timeoutMs >= 1 &&
      timeoutMs <= MAX_COMMAND_TIMEOUT_MS
    )
  ) {
    return fail(
      `command ${JSON.stringify(name)}: timeoutMs must be an integer 1..${MAX_COMMAND_TIMEOUT_MS} (milliseconds)`,
    );
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
  const legacyCountError = record.legacyCountError;
  if (legacyCountError !== undefined && !isLegacyStatus(legacyCountError)) {
    return fail(
      `command ${JSON.stringify(name)}: legacyCountError must be { code: 100..999, reason: one line }`,
    );
  }
  const params = compileParams(record);
  if (!params.ok) return fail(`command ${JSON.stringify(name)}: ${params.problem}`);
  return value as MiCommandDefinition;
}

function isLegacyStatus(value: unknown): value is LegacyStatus {
  if (typeof value !== 'object' || value === null) return false;
  const { code, reason } = value as Record<string, unknown>;
  return (
    typeof code === 'number' &&
    Number.isInteger(code) &&
    code >= 100 &&
    code <= 999 &&
    typeof reason === 'string' &&
    !reason.includes('\n')
  );
}

/** The checked declaration of a valid definition (`null`: it declares no parameters). */
export function compiledParamsOf(definition: MiCommandDefinition): CompiledParams | null {
  const result = compileParams(definition);
  if (!result.ok) throw new TypeError(result.problem);
  return result.compiled;
}
