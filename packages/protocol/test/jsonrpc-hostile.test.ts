import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyDatagram,
  encodeJsonRpcResponse,
  isJsonCodecError,
  type JsonRpcParsed,
  jsonToTree,
  paramsToArguments,
  parseJsonRpcDatagram,
  safeJsonParse,
  stringifyJson,
  treeToJson,
} from '../src/index.js';
import { bytes, responseJson, utf8 } from './jsonrpc-helpers.js';

/** The error code and id of a datagram-level refusal (fails for anything else). */
function refusal(parsed: JsonRpcParsed): { code: number; id: unknown } {
  if (parsed.kind !== 'error') throw new Error(`expected an error, got ${parsed.kind}`);
  // The refusal must itself be sendable.
  const sent = responseJson(encodeJsonRpcResponse(parsed.response));
  expect(sent).toMatchObject({
    jsonrpc: '2.0',
    error: { code: parsed.response.error.code },
    id: null,
  });
  return { code: parsed.response.error.code, id: parsed.response.id };
}

afterEach(() => {
  // No test may leave a polluted prototype behind.
  expect(Reflect.get({}, 'polluted')).toBeUndefined();
  expect(Reflect.get(Object.prototype, 'polluted')).toBeUndefined();
});

describe('hostile input: nesting', () => {
  it.each([
    ['100000 [', '['.repeat(100_000)],
    ['100000 balanced []', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['100000 {"a":', '{"a":'.repeat(100_000)],
    [
      'deep params',
      `{"jsonrpc":"2.0","method":"m","params":${'['.repeat(70)}${']'.repeat(70)},"id":1}`,
    ],
  ])('%s → -32700, id null, no stack overflow', (_name, input) => {
    // (The 100000-level inputs are over 65457 bytes: parse them with a larger size limit too.)
    expect(refusal(parseJsonRpcDatagram(utf8(input), { maxRequestSize: 1_000_000 }))).toEqual({
      code: -32700,
      id: null,
    });
    try {
      safeJsonParse(input, { maxBytes: 1_000_000 });
      expect.unreachable();
    } catch (e) {
      expect(isJsonCodecError(e) && e.code).toBe('TOO_DEEP');
    }
  });
});

describe('hostile input: numbers', () => {
  it('1e999 → -32700', () => {
    expect(
      refusal(parseJsonRpcDatagram(utf8('{"jsonrpc":"2.0","method":"m","id":1e999}'))),
    ).toEqual({
      code: -32700,
      id: null,
    });
  });

  it('2^64 id is echoed exactly, not rounded', () => {
    const parsed = parseJsonRpcDatagram(
      utf8('{"jsonrpc":"2.0","method":"m","id":18446744073709551616}'),
    );
    if (parsed.kind !== 'single' || !parsed.item.ok) throw new Error('not a request');
    expect(parsed.item.request.id).toBe(18446744073709551616n);
    const data = encodeJsonRpcResponse({
      jsonrpc: '2.0',
      result: 'OK',
      id: parsed.item.request.id ?? null,
    });
    expect(data).toEqual(utf8('{"jsonrpc":"2.0","result":"OK","id":18446744073709551616}'));
  });

  it('a 20000-digit integer is a bigint, passed to handlers as its digits', () => {
    const digits = '9'.repeat(20_000);
    const parsed = parseJsonRpcDatagram(
      utf8(`{"jsonrpc":"2.0","method":"m","params":[${digits}],"id":1}`),
    );
    if (parsed.kind !== 'single' || !parsed.item.ok) throw new Error('not a request');
    expect(paramsToArguments(parsed.item.request.params)[0]?.value).toBe(digits);
  });
});

describe('hostile input: duplicate keys', () => {
  it.each([
    ['method twice', '{"jsonrpc":"2.0","method":"uptime","method":"kill","id":1}'],
    ['id twice', '{"jsonrpc":"2.0","method":"m","id":1,"id":2}'],
    ['nested in params', '{"jsonrpc":"2.0","method":"m","params":{"a":1,"a":2},"id":1}'],
  ])('%s → -32700', (_name, input) => {
    expect(refusal(parseJsonRpcDatagram(utf8(input)))).toEqual({ code: -32700, id: null });
  });
});

describe('hostile input: prototype keys', () => {
  const inputs = [
    // String leaves and no one-item arrays, so that the tree round trip is exact too.
    '{"__proto__":{"polluted":"1"}}',
    '{"constructor":{"prototype":{"polluted":"1"}}}',
    '{"a":[{"__proto__":{"polluted":"1"},"prototype":{"polluted":"1"}},"b"]}',
  ];

  it.each(inputs)('%s parses to own data properties only', (input) => {
    const value = safeJsonParse(input);
    expect(Object.getPrototypeOf(value)).toBeNull();
    // Writing it back gives the same text: the keys are ordinary own members.
    expect(stringifyJson(value)).toBe(input);
    // And so does the tree mapping, both ways.
    expect(stringifyJson(treeToJson(jsonToTree(value)))).toBe(input);
  });

  it('a request with __proto__ members is an ordinary request', () => {
    const input =
      '{"jsonrpc":"2.0","method":"m","__proto__":{"id":5},"params":{"__proto__":"x","constructor":"y"},"id":1}';
    const parsed = parseJsonRpcDatagram(utf8(input));
    if (parsed.kind !== 'single' || !parsed.item.ok) throw new Error('not a request');
    expect(parsed.item.request.id).toBe(1);
    expect(
      paramsToArguments(parsed.item.request.params).map(({ name, value }) => [name, value]),
    ).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
  });

  it('a request without params does not see inherited members', () => {
    const parsed = parseJsonRpcDatagram(utf8('{"jsonrpc":"2.0","method":"constructor"}'));
    if (parsed.kind !== 'single' || !parsed.item.ok) throw new Error('not a request');
    expect(parsed.item.request).toEqual({
      method: 'constructor',
      params: undefined,
      id: undefined,
    });
  });
});

describe('hostile input: size', () => {
  it('a 60 KB string value is accepted', () => {
    const big = 'a'.repeat(60_000);
    const parsed = parseJsonRpcDatagram(
      utf8(`{"jsonrpc":"2.0","method":"m","params":["${big}"],"id":1}`),
    );
    if (parsed.kind !== 'single' || !parsed.item.ok) throw new Error('not a request');
    expect(paramsToArguments(parsed.item.request.params)[0]?.value).toBe(big);
  });

  it('a request over 65457 bytes → -32600 Request too large, not parsed', () => {
    const input = utf8(`{"jsonrpc":"2.0","method":"m","params":["${'a'.repeat(65_457)}"],"id":1}`);
    const parsed = parseJsonRpcDatagram(input);
    expect(refusal(parsed)).toEqual({ code: -32600, id: null });
    expect(parsed.kind === 'error' && parsed.response.error.message).toBe('Request too large');
  });

  it('a truncated datagram → -32600 Request too large', () => {
    const parsed = parseJsonRpcDatagram(utf8('{"jsonrpc":"2.0","method":"m","id":1}'), {
      truncated: true,
    });
    expect(refusal(parsed)).toEqual({ code: -32600, id: null });
  });

  it('a 60 KB string echoed back is replaced by Response too large when over the limit', () => {
    const data = encodeJsonRpcResponse({
      jsonrpc: '2.0',
      result: ['a'.repeat(60_000), 'b'.repeat(6_000)],
      id: 1,
    });
    expect(responseJson(data)).toMatchObject({
      error: { code: -32603, message: 'Response too large' },
      id: 1,
    });
  });
});

describe('hostile input: encoding', () => {
  it.each([
    ['0xFF in method', bytes('{"jsonrpc":"2.0","method":"', [0xff], '","id":1}')],
    ['overlong / in method', bytes('{"jsonrpc":"2.0","method":"', [0xc0, 0xaf], '","id":1}')],
    [
      'encoded surrogate in params',
      bytes('{"jsonrpc":"2.0","method":"m","params":["', [0xed, 0xb0, 0x80], '"],"id":1}'),
    ],
    ['truncated sequence at the end', bytes('{"jsonrpc":"2.0","method":"', [0xe2, 0x82])],
    ['BOM before the object', bytes([0xef, 0xbb, 0xbf], '{"jsonrpc":"2.0","method":"m","id":1}')],
    ['NUL after the object', bytes('{"jsonrpc":"2.0","method":"m","id":1}', [0])],
  ])('%s → -32700, id null', (_name, data) => {
    expect(refusal(parseJsonRpcDatagram(data))).toEqual({ code: -32700, id: null });
  });

  it('a BOM-prefixed datagram is not classified as JSON-RPC (PROTOCOL.md 4)', () => {
    expect(classifyDatagram(bytes([0xef, 0xbb, 0xbf], '{}'))).toBe('legacy');
  });

  it('escaped lone surrogates are kept and written back escaped', () => {
    const parsed = parseJsonRpcDatagram(utf8('{"jsonrpc":"2.0","method":"\\udc00","id":1}'));
    if (parsed.kind !== 'single' || !parsed.item.ok) throw new Error('not a request');
    expect(parsed.item.request.method).toBe('\udc00');
    const data = encodeJsonRpcResponse({
      jsonrpc: '2.0',
      result: parsed.item.request.method,
      id: 1,
    });
    expect(data).toEqual(utf8('{"jsonrpc":"2.0","result":"\\udc00","id":1}'));
  });
});
