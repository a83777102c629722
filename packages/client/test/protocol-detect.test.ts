/**
 * One client for both generations: `protocol: 'auto'` (the `mi` default) against fake servers that
 * answer with the replies recorded from real OpenSIPS 2.4.11 and 3.6.8.
 */

import { parseReply } from '@mi-datagram/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeOf } from '../src/cli/output.js';
import { MiClient } from '../src/index.js';
import { exchanges36, fakeOpenSips } from './helpers/fake-opensips.js';
import { answerWith, type FakeUnixServer, fakeUnixServer } from './helpers/fake-unix.js';
import { BUSY_MACHINE_TIMEOUT, runCli, tempDir } from './helpers/proc.js';
import { rejection } from './helpers/rejection.js';

let dir: ReturnType<typeof tempDir>;
let v24: FakeUnixServer;
let v36: FakeUnixServer;
/** Answers legacy requests as 3.6 does, and nothing else. */
let silent36: FakeUnixServer;

beforeAll(async () => {
  dir = tempDir();
  [v24, v36, silent36] = await Promise.all([
    fakeOpenSips(dir.path, '2.4'),
    fakeOpenSips(dir.path, '3.6'),
    fakeUnixServer(
      dir.path,
      (request, peer, server) => {
        if (request[0] === 0x3a) answerWith(server, peer, '400 Parse_error');
      },
      'silent-3.6.sock',
    ),
  ]);
});

afterAll(async () => {
  await Promise.all([v24.close(), v36.close(), silent36.close()]);
  dir.remove();
});

const requests = (server: FakeUnixServer, from: number): string[] =>
  server.received.slice(from).map((r) => r.data.toString('latin1'));

