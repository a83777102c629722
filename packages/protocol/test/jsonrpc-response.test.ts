import { describe, expect, it } from 'vitest';
import {
  encodeJsonRpcResponse,
  JSONRPC_ERRORS,
  JSONRPC_MAX_DATAGRAM_SIZE,
  type JsonRpcResponse,
  type JsonValue,
  jsonRpcError,
  jsonRpcResult,
  jsonRpcStandardError,
} from '../src/index.js';
import { responseJson, text } from './jsonrpc-helpers.js';

function encoded(
  response: Parameters<typeof encodeJsonRpcResponse>[0],
  maxSize?: number,
): string | null {
  const data = encodeJsonRpcResponse(response, maxSize === undefined ? {} : { maxSize });
  return data === null ? null : text(data);
}

describe('JSONRPC_ERRORS', () => {
  it('has the JSON-RPC 2.0 and OpenSIPS codes', () => {
    expect(JSONRPC_ERRORS).toMatchObject({
      PARSE_ERROR: { code: -32700, message: 'Parse error' },
      INVALID_REQUEST: { code: -32600, message: 'Invalid Request' },
      METHOD_NOT_FOUND: { code: -32601, message: 'Method not found' },
      INVALID_PARAMS: { code: -32602, message: 'Invalid params' },
      INTERNAL_ERROR: { code: -32603, message: 'Internal error' },
      NO_RESULT: { code: -32000 },
      RESPONSE_TOO_LARGE: { code: -32603 },
      REQUEST_TOO_LARGE: { code: -32600 },
    });
  });
});

describe('encodeJsonRpcResponse: exact bytes', () => {
  it.each([
    ['result string', jsonRpcResult(1, 'OK'), '{"jsonrpc":"2.0","result":"OK","id":1}'],
    [
      'result object, string id',
      jsonRpcResult('a"b', { Now: 'x' }),
      '{"jsonrpc":"2.0","result":{"Now":"x"},"id":"a\\"b"}',
    ],
    ['null id', jsonRpcResult(null, []), '{"jsonrpc":"2.0","result":[],"id":null}'],
    [
      '2^64 id',
      jsonRpcResult(18446744073709551616n, 1),
      '{"jsonrpc":"2.0","result":1,"id":18446744073709551616}',
    ],
    ['non-ASCII kept as UTF-8', jsonRpcResult(1, 'é😀'), '{"jsonrpc":"2.0","result":"é😀","id":1}'],
    [
      'error',
      jsonRpcError(2, -32601, 'Method not found'),
      '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":2}',
    ],
    [
      'error with data',
      jsonRpcError(2, -32602, 'Invalid params', 'Too few or too many parameters'),
      '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"Too few or too many parameters"},"id":2}',
    ],
    [
      'MI failure',
      jsonRpcError('x', 400, 'Bad parameter'),
      '{"jsonrpc":"2.0","error":{"code":400,"message":"Bad parameter"},"id":"x"}',
    ],
    [
      'standard error',
      jsonRpcStandardError(null, 'PARSE_ERROR'),
      '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}',
    ],
    [
      'no result',
      jsonRpcStandardError(5, 'NO_RESULT'),
      '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Server error"},"id":5}',
    ],
    [
      'batch',
      [jsonRpcResult(1, 'a'), jsonRpcStandardError(null, 'INVALID_REQUEST')],
      '[{"jsonrpc":"2.0","result":"a","id":1},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}]',
    ],
    [
      'batch of one is still an array',
      [jsonRpcResult(1, 'a')],
      '[{"jsonrpc":"2.0","result":"a","id":1}]',
    ],
  ] as const)('%s', (_name, response, expected) => {
    expect(encoded(response)).toBe(expected);
  });

  it('sends nothing for a notification or a batch of notifications', () => {
    expect(encodeJsonRpcResponse(undefined)).toBeNull();
    expect(encodeJsonRpcResponse([])).toBeNull();
  });

  it('turns a non-JSON result into -32603 with the same id', () => {
    expect(responseJson(encodeJsonRpcResponse(jsonRpcResult(3, Number.NaN)))).toEqual({
      jsonrpc: '2.0',
      error: { code: -32603, message: 'Internal error', data: 'unencodable result' },
      id: 3,
    });
    const cycle: JsonValue[] = [];
    cycle.push(cycle);
    const batch = responseJson(
      encodeJsonRpcResponse([jsonRpcResult(1, 'ok'), jsonRpcResult(2, cycle)]),
    );
    expect(batch).toMatchObject([
      { result: 'ok', id: 1 },
      { error: { code: -32603 }, id: 2 },
    ]);
  });
});

