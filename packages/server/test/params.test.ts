import { fc, test } from '@fast-check/vitest';
import type { JsonRpcParams, JsonValue } from '@mi-datagram/protocol';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { CommandRegistry, defineCommand, type MiCommandDefinition } from '../src/commands/index.js';
import {
  type CompiledParams,
  compileParams,
  type ParamsOf,
  recipeNames,
} from '../src/commands/params.js';
import {
  InvalidParamsError,
  invalidParamsJsonError,
  invalidParamsLegacyStatus,
  isInvalidParamsError,
} from '../src/commands/params-errors.js';
import {
  type LegacyParamArgument,
  matchJsonParams,
  matchLegacyArgs,
  type ParamsMatchResult,
} from '../src/commands/params-match.js';

function compiled(input: Parameters<typeof compileParams>[0]): CompiledParams {
  const result = compileParams(input);
  if (!result.ok) throw new Error(result.problem);
  if (result.compiled === null) throw new Error('nothing declared');
  return result.compiled;
}

const logLevel = compiled({
  params: { level: { type: 'integer', description: 'new level' }, pid: 'integer' },
  recipes: [[], ['level'], ['level', 'pid']],
});
const cacheFetch = compiled({ params: { system: 'string', attr: 'string' } });
const cacheStore = compiled({
  params: { system: 'string', attr: 'string', value: 'string', expire: 'integer' },
  recipes: [
    ['system', 'attr', 'value'],
    ['system', 'attr', 'value', 'expire'],
  ],
});
const stats = compiled({ params: { statistics: 'string[]' }, recipes: [[], ['statistics']] });

/** The outcome as plain data: `{recipe, params}` or the JSON-RPC `data` text. */
function outcome(result: ParamsMatchResult): { recipe: number; params: object } | string {
  return result.ok ? { recipe: result.recipe, params: { ...result.params } } : result.error.detail;
}

const json = (c: CompiledParams, params: JsonRpcParams | undefined) =>
  outcome(matchJsonParams(c, params));
const legacy = (c: CompiledParams, args: ReadonlyArray<[string | null, string | null]>) =>
  outcome(
    matchLegacyArgs(
      c,
      args.map(([name, value]) => ({ name, value })),
    ),
  );

