/**
 * The one-pass reader of common requests (src/jsonrpc/fast-request.ts)
 * against the full parser: for every input, `parseJsonRpcDatagram` (fast path
 * first) must give exactly what `parseJsonRpcDatagramFully` (full parser
 * only) gives: same kind, same values and types (`bigint`/`number`, -0), same
 * key order, same prototypes, same error code and message.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type JsonRpcParsed,
  type JsonRpcParseOptions,
  parseJsonRpcDatagram,
} from '../src/index.js';
import { readCommonJsonRpcRequest } from '../src/jsonrpc/fast-request.js';
import { parseJsonRpcDatagramFully } from '../src/jsonrpc/request.js';
import { bytes, utf8 } from './jsonrpc-helpers.js';

/** Every detail `toStrictEqual` may not look at: key order, prototypes, -0, bigint. */
function shape(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map(shape).join(',')}]`;
  const proto = Object.getPrototypeOf(value) === null ? 'null' : 'Object';
  const entries = Reflect.ownKeys(value).map((k) => {
    const d = Object.getOwnPropertyDescriptor(value, k);
    const flags = `${d?.enumerable ? 'e' : ''}${d?.writable ? 'w' : ''}${d?.configurable ? 'c' : ''}`;
    return `${String(k)}/${flags}:${shape(d?.value)}`;
  });
  return `${proto}{${entries.join(',')}}`;
}

function expectSame(data: Uint8Array, options: JsonRpcParseOptions = {}): JsonRpcParsed {
  const fast = parseJsonRpcDatagram(data, options);
  const full = parseJsonRpcDatagramFully(data, options);
  expect(fast).toStrictEqual(full);
  expect(shape(fast)).toBe(shape(full));
  return fast;
}

// ---------------------------------------------------------------------------
// Generators of near-valid request texts

const ws = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 4, arbitrary: fc.constantFrom(' ', '\t', '\n', '\r', ' \r\n\t ') },
  { weight: 1, arbitrary: fc.constantFrom('\v', '\f', '\u00a0', '\ufeff') },
);

const stringChars = fc.constantFrom(
  ...'abcxyz_-.:/ 09'.split(''),
  '"',
  '\\',
  '\u0001',
  '\u007f',
  'é',
  '€',
  '😀',
  '\u2028',
);
const rawString = fc.string({ unit: stringChars, maxLength: 6 });
/** A JSON string: mostly well escaped, sometimes written raw (then maybe invalid). */
const jsonString = fc.oneof(
  { weight: 4, arbitrary: rawString.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: rawString.map((s) => `"${s}"`) },
  { weight: 1, arbitrary: fc.constantFrom('"\\u0041"', '"\\ud800"', '"a\\/b"', '"\\x"', '"') },
);
const jsonNumber = fc.oneof(
  fc.integer().map(String),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }).map(String),
  fc
    .tuple(fc.constantFrom('', '-'), fc.nat({ max: 99_999_999 }), fc.constantFrom('', '.5', 'e1'))
    .map(([sign, n, tail]) => `${sign}0${n}${tail}`),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.constantFrom(
    '-0',
    '0',
    '01',
    '-01',
    '1.0',
    '1e3',
    '1E2',
    '-',
    '1.',
    '999999999999999',
    '-999999999999999',
    '1000000000000000',
    '9007199254740991',
    '9007199254740993',
    '18446744073709551616',
    '1e999',
    '0x10',
  ),
);
const jsonWord = fc.constantFrom('true', 'false', 'null', 'nul', 'tru', 'falsey', 'NaN');
const flat = fc.oneof(jsonString, jsonNumber, jsonWord);

const { value: anyValue } = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    flat,
    fc
      .array(fc.tuple(ws, tie('value'), ws), { maxLength: 3 })
      .map((items) => `[${items.map((t) => t.join('')).join(',')}]`),
    fc
      .array(fc.tuple(jsonString, ws, tie('value')), { maxLength: 3 })
      .map((ms) => `{${ms.map(([k, w, v]) => `${k}${w}:${v}`).join(',')}}`),
  ),
}));

const deep = fc
  .tuple(fc.integer({ min: 1, max: 70 }), fc.constantFrom('[', '{"a":'))
  .map(([n, open]) => `${open.repeat(n)}1${(open === '[' ? ']' : '}').repeat(n)}`);

const flatParams = fc.oneof(
  fc
    .array(fc.tuple(ws, flat, ws), { maxLength: 4 })
    .map((items) => `[${items.map((t) => t.join('')).join(',')}]`),
  fc
    .array(
      fc.tuple(
        fc.oneof(jsonString, fc.constantFrom('"a"', '"2"', '"__proto__"', '"constructor"')),
        ws,
        flat,
      ),
      { maxLength: 4 },
    )
    .map((ms) => `{${ms.map(([k, w, v]) => `${k}${w}:${w}${v}`).join(',')}}`),
);

const memberName = fc.constantFrom(
  'jsonrpc',
  'method',
  'params',
  'id',
  'jsonrpc',
  'method',
  'id',
  'x',
  'i\\u0064',
  'jsonrpcx',
  'Id',
  '',
);
const versionValue = fc.oneof(
  { weight: 8, arbitrary: fc.constant('"2.0"') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('"2.00"', '2.0', '"1.0"', '"2.0 "', 'null', '"2\\u002e0"'),
  },
);
function memberValue(name: string): fc.Arbitrary<string> {
  switch (name) {
    case 'jsonrpc':
      return versionValue;
    case 'method':
      return fc.oneof({ weight: 6, arbitrary: jsonString }, { weight: 1, arbitrary: anyValue });
    case 'params':
      return fc.oneof(
        { weight: 6, arbitrary: flatParams },
        { weight: 2, arbitrary: anyValue },
        { weight: 1, arbitrary: deep },
      );
    case 'id':
      return fc.oneof({ weight: 4, arbitrary: jsonNumber }, { weight: 2, arbitrary: flat });
    default:
      return anyValue;
  }
}
const member = memberName.chain((name) =>
  fc.tuple(ws, ws, ws, memberValue(name)).map(([a, b, c, v]) => `${a}"${name}"${b}:${c}${v}`),
);
/** Mostly the four members once each, in any order; sometimes repeats, extras, or gaps. */
const requestObject = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.shuffledSubarray(['jsonrpc', 'method', 'params', 'id'], { minLength: 2 }),
          fc.array(ws, { minLength: 8, maxLength: 8 }),
        )
        .chain(([names, w]) =>
          fc
            .tuple(...names.map(memberValue))
            .map((values) => names.map((n, k) => `${w[k]}"${n}"${w[k + 4]}:${values[k]}`)),
        ),
    },
    { weight: 2, arbitrary: fc.array(member, { maxLength: 6 }) },
  )
  .chain((members) => fc.tuple(ws, ws).map(([a, b]) => `${a}{${members.join(',')}${b}}`));

/** Requests the reader must take (before mutation): valid, flat, JSON whitespace only. */
const jsonWs = fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n');
const cleanString = fc
  .string({ unit: fc.constantFrom(...Array.from('abcz_-. é€😀/')), maxLength: 8 })
  .map((s) => JSON.stringify(s));
const cleanFlat = fc.oneof(
  cleanString,
  fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }).map(String),
  fc.constantFrom('true', 'false', 'null', '-0', '0'),
);
const cleanParams = fc.oneof(
  fc.array(cleanFlat, { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
  fc
    .array(fc.tuple(cleanString, jsonWs, cleanFlat), { maxLength: 4 })
    .map((ms) => `{${ms.map(([k, w, v]) => `${k}${w}:${w}${v}`).join(',')}}`),
);
/** A request of the four members (jsonrpc and method always there) from these parts. */
function request(
  method: fc.Arbitrary<string>,
  params: fc.Arbitrary<string>,
  id: fc.Arbitrary<string>,
  space: fc.Arbitrary<string>,
  version: fc.Arbitrary<string> = fc.constant('"2.0"'),
): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.shuffledSubarray(['jsonrpc', 'method', 'params', 'id']),
      version,
      method,
      params,
      id,
      fc.array(space, { minLength: 10, maxLength: 10 }),
    )
    .map(([names, jsonrpc, m, p, i, w]) => {
      const all = ['jsonrpc', 'method', ...names.filter((n) => n !== 'jsonrpc' && n !== 'method')];
      const order = names.length === 4 ? names : all;
      const value: Record<string, string> = { jsonrpc, method: m, params: p, id: i };
      const members = order.map((n, k) => `${w[k]}"${n}"${w[k + 4]}:${w[k + 1]}${value[n]}`);
      return `${w[8]}{${members.join(',')}${w[9]}}${w[0]}`;
    });
}
const cleanId = cleanFlat.filter((v) => !/^(true|false)$/.test(v));
const cleanRequest = request(cleanString, cleanParams, cleanId, jsonWs);
/** A clean request with one part drawn from the noisy generators. */
const oneDefect = fc.oneof(
  request(cleanString, cleanParams, jsonNumber, jsonWs),
  request(cleanString, cleanParams, flat, jsonWs),
  request(cleanString, flatParams, cleanId, jsonWs),
  request(cleanString, fc.oneof(anyValue, deep), cleanId, jsonWs),
  request(jsonString, cleanParams, cleanId, jsonWs),
  request(cleanString, cleanParams, cleanId, ws),
  request(cleanString, cleanParams, cleanId, jsonWs, versionValue),
);

const datagram = fc.oneof(
  { weight: 8, arbitrary: cleanRequest },
  { weight: 8, arbitrary: oneDefect },
  { weight: 8, arbitrary: fc.tuple(requestObject, ws).map(([r, w]) => r + w) },
  {
    weight: 1,
    arbitrary: fc.array(requestObject, { maxLength: 3 }).map((rs) => `[${rs.join(',')}]`),
  },
  { weight: 1, arbitrary: anyValue },
);

type Mutation =
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'insert' | 'replace'; readonly at: number; readonly bytes: readonly number[] };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constantFrom('insert' as const, 'replace' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.constantFrom(
        [0xff],
        [0xc0, 0x80],
        [0xed, 0xa0, 0x80],
        [0xf4, 0x90, 0x80, 0x80],
        [0xe2, 0x82],
        [0x80],
        [0x00],
        [0x22],
        [0x2c],
        [0x7d],
        [0x5d],
        [0x5c],
        [0x3a],
        [0x0b],
      ),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 2 }),
    ),
  }),
);

function mutate(data: Uint8Array, m: Mutation): Uint8Array {
  const at = data.length === 0 ? 0 : m.at % (data.length + 1);
  const out = Array.from(data);
  if (m.kind === 'cut') out.length = at;
  else out.splice(at, m.kind === 'replace' ? m.bytes.length : 0, ...m.bytes);
  return Uint8Array.from(out);
}

const options: fc.Arbitrary<JsonRpcParseOptions> = fc.record(
  {
    maxDepth: fc.constantFrom(1, 2, 3, 64),
    maxRequestSize: fc.constantFrom(40, 65457),
    maxBatchSize: fc.constantFrom(1, 100),
  },
  { requiredKeys: [] },
);

let fastHits = 0;

describe('one-pass reader = full parser', () => {
  const mutations = fc.oneof(
    { weight: 1, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }) },
  );
  test.prop([datagram, mutations, options], { numRuns: 4000 })(
    'same parsed datagram for near-valid requests, mutated or not',
    (text, mutations, opts) => {
      let data = utf8(text);
      for (const m of mutations) data = mutate(data, m);
      if (readCommonJsonRpcRequest(data) !== null) fastHits++;
      expectSame(data, opts);
    },
  );

  it('the property above exercised the fast path (it is not vacuous)', () => {
    expect(fastHits).toBeGreaterThan(500);
  });

  test.prop([fc.uint8Array({ maxLength: 80 })])('same result for arbitrary bytes', (data) => {
    expectSame(data);
  });
});

describe('one-pass reader: examples', () => {
  it.each([
    '{"jsonrpc":"2.0","method":"version","id":1}',
    '{"jsonrpc":"2.0","method":"which","params":[],"id":"abc"}',
    ' {\t"id" : null ,\r\n "method":"ps","jsonrpc":"2.0","params":{}}\n',
    '{"jsonrpc":"2.0","method":"m","params":["a",1,-0,true,false,null,"é😀"],"id":-999999999999999}',
    '{"jsonrpc":"2.0","method":"m","params":{"b":1,"2":"x","__proto__":"p","a":null}}',
  ])('takes the fast path and agrees: %s', (text) => {
    const data = utf8(text);
    expect(readCommonJsonRpcRequest(data)).not.toBeNull();
    expect(expectSame(data).kind).toBe('single');
  });

  it.each([
    ['duplicate member', '{"jsonrpc":"2.0","method":"a","method":"b","id":1}'],
    ['duplicate param key', '{"jsonrpc":"2.0","method":"a","params":{"k":1,"k":2},"id":1}'],
    ['big integer id', '{"jsonrpc":"2.0","method":"a","id":18446744073709551616}'],
    ['16-digit id', '{"jsonrpc":"2.0","method":"a","id":9007199254740993}'],
    ['fractional id', '{"jsonrpc":"2.0","method":"a","id":1.5}'],
    ['leading zero', '{"jsonrpc":"2.0","method":"a","id":01}'],
    ['escaped method', '{"jsonrpc":"2.0","method":"a\\u0062","id":1}'],
    ['nested params', '{"jsonrpc":"2.0","method":"a","params":[[1]],"id":1}'],
    ['wrong version', '{"jsonrpc":"1.0","method":"a","id":1}'],
    ['no method', '{"jsonrpc":"2.0","id":1}'],
    ['extra member', '{"jsonrpc":"2.0","method":"a","id":1,"x":2}'],
    ['trailing data', '{"jsonrpc":"2.0","method":"a","id":1} x'],
    ['vertical tab', '{"jsonrpc":"2.0","method":"a","id":1}\v'],
    ['truncated', '{"jsonrpc":"2.0","method":"a","id":1'],
  ])('falls back for %s, with the same result', (_, text) => {
    const data = utf8(text);
    expect(readCommonJsonRpcRequest(data)).toBeNull();
    expectSame(data);
  });

  it.each([
    ['overlong', [0xc0, 0xaf]],
    ['encoded surrogate', [0xed, 0xa0, 0x80]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['cut sequence', [0xe2, 0x82]],
    ['lone continuation', [0x80]],
  ])('invalid UTF-8 (%s) in method or params falls back to the parse error', (_, bad) => {
    for (const data of [
      bytes('{"jsonrpc":"2.0","method":"a', bad, '","id":1}'),
      bytes('{"jsonrpc":"2.0","method":"a","params":["', bad, '"],"id":1}'),
      bytes('{"jsonrpc":"2.0","method":"a","params":{"', bad, '":1},"id":1}'),
    ]) {
      expect(readCommonJsonRpcRequest(data)).toBeNull();
      const parsed = expectSame(data);
      expect(parsed.kind === 'error' && parsed.response.error.code).toBe(-32700);
    }
  });

  it('depth limit 1 refuses params even on the common shape', () => {
    const data = utf8('{"jsonrpc":"2.0","method":"a","params":[],"id":1}');
    const parsed = expectSame(data, { maxDepth: 1 });
    expect(parsed.kind === 'error' && parsed.response.error.code).toBe(-32700);
  });

  it('a bad maxDepth is still a RangeError', () => {
    const data = utf8('{"jsonrpc":"2.0","method":"a","id":1}');
    expect(() => parseJsonRpcDatagram(data, { maxDepth: 5000 })).toThrow(RangeError);
    expect(() => parseJsonRpcDatagram(data, { maxDepth: 2.5 })).toThrow(RangeError);
  });
});
