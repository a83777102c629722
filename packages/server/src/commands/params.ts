/**
 * Declared parameters of a command, the OpenSIPS 3 command model
 * (PROTOCOL.md 5.1): each parameter has a name, a type and a description;
 * a *recipe* is one way to call the command, the list of the parameter
 * names it takes. `log_level` declares `level` and `pid` and three recipes
 * `[]`, `['level']`, `['level', 'pid']`.
 *
 * This file holds the declaration types (with the typing that gives a
 * TypeScript handler its parameter object) and {@link compileParams}, which
 * checks an untrusted declaration once, at registration. Matching a call
 * against the recipes is `params-match.ts`.
 */

/** Types a parameter can have. `string[]`: a non-empty array of strings. */
export type ParamType = 'string' | 'integer' | 'string[]';

export const PARAM_TYPES: readonly ParamType[] = ['string', 'integer', 'string[]'];

/** One parameter: its type and a short description (shown by `help`). */
export interface ParamSpec<T extends ParamType = ParamType> {
  readonly type: T;
  readonly description?: string;
}

/** A parameter declaration: a {@link ParamSpec}, or its type alone (`system: 'string'`). */
export type ParamDeclaration = ParamType | ParamSpec;

/** The `params` member of a command definition: parameter name → declaration. */
export type ParamDeclarations = { readonly [name: string]: ParamDeclaration };

/** A recipe: the names of the parameters of one way to call the command. */
export type Recipe<P extends ParamDeclarations = ParamDeclarations> = readonly (keyof P & string)[];

/** The value a handler receives for a parameter of type `T`. */
export type ParamValueOf<T extends ParamType> = T extends 'integer'
  ? number
  : T extends 'string[]'
    ? readonly string[]
    : string;

/** Any converted parameter value. */
export type ParamValue = string | number | readonly string[];

/** Converted parameters as untyped code sees them (a null-prototype object). */
export type ParamValues = { readonly [name: string]: ParamValue | undefined };

type TypeOfDeclaration<D> = D extends ParamType ? D : D extends ParamSpec<infer T> ? T : never;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** The parameter object of one recipe: its names present, the other declared names absent. */
export type ParamsOfRecipe<P extends ParamDeclarations, K extends string> = Flatten<
  { readonly [N in K & keyof P]: ParamValueOf<TypeOfDeclaration<P[N]>> } & {
    readonly [N in Exclude<keyof P & string, K>]?: undefined;
  }
>;

/**
 * The parameter object of a handler: a union with one member per recipe
 * (narrow it with `params.pid !== undefined`). Without `recipes`, the one
 * recipe of all declared names.
 */
export type ParamsOf<
  P extends ParamDeclarations,
  R extends readonly Recipe<P>[] | undefined,
> = R extends readonly (infer Each)[]
  ? Each extends readonly (infer K extends string)[]
    ? ParamsOfRecipe<P, K>
    : never
  : ParamsOfRecipe<P, keyof P & string>;

// ---------------------------------------------------------------------------
// Runtime form

/** A checked parameter. */
export interface CompiledParam {
  readonly name: string;
  readonly type: ParamType;
  readonly description: string;
}

/** A checked recipe: its parameters in declared order. */
export type CompiledRecipe = readonly CompiledParam[];

/** A command's checked declaration, what the matcher works on. */
export interface CompiledParams {
  /** Declared parameters in declaration order. */
  readonly params: readonly CompiledParam[];
  /** Recipes in declaration order. */
  readonly recipes: readonly CompiledRecipe[];
  /** True: positional params are refused (`Command only supports named parameters`). */
  readonly namedOnly: boolean;
}

/** The declaration members of a command definition (all optional). */
export interface ParamsDeclarationInput {
  readonly params?: unknown;
  readonly recipes?: unknown;
  readonly namedOnly?: unknown;
}

/** What {@link compileParams} gives: the checked form, `null` (nothing declared) or a problem. */
export type CompileParamsResult =
  | { readonly ok: true; readonly compiled: CompiledParams | null }
  | { readonly ok: false; readonly problem: string };

/** Most parameters one command may declare, and most recipes (ample: OpenSIPS allows 10 each). */
export const MAX_DECLARED_PARAMS = 32;
export const MAX_RECIPES = 32;

