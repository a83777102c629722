/**
 * Named params over legacy text (PROTOCOL.md 5.1) and `mi which COMMAND`'s
 * recipe lines, as units; a fake UNIX server checks the bytes a named call sends.
 */
import { join } from 'node:path';
import { encodeRequest, parseReply } from '@mi-datagram/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyReply } from '../src/cli/output.js';
import { recipesOf, whichRecipesText } from '../src/cli/recipes.js';
import { MiClient } from '../src/client.js';
import { namedParamsToArguments } from '../src/params.js';
import { answerWith, type FakeUnixServer, fakeUnixServer } from './helpers/fake-unix.js';
import {
  BUSY_MACHINE_TIMEOUT,
  runCli,
  type SpawnedServer,
  spawnServer,
  tempDir,
} from './helpers/proc.js';

const encoder = new TextEncoder();
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('namedParamsToArguments', () => {
  it('one name::value line per param; lists repeat the name; null has no value', () => {
    const args = namedParamsToArguments({
      system: 'local',
      expire: 30,
      big: 12n,
      flag: true,
      statistics: ['core:', 'shmem:'],
      none: null,
      skipped: undefined,
    });
    expect(text(encodeRequest('x', args))).toBe(
      ':x:\nsystem::local\nexpire::30\nbig::12\nflag::true\nstatistics::core:\nstatistics::shmem:\nnone::\n',
    );
  });

  it('refuses values it cannot send', () => {
    expect(() => namedParamsToArguments({ a: {} as unknown as string })).toThrow(TypeError);
    expect(() => namedParamsToArguments({ a: [{}] as unknown as string[] })).toThrow(/param "a"/);
  });
});

const legacy = (datagram: string): AnyReply => {
  const parsed = parseReply(encoder.encode(datagram));
  return { protocol: 'legacy', ...parsed, raw: encoder.encode(datagram) };
};
const jsonrpc = (result: unknown, ok = true): AnyReply =>
  ok
    ? { protocol: 'jsonrpc', ok: true, id: 1, result, raw: new Uint8Array() }
    : {
        protocol: 'jsonrpc',
        ok: false,
        id: 1,
        error: { code: 404, message: 'unknown MI command' },
        textLine: false,
        raw: new Uint8Array(),
      };

describe('which COMMAND recipes', () => {
  it('reads them from both protocols', () => {
    expect(recipesOf(jsonrpc([[], ['level'], ['level', 'pid']]))).toEqual([
      [],
      ['level'],
      ['level', 'pid'],
    ]);
    expect(recipesOf(legacy('200 OK\n\nlevel\nlevel pid\n\n'))).toEqual([
      [],
      ['level'],
      ['level', 'pid'],
    ]);
    expect(recipesOf(legacy('200 OK\nsystem attr\n\n'))).toEqual([['system', 'attr']]);
  });

  it('is no recipe list: a command list, an error, other shapes', () => {
    expect(recipesOf(jsonrpc(['uptime', 'which']))).toBeNull();
    expect(recipesOf(jsonrpc(null, false))).toBeNull();
    expect(recipesOf(jsonrpc([]))).toBeNull();
    expect(recipesOf(legacy('200 OK\nuptime\nwhich\nps\n\n'))).toBeNull();
    expect(recipesOf(legacy('404 unknown MI command\n\n'))).toBeNull();
    expect(recipesOf(legacy('200 OK\nName:: x\n\n'))).toBeNull();
  });

  it('prints usage lines for `which COMMAND` only', () => {
    const reply = jsonrpc([[], ['level'], ['level', 'pid']]);
    expect(whichRecipesText('which', ['log_level'], reply)).toBe(
      '200 OK\nlog_level\nlog_level level\nlog_level level pid\n',
    );
    expect(whichRecipesText('which', ['command::log_level'], reply)).toBe(
      '200 OK\nlog_level\nlog_level level\nlog_level level pid\n',
    );
    expect(whichRecipesText('which', [], reply)).toBeNull();
    expect(whichRecipesText('help', ['log_level'], reply)).toBeNull();
  });
});