describe("MiClient protocol 'auto'", () => {
  it('OpenSIPS 3.6: legacy first, JSON-RPC on its 400 Parse_error, then JSON-RPC only', async () => {
    const client = new MiClient(v36.path, { timeout: BUSY_MACHINE_TIMEOUT, protocol: 'auto' });
    try {
      expect(client.detectedProtocol).toBeUndefined();
      const before = v36.received.length;
      const version = await client.call('version');
      expect(version).toMatchObject({
        protocol: 'jsonrpc',
        ok: true,
        result: { Server: 'OpenSIPS (3.6.8 (x86_64/linux))' },
      });
      expect(client.detectedProtocol).toBe('jsonrpc');
      const first = requests(v36, before);
      expect(first).toHaveLength(2);
      expect(first[0]).toBe(':version:\n');
      expect(JSON.parse(first[1] ?? '')).toMatchObject({ jsonrpc: '2.0', method: 'version' });

      const again = v36.received.length;
      const ps = await client.call('ps');
      expect(ps).toMatchObject({ protocol: 'jsonrpc', ok: true });
      expect(requests(v36, again)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('OpenSIPS 3.6: legacy arguments become params (named or positional)', async () => {
    const client = new MiClient(v36.path, { timeout: BUSY_MACHINE_TIMEOUT, protocol: 'auto' });
    try {
      const named = await client.call('cache_fetch', [
        { name: 'system', value: 'local' },
        { name: 'attr', value: 'k' },
      ]);
      expect(named).toMatchObject({ ok: true, result: { key: 'k', value: 'v' } });
      const positional = await client.call('cache_fetch', ['local', 'k']);
      expect(positional).toMatchObject({ ok: true, result: { key: 'k', value: 'v' } });
      const failed = await client.call('log_level', [{ name: 'level', value: '2' }, 'x']);
      expect(failed).toBeUndefined();
    } catch (error) {
      expect(error).toMatchObject({ code: 'REQUEST_INVALID' });
    } finally {
      await client.close();
    }
  });

  it('OpenSIPS 2.4: stays legacy (one request per call)', async () => {
    const client = new MiClient(v24.path, { timeout: BUSY_MACHINE_TIMEOUT, protocol: 'auto' });
    try {
      const before = v24.received.length;
      const version = await client.call('version');
      expect(version).toMatchObject({ protocol: 'legacy', code: 200, reason: 'OK' });
      expect(version.protocol === 'legacy' && version.nodes[0]?.value).toBe(
        'OpenSIPS (2.4.11 (x86_64/linux))',
      );
      expect(client.detectedProtocol).toBe('legacy');
      expect(requests(v24, before)).toEqual([':version:\n']);
    } finally {
      await client.close();
    }
  });

  it("'legacy' against 3.6 reads its 400 Parse_error as a line reply; 'jsonrpc' works", async () => {
    const legacy = new MiClient(v36.path, { timeout: BUSY_MACHINE_TIMEOUT, protocol: 'legacy' });
    const jsonrpc = new MiClient(v36.path, { timeout: BUSY_MACHINE_TIMEOUT, protocol: 'jsonrpc' });
    try {
      expect(await legacy.call('version')).toMatchObject({
        protocol: 'legacy',
        code: 400,
        reason: 'Parse_error',
        form: 'line',
        nodes: [],
      });
      expect(await jsonrpc.call('pwd')).toMatchObject({
        ok: true,
        result: { WD: '/run/opensips' },
      });
    } finally {
      await Promise.all([legacy.close(), jsonrpc.close()]);
    }
  });

  it('mixed named and positional arguments are refused once JSON-RPC is known', async () => {
    const client = new MiClient(v36.path, { timeout: BUSY_MACHINE_TIMEOUT, protocol: 'auto' });
    try {
      await client.call('version');
      const error = await rejection(client.call('log_level', [{ name: 'level', value: '2' }, 'x']));
      expect(error.code).toBe('REQUEST_INVALID');
    } finally {
      await client.close();
    }
  });
});

describe('mi against both generations', () => {
  const mi = (args: string[]) => runCli(args, { env: { TMPDIR: dir.path } });

  it('3.6 without --jsonrpc: the JSON result, exit 0 (was: unreadable reply, exit 2)', async () => {
    const out = await mi(['-s', v36.path, 'version']);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout.toString('utf8'))).toEqual({
      Server: 'OpenSIPS (3.6.8 (x86_64/linux))',
    });
  });

  it('3.6 with --legacy: its line as received, exit 1, and a hint', async () => {
    const out = await mi(['--legacy', '-s', v36.path, 'version']);
    expect(out.status).toBe(1);
    expect(out.stdout.toString('latin1')).toBe('400 Parse_error\n');
    expect(out.stderr).toContain('OpenSIPS 3.x');
  });

  it('2.4 without --legacy: the reply as received', async () => {
    const out = await mi(['-s', v24.path, 'version']);
    expect(out.status).toBe(0);
    expect(out.stdout.toString('latin1')).toBe(
      '200 OK\nServer:: OpenSIPS (2.4.11 (x86_64/linux))\n\n',
    );
  });

  /** The JSON types of a value, keys kept: what "looks alike" means across generations. */
  function shape(value: unknown): unknown {
    if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
    }
    return typeof value;
  }

  it.each([['version'], ['uptime'], ['pwd'], ['arg'], ['which'], ['ps'], ['log_level']])(
    '--json %s: the same shape from 2.4 (legacy text) and 3.6 (JSON-RPC)',
    async (command) => {
      const [old, current] = await Promise.all([
        mi(['--json', '-s', v24.path, command]),
        mi(['--json', '-s', v36.path, command]),
      ]);
      expect([old.status, current.status]).toEqual([0, 0]);
      const a = JSON.parse(old.stdout.toString('utf8'));
      const b = JSON.parse(current.stdout.toString('utf8'));
      expect(shape(a)).toEqual(shape(b));
    },
  );

  it('--json error from 3.6: stderr has code, message and data; stdout is empty', async () => {
    const out = await mi(['--json', '-s', v36.path, 'help', 'mi_cmd::nosuch']);
    expect(out.status).toBe(1);
    expect(out.stdout.length).toBe(0);
    expect(out.stderr).toBe(`mi: ${v36.path}: error 404: unknown MI command\n`);
    const data = await mi(['--json', '-s', v36.path, 'log_level', 'level::abc']);
    expect(data.status).toBe(1);
    expect(data.stderr).toBe(
      `mi: ${v36.path}: error -32602: Invalid params (Bad type for parameter 'level')\n`,
    );
  });

  it('a 3.x target that stops answering after its Parse_error: TIMEOUT within --timeout', async () => {
    const started = Date.now();
    const out = await mi(['--timeout', '400', '-s', silent36.path, 'version']);
    expect(out.status).toBe(2);
    expect(out.stderr).toBe(`mi: ${silent36.path}: no reply within 400 ms (nothing answering)\n`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});

describe('legacy trees in the OpenSIPS 3 shapes (--json)', () => {
  const legacy = (text: string) => {
    const parsed = parseReply(Buffer.from(text, 'latin1'));
    return { protocol: 'legacy' as const, ...parsed, raw: new Uint8Array() };
  };
  const result36 = (title: string): unknown => {
    const found = exchanges36.find((e) => e.title === title);
    return JSON.parse(found?.reply.toString('utf8') ?? 'null').result;
  };

  it('log_level N and log_level N PID', () => {
    const global = legacy('200 OK\nNew global log level:: 3\n\n');
    expect(outcomeOf('log_level', global)).toEqual({
      ok: true,
      result: result36('log_level level=3'),
    });
    const one = legacy('200 OK\nNew log level:: 2\n\n');
    expect(outcomeOf('log_level', one)).toEqual({
      ok: true,
      result: result36('log_level level=2 pid=<SIP receiver 31154>'),
    });
  });

  it('get_statistics: integers are numbers, as 3.x sends them', () => {
    const stats = legacy('200 OK\nshmem:total_size:: 67108864\ncore:x:: -1\nother:: n/a\n\n');
    expect(outcomeOf('get_statistics', stats)).toEqual({
      ok: true,
      result: { 'shmem:total_size': 67108864, 'core:x': -1, other: 'n/a' },
    });
  });

  it('other commands: the generic mapping; no nodes: "OK"; errors keep code and reason', () => {
    expect(outcomeOf('cache_store', legacy('200 OK\n\n'))).toEqual({ ok: true, result: 'OK' });
    expect(outcomeOf('x', legacy('200 OK\na:: 1\na:: 2\n\n'))).toEqual({
      ok: true,
      result: { a: ['1', '2'] },
    });
    expect(outcomeOf('x', legacy('404 unknown MI command\n\n'))).toEqual({
      ok: false,
      error: { code: 404, message: 'unknown MI command' },
    });
  });
});