describe('compileParams', () => {
  it('nothing declared: null (raw arguments)', () => {
    expect(compileParams({})).toEqual({ ok: true, compiled: null });
  });

  it('params alone: one recipe of all names, in order; params {} is the empty recipe', () => {
    expect(recipeNames(cacheFetch)).toEqual([['system', 'attr']]);
    expect(recipeNames(compiled({ params: {} }))).toEqual([[]]);
    expect(recipeNames(compiled({ recipes: [[]] }))).toEqual([[]]);
    expect(recipeNames(logLevel)).toEqual([[], ['level'], ['level', 'pid']]);
    expect(logLevel.params).toEqual([
      { name: 'level', type: 'integer', description: 'new level' },
      { name: 'pid', type: 'integer', description: '' },
    ]);
  });

  it.each([
    [{ params: [] }, 'params must be an object'],
    [{ params: { a: 'float' } }, "type must be 'string', 'integer' or 'string[]'"],
    [{ params: { a: { type: 'string', description: 1 } } }, 'description must be a string'],
    [{ params: { a: { type: 'string', description: 'x\ny' } } }, 'without a newline'],
    [{ params: { a: null } }, 'expected a type or { type, description }'],
    [{ params: { 'a b': 'string' } }, 'contains a blank'],
    [{ params: { 'a:b': 'string' } }, 'contains a blank'],
    [{ params: { '': 'string' } }, 'a parameter name is empty'],
    [{ params: { a: 'string' }, recipes: [] }, 'recipes must be a non-empty array'],
    [{ params: { a: 'string' }, recipes: 'a' }, 'recipes must be a non-empty array'],
    [{ params: { a: 'string' }, recipes: ['a'] }, 'recipe 0: expected an array'],
    [{ params: { a: 'string' }, recipes: [['b']] }, 'parameter "b" is not declared'],
    [{ params: { a: 'string' }, recipes: [[1]] }, 'a parameter name must be a string'],
    [{ params: { a: 'string' }, recipes: [['a', 'a']] }, 'appears twice'],
    [
      {
        params: { a: 'string', b: 'string' },
        recipes: [
          ['a', 'b'],
          ['b', 'a'],
        ],
      },
      'same names',
    ],
    [{ params: { a: 'string[]', b: 'string' } }, 'must come last'],
    [{ params: { a: 'string[]', b: 'string' }, recipes: [['a', 'b']] }, 'must come last'],
    [{ recipes: [['a']] }, 'not declared'],
    [{ params: {}, namedOnly: 1 }, 'namedOnly must be a boolean'],
    [{ namedOnly: true }, 'namedOnly needs params'],
  ])('refuses %j', (input, problem) => {
    const result = compileParams(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });
});

describe('matchJsonParams (the 3.6 recording)', () => {
  it('named params in any order, positional in declared order', () => {
    const kv = { recipe: 0, params: { system: 'local', attr: 'k' } };
    expect(json(cacheFetch, { system: 'local', attr: 'k' })).toEqual(kv);
    expect(json(cacheFetch, { attr: 'k', system: 'local' })).toEqual(kv);
    expect(json(cacheFetch, ['local', 'k'])).toEqual(kv);
  });

  it('missing and extra params: Too few or too many parameters', () => {
    const count = 'Too few or too many parameters';
    expect(json(cacheFetch, { system: 'local' })).toBe(count);
    expect(json(cacheFetch, { system: 'local', attr: 'k', bogus: 1 })).toBe(count);
    expect(json(cacheFetch, ['local'])).toBe(count);
    expect(json(cacheFetch, undefined)).toBe(count);
    expect(json(cacheFetch, {})).toBe(count);
  });

  it('right count, wrong names: Named parameters do not match', () => {
    expect(json(cacheFetch, { system: 'local', key: 'k' })).toBe('Named parameters do not match');
  });

  it('log_level recipes and types', () => {
    expect(json(logLevel, undefined)).toEqual({ recipe: 0, params: {} });
    expect(json(logLevel, [])).toEqual({ recipe: 0, params: {} });
    expect(json(logLevel, {})).toEqual({ recipe: 0, params: {} });
    expect(json(logLevel, { level: 3 })).toEqual({ recipe: 1, params: { level: 3 } });
    expect(json(logLevel, { level: '-3' })).toEqual({ recipe: 1, params: { level: -3 } });
    expect(json(logLevel, { pid: 7, level: 2 })).toEqual({
      recipe: 2,
      params: { level: 2, pid: 7 },
    });
    expect(json(logLevel, { level: 'abc' })).toBe("Bad type for parameter 'level'");
    expect(json(logLevel, { level: 1.5 })).toBe("Bad type for parameter 'level'");
    expect(json(logLevel, { level: 2147483648 })).toBe("Bad type for parameter 'level'");
    expect(json(logLevel, { level: null })).toBe("Bad type for parameter 'level'");
    expect(json(logLevel, [2, 'x'])).toBe("Bad type for parameter 'pid'");
    expect(json(logLevel, { pid: 2 })).toBe('Named parameters do not match');
  });

  it('string params take numbers as their text, nothing else', () => {
    expect(json(cacheFetch, ['local', 12])).toEqual({
      recipe: 0,
      params: { system: 'local', attr: '12' },
    });
    expect(json(cacheFetch, ['local', 12n])).toMatchObject({ params: { attr: '12' } });
    for (const bad of [true, null, [], {}] as JsonValue[]) {
      expect(json(cacheFetch, ['local', bad])).toBe("Bad type for parameter 'attr'");
    }
  });

  it('string[] params', () => {
    expect(json(stats, { statistics: ['all', 3] })).toEqual({
      recipe: 1,
      params: { statistics: ['all', '3'] },
    });
    expect(json(stats, ['core:'])).toBe("Bad type for parameter 'statistics'");
    expect(json(stats, [['core:']])).toEqual({ recipe: 1, params: { statistics: ['core:'] } });
    expect(json(stats, { statistics: [] })).toBe("Empty array in parameter 'statistics'");
    expect(json(stats, { statistics: ['a', null] })).toBe(
      "Bad type for array item in parameter 'statistics'",
    );
    // JSON-RPC is strict like OpenSIPS 3: two positional values are two parameters.
    expect(json(stats, ['core:', 'shmem:'])).toBe('Too few or too many parameters');
  });

  it('ambiguous positional calls and named-only commands', () => {
    const twoWays = compiled({
      params: { a: 'string', b: 'string' },
      recipes: [['a'], ['b']],
    });
    expect(json(twoWays, ['x'])).toBe('Ambiguous call, use named parameters instead');
    expect(json(twoWays, { b: 'x' })).toEqual({ recipe: 1, params: { b: 'x' } });
    const named = compiled({ params: { a: 'string' }, namedOnly: true });
    expect(json(named, ['x'])).toBe('Command only supports named parameters');
    expect(json(named, { a: 'x' })).toEqual({ recipe: 0, params: { a: 'x' } });
  });

  it('names of Object.prototype are ordinary names', () => {
    const proto = compiled({ params: JSON.parse('{"__proto__":"string","constructor":"string"}') });
    const params = JSON.parse('{"__proto__":"p","constructor":"c"}') as JsonRpcParams;
    const result = matchJsonParams(proto, params);
    expect(result.ok && Object.getPrototypeOf(result.params)).toBe(null);
    expect(result.ok && Object.entries(result.params)).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
    ]);
    expect(json(cacheFetch, JSON.parse('{"system":"s","constructor":"c"}'))).toBe(
      'Named parameters do not match',
    );
  });
});

