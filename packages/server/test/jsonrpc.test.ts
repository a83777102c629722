/**
 * JSON-RPC 2.0 on the same socket (issue 7, PROTOCOL.md 4 and 5), over real
 * sockets (UNIX under mkdtemp, UDP 127.0.0.1 and ::1): classification, the
 * params mapping, every error, notifications, batches, size limits, hostile
 * input, JSON-first commands (both protocols), the guard, a client that
 * behaves like python-opensips', and legacy + JSON-RPC interleaved.
 */

import { sleep } from '@mi-datagram/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defineCommand,
  type MiCommandDefinition,
  MiError,
  type RunningServer,
} from '../src/index.js';
import { ARCH, startE2eServer, stopE2eServer, TRANSPORTS } from './helpers/e2e-server.js';
import {
  getCommand,
  OpensipsJsonRpcError,
  OpensipsJsonRpcException,
  opensipsExchange,
  opensipsExecute,
  pythonJsonDumps,
} from './helpers/opensips-client.js';
import { clientFor, type RawClient, text } from './helpers/raw.js';

const SERVER_VERSION = `mi-datagram (0.1.0 (${ARCH[process.arch] ?? process.arch}/${process.platform}))`;
const CTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}$/;

let dir: string;
let running: RunningServer;
const logLines: string[] = [];
/** Side effects, to prove what ran and what did not. */
const effects = { count: 0, forbiddenRuns: 0, guarded: [] as string[] };

const testCommands: MiCommandDefinition[] = [
  defineCommand({
    name: 'args',
    help: 'the arguments as JSON',
    handler: (request) => ({
      json: request.args.map((a) => ({ name: a.name, value: a.value })),
    }),
  }),
  defineCommand({
    name: 'count',
    handler() {
      effects.count++;
    },
  }),
  defineCommand({ name: 'counted', handler: () => ({ json: effects.count }) }),
  defineCommand({
    name: 'boom',
    handler() {
      throw new Error('kaboom');
    },
  }),
  defineCommand({
    name: 'async_boom',
    async handler() {
      await sleep(5);
      throw new TypeError('late kaboom');
    },
  }),
  defineCommand({
    name: 'mi_error',
    handler() {
      throw new MiError(404, 'Nothing here');
    },
  }),
  defineCommand({
    name: 'async_mi_error',
    async handler() {
      await sleep(5);
      throw new MiError(400, 'Too few arguments');
    },
  }),
  defineCommand({ name: 'bad_result', handler: () => ({ code: 42 }) }),
  {
    name: 'not_object',
    handler: (() => 'a string') as unknown as MiCommandDefinition['handler'],
  },
  defineCommand({ name: 'nan_json', handler: () => ({ json: Number.NaN }) }),
  defineCommand({
    name: 'tree_error',
    handler: () => ({ code: 404, reason: 'Gone', nodes: [{ name: 'why', value: 'x' }] }),
  }),
  defineCommand({
    name: 'json_error',
    handler: () => ({ code: 404, reason: 'Gone', json: { why: 1 } }),
  }),
  defineCommand({
    name: 'tree',
    handler: () => ({
      nodes: [
        {
          name: 'List',
          value: 'mybl',
          attributes: [
            ['owner', '13'],
            ['flags', '1'],
          ],
          children: [{ name: 'Rule', value: '', attributes: [['flags', '0']] }],
        },
      ],
    }),
  }),
  defineCommand({
    name: 'derived',
    handler: () => ({ json: { n: 1, list: ['a', 'b'], obj: { k: true }, nothing: null } }),
  }),
  defineCommand({
    name: 'both',
    handler: () => ({ json: { a: 1 }, nodes: [{ name: 'legacy', value: 'shape' }] }),
  }),
  defineCommand({
    name: 'slow',
    async handler(request) {
      const ms = Number(request.args[0]?.value ?? 100);
      await sleep(ms);
      return { json: { slept: ms } };
    },
  }),
  defineCommand({
    name: 'big',
    handler: (request) => ({ nodes: [{ value: 'x'.repeat(Number(request.args[0]?.value)) }] }),
  }),
  defineCommand({
    name: 'bigjson',
    handler: (request) => ({ json: 'x'.repeat(Number(request.args[0]?.value)) }),
  }),
  defineCommand({
    name: 'len',
    handler: (request) => ({ json: { bytes: request.datagram.length, args: request.args.length } }),
  }),
  defineCommand({
    name: 'quiet',
    noInput: true,
    handler: (request) => ({ json: { args: request.args.length } }),
  }),
  defineCommand({
    name: 'keep',
    async handler(request) {
      await sleep(50);
      return { json: Buffer.from(request.datagram).toString('utf8') };
    },
  }),
  defineCommand({
    name: 'proto',
    handler: (request) => ({
      json: {
        names: request.args.map((a) => a.name),
        values: request.args.map((a) => a.value),
        polluted: ({} as Record<string, unknown>).polluted === undefined ? 'no' : 'yes',
      },
    }),
  }),
  defineCommand({
    name: 'forbidden',
    handler() {
      effects.forbiddenRuns++;
    },
  }),
  defineCommand({
    name: 'limited',
    handler() {
      effects.forbiddenRuns++;
    },
  }),
];

