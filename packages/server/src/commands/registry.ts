/** The command registry: name → definition, with the module that exported it. */

import { ConfigError } from '../common/index.js';
import {
  type CommandLevel,
  commandNameProblem,
  type MiCommandDefinition,
  type MiCommandHandler,
  type MiRequest,
  validateCommandDefinition,
} from './define.js';

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
  /**
   * Internal: the reply depends only on the registry contents (core
   * `version`, `which`), so the pipeline may cache its encoded bytes until
   * {@link CommandRegistry.generation} changes.
   */
  readonly constantReply: boolean;
}

export interface RegisterOptions {
  /** Shown as `Exported by::` in `help`. Default `'app'`. */
  readonly module?: string;
  /** @internal see {@link RegisteredCommand.constantReply}. */
  readonly constantReply?: boolean;
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
      constantReply: options.constantReply === true,
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
