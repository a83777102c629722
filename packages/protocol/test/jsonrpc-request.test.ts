import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  isJsonArray,
  isJsonObject,
  isJsonRpcNotification,
  JSONRPC_ERRORS,
  JSONRPC_MAX_BATCH_SIZE,
  type JsonRpcItem,
  type JsonRpcParams,
  type JsonRpcParsed,
  paramsToArguments,
  parseJsonRpcDatagram,
  safeJsonParse,
  validateJsonRpcRequest,
} from '../src/index.js';
import { utf8 } from './jsonrpc-helpers.js';

/** What a parsed item boils down to: the request, or the error code and id answered. */
type Outcome =
  | { readonly method: string; readonly params?: unknown; readonly id?: unknown }
  | { readonly error: number; readonly id: unknown };

type Expected =
  | { readonly single: Outcome }
  | { readonly batch: readonly Outcome[] }
  | { readonly error: number; readonly id: null };

function outcome(item: JsonRpcItem): Outcome {
  if (!item.ok) return { error: item.response.error.code, id: item.response.id };
  const { method, params, id } = item.request;
  return {
    method,
    ...(params === undefined ? {} : { params }),
    ...(id === undefined ? {} : { id }),
  };
}

function summarize(parsed: JsonRpcParsed): Expected {
  switch (parsed.kind) {
    case 'single':
      return { single: outcome(parsed.item) };
    case 'batch':
      return { batch: parsed.items.map(outcome) };
    case 'error':
      expect(parsed.response.id).toBeNull();
      return { error: parsed.response.error.code, id: null };
  }
}

const PARSE = JSONRPC_ERRORS.PARSE_ERROR.code;
const INVALID = JSONRPC_ERRORS.INVALID_REQUEST.code;

const VECTORS: readonly [string, string, Expected][] = [
  // valid requests
  [
    'positional params',
    '{"jsonrpc":"2.0","method":"uptime","params":[],"id":1}',
    { single: { method: 'uptime', params: [], id: 1 } },
  ],
  [
    'named params',
    '{"jsonrpc":"2.0","method":"m","params":{"a":"1"},"id":"x"}',
    { single: { method: 'm', params: { a: '1' }, id: 'x' } },
  ],
  [
    'no params',
    '{"jsonrpc":"2.0","method":"which","id":7}',
    { single: { method: 'which', id: 7 } },
  ],
  ['null id', '{"jsonrpc":"2.0","method":"m","id":null}', { single: { method: 'm', id: null } }],
  [
    'string id',
    '{"jsonrpc":"2.0","method":"m","id":"12345"}',
    { single: { method: 'm', id: '12345' } },
  ],
  [
    'fractional id',
    '{"jsonrpc":"2.0","method":"m","id":1.5}',
    { single: { method: 'm', id: 1.5 } },
  ],
  ['negative id', '{"jsonrpc":"2.0","method":"m","id":-3}', { single: { method: 'm', id: -3 } }],
  [
    '2^64 id kept exact',
    '{"jsonrpc":"2.0","method":"m","id":18446744073709551616}',
    { single: { method: 'm', id: 18446744073709551616n } },
  ],
  ['empty method name', '{"jsonrpc":"2.0","method":"","id":1}', { single: { method: '', id: 1 } }],
  [
    'member order irrelevant',
    '{"id":1,"params":["a"],"method":"m","jsonrpc":"2.0"}',
    { single: { method: 'm', params: ['a'], id: 1 } },
  ],
  [
    'unknown members ignored',
    '{"jsonrpc":"2.0","method":"m","id":1,"extra":{"x":1}}',
    { single: { method: 'm', id: 1 } },
  ],
  [
    'whitespace around',
    ' \r\n\t{"jsonrpc":"2.0","method":"m","id":1}\n',
    { single: { method: 'm', id: 1 } },
  ],
  // notifications
  ['notification', '{"jsonrpc":"2.0","method":"m"}', { single: { method: 'm' } }],
  [
    'notification with params',
    '{"jsonrpc":"2.0","method":"m","params":[1]}',
    { single: { method: 'm', params: [1] } },
  ],
  // invalid requests: id echoed when valid, else null
  ['jsonrpc missing', '{"method":"m","id":1}', { single: { error: INVALID, id: 1 } }],
  ['jsonrpc "1.0"', '{"jsonrpc":"1.0","method":"m","id":1}', { single: { error: INVALID, id: 1 } }],
  [
    'jsonrpc 2.0 as number',
    '{"jsonrpc":2.0,"method":"m","id":1}',
    { single: { error: INVALID, id: 1 } },
  ],
  [
    'jsonrpc "2.0 "',
    '{"jsonrpc":"2.0 ","method":"m","id":1}',
    { single: { error: INVALID, id: 1 } },
  ],
  ['method missing', '{"jsonrpc":"2.0","id":"a"}', { single: { error: INVALID, id: 'a' } }],
  ['method a number', '{"jsonrpc":"2.0","method":1,"id":1}', { single: { error: INVALID, id: 1 } }],
  ['method null', '{"jsonrpc":"2.0","method":null,"id":1}', { single: { error: INVALID, id: 1 } }],
  [
    'params a string',
    '{"jsonrpc":"2.0","method":"m","params":"a","id":1}',
    { single: { error: INVALID, id: 1 } },
  ],
  [
    'params null',
    '{"jsonrpc":"2.0","method":"m","params":null,"id":1}',
    { single: { error: INVALID, id: 1 } },
  ],
  [
    'params a number',
    '{"jsonrpc":"2.0","method":"m","params":3,"id":1}',
    { single: { error: INVALID, id: 1 } },
  ],
  [
    'id an object',
    '{"jsonrpc":"2.0","method":"m","id":{}}',
    { single: { error: INVALID, id: null } },
  ],
  [
    'id an array',
    '{"jsonrpc":"2.0","method":"m","id":[1]}',
    { single: { error: INVALID, id: null } },
  ],
  [
    'id a boolean',
    '{"jsonrpc":"2.0","method":"m","id":true}',
    { single: { error: INVALID, id: null } },
  ],
  [
    'invalid notification is answered',
    '{"jsonrpc":"2.0","method":5}',
    { single: { error: INVALID, id: null } },
  ],
  ['empty object', '{}', { single: { error: INVALID, id: null } }],
  // datagram-level errors
  ['not JSON', '{"jsonrpc":"2.0","method":"m",', { error: PARSE, id: null }],
  ['garbage after {', '{x', { error: PARSE, id: null }],
  ['trailing garbage', '{"jsonrpc":"2.0","method":"m","id":1} x', { error: PARSE, id: null }],
  [
    'two objects',
    '{"jsonrpc":"2.0","method":"m","id":1}{"jsonrpc":"2.0","method":"m","id":2}',
    { error: PARSE, id: null },
  ],
  ['scalar', '"uptime"', { error: INVALID, id: null }],
  ['empty batch', '[]', { error: INVALID, id: null }],
  ['empty batch with blanks', ' [ ] ', { error: INVALID, id: null }],
  // batches
  [
    'batch of two',
    '[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b","params":{"x":"y"},"id":2}]',
    {
      batch: [
        { method: 'a', id: 1 },
        { method: 'b', params: { x: 'y' }, id: 2 },
      ],
    },
  ],
  [
    'batch mixing valid, invalid and notifications',
    '[{"jsonrpc":"2.0","method":"a","id":1},1,{"foo":"boo"},{"jsonrpc":"2.0","method":"n"},[]]',
    {
      batch: [
        { method: 'a', id: 1 },
        { error: INVALID, id: null },
        { error: INVALID, id: null },
        { method: 'n' },
        { error: INVALID, id: null },
      ],
    },
  ],
  ['batch of one invalid', '[1]', { batch: [{ error: INVALID, id: null }] }],
  [
    'batch of notifications only',
    '[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]',
    { batch: [{ method: 'a' }, { method: 'b' }] },
  ],
  [
    'batch with invalid JSON',
    '[{"jsonrpc":"2.0","method":"a","id":1},',
    { error: PARSE, id: null },
  ],
];