const PARAM_NAME = /^[^\s":]+$/;

/** Why `name` cannot be a parameter name, or `null` when it can. */
export function paramNameProblem(name: string): string | null {
  if (name.length === 0) return 'a parameter name is empty';
  if (!PARAM_NAME.test(name)) {
    return `parameter name ${JSON.stringify(name)} contains a blank, '"' or ':'`;
  }
  return null;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compileParam(name: string, declaration: unknown): CompiledParam | string {
  const nameProblem = paramNameProblem(name);
  if (nameProblem !== null) return nameProblem;
  if (typeof declaration === 'string') {
    if (!(PARAM_TYPES as readonly string[]).includes(declaration)) {
      return `parameter ${JSON.stringify(name)}: type must be 'string', 'integer' or 'string[]'`;
    }
    return { name, type: declaration as ParamType, description: '' };
  }
  if (!isPlainRecord(declaration)) {
    return `parameter ${JSON.stringify(name)}: expected a type or { type, description }`;
  }
  const type = declaration.type;
  if (typeof type !== 'string' || !(PARAM_TYPES as readonly string[]).includes(type)) {
    return `parameter ${JSON.stringify(name)}: type must be 'string', 'integer' or 'string[]'`;
  }
  const description = declaration.description;
  if (
    description !== undefined &&
    (typeof description !== 'string' || description.includes('\n'))
  ) {
    return `parameter ${JSON.stringify(name)}: description must be a string without a newline`;
  }
  return { name, type: type as ParamType, description: description ?? '' };
}

function compileRecipe(
  recipe: unknown,
  index: number,
  byName: ReadonlyMap<string, CompiledParam>,
): CompiledRecipe | string {
  if (!Array.isArray(recipe)) return `recipe ${index}: expected an array of parameter names`;
  const seen = new Set<string>();
  const out: CompiledParam[] = [];
  for (const [position, name] of recipe.entries()) {
    if (typeof name !== 'string') return `recipe ${index}: a parameter name must be a string`;
    const param = byName.get(name);
    if (param === undefined) {
      return `recipe ${index}: parameter ${JSON.stringify(name)} is not declared in params`;
    }
    if (seen.has(name)) return `recipe ${index}: parameter ${JSON.stringify(name)} appears twice`;
    if (param.type === 'string[]' && position !== recipe.length - 1) {
      return `recipe ${index}: the 'string[]' parameter ${JSON.stringify(name)} must come last`;
    }
    seen.add(name);
    out.push(param);
  }
  return out;
}

/** The recipe's names as a set key (order does not matter for named calls). */
function recipeKey(recipe: CompiledRecipe): string {
  return JSON.stringify(recipe.map((p) => p.name).sort());
}

/**
 * Checks the `params`, `recipes` and `namedOnly` members of an untrusted
 * definition. Neither `params` nor `recipes`: nothing declared (`null`, the
 * handler keeps raw arguments). `params` without `recipes`: one recipe of
 * every declared name, in declaration order (`params: {}` declares that the
 * command takes no parameters). `recipes` without `params` may only hold
 * empty recipes.
 */
export function compileParams(input: ParamsDeclarationInput): CompileParamsResult {
  const fail = (problem: string): CompileParamsResult => ({ ok: false, problem });
  const { params: rawParams, recipes: rawRecipes, namedOnly } = input;
  if (namedOnly !== undefined && typeof namedOnly !== 'boolean') {
    return fail('namedOnly must be a boolean');
  }
  if (rawParams === undefined && rawRecipes === undefined) {
    if (namedOnly === true) return fail('namedOnly needs params');
    return { ok: true, compiled: null };
  }
  const params: CompiledParam[] = [];
  const byName = new Map<string, CompiledParam>();
  if (rawParams !== undefined) {
    if (!isPlainRecord(rawParams)) return fail('params must be an object: name → declaration');
    const entries = Object.entries(rawParams);
    if (entries.length > MAX_DECLARED_PARAMS) {
      return fail(`params: more than ${MAX_DECLARED_PARAMS} parameters`);
    }
    for (const [name, declaration] of entries) {
      const param = compileParam(name, declaration);
      if (typeof param === 'string') return fail(param);
      params.push(param);
      byName.set(name, param);
    }
  }
  const recipes: CompiledRecipe[] = [];
  if (rawRecipes === undefined) {
    const last = params.findIndex((p) => p.type === 'string[]');
    if (last !== -1 && last !== params.length - 1) {
      return fail(`the 'string[]' parameter ${JSON.stringify(params[last]?.name)} must come last`);
    }
    recipes.push(params);
  } else {
    if (!Array.isArray(rawRecipes) || rawRecipes.length === 0) {
      return fail('recipes must be a non-empty array of arrays of parameter names');
    }
    if (rawRecipes.length > MAX_RECIPES) return fail(`recipes: more than ${MAX_RECIPES}`);
    const keys = new Set<string>();
    for (const [index, raw] of rawRecipes.entries()) {
      const recipe = compileRecipe(raw, index, byName);
      if (typeof recipe === 'string') return fail(recipe);
      const key = recipeKey(recipe);
      if (keys.has(key)) return fail(`recipe ${index}: the same names as an earlier recipe`);
      keys.add(key);
      recipes.push(recipe);
    }
  }
  return { ok: true, compiled: { params, recipes, namedOnly: namedOnly === true } };
}

/** The recipes as lists of names: the `which COMMAND` answer. */
export function recipeNames(compiled: CompiledParams): string[][] {
  return compiled.recipes.map((recipe) => recipe.map((p) => p.name));
}
