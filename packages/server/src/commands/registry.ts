/** The command registry: name → definition, with the module that exported it. */

import { ConfigError } from '../common/index.js';
import {
  type CommandLevel,
  commandNameProblem,
  compiledParamsOf,
  type MiCommandDefinition,
  type MiCommandHandler,
  type MiRequest,
  validateCommandDefinition,
} from './define.js';
import type { CompiledParams } from './params.js';
import type { LegacyStatus } from './params-errors.js';

/** A registered command as the pipeline sees it. */
export interface RegisteredCommand {
  readonly name: string;
  readonly help: string;
  readonly noInput: boolean;
  /** Module that exported it (`core`, a commands file's base name, or what the caller passed). */
  readonly module: string;
  readonly level: CommandLevel | ((request: MiRequest) => CommandLevel);
  readonly handler: MiCommandHandler;
  readonly definition: MiCommandDefinition;
  /** Declared parameters, checked (params.ts); `null`: the handler gets raw arguments. */
  readonly params: CompiledParams | null;
  /** Legacy status of a wrong argument count, when the definition words it its own way. */
  readonly legacyCountError: LegacyStatus | undefined;
  /**
   * Internal: the reply (of a call without arguments) depends only on the
   * registry contents (core `version`, `which`) and on {@link replyVersion}
   * (core `ps`: the process table), so the pipeline may cache its encoded
   * bytes until {@link CommandRegistry.generation} or that version changes.
   */
  readonly constantReply: boolean;
  /**
   * Internal: the version of what a `constantReply` reply depends on besides
   * the registry; null while it cannot be cached. Always 0 for a reply that
   * depends on the registry only.
   */
  readonly replyVersion: () => number | null;
}

/** What a cached reply was built for: the registry generation and the command's reply version. */
export interface ConstantReplyKey {
  readonly gen: number;
  readonly version: number;
}

/**
 * The key a reply of `entry` built now would be cached under; null when it
 * is not to be cached (not a `constantReply` command, or not cacheable now).
 * Taken before the handler runs, so that a reply built while the table or
 * the registry changed is kept under the older key, never served for the newer one.
 */
export function constantReplyKey(
  registry: CommandRegistry,
  entry: RegisteredCommand,
): ConstantReplyKey | null {
  if (!entry.constantReply) return null;
  const version = entry.replyVersion();
  return version === null ? null : { gen: registry.generation, version };
}

const NO_VERSION = (): number => 0;

export interface RegisterOptions {
  /** Shown as `Exported by::` in `help`. Default `'app'`. */
  readonly module?: string;
  /**
   * @internal see {@link RegisteredCommand.constantReply}; a function is its
   * {@link RegisteredCommand.replyVersion}.
   */
  readonly constantReply?: boolean | (() => number | null);
  /** Level of definitions that declare none. Default `'admin'` (the core commands pass `'read'`). */
  readonly defaultLevel?: CommandLevel;
}

export class CommandRegistry {
  readonly #commands = new Map<string, RegisteredCommand>();
  #generation = 0;

  /** Increases on every change; lets callers cache what depends on the contents. */
  get generation(): number {
    return this.#generation;
  }

  get size(): number {
    return this.#commands.size;
  }

  /**
   * Registers a definition (validated: name, handler, types). A duplicate
   * name throws {@link ConfigError} `INVALID_COMMANDS`.
   */
  register(definition: unknown, options: RegisterOptions = {}): RegisteredCommand {
    const module = options.module ?? 'app';
    const def = validateCommandDefinition(definition, `module ${module}`);
    const existing = this.#commands.get(def.name);
    if (existing !== undefined) {
      throw new ConfigError(
        'INVALID_COMMANDS',
        'commands',
        `invalid commands: duplicate command name ${JSON.stringify(def.name)} (exported by ${existing.module} and by ${module})`,
      );
    }
    const entry: RegisteredCommand = {
      name: def.name,
      help: def.help ?? '',
      noInput: def.noInput === true,
      module,
      level: def.level ?? options.defaultLevel ?? 'admin',
      handler: def.handler,
      definition: def,
      params: compiledParamsOf(def),
      legacyCountError: def.legacyCountError,
      constantReply: options.constantReply === true || typeof options.constantReply === 'function',
      replyVersion:
        typeof options.constantReply === 'function' ? options.constantReply : NO_VERSION,
    };
    this.#commands.set(def.name, entry);
    this.#generation++;
    return entry;
  }

  /** Registers several definitions; on error none of them is kept. */
  registerAll(definitions: readonly unknown[], options: RegisterOptions = {}): void {
    const added: string[] = [];
    try {
      for (const def of definitions) added.push(this.register(def, options).name);
    } catch (error) {
      for (const name of added) this.#commands.delete(name);
      this.#generation++;
      throw error;
    }
  }

  unregister(name: string): boolean {
    const removed = this.#commands.delete(name);
    if (removed) this.#generation++;
    return removed;
  }

  get(name: string): RegisteredCommand | undefined {
    return this.#commands.get(name);
  }

  has(name: string): boolean {
    return this.#commands.has(name);
  }

  /** Names in registration order. */
  names(): string[] {
    return [...this.#commands.keys()];
  }

  [Symbol.iterator](): IterableIterator<RegisteredCommand> {
    return this.#commands.values();
  }
}

export { commandNameProblem };