describe('encodeJsonRpcResponse: size limit', () => {
  /** A success response whose encoding is exactly `size` bytes. */
  function resultOfSize(id: number, size: number): JsonRpcResponse {
    const overhead = `{"jsonrpc":"2.0","result":"","id":${id}}`.length;
    return jsonRpcResult(id, 'x'.repeat(size - overhead));
  }

  it(`sends a response of exactly ${JSONRPC_MAX_DATAGRAM_SIZE} bytes`, () => {
    const data = encodeJsonRpcResponse(resultOfSize(1, JSONRPC_MAX_DATAGRAM_SIZE));
    expect(data?.length).toBe(JSONRPC_MAX_DATAGRAM_SIZE);
  });

  it('replaces a response one byte too large by "Response too large", same id', () => {
    const data = encodeJsonRpcResponse(resultOfSize(7, JSONRPC_MAX_DATAGRAM_SIZE + 1));
    expect(responseJson(data)).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32603, message: 'Response too large' },
      id: 7,
    });
    expect(data!.length).toBeLessThanOrEqual(JSONRPC_MAX_DATAGRAM_SIZE);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const overhead = '{"jsonrpc":"2.0","result":"","id":1}'.length;
    const fits = jsonRpcResult(1, 'é'.repeat((1000 - overhead) / 2));
    expect(encodeJsonRpcResponse(fits, { maxSize: 1000 })?.length).toBe(1000);
    const over = jsonRpcResult(1, 'é'.repeat((1000 - overhead) / 2 + 1));
    expect(responseJson(encodeJsonRpcResponse(over, { maxSize: 1000 }))).toMatchObject({
      error: { code: -32603 },
    });
  });

  it('falls back to id null when even the error with its id is too large', () => {
    const id = 'i'.repeat(400);
    const data = encodeJsonRpcResponse(jsonRpcResult(id, 'x'.repeat(400)), { maxSize: 300 });
    expect(responseJson(data)).toMatchObject({ error: { code: -32603 }, id: null });
    expect(data!.length).toBeLessThanOrEqual(300);
  });

  it('replaces batch members largest first until the batch fits', () => {
    const batch = [
      resultOfSize(1, 300),
      resultOfSize(2, 2000),
      resultOfSize(3, 100),
      resultOfSize(4, 1500),
    ];
    // 300 + 2000 + 100 + 1500 + 5 = 3905 bytes: replacing #2 (2000) alone is not enough for 1500.
    const out = responseJson(encodeJsonRpcResponse(batch, { maxSize: 1500 }));
    expect(out).toMatchObject([
      { result: expect.any(String), id: 1 },
      { error: { code: -32603, message: 'Response too large' }, id: 2 },
      { result: expect.any(String), id: 3 },
      { error: { code: -32603, message: 'Response too large' }, id: 4 },
    ]);
    const fitsAfterOne = responseJson(encodeJsonRpcResponse(batch, { maxSize: 2500 }));
    expect(fitsAfterOne).toMatchObject([
      { id: 1, result: expect.any(String) },
      { id: 2, error: {} },
      { id: 3 },
      { id: 4, result: expect.any(String) },
    ]);
  });

  it('replaces the earliest of equally large members first', () => {
    const batch = [resultOfSize(1, 1000), resultOfSize(2, 1000)];
    const out = responseJson(encodeJsonRpcResponse(batch, { maxSize: 1500 }));
    expect(out).toMatchObject([
      { id: 1, error: { code: -32603 } },
      { id: 2, result: expect.any(String) },
    ]);
  });

  it('answers one error object (not an array) when even all-errors does not fit', () => {
    const batch = Array.from({ length: 20 }, (_, i) => jsonRpcResult(i, 'x'));
    const data = encodeJsonRpcResponse(batch, { maxSize: 256 });
    expect(responseJson(data)).toMatchObject({
      error: { code: -32603, message: 'Response too large' },
      id: null,
    });
    expect(data!.length).toBeLessThanOrEqual(256);
  });

  it('refuses a maxSize too small for the error itself', () => {
    expect(() => encodeJsonRpcResponse(jsonRpcResult(1, 'x'), { maxSize: 255 })).toThrow(
      RangeError,
    );
  });
});
