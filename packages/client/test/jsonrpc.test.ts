import { describe, expect, it } from 'vitest';
import { encodeJsonRpcRequest, parseJsonRpcResponse } from '../src/jsonrpc.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('encodeJsonRpcRequest', () => {
  it('writes jsonrpc, method, params and id (PROTOCOL.md 5)', () => {
    const out = new TextDecoder().decode(encodeJsonRpcRequest('log_level', { level: '3' }, 7));
    expect(JSON.parse(out)).toEqual({
      jsonrpc: '2.0',
      method: 'log_level',
      params: { level: '3' },
      id: 7,
    });
  });

  it('omits params when there are none, keeps positional arrays', () => {
    expect(
      JSON.parse(new TextDecoder().decode(encodeJsonRpcRequest('uptime', undefined, 1))),
    ).toEqual({
      jsonrpc: '2.0',
      method: 'uptime',
      id: 1,
    });
    expect(
      JSON.parse(new TextDecoder().decode(encodeJsonRpcRequest('echo', ['a', 'b c'], 'x'))).params,
    ).toEqual(['a', 'b c']);
  });

  it('refuses params that are not an array or an object', () => {
    expect(() => encodeJsonRpcRequest('x', 'nope' as unknown as string[], 1)).toThrow(TypeError);
  });
});

describe('parseJsonRpcResponse', () => {
  it('returns a result as data', () => {
    const raw = bytes('{"jsonrpc":"2.0","result":{"Now":"x"},"id":3}');
    expect(parseJsonRpcResponse(raw, 3)).toEqual({
      kind: 'reply',
      reply: { protocol: 'jsonrpc', ok: true, id: 3, result: { Now: 'x' }, raw },
    });
  });

  it('returns an error as data, with data only when sent', () => {
    const plain = parseJsonRpcResponse(
      bytes('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":3}'),
      3,
    );
    expect(plain.kind === 'reply' && plain.reply).toMatchObject({
      ok: false,
      error: { code: -32601, message: 'Method not found' },
      textLine: false,
    });
    expect(plain.kind === 'reply' && !plain.reply.ok && 'data' in plain.reply.error).toBe(false);
    const withData = parseJsonRpcResponse(
      bytes(
        '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":null},"id":"a"}',
      ),
      'a',
    );
    expect(withData.kind === 'reply' && !withData.reply.ok && withData.reply.error).toEqual({
      code: -32602,
      message: 'Invalid params',
      data: null,
    });
  });

  it('accepts id null (server could not read the id) and ignores other ids', () => {
    expect(
      parseJsonRpcResponse(
        bytes('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'),
        9,
      ).kind,
    ).toBe('reply');
    expect(parseJsonRpcResponse(bytes('{"jsonrpc":"2.0","result":1,"id":8}'), 9)).toEqual({
      kind: 'foreign',
    });
    expect(parseJsonRpcResponse(bytes('{"jsonrpc":"2.0","result":1,"id":"9"}'), 9)).toEqual({
      kind: 'foreign',
    });
  });

  it('maps the plain text lines of OpenSIPS 3.x to error data', () => {
    const out = parseJsonRpcResponse(bytes('400 Parse_error\n'), 1);
    expect(out.kind === 'reply' && out.reply).toMatchObject({
      ok: false,
      id: null,
      error: { code: 400, message: 'Parse_error' },
      textLine: true,
    });
  });

  it.each([
    ['not JSON', 'hello'],
    ['an array (we never send batches)', '[{"jsonrpc":"2.0","result":1,"id":1}]'],
    ['wrong version', '{"jsonrpc":"1.0","result":1,"id":1}'],
    [
      'both result and error',
      '{"jsonrpc":"2.0","result":1,"error":{"code":1,"message":"x"},"id":1}',
    ],
    ['neither result nor error', '{"jsonrpc":"2.0","id":1}'],
    ['non-integer error code', '{"jsonrpc":"2.0","error":{"code":"x","message":"m"},"id":1}'],
    ['missing error message', '{"jsonrpc":"2.0","error":{"code":1},"id":1}'],
    ['bad id type', '{"jsonrpc":"2.0","result":1,"id":{}}'],
    ['a legacy tree reply', '200 OK\nNow:: x\n\n'],
  ])('rejects %s', (_what, text) => {
    expect(parseJsonRpcResponse(bytes(text), 1).kind).toBe('invalid');
  });

  it('does not let __proto__ in a result touch prototypes', () => {
    const out = parseJsonRpcResponse(
      bytes('{"jsonrpc":"2.0","result":{"__proto__":{"polluted":1}},"id":1}'),
      1,
    );
    expect(out.kind).toBe('reply');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