describe('MiClient named params over legacy text', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: FakeUnixServer;
  beforeAll(async () => {
    dir = tempDir();
    server = await fakeUnixServer(dir.path, (_request, peer, transport) =>
      answerWith(transport, peer, '200 OK\n\n'),
    );
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('call() and callLegacy() send an object as name::value lines', async () => {
    const client = new MiClient(server.path, { timeout: BUSY_MACHINE_TIMEOUT });
    try {
      const before = server.received.length;
      const reply = await client.call('cache_fetch', { attr: 'k', system: 'local' });
      expect(reply.code).toBe(200);
      await client.callLegacy('log_level', { level: 3 });
      await client.call('log_level', ['3', '1234']);
      expect(server.received.slice(before).map((r) => r.data.toString('latin1'))).toEqual([
        ':cache_fetch:\nattr::k\nsystem::local\n',
        ':log_level:\nlevel::3\n',
        ':log_level:\n3\n1234\n',
      ]);
      await expect(client.call('x', { a: Symbol('s') as unknown as string })).rejects.toMatchObject(
        { code: 'REQUEST_INVALID' },
      );
    } finally {
      await client.close();
    }
  });
});

describe('against the server (declared parameters, both protocols)', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SpawnedServer;
  beforeAll(async () => {
    dir = tempDir();
    server = await spawnServer(join(dir.path, 'mi.sock'));
  });
  afterAll(async () => {
    await server?.stop();
    dir.remove();
  });

  it('mi which COMMAND prints one usage line per recipe, legacy and JSON-RPC', async () => {
    const expected = '200 OK\nlog_level\nlog_level level\nlog_level level pid\n';
    for (const args of [
      ['which', 'log_level'],
      ['which', 'command::log_level'],
      ['--jsonrpc', 'which', 'log_level'],
      ['--jsonrpc', 'which', 'command::log_level'],
    ]) {
      const out = await runCli(['-s', server.address, ...args]);
      expect(out.stdout.toString(), args.join(' ')).toBe(expected);
      expect(out.status).toBe(0);
    }
    const unknown = await runCli(['-s', server.address, 'which', 'nosuch']);
    expect(unknown.stdout.toString()).toBe('404 unknown MI command\n\n');
    expect(unknown.status).toBe(1);
  });

  it('MiClient: named or positional params, in both protocols', async () => {
    const legacy = new MiClient(server.address, { timeout: BUSY_MACHINE_TIMEOUT });
    const rpc = new MiClient(server.address, {
      timeout: BUSY_MACHINE_TIMEOUT,
      protocol: 'jsonrpc',
    });
    try {
      expect((await legacy.call('cache_store', ['local', 'nk', 'v1'])).code).toBe(200);
      const named = await legacy.call('cache_fetch', { attr: 'nk', system: 'local' });
      expect(text(named.raw)).toBe('200 OK\nkey:: nk\nvalue:: v1\n\n');
      expect(await rpc.call('cache_fetch', { attr: 'nk', system: 'local' })).toMatchObject({
        ok: true,
        result: { key: 'nk', value: 'v1' },
      });
      expect(await rpc.call('cache_fetch', ['local', 'nk'])).toMatchObject({
        ok: true,
        result: { key: 'nk', value: 'v1' },
      });
      expect(await rpc.call('log_level', { level: 'x' })).toMatchObject({
        ok: false,
        error: { code: -32602, message: 'Invalid params', data: "Bad type for parameter 'level'" },
      });
      expect(text((await legacy.call('log_level', { level: 'x' })).raw)).toBe(
        '400 Bad parameter\n\n',
      );
    } finally {
      await Promise.all([legacy.close(), rpc.close()]);
    }
  });
});