describe('parseJsonRpcDatagram: vectors', () => {
  it.each(VECTORS)('%s', (_name, input, expected) => {
    expect(summarize(parseJsonRpcDatagram(utf8(input)))).toEqual(expected);
  });

  it('uses the messages of the error table', () => {
    const parsed = parseJsonRpcDatagram(utf8('[]'));
    if (parsed.kind !== 'error') throw new Error(parsed.kind);
    expect(parsed.response.error.message).toBe('Invalid Request');
    const broken = parseJsonRpcDatagram(utf8('{'));
    if (broken.kind !== 'error') throw new Error(broken.kind);
    expect(broken.response.error).toMatchObject({ code: -32700, message: 'Parse error' });
    expect(typeof broken.response.error.data).toBe('string');
  });

  it('marks notifications', () => {
    const parsed = parseJsonRpcDatagram(
      utf8('[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b","id":null}]'),
    );
    if (parsed.kind !== 'batch') throw new Error(parsed.kind);
    const flags = parsed.items.map((item) => item.ok && isJsonRpcNotification(item.request));
    expect(flags).toEqual([true, false]);
  });
});

describe('parseJsonRpcDatagram: batch limit', () => {
  const request = '{"jsonrpc":"2.0","method":"m","id":1}';
  const batch = (n: number) => utf8(`[${Array.from({ length: n }, () => request).join(',')}]`);

  it(`accepts ${JSONRPC_MAX_BATCH_SIZE} requests`, () => {
    const parsed = parseJsonRpcDatagram(batch(JSONRPC_MAX_BATCH_SIZE));
    expect(parsed.kind === 'batch' && parsed.items.length).toBe(JSONRPC_MAX_BATCH_SIZE);
  });

  it(`refuses ${JSONRPC_MAX_BATCH_SIZE + 1} as one -32600 error`, () => {
    expect(summarize(parseJsonRpcDatagram(batch(JSONRPC_MAX_BATCH_SIZE + 1)))).toEqual({
      error: INVALID,
      id: null,
    });
  });

  it('honours maxBatchSize', () => {
    expect(parseJsonRpcDatagram(batch(2), { maxBatchSize: 2 }).kind).toBe('batch');
    expect(parseJsonRpcDatagram(batch(3), { maxBatchSize: 2 }).kind).toBe('error');
  });
});

