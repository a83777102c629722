/**
 * Matching a call against a command's recipes (PROTOCOL.md 5.1), then
 * checking and converting its values. Pure: no handler runs here, and a
 * call that does not match yields an {@link InvalidParamsError} value
 * (never thrown).
 *
 * JSON-RPC, as OpenSIPS 3.6 does it:
 * - no params, `[]` or `{}` → the empty recipe;
 * - named params (an object) → the recipe whose names are exactly the keys,
 *   in any order. No recipe with that many names: `count`; some, but not
 *   with these names: `names`;
 * - positional params (an array) → the one recipe with that many names, its
 *   names in declared order. None: `count`; several: `ambiguous`.
 *
 * Legacy text, mapped onto the same model:
 * - no arguments → the empty recipe;
 * - every argument `name::value` → named, as above; a name may repeat only
 *   for a `string[]` parameter (each line adds an item);
 * - otherwise, and when named arguments form no recipe, the arguments are
 *   taken by position, as OpenSIPS 2.4 did (it ignored names): the recipe
 *   with that many names or, failing that, the one whose last parameter is
 *   `string[]` and takes the remaining values (`:get_statistics:\ncore:\nshmem:\n`).
 *
 * Values: `string` takes a string (JSON numbers as their text); `integer` a
 * JSON integer or a decimal text (optional sign) within 32 bits; `string[]`
 * a non-empty JSON array of strings or numbers. `null` (JSON) and an absent
 * legacy value (`name::`) fit no type.
 */
import {
  isJsonArray,
  type JsonObject,
  type JsonRpcParams,
  type JsonValue,
} from '@mi-datagram/protocol';
import type {
  CompiledParam,
  CompiledParams,
  CompiledRecipe,
  ParamValue,
  ParamValues,
} from './params.js';
import { InvalidParamsError, type InvalidParamsReason } from './params-errors.js';

/** A matched call: which recipe, and the converted values by name. */
export interface ParamsMatched {
  readonly ok: true;
  /** Index of the recipe in the declaration. */
  readonly recipe: number;
  /** A null-prototype object holding exactly the recipe's names. */
  readonly params: ParamValues;
}

export interface ParamsRefused {
  readonly ok: false;
  readonly error: InvalidParamsError;
}

export type ParamsMatchResult = ParamsMatched | ParamsRefused;

/** One legacy argument (`null` = absent). */
export interface LegacyParamArgument {
  readonly name: string | null;
  readonly value: string | null;
}

const INTEGER_TEXT = /^[+-]?[0-9]+$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function refuse(reason: Exclude<InvalidParamsReason, 'command'>): ParamsRefused {
  return { ok: false, error: InvalidParamsError.of(reason) };
}

/** A decimal text as a 32-bit integer, else `null`. */
export function parseIntegerText(text: string): number | null {
  if (!INTEGER_TEXT.test(text)) return null;
  const n = Number(text);
  return n >= INT32_MIN && n <= INT32_MAX ? n : null;
}

function emptyRecipeIndex(compiled: CompiledParams): number {
  return compiled.recipes.findIndex((recipe) => recipe.length === 0);
}

function matchEmpty(compiled: CompiledParams): ParamsMatchResult {
  const index = emptyRecipeIndex(compiled);
  if (index === -1) return refuse('count');
  return { ok: true, recipe: index, params: Object.create(null) as ParamValues };
}

// ---------------------------------------------------------------------------
// JSON-RPC

