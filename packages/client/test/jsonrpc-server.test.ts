/**
 * `MiClient({ protocol: 'jsonrpc' })` and `mi --jsonrpc` end to end against the real server
 * (`packages/server/dist/cli.js`, which serves JSON-RPC 2.0 beside the legacy protocol on the
 * same socket) over UNIX, UDP IPv4 and UDP IPv6.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiClient } from '../src/index.js';
import {
  BUSY_MACHINE_TIMEOUT,
  runCli,
  type SpawnedServer,
  spawnServer,
  tempDir,
} from './helpers/proc.js';

const COMMANDS = fileURLToPath(new URL('./fixtures/jsonrpc-commands.mjs', import.meta.url));
const CTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}$/;

let dir: ReturnType<typeof tempDir>;
/** TMPDIR of the CLI runs and socketDir of the clients: must be empty afterwards. */
let replyDir: ReturnType<typeof tempDir>;
let servers: SpawnedServer[] = [];

beforeAll(async () => {
  dir = tempDir();
  replyDir = tempDir('mi-client-replies-');
  servers = await Promise.all(
    [join(dir.path, 'mi.sock'), 'udp:127.0.0.1:0', 'udp:[::1]:0'].map((name) =>
      spawnServer(name, ['--commands', COMMANDS]),
    ),
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  expect(readdirSync(replyDir.path)).toEqual([]);
  replyDir.remove();
  dir.remove();
});

describe.each([
  ['UNIX', 0],
  ['UDP IPv4', 1],
  ['UDP IPv6', 2],
])('against the server over %s', (_kind, index) => {
  const target = (): string => servers[index]?.address ?? '';
  let client: MiClient<'jsonrpc'>;
  beforeAll(() => {
    client = new MiClient(target(), {
      timeout: BUSY_MACHINE_TIMEOUT,
      protocol: 'jsonrpc',
      socketDir: replyDir.path,
    });
  });
  afterAll(async () => {
    await client.close();
  });

  describe('MiClient jsonrpc', () => {
    it('core commands: OpenSIPS 3 result shapes', async () => {
      const uptime = await client.call('uptime');
      expect(uptime.ok).toBe(true);
      const result = uptime.ok ? (uptime.result as Record<string, string>) : {};
      expect(Object.keys(result)).toEqual(['Now', 'Up since', 'Up time']);
      expect(result.Now).toMatch(CTIME);
      expect(result['Up time']).toMatch(/^\d+ \[sec\]$/);

      const ps = await client.call('ps');
      expect(ps).toMatchObject({
        ok: true,
        result: { Processes: [{ ID: 0, PID: servers[index]?.child.pid, Type: 'main' }] },
      });
      const which = await client.call('which');
      expect(which.ok && which.result).toEqual(
        expect.arrayContaining(['uptime', 'which', 'ps', 'echo', 'bigjson']),
      );
      expect(await client.call('version')).toMatchObject({
        ok: true,
        result: { Server: expect.stringMatching(/^mi-datagram \(/) },
      });
      expect(await client.call('log_level', { level: 2 })).toMatchObject({
        ok: true,
        result: { 'New global log level': 2 },
      });
    });

    it('positional and named params reach the same handlers', async () => {
      expect(await client.call('echo', ['a', 'b c', 'é€😀'])).toMatchObject({
        ok: true,
        result: ['a', 'b c', 'é€😀'],
      });
      expect(await client.call('echo', { x: '1', y: 2 })).toMatchObject({
        ok: true,
        result: { x: '1', y: '2' },
      });
      const key = `k${index}`;
      expect(
        await client.call('cache_store', { system: 'local', attr: key, value: '  spaced  value ' }),
      ).toMatchObject({ ok: true, result: 'OK' });
      expect(await client.call('cache_fetch', ['local', key])).toMatchObject({
        ok: true,
        // JSON strings arrive exactly (the legacy grammar would trim an unquoted value).
        result: { key, value: '  spaced  value ' },
      });
      expect(await client.call('typed')).toMatchObject({
        ok: true,
        result: { n: 1, f: 1.5, t: true, none: null, list: [1, 'a'] },
      });
    });

    it('errors are data: method not found, a command failure, response too large', async () => {
      const missing = await client.call('nosuch');
      expect(missing).toMatchObject({
        ok: false,
        error: { code: -32601, message: 'Method not found' },
        textLine: false,
      });
      expect(await client.call('refuse')).toMatchObject({
        ok: false,
        error: { code: 410, message: 'Gone away' },
      });
      expect(await client.call('cache_store', ['local'])).toMatchObject({
        ok: false,
        error: { code: -32602, message: 'Invalid params', data: 'Too few or too many parameters' },
      });
      expect(await client.call('bigjson', ['70000'])).toMatchObject({
        ok: false,
        error: { code: -32603, message: 'Response too large' },
      });
    });

    it('a result filling a whole datagram arrives whole', async () => {
      const size = 65457 - '{"jsonrpc":"2.0","result":"","id":99999}'.length;
      const r = await client.call('bigjson', [String(size)]);
      expect(r.ok && typeof r.result === 'string' ? r.result.length : -1).toBe(size);
      expect(r.raw.length).toBeLessThanOrEqual(65457);
    });

    it('concurrent calls, async handlers finishing out of order: each gets its own', async () => {
      const calls = Array.from({ length: 30 }, (_, i) =>
        client.call('slow_echo', [String((30 - i) * 3), `v${i}`]),
      );
      const out = await Promise.all(calls);
      expect(out.map((r) => (r.ok ? r.result : r.error))).toEqual(
        Array.from({ length: 30 }, (_, i) => ({ value: `v${i}` })),
      );
    });

    it('legacy and JSON-RPC calls from one client, interleaved', async () => {
      const legacy = new MiClient(target(), {
        timeout: BUSY_MACHINE_TIMEOUT,
        socketDir: replyDir.path,
      });
      try {
        const [a, b, c, d] = await Promise.all([
          legacy.call('echo', ['L1']),
          client.call('echo', ['J1']),
          client.callLegacy('echo', ['L2']),
          legacy.callJsonRpc('echo', ['J2']),
        ]);
        expect(a).toMatchObject({ code: 200, nodes: [{ value: 'L1' }] });
        expect(b).toMatchObject({ ok: true, result: ['J1'] });
        expect(c).toMatchObject({ code: 200, nodes: [{ value: 'L2' }] });
        expect(d).toMatchObject({ ok: true, result: ['J2'] });
      } finally {
        await legacy.close();
      }
    });
  });

  describe('mi --jsonrpc', () => {
    const mi = (args: string[]) => runCli(args, { env: { TMPDIR: replyDir.path } });

    it('prints the result alone as JSON (pipeable into jq); exit 0', async () => {
      const out = await mi(['--jsonrpc', '-s', target(), 'ps']);
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      const text = out.stdout.toString('utf8');
      expect(JSON.parse(text)).toEqual({
        Processes: [{ ID: 0, PID: servers[index]?.child.pid, Type: 'main' }],
      });
    });

    it('name::value ARGs are named params, others positional', async () => {
      const named = await mi(['--jsonrpc', '--json', '-s', target(), 'echo', 'a::1', 'b::x y']);
      expect(named.status).toBe(0);
      expect(JSON.parse(named.stdout.toString('utf8'))).toEqual({ a: '1', b: 'x y' });
      const positional = await mi(['--jsonrpc', '--json', '-s', target(), 'echo', 'a', 'b c']);
      expect(JSON.parse(positional.stdout.toString('utf8'))).toEqual(['a', 'b c']);
    });

    it('an error reply: exit 1, code and message printed', async () => {
      const out = await mi(['--jsonrpc', '-s', target(), 'nosuch']);
      expect(out.status).toBe(1);
      expect(out.stdout.length).toBe(0);
      expect(out.stderr).toBe(`mi: ${target()}: error -32601: Method not found\n`);
      const failed = await mi(['--jsonrpc', '-s', target(), 'log_level', 'nonsense']);
      expect(failed.status).toBe(1);
      expect(failed.stdout.length).toBe(0);
      expect(failed.stderr).toBe(
        `mi: ${target()}: error -32602: Invalid params (Bad type for parameter 'level')\n`,
      );
    });

    it('the same server still answers the legacy protocol to mi without --jsonrpc', async () => {
      const out = await mi(['-s', target(), 'echo', 'x']);
      expect(out.status).toBe(0);
      expect(out.stdout.toString('utf8')).toBe('200 OK\nx\n\n');
    });
  });
});
