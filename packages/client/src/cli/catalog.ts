/**
 * What the shell knows about a target's commands: their names (`which`) and, where the server
 * tells (OpenSIPS 3, mi-datagram with the command model), the parameter names of each way to call
 * one (`which COMMAND` → recipes, a list of lists of names: PROTOCOL.md 5.1). A server that
 * answers `which COMMAND` with its full command list (OpenSIPS 2.x) or an error has no recipes.
 */
import { toMiArgument } from './args.js';
import { outcomeOf } from './output.js';
import type { AnyClient, Settings } from './run.js';

/** Commands of the shell itself. */
export const BUILTINS: readonly string[] = ['help', 'exit', 'quit'];

const NAMED_EQUALS = /^([A-Za-z_][A-Za-z0-9_.-]*)=/s;

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Recipes from a `which COMMAND` result; `null` when it is something else (a command list). */
export function recipesOf(result: unknown): string[][] | null {
  if (!Array.isArray(result) || result.length === 0) return null;
  const recipes: string[][] = [];
  for (const item of result) {
    // A legacy tree maps an empty recipe (a node with no children) to null.
    if (item === null) recipes.push([]);
    else if (isStringList(item)) recipes.push(item);
    else return null;
  }
  return recipes;
}

export class Catalog {
  private names: Promise<string[]> | undefined;
  private readonly recipes = new Map<string, Promise<string[][] | null>>();

  constructor(
    private readonly client: AnyClient,
    private readonly settings: Settings,
  ) {}

  private async ask(command: string, args: readonly string[]): Promise<unknown> {
    const options = { timeout: this.settings.timeout };
    const reply =
      this.settings.protocol === 'jsonrpc'
        ? await this.client.callJsonRpc(command, args.length === 0 ? undefined : [...args], options)
        : this.settings.protocol === 'legacy'
          ? await this.client.callLegacy(command, args.map(toMiArgument), options)
          : await this.client.call(command, args.map(toMiArgument), options);
    const outcome = outcomeOf(command, reply);
    return outcome.ok ? outcome.result : undefined;
  }

  /** The target's command names (asked once; asked again after a failure). */
  commands(): Promise<string[]> {
    if (this.names === undefined) {
      const asked = this.ask('which', []).then((result) => {
        if (!isStringList(result)) throw new Error('no command list');
        return result;
      });
      this.names = asked;
      asked.catch(() => {
        if (this.names === asked) this.names = undefined;
      });
    }
    return this.names;
  }

  /** The recipes of `command`, `null` when the server does not tell. */
  recipesFor(command: string): Promise<string[][] | null> {
    let known = this.recipes.get(command);
    if (known === undefined) {
      known = this.ask('which', [command]).then(recipesOf, () => {
        this.recipes.delete(command);
        return null;
      });
      this.recipes.set(command, known);
    }
    return known;
  }

  /** readline's completer: `[candidates, the text they replace]`. */
  async complete(line: string): Promise<[string[], string]> {
    const words = line.split(/[ \t]+/);
    const current = words.pop() ?? '';
    const before = words.filter((word) => word !== '');
    if (before.length === 0) {
      const names = [...BUILTINS, ...(await this.commands().catch(() => []))];
      const unique = [...new Set(names)].sort();
      return [unique.filter((name) => name.startsWith(current)), current];
    }
    const command = before[0] as string;
    if (current.includes('=') || current.includes('::')) return [[], current];
    const recipes = await this.recipesFor(command);
    if (recipes === null) return [[], current];
    const given = new Set(
      before
        .slice(1)
        .map(paramName)
        .filter((n) => n !== undefined),
    );
    const fitting = recipes.filter((recipe) => [...given].every((name) => recipe.includes(name)));
    const names = new Set(fitting.flat().filter((name) => !given.has(name)));
    const candidates = [...names].map((name) => `${name}=`).filter((c) => c.startsWith(current));
    return [candidates.sort(), current];
  }

  /**
   * The ARGs of a shell line for `command`: `name=value`, where `name` is one of the command's
   * parameters, becomes `name::value` (named); everything else is unchanged.
   */
  async namedArgs(command: string, args: readonly string[]): Promise<string[]> {
    if (!args.some((arg) => NAMED_EQUALS.test(arg) && !arg.includes('::'))) return [...args];
    const recipes = await this.recipesFor(command);
    const params = new Set((recipes ?? []).flat());
    return args.map((arg) => {
      const name = NAMED_EQUALS.exec(arg)?.[1];
      if (name === undefined || arg.includes('::') || !params.has(name)) return arg;
      return `${name}::${arg.slice(name.length + 1)}`;
    });
  }
}

function paramName(word: string): string | undefined {
  const named = word.indexOf('::');
  if (named > 0) return word.slice(0, named).trim();
  return NAMED_EQUALS.exec(word)?.[1];
}
