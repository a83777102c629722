/**
 * `mi which COMMAND`: the server answers the command's recipes, the ways
 * to call it (PROTOCOL.md 5.1). JSON-RPC: a list of lists of parameter
 * names (`[[],["level"],["level","pid"]]`); legacy text: one value line per
 * recipe, names separated by blanks, an empty line for the recipe without
 * parameters. `mi` prints them as usage lines, one per recipe.
 */
import type { AnyReply } from './output.js';

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((name) => typeof name === 'string');
}

/** The recipes in a successful `which COMMAND` reply, or `null` when it holds none. */
export function recipesOf(result: AnyReply): string[][] | null {
  if (result.protocol === 'jsonrpc') {
    if (!result.ok || !Array.isArray(result.result) || result.result.length === 0) return null;
    const recipes: unknown[] = result.result;
    return recipes.every(isNameList) ? recipes.map((names) => [...names]) : null;
  }
  const { code, form, nodes } = result;
  if (form !== 'tree' || code < 200 || code > 299 || nodes.length === 0) return null;
  const recipes: string[][] = [];
  for (const node of nodes) {
    const plain =
      (node.name ?? null) === null &&
      (node.attributes ?? []).length === 0 &&
      (node.children ?? []).length === 0;
    if (!plain) return null;
    const value = node.value ?? '';
    // A server without recipes (OpenSIPS 2.4) ignores the argument and lists every command
    // name, `which` among them: that is no recipe list.
    if (value === 'which') return null;
    recipes.push(value.split(' ').filter((name) => name !== ''));
  }
  return recipes;
}

/**
 * The text `mi which COMMAND` prints: `200 OK`, then one usage line per
 * recipe (`log_level`, `log_level level`, `log_level level pid`); `null`
 * when this is not such a call or its reply holds no recipes (then the
 * reply is printed like any other).
 */
export function whichRecipesText(
  command: string,
  args: readonly string[],
  result: AnyReply,
): string | null {
  if (command !== 'which' || args.length !== 1) return null;
  const arg = args[0] ?? '';
  const at = arg.indexOf('::');
  const target = at === -1 ? arg : arg.slice(at + 2);
  const recipes = recipesOf(result);
  if (recipes === null) return null;
  const lines = recipes.map((names) => [target, ...names].join(' '));
  return `200 OK\n${lines.join('\n')}\n`;
}