describe('matchLegacyArgs', () => {
  it('value-only lines are positional, name::value lines named (any order)', () => {
    expect(legacy(logLevel, [])).toEqual({ recipe: 0, params: {} });
    expect(legacy(logLevel, [[null, '3']])).toEqual({ recipe: 1, params: { level: 3 } });
    expect(
      legacy(logLevel, [
        [null, '2'],
        [null, '25770'],
      ]),
    ).toEqual({
      recipe: 2,
      params: { level: 2, pid: 25770 },
    });
    expect(
      legacy(logLevel, [
        ['pid', '9'],
        ['level', '1'],
      ]),
    ).toEqual({ recipe: 2, params: { level: 1, pid: 9 } });
  });

  it('names that form no recipe are read by position, as 2.4 did', () => {
    expect(
      legacy(cacheStore, [
        ['system', 'local'],
        ['key', 'k2'],
        ['value', 'v a l'],
      ]),
    ).toEqual({ recipe: 0, params: { system: 'local', attr: 'k2', value: 'v a l' } });
    expect(
      legacy(cacheFetch, [
        [null, 'local'],
        ['attr', 'k'],
      ]),
    ).toEqual({
      recipe: 0,
      params: { system: 'local', attr: 'k' },
    });
  });

  it('count errors and bad values', () => {
    expect(legacy(cacheStore, [[null, 'local']])).toBe('Too few or too many parameters');
    expect(legacy(logLevel, [[null, 'abc']])).toBe("Bad type for parameter 'level'");
    expect(legacy(logLevel, [['level', null]])).toBe("Bad type for parameter 'level'");
    expect(
      legacy(cacheFetch, [
        [null, 'local'],
        ['attr', null],
      ]),
    ).toBe("Bad type for parameter 'attr'");
    expect(
      legacy(logLevel, [
        [null, '1'],
        [null, '2'],
        [null, '3'],
      ]),
    ).toBe('Too few or too many parameters');
  });

  it('a trailing string[] takes the remaining values; its name may repeat', () => {
    expect(
      legacy(stats, [
        [null, 'core:'],
        [null, 'shmem:'],
      ]),
    ).toEqual({
      recipe: 1,
      params: { statistics: ['core:', 'shmem:'] },
    });
    expect(
      legacy(stats, [
        ['statistics', 'a'],
        ['statistics', 'b'],
      ]),
    ).toEqual({ recipe: 1, params: { statistics: ['a', 'b'] } });
    const grouped = compiled({ params: { group: 'string', names: 'string[]' } });
    expect(
      legacy(grouped, [
        [null, 'g'],
        [null, 'a'],
        [null, 'b'],
      ]),
    ).toEqual({
      recipe: 0,
      params: { group: 'g', names: ['a', 'b'] },
    });
    expect(legacy(grouped, [[null, 'g']])).toBe('Too few or too many parameters');
    // a repeated name of a plain parameter is no named call: read by position
    expect(
      legacy(cacheFetch, [
        ['system', 'a'],
        ['system', 'b'],
      ]),
    ).toEqual({ recipe: 0, params: { system: 'a', attr: 'b' } });
  });

  it('named-only commands refuse positional lines', () => {
    const named = compiled({ params: { a: 'string' }, namedOnly: true });
    expect(legacy(named, [[null, 'x']])).toBe('Command only supports named parameters');
    expect(legacy(named, [['a', 'x']])).toEqual({ recipe: 0, params: { a: 'x' } });
  });
});

