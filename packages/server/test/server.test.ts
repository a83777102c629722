/**
 * The pipeline end to end over real sockets (UNIX, UDP IPv4, UDP IPv6), with
 * raw datagrams: core commands, every transport error line, size limits,
 * handler failures, async handlers.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineCommand, MiError, type RunningServer } from '../src/index.js';
import { ARCH, startE2eServer, stopE2eServer, TRANSPORTS } from './helpers/e2e-server.js';
import { clientFor, type RawClient, text } from './helpers/raw.js';

let dir: string;
let running: RunningServer;
const logLines: string[] = [];

const testCommands = [
  defineCommand({
    name: 'boom',
    handler() {
      throw new Error('kaboom');
    },
  }),
  defineCommand({
    name: 'async_boom',
    async handler() {
      await new Promise((r) => setTimeout(r, 5));
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
    name: 'bad_result',
    handler: () => ({ code: 42 }),
  }),
  defineCommand({
    name: 'len',
    handler: (request) => ({
      nodes: [
        { name: 'bytes', value: String(request.datagram.length) },
        { name: 'args', value: String(request.args.length) },
      ],
    }),
  }),
  defineCommand({
    name: 'big',
    handler: (request) => ({ nodes: [{ value: 'x'.repeat(Number(request.args[0]?.value)) }] }),
  }),
  defineCommand({
    name: 'slow',
    async handler(request) {
      await new Promise((r) => setTimeout(r, Number(request.args[0]?.value ?? 100)));
      return { nodes: [{ name: 'slept', value: request.args[0]?.value ?? '100' }] };
    },
  }),
  defineCommand({
    name: 'quiet',
    noInput: true,
    handler: () => ({ code: 201, reason: 'Quiet', nodes: [{ name: 'args', value: 'ignored' }] }),
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
          children: [
            {
              name: 'Rule',
              value: '',
              attributes: [['flags', '0']],
              children: [{ name: 'IP', value: '10.0.0.0' }],
            },
          ],
        },
      ],
    }),
  }),
];

beforeAll(async () => {
  ({ dir, running } = await startE2eServer('mi-server-test-', {
    commands: testCommands,
    logLines,
  }));
});

afterAll(async () => {
  await stopE2eServer({ dir, running });
});

describe.each(TRANSPORTS)('over %s', (_label, index) => {
  let client: RawClient;
  beforeAll(async () => {
    const address = running.addresses[index] as string;
    client = await clientFor(address, dir);
  });
  afterAll(async () => {
    await client.close();
  });
  const ask = async (request: string) => text(await client.request(request));

  it('binds the address it reports', () => {
    const address = running.addresses[index] as string;
    if (index === 0) expect(address).toBe(join(dir, 'mi.sock'));
    else expect(address).toMatch(index === 1 ? /^udp:127\.0\.0\.1:\d+$/ : /^udp:\[::1\]:\d+$/);
    expect(address).not.toMatch(/:0$/);
  });

  it('version', async () => {
    const arch = ARCH[process.arch] ?? process.arch;
    expect(await ask(':version:\n')).toBe(
      `200 OK\nServer:: mi-datagram (0.1.0 (${arch}/${process.platform}))\n\n`,
    );
    // cached bytes must stay identical
    expect(await ask(':version:\n')).toBe(await ask(':version:\ngarbage "\n'));
  });

  it('which lists every command, core first', async () => {
    const reply = await ask(':which:\n');
    const names = running.registry.names();
    expect(reply).toBe(`200 OK\n${names.join('\n')}\n\n`);
    // The statistics commands first, as OpenSIPS lists them.
    expect(names.slice(0, 13)).toEqual([
      'get_statistics',
      'list_statistics',
      'reset_statistics',
      'reset_all_statistics',
      'uptime',
      'version',
      'pwd',
      'arg',
      'which',
      'ps',
      'kill',
      'log_level',
      'help',
    ]);
    expect(names).toContain('cache_store');
    expect(names).toContain('boom');
  });

  it('help', async () => {
    expect(await ask(':help:\n')).toBe(
      "200 OK\nUsage:: help mi_cmd - returns information about 'mi_cmd'\n\n",
    );
    expect(await ask(':help:\nuptime\n')).toBe(
      '200 OK\nHelp:: prints various time information about the server - when it started to run, for how long it runs\nExported by:: core\n\n',
    );
    expect(await ask(':help:\ncmd::version\n')).toBe(
      '200 OK\nHelp:: prints the version string of the running server\nExported by:: core\n\n',
    );
    expect(await ask(':help:\ncache_fetch\n')).toBe(
      '200 OK\nHelp:: fetches a value from a cache system: system, attr\nExported by:: example\n\n',
    );
    expect(await ask(':help:\nboom\n')).toBe('200 OK\nHelp:: \nExported by:: app\n\n');
    expect(await ask(':help:\nnosuch\n')).toBe('404 unknown MI command\n\n');
  });

  it('which COMMAND: one line per recipe, names separated by blanks (docs/commands.md)', async () => {
    expect(await ask(':which:\nlog_level\n')).toBe('200 OK\n\nlevel\nlevel pid\n\n');
    expect(await ask(':which:\ncommand::cache_store\n')).toBe(
      '200 OK\nsystem attr value\nsystem attr value expire\n\n',
    );
    expect(await ask(':which:\nuptime\n')).toBe('200 OK\n\n\n');
    // echo declares no parameters: no recipes to show
    expect(await ask(':which:\necho\n')).toBe('200 OK\n\n');
    expect(await ask(':which:\nnosuch\n')).toBe('404 unknown MI command\n\n');
    expect(await ask(':which:\na\nb\n')).toBe('400 Too few or too many arguments\n\n');
    // the list of names is still answered (and cached) without an argument
    expect(await ask(':which:\n')).toBe(`200 OK\n${running.registry.names().join('\n')}\n\n`);
  });

  it('log_level: 2.4 answers and errors over legacy text', async () => {
    expect(await ask(`:log_level:\n2\n${process.pid}\n`)).toBe('200 OK\nNew log level:: 2\n\n');
    expect(await ask(`:log_level:\npid::${process.pid}\nlevel::2\n`)).toBe(
      '200 OK\nNew log level:: 2\n\n',
    );
    expect(await ask(':log_level:\n2\n99999999\n')).toBe('400 Bad parameter\n\n');
    expect(await ask(':log_level:\nabc\n')).toBe('400 Bad parameter\n\n');
    expect(await ask(':log_level:\n1\n2\n3\n')).toBe('400 Too few or too many arguments\n\n');
  });

  it('uptime (ctime format), even with a malformed body', async () => {
    const ctime =
      '[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}';
    const re = new RegExp(
      `^200 OK\\nNow:: ${ctime}\\nUp since:: ${ctime}\\nUp time:: [0-9]+ \\[sec\\]\\n\\n$`,
    );
    expect(await ask(':uptime:\n')).toMatch(re);
    expect(await ask(':uptime:\ngarbage "x\n')).toMatch(re);
  });

  it('pwd, arg, ps', async () => {
    expect(await ask(':pwd:\n')).toBe(`200 OK\nWD:: ${process.cwd()}\n\n`);
    expect(await ask(':arg:\n')).toBe('200 OK\nmi-datagram-server\n--flag\nvalue with space\n\n');
    expect(await ask(':ps:\n')).toBe(`200 OK\nProcess::  ID=0 PID=${process.pid} Type=main\n\n`);
  });

  it('log_level: table, global, per process, bad parameters; changes the logger', async () => {
    expect(await ask(':log_level:\n')).toBe(
      `200 OK\nProcess::  PID=${process.pid} Log level=2 Type=main\n\n`,
    );
    const before = logLines.length;
    expect(await ask(':log_level:\n4\n')).toBe('200 OK\nNew global log level:: 4\n\n');
    expect(running.logger.level).toBe(4);
    await ask(':version:\n');
    const debugLines = logLines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(debugLines.some((l) => l.level === 'debug' && l.command === 'version')).toBe(true);
    expect(await ask(`:log_level:\n3\n${process.pid}\n`)).toBe('200 OK\nNew log level:: 3\n\n');
    expect(running.logger.level).toBe(3);
    expect(await ask(':log_level:\nlevel::2\n')).toBe('200 OK\nNew global log level:: 2\n\n');
    expect(await ask(':log_level:\n\n   \t 2 \t \n\n\n')).toBe(
      '200 OK\nNew global log level:: 2\n\n',
    );
    expect(await ask(':log_level:\nabc\n')).toBe('400 Bad parameter\n\n');
    expect(await ask(':log_level:\n2\n99999999\n')).toBe('400 Bad parameter\n\n');
    expect(await ask(':log_level:\nab::\n')).toBe('400 Bad parameter\n\n');
    expect(running.logger.level).toBe(2);
    const quiet = logLines.length;
    await ask(':version:\n');
    expect(logLines.length).toBe(quiet);
  });

  it('transport error lines', async () => {
    expect(await ask(':nosuch:\n')).toBe('500 command not available\n');
    expect(await ask(':Uptime:\n')).toBe('500 command not available\n');
    expect(await ask('uptime\n')).toBe('500 command not available\n');
    expect(await ask(':uptime:\r\n')).toBe('500 command not available\n');
    expect(await ask('\n')).toBe('500 command not available\n');
    // Since issue 7 a datagram starting with `{` is JSON-RPC (test/jsonrpc.test.ts).
    expect(await ask('{"jsonrpc":"2.0","method":"which","id":1}')).toMatch(
      /^\{"jsonrpc":"2\.0","result":\["get_statistics",/,
    );
    expect(await ask(':log_level:\n"unterminated\n')).toBe('400 parse_error\n');
    expect(await ask(':log_level:\n::\n')).toBe('400 parse_error\n');
    expect(await ask(':boom:\n')).toBe('500 command failed\n');
    expect(await ask(':async_boom:\n')).toBe('500 command failed\n');
    expect(await ask(':bad_result:\n')).toBe('500 command failed\n');
    expect(await ask(':big:\n70000\n')).toBe('500 reply too large\n');
    // and the server keeps answering
    expect(await ask(':which:\n')).toMatch(/^200 OK\n/);
  });

  it('logs a throwing handler with its stack', () => {
    const failures = logLines
      .map((l) => JSON.parse(l) as { msg?: string; command?: string; error?: { stack?: string } })
      .filter((l) => l.msg === 'command handler failed' && l.command === 'boom');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]?.error?.stack).toContain('kaboom');
  });

  it('MiError becomes an ordinary reply; tree shapes are written as the original', async () => {
    expect(await ask(':mi_error:\n')).toBe('404 Nothing here\n\n');
    expect(await ask(':tree:\n')).toBe(
      '200 OK\nList:: mybl owner=13 flags=1\n\tRule::  flags=0\n\t\tIP:: 10.0.0.0\n\n',
    );
  });

  it('an empty datagram gets no reply', async () => {
    client.send('');
    expect(await client.next(200)).toBeNull();
    expect(await ask(':version:\n')).toMatch(/^200 OK\n/);
  });

  it('a request of exactly 65457 bytes is served, one byte more is refused', async () => {
    const head = ':len:\n';
    const exact = head + 'a'.repeat(65457 - head.length);
    expect(exact.length).toBe(65457);
    expect(await ask(exact)).toBe('200 OK\nbytes:: 65457\nargs:: 1\n\n');
    expect(await ask(exact + 'a')).toBe('400 request too large\n');
    expect(await ask(':len:\n')).toBe('200 OK\nbytes:: 6\nargs:: 0\n\n');
  });

  it('a reply of exactly 65457 bytes is sent, one byte more is refused', async () => {
    // `200 OK\n` + value + `\n` + `\n` = 9 + N bytes
    const ok = await client.request(`:big:\n${65457 - 9}\n`);
    expect(ok.length).toBe(65457);
    expect(text(ok.subarray(0, 8))).toBe('200 OK\nx');
    expect(await ask(`:big:\n${65457 - 8}\n`)).toBe('500 reply too large\n');
  });

  it('noInput commands ignore a garbage body', async () => {
    expect(await ask(':quiet:\n"unterminated\n::\n\0\xff')).toBe('201 Quiet\nargs:: ignored\n\n');
  });

  it('an async handler does not block other requests', async () => {
    // The order of the replies is the proof: a blocked server would answer `slow` first.
    client.send(':slow:\n1000\n');
    const t0 = Date.now();
    expect(await ask(':version:\n')).toMatch(/^200 OK\nServer::/);
    expect(await ask(':echo:\na::b\nc\n')).toBe('200 OK\na:: b\nc\n\n');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(text(await client.next(10_000))).toBe('200 OK\nslept:: 1000\n\n');
  });

  it('example cache commands behave like the original', async () => {
    expect(await ask(':cache_store:\nlocal\nk1\n  hello   world  \n')).toBe('200 OK\n\n');
    expect(await ask(':cache_fetch:\nlocal\nk1\n')).toBe(
      '200 OK\nkey:: k1\nvalue:: hello   world\n\n',
    );
    expect(await ask(':cache_store:\nsystem::local\nkey :: k2\nvalue::  v a l  \n')).toBe(
      '200 OK\n\n',
    );
    expect(await ask(':cache_fetch:\nlocal\nk2\n')).toBe('200 OK\nkey:: k2\nvalue:: v a l\n\n');
    expect(await ask(':cache_store:\nlocal\nk3\n"line1 \\"q\\"\n  line2 "\n')).toBe('200 OK\n\n');
    expect(await ask(':cache_fetch:\nlocal\nk3\n')).toBe(
      '200 OK\nkey:: k3\nvalue:: line1 "q"\n  line2 \n\n',
    );
    expect(await ask(':cache_fetch:\nlocal\nnokey\n')).toBe('200 OK\nValue not found\n\n');
    expect(await ask(':cache_store:\nlocal\n')).toBe('404 Too few arguments\n\n');
    expect(await ask(':cache_remove:\nlocal\nk1\n')).toBe('200 OK\n\n');
    expect(await ask(':cache_fetch:\nlocal\nk1\n')).toBe('200 OK\nValue not found\n\n');
  });
});

describe('server state', () => {
  it('counts what it did', () => {
    const stats = running.server.stats();
    expect(stats.errors.NOT_AVAILABLE).toBeGreaterThan(0);
    expect(stats.errors.REQUEST_TOO_LARGE).toBeGreaterThanOrEqual(3);
    expect(stats.noReply).toBeGreaterThanOrEqual(3);
    expect(stats.inFlight).toBe(0);
  });
});