beforeAll(async () => {
  ({ dir, running } = await startE2eServer('mi-jsonrpc-test-', {
    commands: testCommands,
    logLines,
    guard(command) {
      effects.guarded.push(command.name);
      if (command.name === 'forbidden') return 'PERMISSION_DENIED';
      if (command.name === 'limited') return 'RATE_LIMITED';
      return null;
    },
  }));
});

afterAll(async () => {
  await stopE2eServer({ dir, running });
});

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const req = (method: string, params?: unknown, id: unknown = 1): string =>
  JSON.stringify(
    params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id },
  );
const note = (method: string, params?: unknown): string =>
  JSON.stringify(
    params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params },
  );

const ok = (result: unknown, id: unknown = 1) => ({ jsonrpc: '2.0', result, id });
const err = (code: number, message: string, id: unknown = 1, data?: unknown) => ({
  jsonrpc: '2.0',
  error: data === undefined ? { code, message } : { code, message, data },
  id,
});
/** An error whose `data` is some explanation (not asserted word for word). */
const errAny = (code: number, message: string, id: unknown = null) => ({
  jsonrpc: '2.0',
  error: { code, message, data: expect.any(String) },
  id,
});

describe.each(TRANSPORTS)('over %s', (_label, index) => {
  let client: RawClient;
  let address: string;
  beforeAll(async () => {
    address = running.addresses[index] as string;
    client = await clientFor(address, dir);
  });
  afterAll(async () => {
    await client.close();
  });
  /** Sends UTF-8 text (or bytes), returns the reply parsed as JSON (fails if it is not JSON). */
  const rpc = async (request: string | Uint8Array): Promise<unknown> => {
    const reply = await client.request(typeof request === 'string' ? utf8(request) : request);
    return JSON.parse(reply.toString('utf8'));
  };
  const raw = async (request: string | Uint8Array): Promise<string | null> =>
    text(await client.request(typeof request === 'string' ? utf8(request) : request));

  describe('classification (first non-blank byte `{` or `[`)', () => {
    it.each([
      ['an object', req('version'), ok({ Server: SERVER_VERSION })],
      ['leading JSON blanks', ` \t\r\n${req('version')}`, ok({ Server: SERVER_VERSION })],
      // \v and \f are blanks of the legacy grammar (classification) but not JSON whitespace.
      ['leading \\v', `\v${req('version')}`, errAny(-32700, 'Parse error')],
      ['leading \\f', `\f[${req('version')}]`, errAny(-32700, 'Parse error')],
      ['a batch', `[${req('version')}]`, [ok({ Server: SERVER_VERSION })]],
    ])('%s is JSON-RPC', async (_name, request, expected) => {
      expect(await rpc(request)).toEqual(expected);
    });

    it.each([
      ['a BOM before `{`', `\ufeff${req('version')}`],
      ['a JSON string', '"uptime"'],
      ['a JSON number', '1'],
      ['`:` first', `:${req('version')}`],
    ])('%s is legacy', async (_name, request) => {
      expect(await raw(request)).toBe('500 command not available\n');
    });

    it('compact bytes, exactly', async () => {
      expect(await raw(req('version', undefined, 7))).toBe(
        `{"jsonrpc":"2.0","result":{"Server":${JSON.stringify(SERVER_VERSION)}},"id":7}`,
      );
      expect(await raw(req('count', undefined, 'x'))).toBe(
        '{"jsonrpc":"2.0","result":"OK","id":"x"}',
      );
    });
  });

  describe('core commands give OpenSIPS 3 shapes', () => {
    it('uptime', async () => {
      const reply = (await rpc(req('uptime'))) as { result: Record<string, string> };
      expect(Object.keys(reply.result)).toEqual(['Now', 'Up since', 'Up time']);
      expect(reply.result.Now).toMatch(CTIME);
      expect(reply.result['Up since']).toMatch(CTIME);
      expect(reply.result['Up time']).toMatch(/^\d+ \[sec\]$/);
    });

    it.each([
      ['version', undefined, () => ({ Server: SERVER_VERSION })],
      ['which', undefined, () => running.registry.names()],
      ['ps', undefined, () => ({ Processes: [{ ID: 0, PID: process.pid, Type: 'main' }] })],
      ['pwd', undefined, () => ({ WD: process.cwd() })],
      ['arg', undefined, () => ['mi-datagram-server', '--flag', 'value with space']],
      [
        'log_level',
        undefined,
        () => ({ Processes: [{ PID: process.pid, 'Log level': 2, Type: 'main' }] }),
      ],
      ['log_level', ['2'], () => ({ 'New global log level': 2 })],
      ['log_level', { level: 2 }, () => ({ 'New global log level': 2 })],
      ['log_level', [2, process.pid], () => ({ 'New log level': 2 })],
      ['help', undefined, () => ({ Usage: "help mi_cmd - returns information about 'mi_cmd'" })],
      [
        'help',
        { mi_cmd: 'version' },
        () => ({ Help: 'prints the version string of the running server', 'Exported by': 'core' }),
      ],
      ['help', ['args'], () => ({ Help: 'the arguments as JSON', 'Exported by': 'app' })],
    ])('%s %j', async (method, params, expected) => {
      expect(await rpc(req(method, params))).toEqual(ok(expected()));
      expect(running.logger.level).toBe(2);
    });

    it('the same commands still answer legacy text byte for byte', async () => {
      expect(await raw(':ps:\n')).toBe(`200 OK\nProcess::  ID=0 PID=${process.pid} Type=main\n\n`);
      expect(await raw(':log_level:\n')).toBe(
        `200 OK\nProcess::  PID=${process.pid} Log level=2 Type=main\n\n`,
      );
      expect(await raw(':log_level:\n2\n')).toBe('200 OK\nNew global log level:: 2\n\n');
      expect(await raw(`:log_level:\n2\n${process.pid}\n`)).toBe('200 OK\nNew log level:: 2\n\n');
      expect(await raw(':which:\n')).toBe(`200 OK\n${running.registry.names().join('\n')}\n\n`);
      expect(await raw(':pwd:\n')).toBe(`200 OK\nWD:: ${process.cwd()}\n\n`);
      expect(await raw(':arg:\n')).toBe('200 OK\nmi-datagram-server\n--flag\nvalue with space\n\n');
      expect(await raw(':help:\n')).toBe(
        "200 OK\nUsage:: help mi_cmd - returns information about 'mi_cmd'\n\n",
      );
    });
  });

  describe('params → arguments (positional: values; named: name::value; JSON text for non-strings)', () => {
    it.each([
      ['absent', undefined, []],
      ['empty array', [], []],
      ['empty object', {}, []],
      [
        'positional strings',
        ['a', '', 'b c', 'é€😀'],
        [
          { name: null, value: 'a' },
          { name: null, value: '' },
          { name: null, value: 'b c' },
          { name: null, value: 'é€😀' },
        ],
      ],
      [
        'positional non-strings',
        [1, -2.5, true, false, null, [1, 'a'], { k: 'v' }, 18446744073709551616n],
        [
          { name: null, value: '1' },
          { name: null, value: '-2.5' },
          { name: null, value: 'true' },
          { name: null, value: 'false' },
          { name: null, value: null },
          { name: null, value: '[1,"a"]' },
          { name: null, value: '{"k":"v"}' },
          { name: null, value: '18446744073709551616' },
        ],
      ],
      [
        'named',
        { system: 'local', key: 'k', n: 3, flag: true, none: null, obj: { a: [] } },
        [
          { name: 'system', value: 'local' },
          { name: 'key', value: 'k' },
          { name: 'n', value: '3' },
          { name: 'flag', value: 'true' },
          { name: 'none', value: null },
          { name: 'obj', value: '{"a":[]}' },
        ],
      ],
      ['named with an empty name', { '': 'v' }, [{ name: '', value: 'v' }]],
      [
        'named, array-index keys first (JS property order)',
        { b: '1', '2': 'x', a: '2' },
        [
          { name: '2', value: 'x' },
          { name: 'b', value: '1' },
          { name: 'a', value: '2' },
        ],
      ],
    ])('%s', async (_name, params, expected) => {
      // bigint: write the digits ourselves.
      const text = req('args', params === undefined ? undefined : '__P__').replace(
        '"__P__"',
        params === undefined
          ? ''
          : JSON.stringify(params, (_k, v: unknown) =>
              typeof v === 'bigint' ? `__BIG__${v}` : v,
            ).replace(/"__BIG__(\d+)"/g, '$1'),
      );
      expect(await rpc(text)).toEqual(ok(expected));
    });

    it('the legacy handler sees the same arguments as from the text grammar', async () => {
      expect(await rpc(req('echo', ['a', 'b c']))).toEqual(ok(['a', 'b c']));
      expect(await rpc(req('echo', { a: 'b', c: 'd' }))).toEqual(ok({ a: 'b', c: 'd' }));
      expect(await raw(':echo:\na::b\nc::d\n')).toBe('200 OK\na:: b\nc:: d\n\n');
      expect(await rpc(req('cache_store', { system: 'local', key: 'j1', value: 'v 1' }))).toEqual(
        ok('OK'),
      );
      expect(await rpc(req('cache_fetch', ['local', 'j1']))).toEqual(
        ok({ key: 'j1', value: 'v 1' }),
      );
      expect(await raw(':cache_fetch:\nlocal\nj1\n')).toBe('200 OK\nkey:: j1\nvalue:: v 1\n\n');
    });

    it.each([
      ['positional', ['a', 'b']],
      ['named', { a: 1 }],
      ['absent', undefined],
    ])('noInput commands ignore params (%s)', async (_name, params) => {
      expect(await rpc(req('quiet', params))).toEqual(ok({ args: 0 }));
      expect(await rpc(req('uptime', params))).toMatchObject({
        result: { Now: expect.any(String) },
      });
    });
  });

  describe('errors', () => {
    it.each([
      // -32700: not JSON; id is always null
      ['unterminated object', '{', errAny(-32700, 'Parse error')],
      ['truncated request', req('uptime').slice(0, -1), errAny(-32700, 'Parse error')],
      ['trailing garbage', `${req('uptime')}x`, errAny(-32700, 'Parse error')],
      ['single quotes', "{'jsonrpc':'2.0'}", errAny(-32700, 'Parse error')],
      // -32600: JSON, but not a request
      [
        'jsonrpc 1.0',
        req('uptime').replace('"2.0"', '"1.0"'),
        errAny(-32600, 'Invalid Request', 1),
      ],
      ['jsonrpc missing', '{"method":"uptime","id":4}', errAny(-32600, 'Invalid Request', 4)],
      [
        'method not a string',
        '{"jsonrpc":"2.0","method":5,"id":2}',
        errAny(-32600, 'Invalid Request', 2),
      ],
      ['params a string', req('uptime', 'x', 3), errAny(-32600, 'Invalid Request', 3)],
      ['params null', req('uptime', null, 3), errAny(-32600, 'Invalid Request', 3)],
      ['id an object', req('uptime', undefined, {}), errAny(-32600, 'Invalid Request', null)],
      ['id a boolean', req('uptime', undefined, true), errAny(-32600, 'Invalid Request', null)],
      ['empty batch', '[]', errAny(-32600, 'Invalid Request', null)],
      ['batch of a scalar', '[1]', [errAny(-32600, 'Invalid Request', null)]],
      // -32601
      ['unknown method', req('nosuch', undefined, 5), err(-32601, 'Method not found', 5)],
      ['method names are case-sensitive', req('Uptime'), err(-32601, 'Method not found')],
      ['an empty method', req(''), err(-32601, 'Method not found')],
      // a command's own failure: its MI code and reason
      ['MiError', req('mi_error'), err(404, 'Nothing here')],
      ['async MiError', req('async_mi_error'), err(400, 'Too few arguments')],
      ['help of an unknown command', req('help', ['nosuch']), err(404, 'unknown MI command')],
      ['log_level with a bad level', req('log_level', ['x']), err(400, 'Bad parameter')],
      [
        'log_level with an unknown pid',
        req('log_level', [2, 999999999]),
        err(400, 'Bad parameter'),
      ],
      ['non-2xx tree', req('tree_error'), err(404, 'Gone', 1, { why: 'x' })],
      ['non-2xx JSON-first', req('json_error'), err(404, 'Gone', 1, { why: 1 })],
      // -32603: our failures (logged, no details leaked)
      ['handler throws', req('boom', undefined, 'b'), err(-32603, 'Internal error', 'b')],
      ['handler rejects', req('async_boom'), err(-32603, 'Internal error')],
      ['invalid result (code 42)', req('bad_result'), err(-32603, 'Internal error')],
      ['result not an object', req('not_object'), err(-32603, 'Internal error')],
      ['JSON-first result not JSON', req('nan_json'), err(-32603, 'Internal error')],
      ['response too large', req('big', ['70000'], 9), errAny(-32603, 'Response too large', 9)],
      [
        'JSON-first response too large',
        req('bigjson', ['70000'], 9),
        errAny(-32603, 'Response too large', 9),
      ],
      // guard refusals: the legacy line's code and text
      ['guard: permission denied', req('forbidden'), err(403, 'Permission denied')],
      ['guard: rate limited', req('limited'), err(429, 'rate limit exceeded')],
    ])('%s', async (_name, request, expected) => {
      const runsBefore = effects.forbiddenRuns;
      expect(await rpc(request)).toEqual(expected);
      expect(effects.forbiddenRuns).toBe(runsBefore);
    });

    it('a handler failure is logged with its stack and the protocol', () => {
      const failures = logLines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === 'command handler failed' && l.protocol === 'jsonrpc');
      expect(failures.map((l) => l.command)).toEqual(
        expect.arrayContaining(['boom', 'async_boom']),
      );
      const boom = failures.find((l) => l.command === 'boom') as { error?: { stack?: string } };
      expect(boom.error?.stack).toContain('kaboom');
    });

    it('JSON-RPC requests go through the guard, legacy ones too', async () => {
      effects.guarded.length = 0;
      await rpc(req('forbidden'));
      await rpc(`[${req('version', undefined, 1)},${req('limited', undefined, 2)}]`);
      expect(await raw(':forbidden:\n')).toBe('403 Permission denied\n');
      expect(effects.guarded).toEqual(['forbidden', 'version', 'limited', 'forbidden']);
    });
  });

  describe('notifications (no id): executed, never answered', () => {
    it.each([
      ['a valid call', note('count'), 1],
      ['with params', note('count', ['x']), 1],
      ['an unknown method', note('nosuch'), 0],
      ['a failing handler', note('boom'), 0],
      ['an MiError', note('mi_error'), 0],
      ['a refused call', note('forbidden'), 0],
      ['a batch of notifications', `[${note('count')},${note('count')},${note('nosuch')}]`, 2],
    ])('%s', async (_name, request, executed) => {
      const before = effects.count;
      const runsBefore = effects.forbiddenRuns;
      client.send(utf8(request));
      // Datagrams are served in order: the next reply is the answer to this request.
      expect(await rpc(req('counted', undefined, 'after'))).toEqual(ok(before + executed, 'after'));
      expect(effects.forbiddenRuns).toBe(runsBefore);
    });

    it('nothing at all comes back for a notification', async () => {
      client.send(utf8(note('count')));
      expect(await client.next(200)).toBeNull();
    });

    it('an invalid request without id is answered (it cannot be known to be a notification)', async () => {
      const before = effects.count;
      expect(await rpc('{"jsonrpc":"1.0","method":"count"}')).toEqual(
        errAny(-32600, 'Invalid Request', null),
      );
      expect(effects.count).toBe(before);
    });

    it('an async notification keeps the server busy until it settles', async () => {
      client.send(utf8(note('slow', ['50'])));
      expect(await rpc(req('version'))).toEqual(ok({ Server: SERVER_VERSION }));
      expect(await client.next(150)).toBeNull();
    });
  });

  describe('batches: one array in one datagram, request order, handlers concurrent', () => {
    it('mixed valid, invalid, notification, errors, async', async () => {
      const batch = [
        req('version', undefined, 1),
        '{"foo":1}',
        note('count'),
        req('nosuch', undefined, 2),
        req('mi_error', undefined, 3),
        req('slow', ['60'], 4),
        req('boom', undefined, 'x'),
        req('args', { a: 1 }, null),
        req('forbidden', undefined, 5),
      ];
      expect(await rpc(`[${batch.join(',')}]`)).toEqual([
        ok({ Server: SERVER_VERSION }, 1),
        errAny(-32600, 'Invalid Request', null),
        err(-32601, 'Method not found', 2),
        err(404, 'Nothing here', 3),
        ok({ slept: 60 }, 4),
        err(-32603, 'Internal error', 'x'),
        ok([{ name: 'a', value: '1' }], null),
        err(403, 'Permission denied', 5),
      ]);
    });

    it('async handlers run concurrently; answers stay in request order', async () => {
      const t0 = Date.now();
      const reply = await rpc(
        `[${req('slow', ['300'], 1)},${req('slow', ['100'], 2)},${req('slow', ['200'], 3)}]`,
      );
      expect(Date.now() - t0).toBeLessThan(550);
      expect(reply).toEqual([ok({ slept: 300 }, 1), ok({ slept: 100 }, 2), ok({ slept: 200 }, 3)]);
    });

    it('100 requests are served, 101 refused as a whole without running any', async () => {
      const hundred = Array.from({ length: 100 }, (_, i) => req('counted', undefined, i));
      const replies = (await rpc(`[${hundred.join(',')}]`)) as Array<{ id: number }>;
      expect(replies.map((r) => r.id)).toEqual(hundred.map((_, i) => i));
      const before = effects.count;
      const many = Array.from({ length: 101 }, (_, i) => req('count', undefined, i));
      expect(await rpc(`[${many.join(',')}]`)).toEqual(errAny(-32600, 'Invalid Request', null));
      expect(effects.count).toBe(before);
    });

    it('a batch too large for one datagram: the largest answers become errors', async () => {
      const reply = await rpc(
        `[${req('bigjson', ['40000'], 1)},${req('bigjson', ['40000'], 2)},${req('version', undefined, 3)}]`,
      );
      expect(reply).toEqual([
        errAny(-32603, 'Response too large', 1),
        ok('x'.repeat(40000), 2),
        ok({ Server: SERVER_VERSION }, 3),
      ]);
    });
  });

  describe('size limits', () => {
    it('a 65457-byte request is served, 65458 bytes are refused with a JSON error', async () => {
      const base = req('len', ['']);
      const exact = base.replace('[""]', `["${'a'.repeat(65457 - base.length)}"]`);
      expect(utf8(exact).length).toBe(65457);
      expect(await rpc(exact)).toEqual(ok({ bytes: 65457, args: 1 }));
      const over = base.replace('[""]', `["${'a'.repeat(65458 - base.length)}"]`);
      expect(utf8(over).length).toBe(65458);
      expect(await rpc(over)).toEqual(errAny(-32600, 'Request too large', null));
    });

    it('a response of exactly 65457 bytes is sent whole', async () => {
      const envelope = '{"jsonrpc":"2.0","result":"","id":1}'.length;
      const reply = await client.request(utf8(req('bigjson', [String(65457 - envelope)])));
      expect(reply.length).toBe(65457);
      expect(JSON.parse(reply.toString('utf8'))).toEqual(ok('x'.repeat(65457 - envelope)));
      expect(await rpc(req('bigjson', [String(65458 - envelope)]))).toEqual(
        errAny(-32603, 'Response too large', 1),
      );
    });
  });

  describe('hostile input: errors, never a crash', () => {
    const hostile: Array<[string, string | Uint8Array, unknown]> = [
      // Depth 100000 does not fit in a datagram (see the UNIX-only test below);
      // this is the deepest one that does.
      ['nesting depth 65457 (arrays)', '['.repeat(65457), errAny(-32700, 'Parse error')],
      [
        'nesting depth 10000 (objects in params)',
        `{"jsonrpc":"2.0","method":"args","params":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)},"id":1}`,
        errAny(-32700, 'Parse error'),
      ],
      ['1e999', req('args', ['__N__']).replace('"__N__"', '1e999'), errAny(-32700, 'Parse error')],
      [
        '-1e999 as id',
        '{"jsonrpc":"2.0","method":"version","id":-1e999}',
        errAny(-32700, 'Parse error'),
      ],
      [
        'duplicate keys (method twice: kill must not run)',
        '{"jsonrpc":"2.0","method":"version","method":"kill","id":1}',
        errAny(-32700, 'Parse error'),
      ],
      [
        'duplicate keys in params',
        '{"jsonrpc":"2.0","method":"args","params":{"a":"1","a":"2"},"id":1}',
        errAny(-32700, 'Parse error'),
      ],
      [
        '__proto__ and constructor as param names',
        '{"jsonrpc":"2.0","method":"proto","params":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":"x"},"id":1}',
        ok({
          names: ['__proto__', 'constructor', 'prototype'],
          values: ['{"polluted":"yes"}', '{"prototype":{"polluted":"yes"}}', 'x'],
          polluted: 'no',
        }),
      ],
      [
        '__proto__ as a member of the request',
        '{"__proto__":{"jsonrpc":"2.0"},"method":"version","id":1}',
        errAny(-32600, 'Invalid Request', 1),
      ],
      ['__proto__ as method', req('__proto__'), err(-32601, 'Method not found')],
      ['constructor as method', req('constructor'), err(-32601, 'Method not found')],
      ['toString as method', req('toString'), err(-32601, 'Method not found')],
      [
        'invalid UTF-8 in a string',
        Buffer.concat([
          utf8('{"jsonrpc":"2.0","method":"args","params":["'),
          Buffer.from([0xff, 0xfe]),
          utf8('"],"id":1}'),
        ]),
        errAny(-32700, 'Parse error'),
      ],
      [
        'overlong UTF-8 (C0 AF)',
        Buffer.concat([
          utf8('{"jsonrpc":"2.0","method":"'),
          Buffer.from([0xc0, 0xaf]),
          utf8('","id":1}'),
        ]),
        errAny(-32700, 'Parse error'),
      ],
      [
        'UTF-8 encoded surrogate (ED A0 80)',
        Buffer.concat([
          utf8('{"jsonrpc":"2.0","method":"'),
          Buffer.from([0xed, 0xa0, 0x80]),
          utf8('","id":1}'),
        ]),
        errAny(-32700, 'Parse error'),
      ],
      [
        'a NUL byte outside a string',
        `{"jsonrpc":"2.0",\0"method":"version","id":1}`,
        errAny(-32700, 'Parse error'),
      ],
      ['65458 bytes of `[`', '['.repeat(65458), errAny(-32600, 'Request too large')],
      ['truncated JSON', '{"jsonrpc":"2.0","method":"vers', errAny(-32700, 'Parse error')],
      [
        'lone surrogate escape (kept, answered escaped)',
        req('args', ['__S__']).replace('__S__', '\\ud800'),
        ok([{ name: null, value: '\ud800' }]),
      ],
      [
        'a 64-bit id is echoed with all its digits',
        '{"jsonrpc":"2.0","method":"counted","id":18446744073709551616}',
        undefined,
      ],
    ];

    it.each(hostile)('%s', async (_name, request, expected) => {
      const bytes = typeof request === 'string' ? utf8(request) : request;
      const reply = await client.request(bytes);
      if (expected === undefined) {
        expect(reply.toString('utf8')).toMatch(/,"id":18446744073709551616\}$/);
      } else {
        expect(JSON.parse(reply.toString('utf8'))).toEqual(expected);
      }
      // and the server keeps answering, both protocols
      expect(await rpc(req('version', undefined, 'alive'))).toEqual(
        ok({ Server: SERVER_VERSION }, 'alive'),
      );
      expect(await raw(':version:\n')).toBe(`200 OK\nServer:: ${SERVER_VERSION}\n\n`);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('JSON-first commands', () => {
    it('JSON-RPC gets the JSON as it is; legacy the tree derived from it', async () => {
      const json = { n: 1, list: ['a', 'b'], obj: { k: true }, nothing: null };
      expect(await rpc(req('derived'))).toEqual(ok(json));
      expect(await raw(':derived:\n')).toBe(
        '200 OK\nn:: 1\nlist:: a\nlist:: b\nobj:: \n\tk:: true\nnothing:: \n\n',
      );
    });

    it('a command that gives both: each protocol its own shape', async () => {
      expect(await rpc(req('both'))).toEqual(ok({ a: 1 }));
      expect(await raw(':both:\n')).toBe('200 OK\nlegacy:: shape\n\n');
    });

    it('non-2xx JSON-first: legacy status and derived tree', async () => {
      expect(await raw(':json_error:\n')).toBe('404 Gone\nwhy:: 1\n\n');
    });

    it('a JSON-first result that is not JSON is a command failure in legacy too', async () => {
      expect(await raw(':nan_json:\n')).toBe('500 command failed\n');
      expect(await raw(':bigjson:\n70000\n')).toBe('500 reply too large\n');
    });

    it('tree-only commands get treeToJson', async () => {
      expect(await rpc(req('tree'))).toEqual(
        ok({ List: { value: 'mybl', owner: '13', flags: '1', Rule: { value: '', flags: '0' } } }),
      );
    });
  });

  it('request.datagram stays intact while an async handler holds it', async () => {
    const request = req('keep', ['payload-é'], 'keep');
    client.send(utf8(request));
    for (let i = 0; i < 5; i++) {
      expect(await raw(`:echo:\nfiller-${i}-${'z'.repeat(100)}\n`)).toMatch(/^200 OK\nfiller/);
    }
    expect(JSON.parse((await client.next(2000))?.toString('utf8') ?? 'null')).toEqual(
      ok(request, 'keep'),
    );
  });

  it('legacy and JSON-RPC interleaved on one socket, concurrently', async () => {
    const expected = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const slow = i % 5 === 0;
      if (i % 2 === 0) {
        client.send(slow ? `:slow:\n${20 + i}\n` : `:echo:\nL${i}\n`);
        expected.add(slow ? `200 OK\nslept:: ${20 + i}\n\n` : `200 OK\nL${i}\n\n`);
      } else {
        client.send(utf8(slow ? req('slow', [String(20 + i)], i) : req('echo', [`J${i}`], i)));
        expected.add(JSON.stringify(slow ? ok({ slept: 20 + i }, i) : ok([`J${i}`], i)));
      }
    }
    const received = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const reply = await client.next(3000);
      expect(reply).not.toBeNull();
      received.add(reply?.toString('utf8') ?? '');
    }
    expect(received).toEqual(expected);
    expect(await client.next(100)).toBeNull();
  });

  it('several sockets at once, each gets its own answers', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => clientFor(address, dir)));
    try {
      const results = await Promise.all(
        clients.map(async (c, k) => {
          const out: string[] = [];
          for (let i = 0; i < 10; i++) {
            const legacy = (i + k) % 2 === 0;
            const reply = await c.request(
              legacy ? `:echo:\nc${k}-${i}\n` : utf8(req('echo', [`c${k}-${i}`], i)),
            );
            out.push(
              legacy
                ? (text(reply) ?? '')
                : String((JSON.parse(reply.toString('utf8')) as { result: string[] }).result[0]),
            );
          }
          return out;
        }),
      );
      results.forEach((out, k) => {
        out.forEach((reply, i) => {
          expect(reply).toBe((i + k) % 2 === 0 ? `200 OK\nc${k}-${i}\n\n` : `c${k}-${i}`);
        });
      });
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

describe('nesting depth 100000 (a UNIX datagram carries it; UDP cannot send it)', () => {
  it('is refused before parsing, and the server keeps answering', async () => {
    const client = await clientFor(running.addresses[0] as string, dir);
    try {
      const rpc = async (request: string) =>
        JSON.parse((await client.request(utf8(request))).toString('utf8')) as unknown;
      expect(await rpc('['.repeat(100000))).toEqual(errAny(-32600, 'Request too large'));
      expect(await rpc('{"a":'.repeat(20000))).toEqual(errAny(-32600, 'Request too large'));
      expect(await rpc(req('version'))).toEqual(ok({ Server: SERVER_VERSION }));
    } finally {
      await client.close();
    }
  });
});

describe.each([
  ['unix', 0],
  ['udp IPv4', 1],
] as const)('a python-opensips datagram client over %s', (_label, index) => {
  let address: string;
  beforeAll(() => {
    address = running.addresses[index] as string;
  });

  it('sends what python-opensips sends', () => {
    const { text: request, id } = getCommand('log_level', { level: 3 });
    expect(id).toMatch(/^\d{1,5}$/);
    expect(request).toBe(
      `{"jsonrpc": "2.0", "id": "${id}", "method": "log_level", "params": {"level": 3}}`,
    );
    expect(getCommand('uptime').text).toMatch(/"params": \{\}\}$/);
    expect(pythonJsonDumps(['é'])).toBe('["\\u00e9"]');
  });

  it('uptime, version, which, ps, pwd, arg, help, log_level', async () => {
    const exec = (method: string, params?: unknown) =>
      opensipsExecute(address, dir, method, params);
    const uptime = (await exec('uptime')) as Record<string, string>;
    expect(uptime.Now).toMatch(CTIME);
    expect(uptime['Up since']).toMatch(CTIME);
    expect(uptime['Up time']).toMatch(/^\d+ \[sec\]$/);
    expect(await exec('version')).toEqual({ Server: SERVER_VERSION });
    expect(await exec('which')).toEqual(running.registry.names());
    expect(await exec('ps')).toEqual({ Processes: [{ ID: 0, PID: process.pid, Type: 'main' }] });
    expect(await exec('pwd')).toEqual({ WD: process.cwd() });
    expect(await exec('arg')).toEqual(['mi-datagram-server', '--flag', 'value with space']);
    expect(await exec('help', { mi_cmd: 'uptime' })).toMatchObject({ 'Exported by': 'core' });
    expect(await exec('log_level')).toEqual({
      Processes: [{ PID: process.pid, 'Log level': 2, Type: 'main' }],
    });
    expect(await exec('log_level', { level: 2 })).toEqual({ 'New global log level': 2 });
    expect(await exec('cache_store', { system: 'local', key: 'py', value: 'é€😀' })).toBe('OK');
    expect(await exec('cache_fetch', ['local', 'py'])).toEqual({ key: 'py', value: 'é€😀' });
    expect(await exec('echo', ['a', 'b c'])).toEqual(['a', 'b c']);
  });

  it('the reply echoes the random string id, in one compact JSON datagram', async () => {
    for (let i = 0; i < 5; i++) {
      const { id, reply } = await opensipsExchange(address, dir, 'version');
      const parsed = JSON.parse(Buffer.from(reply).toString('utf8')) as { id: unknown };
      expect(parsed.id).toBe(id);
      expect(typeof parsed.id).toBe('string');
    }
  });

  it('errors arrive as JSON-RPC errors (JSONRPCError), never as text', async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ['nosuch', undefined, -32601, 'Method not found'],
      ['mi_error', undefined, 404, 'Nothing here'],
      ['log_level', { level: 'x' }, 400, 'Bad parameter'],
      ['boom', undefined, -32603, 'Internal error'],
      ['forbidden', undefined, 403, 'Permission denied'],
    ];
    for (const [method, params, code, message] of cases) {
      const failure = await opensipsExecute(address, dir, method, params).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(OpensipsJsonRpcError);
      expect(failure).toMatchObject({ code, rpcMessage: message });
    }
  });

  it('concurrent calls each get their own reply', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => opensipsExecute(address, dir, 'echo', [`p${i}`])),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => [`p${i}`]));
  });

  it('the client fails on anything that is not JSON (as python-opensips does)', async () => {
    const { getReply } = await import('./helpers/opensips-client.js');
    expect(() => getReply(utf8('400 Parse_error\n'))).toThrow(OpensipsJsonRpcException);
    expect(() => getReply(utf8('[{"jsonrpc":"2.0","result":1,"id":"1"}]'))).toThrow(
      OpensipsJsonRpcException,
    );
  });
});

describe('server state', () => {
  it('nothing left in flight', async () => {
    await running.server.drain(2000);
    expect(running.server.stats().inFlight).toBe(0);
    expect(running.server.stats().noReply).toBeGreaterThan(0);
  });
});