describe('error values', () => {
  it('render as JSON-RPC -32602 and as the 2.4 status lines', () => {
    const count = InvalidParamsError.of('count');
    expect(invalidParamsJsonError(count)).toEqual({
      code: -32602,
      message: 'Invalid params',
      data: 'Too few or too many parameters',
    });
    expect(invalidParamsLegacyStatus(count)).toEqual({
      code: 400,
      reason: 'Too few or too many arguments',
    });
    expect(invalidParamsLegacyStatus(count, { code: 404, reason: 'Too few arguments' })).toEqual({
      code: 404,
      reason: 'Too few arguments',
    });
    const own = new InvalidParamsError('Bad PID');
    expect(own.reason).toBe('command');
    expect(own.code).toBe('INVALID_PARAMS');
    expect(isInvalidParamsError(own)).toBe(true);
    expect(isInvalidParamsError(new Error('x'))).toBe(false);
    expect(invalidParamsJsonError(own).data).toBe('Bad PID');
    expect(invalidParamsLegacyStatus(own)).toEqual({ code: 400, reason: 'Bad parameter' });
    expect(invalidParamsLegacyStatus(InvalidParamsError.of('type', 'x'))).toEqual({
      code: 400,
      reason: 'Bad parameter',
    });
  });
});

// ---------------------------------------------------------------------------
// Properties

const nameArb = fc.constantFrom('a', 'b', 'c', 'd', 'level', 'pid', '__proto__');
const declarationArb = fc.uniqueArray(nameArb, { minLength: 1, maxLength: 5 }).chain((names) =>
  fc
    .uniqueArray(fc.subarray(names), {
      minLength: 1,
      maxLength: 4,
      selector: (r) => [...r].sort().join(' '),
    })
    .map((recipes) => ({
      params: Object.fromEntries(names.map((n) => [n, 'string'] as const)),
      recipes,
    })),
);

