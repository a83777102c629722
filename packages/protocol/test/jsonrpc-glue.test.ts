// The server glue of the README's JSON-RPC section, run end to end against a
// fake command table: bytes in, bytes (or nothing) out.
import { describe, expect, it } from 'vitest';
import {
  classifyDatagram,
  encodeJsonRpcResponse,
  type JsonRpcItem,
  type JsonRpcResponse,
  jsonRpcStandardError,
  type MiArgument,
  type MiReplyTree,
  paramsToArguments,
  parseJsonRpcDatagram,
  replyToJsonRpc,
} from '../src/index.js';
import { responseJson, utf8 } from './jsonrpc-helpers.js';

const executed: string[] = [];

const commands = new Map<string, (args: MiArgument[]) => MiReplyTree>([
  ['which', () => ({ code: 200, reason: 'OK', nodes: [{ value: 'which' }, { value: 'echo' }] })],
  [
    'echo',
    (args) => {
      executed.push(args.map((a) => `${a.name ?? ''}=${a.value ?? '<absent>'}`).join(','));
      if (args.length === 0)
        return { code: 400, reason: 'Too few or too many arguments', nodes: [] };
      return {
        code: 200,
        reason: 'OK',
        nodes: args.map((a) => ({ name: a.name, value: a.value })),
      };
    },
  ],
]);

function answer(item: JsonRpcItem): JsonRpcResponse | undefined {
  if (!item.ok) return item.response;
  const { method, params, id } = item.request;
  const handler = commands.get(method);
  const response =
    handler === undefined
      ? jsonRpcStandardError(id ?? null, 'METHOD_NOT_FOUND')
      : replyToJsonRpc(handler(paramsToArguments(params)), id ?? null);
  return id === undefined ? undefined : response;
}

function serve(request: string): unknown {
  const data = utf8(request);
  expect(classifyDatagram(data)).toBe('jsonrpc');
  const parsed = parseJsonRpcDatagram(data);
  const out =
    parsed.kind === 'error'
      ? encodeJsonRpcResponse(parsed.response)
      : parsed.kind === 'single'
        ? encodeJsonRpcResponse(answer(parsed.item))
        : encodeJsonRpcResponse(parsed.items.map(answer).filter((r) => r !== undefined));
  return responseJson(out);
}

describe('server glue (README)', () => {
  it('answers a python-opensips style request', () => {
    expect(serve('{"jsonrpc": "2.0", "id": "8812", "method": "which", "params": {}}')).toEqual({
      jsonrpc: '2.0',
      result: ['which', 'echo'],
      id: '8812',
    });
  });

  it('maps positional and named params to arguments', () => {
    executed.length = 0;
    expect(serve('{"jsonrpc":"2.0","method":"echo","params":["a",1,null],"id":1}')).toEqual({
      jsonrpc: '2.0',
      result: ['a', '1', null],
      id: 1,
    });
    expect(serve('{"jsonrpc":"2.0","method":"echo","params":{"x":"y","n":true},"id":2}')).toEqual({
      jsonrpc: '2.0',
      result: { x: 'y', n: 'true' },
      id: 2,
    });
    expect(executed).toEqual(['=a,=1,=<absent>', 'x=y,n=true']);
  });

  it('reports a command failure with its MI code and reason', () => {
    expect(serve('{"jsonrpc":"2.0","method":"echo","id":3}')).toEqual({
      jsonrpc: '2.0',
      error: { code: 400, message: 'Too few or too many arguments' },
      id: 3,
    });
  });

  it('answers an unknown method with -32601', () => {
    expect(serve('{"jsonrpc":"2.0","method":"nope","id":4}')).toEqual({
      jsonrpc: '2.0',
      error: { code: -32601, message: 'Method not found' },
      id: 4,
    });
  });

  it('runs a notification without answering it', () => {
    executed.length = 0;
    expect(serve('{"jsonrpc":"2.0","method":"echo","params":["n"]}')).toBeNull();
    expect(executed).toEqual(['=n']);
  });

  it('answers a batch in one array, notifications left out', () => {
    executed.length = 0;
    expect(
      serve(
        '[{"jsonrpc":"2.0","method":"which","id":1},{"jsonrpc":"2.0","method":"echo","params":["n"]},{"x":1},{"jsonrpc":"2.0","method":"nope","id":"z"}]',
      ),
    ).toEqual([
      { jsonrpc: '2.0', result: ['which', 'echo'], id: 1 },
      {
        jsonrpc: '2.0',
        error: { code: -32600, message: 'Invalid Request', data: expect.any(String) },
        id: null,
      },
      { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 'z' },
    ]);
    expect(executed).toEqual(['=n']);
  });

  it('sends nothing for a batch of notifications only', () => {
    expect(
      serve('[{"jsonrpc":"2.0","method":"which"},{"jsonrpc":"2.0","method":"which"}]'),
    ).toBeNull();
  });

  it('answers unparseable JSON with -32700 and id null', () => {
    expect(serve('{"jsonrpc":"2.0","method":"which","id":1')).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error' },
      id: null,
    });
  });
});
