/**
 * Issue 8 through the CLI (`dist/cli.js`): listener configuration errors
 * (exit 2, one line naming the parameter, nothing bound, no file created),
 * and a config file with a UNIX socket and a UDP port of different levels
 * where `kill` is refused on one and works on the other.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, text } from './helpers/raw.js';
import { killAll, runCli, waitListening } from './helpers/spawn.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-access-cli-'));
});

afterEach(async () => {
  await killAll();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sock = (name = 'mi.sock') => join(dir, name);

async function config(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(content));
  return path;
}

describe('listener configuration errors: exit 2, one line naming the parameter, nothing bound', () => {
  const cases: Array<[string, () => Promise<string[]>, string]> = [
    [
      'UDP on 0.0.0.0 without allow_from',
      async () => ['--socket-name', 'udp:0.0.0.0:0'],
      'allow_from',
    ],
    ['UDP on [::] without allow_from', async () => ['--socket-name', 'udp:[::]:0'], 'allow_from'],
    [
      'a non-loopback UDP bind next to a UNIX socket',
      async () => ['--socket-name', sock(), '--socket-name', 'udp:0.0.0.0:0'],
      'allow_from',
    ],
    [
      '--metrics-listen on 0.0.0.0 without --metrics-allow-from',
      async () => ['--socket-name', sock(), '--metrics-listen', '0.0.0.0:0'],
      'metrics_allow_from',
    ],
    [
      '--metrics-listen not HOST:PORT',
      async () => ['--socket-name', sock(), '--metrics-listen', '/tmp/metrics.sock'],
      'metrics_listen',
    ],
    ['--level unknown', async () => ['--socket-name', sock(), '--level', 'root'], 'level'],
    [
      '--rate-limit negative',
      async () => ['--socket-name', sock(), '--rate-limit=-1'],
      'rate_limit',
    ],
    [
      '--rate-limit not a number',
      async () => ['--socket-name', sock(), '--rate-limit', 'lots'],
      'rate_limit',
    ],
    [
      '--allow-from host bits',
      async () => ['--socket-name', sock(), '--allow-from', '10.0.0.1/8'],
      'allow_from',
    ],
    [
      '--allow-from not an address',
      async () => ['--socket-name', sock(), '--allow-from', 'lan'],
      'allow_from',
    ],
    [
      'sockets[1].allow_from bad block',
      async () => [
        '--config',
        await config('bad-cidr.json', {
          sockets: [
            { socket_name: sock() },
            { socket_name: 'udp:127.0.0.1:0', allow_from: ['300.1.1.1'] },
          ],
        }),
      ],
      'sockets[1].allow_from',
    ],
    [
      'sockets[1] non-loopback without allow_from',
      async () => [
        '--config',
        await config('open.json', {
          sockets: [{ socket_name: sock() }, { socket_name: 'udp:0.0.0.0:0', level: 'admin' }],
        }),
      ],
      'sockets[1].allow_from',
    ],
    [
      'sockets[0].allow_from on a UNIX socket',
      async () => [
        '--config',
        await config('unix-allow.json', {
          sockets: [{ socket_name: sock(), allow_from: '127.0.0.1' }],
        }),
      ],
      'sockets[0].allow_from',
    ],
    [
      'sockets[1].level unknown',
      async () => [
        '--config',
        await config('bad-level.json', {
          sockets: [{ socket_name: sock() }, { socket_name: sock('b.sock'), level: 'superuser' }],
        }),
      ],
      'sockets[1].level',
    ],
    [
      'sockets[0] unknown key',
      async () => [
        '--config',
        await config('typo.json', { sockets: [{ socket_name: sock(), levle: 'read' }] }),
      ],
      'sockets[0].levle',
    ],
    [
      'sockets[1].unix_socket_mode on UDP',
      async () => [
        '--config',
        await config('udp-mode.json', {
          sockets: [
            { socket_name: sock() },
            { socket_name: 'udp:127.0.0.1:0', unix_socket_mode: '0600' },
          ],
        }),
      ],
      'sockets[1].unix_socket_mode',
    ],
    [
      'socket_name and sockets together',
      async () => [
        '--config',
        await config('both.json', {
          socket_name: sock(),
          sockets: [{ socket_name: sock('b.sock') }],
        }),
      ],
      'sockets',
    ],
  ];

  it.each(cases)('%s', async (_label, args, parameter) => {
    const argv = await args();
    const before = (await readdir(dir)).sort();
    const run = runCli(argv, { cwd: dir });
    expect(await run.exited).toBe(2);
    const lines = run
      .stderr()
      .split('\n')
      .filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mi-datagram-server: /);
    expect(lines[0]).toContain(parameter);
    expect(run.stdout()).not.toContain('listening');
    expect(existsSync(sock())).toBe(false);
    expect(existsSync(sock('b.sock'))).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(before);
  });
});

describe('a UNIX socket (admin) and a UDP port (read) from one config file', () => {
  it('kill is refused over UDP (server keeps running), accepted over UNIX (exit 0)', async () => {
    const file = await config('two.json', {
      sockets: [
        { socket_name: sock('admin.sock'), unix_socket_mode: '0600' },
        { socket_name: 'udp:127.0.0.1:0', level: 'read', rate_limit: 100 },
      ],
    });
    const run = runCli(['--config', file], { cwd: dir });
    const [unixAddress, udpAddress] = (await waitListening(run)) as [string, string];
    expect(unixAddress).toBe(sock('admin.sock'));
    expect(udpAddress).toMatch(/^udp:127\.0\.0\.1:\d+$/);
    const udp = await clientFor(udpAddress, dir);
    const unix = await clientFor(unixAddress, dir);
    try {
      expect(text(await udp.request(':kill:\n'))).toBe('403 Permission denied\n');
      await new Promise((r) => setTimeout(r, 100));
      expect(run.child.exitCode).toBeNull();
      expect(text(await udp.request(':version:\n'))).toMatch(/^200 OK\nServer:: /);
      expect(text(await udp.request(':mi_stats:\n'))).toContain('\nRefused:: 1\n');
      expect(text(await unix.request(':kill:\n'))).toBe('200 OK\n\n');
      expect(await run.exited).toBe(0);
      expect(existsSync(sock('admin.sock'))).toBe(false);
    } finally {
      await udp.close();
      await unix.close();
    }
  });

  it('--help lists the access flags', async () => {
    const run = runCli(['--help']);
    expect(await run.exited).toBe(0);
    for (const flag of ['--level', '--allow-from', '--allow-any-source', '--rate-limit']) {
      expect(run.stdout()).toContain(flag);
    }
  });
});