describe('validateJsonRpcRequest', () => {
  it('reads own members only', () => {
    const value = safeJsonParse('{"jsonrpc":"2.0","method":"m","__proto__":{"id":1}}');
    const item = validateJsonRpcRequest(value);
    expect(item.ok && item.request.id).toBeUndefined();
  });
});

describe('paramsToArguments', () => {
  function parseParams(text: string): JsonRpcParams {
    const parsed = safeJsonParse(text);
    if (!isJsonArray(parsed) && !isJsonObject(parsed)) throw new Error('not params');
    return parsed;
  }
  function args(params: string) {
    return paramsToArguments(parseParams(params)).map(({ name, value }) => ({ name, value }));
  }

  it.each([
    [
      'positional strings',
      '["a","","b c"]',
      [
        { name: null, value: 'a' },
        { name: null, value: '' },
        { name: null, value: 'b c' },
      ],
    ],
    [
      'positional non-strings as JSON text',
      '[1,-2.5,true,false,[1,"a"],{"k":"v"},18446744073709551616]',
      [
        { name: null, value: '1' },
        { name: null, value: '-2.5' },
        { name: null, value: 'true' },
        { name: null, value: 'false' },
        { name: null, value: '[1,"a"]' },
        { name: null, value: '{"k":"v"}' },
        { name: null, value: '18446744073709551616' },
      ],
    ],
    ['positional null is an absent value', '[null]', [{ name: null, value: null }]],
    [
      'named',
      '{"level":"3","pid":1234,"flag":null}',
      [
        { name: 'level', value: '3' },
        { name: 'pid', value: '1234' },
        { name: 'flag', value: null },
      ],
    ],
    [
      'named values are not trimmed or unquoted',
      '{"a":" x ","b":"\\"q\\""}',
      [
        { name: 'a', value: ' x ' },
        { name: 'b', value: '"q"' },
      ],
    ],
    [
      'named: array-index keys first (JS property order)',
      '{"b":"1","2":"2","a":"3","0":"4"}',
      [
        { name: '0', value: '4' },
        { name: '2', value: '2' },
        { name: 'b', value: '1' },
        { name: 'a', value: '3' },
      ],
    ],
    ['__proto__ is an ordinary name', '{"__proto__":"x"}', [{ name: '__proto__', value: 'x' }]],
    ['empty array', '[]', []],
    ['empty object', '{}', []],
  ] as const)('%s', (_name, params, expected) => {
    expect(args(params)).toEqual(expected);
  });

  it('gives no arguments for absent params', () => {
    expect(paramsToArguments(undefined)).toEqual([]);
  });

  it('fills nameBytes/valueBytes with the UTF-8 of name/value', () => {
    const [arg] = paramsToArguments(parseParams('{"é":"€"}'));
    expect(arg?.nameBytes).toEqual(utf8('é'));
    expect(arg?.valueBytes).toEqual(utf8('€'));
    const [absent] = paramsToArguments(parseParams('[null]'));
    expect(absent?.valueBytes).toBeNull();
    expect(absent?.nameBytes).toBeNull();
  });
});

describe('parseJsonRpcDatagram: never throws', () => {
  function wellFormed(parsed: JsonRpcParsed): void {
    const items =
      parsed.kind === 'batch' ? parsed.items : parsed.kind === 'single' ? [parsed.item] : [];
    if (parsed.kind === 'error') expect(parsed.response.id).toBeNull();
    for (const item of items) {
      if (item.ok) expect(typeof item.request.method).toBe('string');
      else expect(item.response.error.code).toBe(INVALID);
    }
  }

  test.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 2000 })('arbitrary bytes', (data) => {
    wellFormed(parseJsonRpcDatagram(data));
  });

  const member = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue({ maxDepth: 1 })),
        method: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
        params: fc.jsonValue({ maxDepth: 2 }),
        id: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    ),
  );
  const datagram = fc
    .oneof(member, fc.array(member, { maxLength: 5 }))
    .map((v) => JSON.stringify(v));

  test.prop([datagram], { numRuns: 2000 })('request-shaped JSON', (source) => {
    const parsed = parseJsonRpcDatagram(utf8(source));
    wellFormed(parsed);
    // A valid single request must come back exactly.
    const value: unknown = JSON.parse(source);
    if (parsed.kind === 'single' && parsed.item.ok && typeof value === 'object' && value !== null) {
      expect(parsed.item.request.method).toBe(Reflect.get(value, 'method'));
    }
  });
});