describe('matcher properties', () => {
  test.prop([
    declarationArb.chain((decl) =>
      fc.record({
        decl: fc.constant(decl),
        index: fc.nat(decl.recipes.length - 1),
        seed: fc.integer(),
      }),
    ),
  ])('a recipe named in any key order matches that recipe', ({ decl, index, seed }) => {
    const c = compiled(decl);
    const recipe = decl.recipes[index] ?? [];
    const keys = fc.sample(fc.shuffledSubarray(recipe, { minLength: recipe.length }), {
      seed,
      numRuns: 1,
    })[0] as string[];
    const params = Object.create(null) as Record<string, JsonValue>;
    for (const key of keys) params[key] = `v-${key}`;
    const legacyArgs: LegacyParamArgument[] = keys.map((k) => ({ name: k, value: `v-${k}` }));
    for (const result of [matchJsonParams(c, params), matchLegacyArgs(c, legacyArgs)]) {
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.recipe).toBe(index);
      expect(Object.keys(result.params).sort()).toEqual([...recipe].sort());
      for (const key of recipe) expect(result.params[key]).toBe(`v-${key}`);
    }
  });

  const valueArb: fc.Arbitrary<JsonValue> = fc.oneof(
    fc.string({ maxLength: 3 }),
    fc.integer(),
    fc.constant(null),
    fc.boolean(),
    fc.array(fc.string({ maxLength: 2 }), { maxLength: 2 }),
  );

  test.prop([
    declarationArb.map((d) => ({
      ...d,
      params: { ...d.params, level: 'integer', c: 'string[]' },
      recipes: d.recipes.map((r) => [...r].sort((x, y) => (x === 'c' ? 1 : y === 'c' ? -1 : 0))),
    })),
    fc.dictionary(nameArb, valueArb, { maxKeys: 5 }),
  ])('no handler runs on a mismatch; a match holds exactly a recipe, typed', (decl, given) => {
    const c = compiled(decl);
    let ran = 0;
    // The dispatch contract: the handler runs only with a successful match.
    const dispatch = (result: ParamsMatchResult) => {
      if (result.ok) ran++;
      return result;
    };
    const result = dispatch(matchJsonParams(c, given));
    const keys = Object.keys(given).sort();
    const recipeIndex = decl.recipes.findIndex(
      (r) => r.length === keys.length && [...r].sort().join(' ') === keys.join(' '),
    );
    if (recipeIndex === -1) {
      expect(ran).toBe(0);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(isInvalidParamsError(result.error)).toBe(true);
      return;
    }
    const recipe = decl.recipes[recipeIndex] ?? [];
    const typeOk = recipe.every((name) => {
      const v = given[name];
      const type = (decl.params as Record<string, string>)[name];
      if (type === 'integer') {
        const n = typeof v === 'string' && /^[+-]?[0-9]+$/.test(v) ? Number(v) : v;
        return typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31;
      }
      if (type === 'string[]') return Array.isArray(v) && v.length > 0;
      return typeof v === 'string' || typeof v === 'number';
    });
    expect(result.ok).toBe(typeOk);
    expect(ran).toBe(typeOk ? 1 : 0);
    if (result.ok) expect(Object.keys(result.params).sort()).toEqual(keys);
  });
});

describe('typing', () => {
  it('defineCommand types request.params from params and recipes; the result is a definition', () => {
    const logLevel = defineCommand({
      name: 'log_level_typed',
      params: { level: 'integer', pid: { type: 'integer', description: 'a process' } },
      recipes: [[], ['level'], ['level', 'pid']],
      handler(request) {
        expectTypeOf(request.params).toEqualTypeOf<
          | { readonly level?: undefined; readonly pid?: undefined }
          | { readonly level: number; readonly pid?: undefined }
          | { readonly level: number; readonly pid: number }
        >();
        if (request.params.pid !== undefined) expectTypeOf(request.params.level).toBeNumber();
        return undefined;
      },
    });
    const fetch = defineCommand({
      name: 'fetch_typed',
      params: { system: 'string', names: 'string[]' },
      handler({ params }) {
        expectTypeOf(params).toEqualTypeOf<{
          readonly system: string;
          readonly names: readonly string[];
        }>();
        return { json: [params.system, ...params.names] };
      },
    });
    const raw = defineCommand({
      name: 'raw',
      handler: (request) => ({ json: request.args.length }),
    });
    const all: MiCommandDefinition[] = [logLevel, fetch, raw];
    const registry = new CommandRegistry();
    registry.registerAll(all);
    expect(registry.get('fetch_typed')?.params?.recipes.map((r) => r.map((p) => p.name))).toEqual([
      ['system', 'names'],
    ]);
    expect(registry.get('raw')?.params).toBeNull();
    expect(() =>
      registry.register({ name: 'bad', params: { a: 'float' }, handler: () => undefined }),
    ).toThrow(/invalid commands: bad definition in module app: command "bad": parameter "a"/);
  });

  it('a handler parameter object is typed from the declaration', () => {
    type LogLevelParams = ParamsOf<
      { level: 'integer'; pid: { type: 'integer'; description: 'x' } },
      readonly [readonly [], readonly ['level'], readonly ['level', 'pid']]
    >;
    expectTypeOf<LogLevelParams>().toEqualTypeOf<
      | { readonly level?: undefined; readonly pid?: undefined }
      | { readonly level: number; readonly pid?: undefined }
      | { readonly level: number; readonly pid: number }
    >();
    type FetchParams = ParamsOf<{ system: 'string'; names: 'string[]' }, undefined>;
    expectTypeOf<FetchParams>().toEqualTypeOf<{
      readonly system: string;
      readonly names: readonly string[];
    }>();
  });
});