/** A JSON value as a `string` parameter, or `undefined` when it is none. */
function jsonText(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

function convertJson(
  param: CompiledParam,
  value: JsonValue | undefined,
): ParamValue | InvalidParamsError {
  switch (param.type) {
    case 'string': {
      const text = jsonText(value);
      return text ?? InvalidParamsError.of('type', param.name);
    }
    case 'integer': {
      if (typeof value === 'number') {
        if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return value;
      } else if (typeof value === 'string') {
        const n = parseIntegerText(value);
        if (n !== null) return n;
      }
      return InvalidParamsError.of('type', param.name);
    }
    case 'string[]': {
      if (value === undefined || !isJsonArrayValue(value)) {
        return InvalidParamsError.of('type', param.name);
      }
      if (value.length === 0) return InvalidParamsError.of('empty-array', param.name);
      const items: string[] = [];
      for (const item of value) {
        const text = jsonText(item);
        if (text === undefined) return InvalidParamsError.of('array-item', param.name);
        items.push(text);
      }
      return Object.freeze(items);
    }
  }
}

function isJsonArrayValue(value: JsonValue): value is readonly JsonValue[] {
  return isJsonArray(value);
}

function convertJsonRecipe(
  compiled: CompiledParams,
  index: number,
  get: (param: CompiledParam, position: number) => JsonValue | undefined,
): ParamsMatchResult {
  const recipe = compiled.recipes[index] as CompiledRecipe;
  const params = Object.create(null) as Record<string, ParamValue>;
  for (let i = 0; i < recipe.length; i++) {
    const param = recipe[i] as CompiledParam;
    const value = convertJson(param, get(param, i));
    if (value instanceof InvalidParamsError) return { ok: false, error: value };
    params[param.name] = value;
  }
  return { ok: true, recipe: index, params };
}

/** Matches JSON-RPC params (`undefined` when the request has none). */
export function matchJsonParams(
  compiled: CompiledParams,
  params: JsonRpcParams | undefined,
): ParamsMatchResult {
  if (params === undefined) return matchEmpty(compiled);
  const recipes = compiled.recipes;
  if (isJsonArray(params)) {
    const n = params.length;
    if (n === 0) return matchEmpty(compiled);
    if (compiled.namedOnly) return refuse('named-only');
    let found = -1;
    for (let i = 0; i < recipes.length; i++) {
      if (recipes[i]?.length !== n) continue;
      if (found !== -1) return refuse('ambiguous');
      found = i;
    }
    if (found === -1) return refuse('count');
    return convertJsonRecipe(compiled, found, (_param, position) => params[position]);
  }
  const object: JsonObject = params;
  const n = Object.keys(object).length;
  if (n === 0) return matchEmpty(compiled);
  let sameCount = false;
  for (let i = 0; i < recipes.length; i++) {
    const recipe = recipes[i] as CompiledRecipe;
    if (recipe.length !== n) continue;
    sameCount = true;
    if (recipe.every((param) => Object.hasOwn(object, param.name))) {
      return convertJsonRecipe(compiled, i, (param) =>
        Object.hasOwn(object, param.name) ? object[param.name] : undefined,
      );
    }
  }
  return refuse(sameCount ? 'names' : 'count');
}

// ---------------------------------------------------------------------------
// Legacy text

function convertLegacy(
  param: CompiledParam,
  values: readonly (string | null)[],
): ParamValue | InvalidParamsError {
  if (param.type === 'string[]') {
    if (values.length === 0) return InvalidParamsError.of('empty-array', param.name);
    const items: string[] = [];
    for (const value of values) {
      if (value === null) return InvalidParamsError.of('array-item', param.name);
      items.push(value);
    }
    return Object.freeze(items);
  }
  const value = values.length === 1 ? values[0] : null;
  if (value === null || value === undefined) return InvalidParamsError.of('type', param.name);
  if (param.type === 'string') return value;
  const n = parseIntegerText(value);
  return n ?? InvalidParamsError.of('type', param.name);
}

function convertLegacyRecipe(
  compiled: CompiledParams,
  index: number,
  get: (param: CompiledParam, position: number) => readonly (string | null)[],
): ParamsMatchResult {
  const recipe = compiled.recipes[index] as CompiledRecipe;
  const params = Object.create(null) as Record<string, ParamValue>;
  for (let i = 0; i < recipe.length; i++) {
    const param = recipe[i] as CompiledParam;
    const value = convertLegacy(param, get(param, i));
    if (value instanceof InvalidParamsError) return { ok: false, error: value };
    params[param.name] = value;
  }
  return { ok: true, recipe: index, params };
}

/** Named legacy arguments → the recipe of exactly these names, or `undefined`. */
function matchLegacyNamed(
  compiled: CompiledParams,
  args: readonly LegacyParamArgument[],
): ParamsMatchResult | undefined {
  const byName = new Map<string, (string | null)[]>();
  for (const arg of args) {
    const name = arg.name as string;
    const values = byName.get(name);
    if (values === undefined) byName.set(name, [arg.value]);
    else values.push(arg.value);
  }
  const recipes = compiled.recipes;
  for (let i = 0; i < recipes.length; i++) {
    const recipe = recipes[i] as CompiledRecipe;
    if (recipe.length !== byName.size) continue;
    const fits = recipe.every((param) => {
      const values = byName.get(param.name);
      return values !== undefined && (values.length === 1 || param.type === 'string[]');
    });
    if (fits) return convertLegacyRecipe(compiled, i, (param) => byName.get(param.name) ?? []);
  }
  return undefined;
}

function matchLegacyPositional(
  compiled: CompiledParams,
  args: readonly LegacyParamArgument[],
): ParamsMatchResult {
  if (compiled.namedOnly) return refuse('named-only');
  const n = args.length;
  const recipes = compiled.recipes;
  let exact = -1;
  let absorbing = -1;
  let absorbingTwice = false;
  for (let i = 0; i < recipes.length; i++) {
    const recipe = recipes[i] as CompiledRecipe;
    if (recipe.length === 0) continue;
    if (recipe.length === n) {
      if (exact !== -1) return refuse('ambiguous');
      exact = i;
    } else if (recipe.length < n && recipe[recipe.length - 1]?.type === 'string[]') {
      if (absorbing !== -1) absorbingTwice = true;
      absorbing = i;
    }
  }
  const found = exact !== -1 ? exact : absorbing;
  if (found === -1) return refuse('count');
  if (exact === -1 && absorbingTwice) return refuse('ambiguous');
  const recipe = recipes[found] as CompiledRecipe;
  return convertLegacyRecipe(compiled, found, (_param, position) =>
    position === recipe.length - 1
      ? args.slice(position).map((arg) => arg.value)
      : [args[position]?.value ?? null],
  );
}

/** Matches the arguments of a legacy text request. */
export function matchLegacyArgs(
  compiled: CompiledParams,
  args: readonly LegacyParamArgument[],
): ParamsMatchResult {
  if (args.length === 0) return matchEmpty(compiled);
  if (args.every((arg) => arg.name !== null)) {
    const named = matchLegacyNamed(compiled, args);
    if (named !== undefined) return named;
  }
  return matchLegacyPositional(compiled, args);
}
