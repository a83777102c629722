/**
 * systemd integration of the CLI: Type=notify (READY=1 once listening, STOPPING=1 at shutdown)
 * with a bound UNIX datagram socket standing in for systemd's $NOTIFY_SOCKET (a path and an
 * abstract @name), and the log formats.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindUnixSocket, type UnixTransport } from '@mi-datagram/transport-unix';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { notifySocketPath } from '../src/ops/index.js';
import { killAll, runCli, waitListening } from './helpers/spawn.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-systemd-'));
});
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A socket standing in for systemd: it keeps every datagram it receives. */
async function fakeSystemd(path: string): Promise<{ socket: UnixTransport; got: string[] }> {
  const got: string[] = [];
  const socket = await bindUnixSocket(path, {
    onMessage(data) {
      got.push(Buffer.from(data).toString('utf8'));
    },
  });
  return { socket, got };
}

describe('systemd Type=notify', () => {
  it('$NOTIFY_SOCKET: a path or @abstract; anything else is not used', () => {
    expect(notifySocketPath('/run/systemd/notify')).toBe('/run/systemd/notify');
    expect(notifySocketPath('@x/notify')).toBe('\0x/notify');
    expect(notifySocketPath('vsock:2:1')).toBeUndefined();
    expect(notifySocketPath('')).toBeUndefined();
    expect(notifySocketPath(undefined)).toBeUndefined();
  });

  it.each([
    ['a socket path', () => join(dir, 'notify.sock'), (p: string) => p],
    [
      'an abstract name',
      () => `\0mi-datagram-test-${process.pid}-${Date.now()}`,
      (p: string) => `@${p.slice(1)}`,
    ],
  ])('READY=1 once listening, STOPPING=1 on SIGTERM (%s)', async (_kind, makePath, asEnv) => {
    const path = makePath();
    const systemd = await fakeSystemd(path);
    try {
      const server = runCli(['--socket-name', join(dir, `mi-${Date.now()}.sock`)], {
        env: { NOTIFY_SOCKET: asEnv(path) },
      });
      const addresses = await waitListening(server);
      await vi.waitFor(() => expect(systemd.got).toHaveLength(1), { timeout: 15_000 });
      expect(systemd.got[0]).toBe(`READY=1\nSTATUS=listening on ${addresses.join(' ')}`);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(systemd.got).toEqual([expect.stringMatching(/^READY=1\n/), 'STOPPING=1']);
    } finally {
      await systemd.socket.close();
    }
  });

  it('without $NOTIFY_SOCKET nothing is sent and nothing fails', async () => {
    const server = runCli(['--socket-name', join(dir, 'plain.sock')], {
      env: { NOTIFY_SOCKET: '' },
    });
    await waitListening(server);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).not.toContain('notify');
  });

  it('a $NOTIFY_SOCKET nobody listens on: a warning, the server runs on', async () => {
    const server = runCli(['--socket-name', join(dir, 'warn.sock')], {
      env: { NOTIFY_SOCKET: join(dir, 'nobody.sock') },
    });
    await waitListening(server);
    await vi.waitFor(() => expect(server.stderr()).toContain('could not notify systemd'), {
      timeout: 15_000,
    });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

describe('--log-format', () => {
  const firstLogLine = async (args: string[], env: Record<string, string> = {}) => {
    const server = runCli(
      ['--socket-name', join(dir, `log-${Date.now()}.sock`), '--log-level', '3', ...args],
      { env },
    );
    await waitListening(server);
    await vi.waitFor(() => expect(server.stderr()).toContain('\n'), { timeout: 15_000 });
    server.child.kill('SIGTERM');
    await server.exited;
    return server.stderr().split('\n')[0] ?? '';
  };

  it('JSON lines when stderr is not a terminal (the default here)', async () => {
    const line = await firstLogLine([]);
    expect(JSON.parse(line)).toMatchObject({ level: 'info', msg: expect.any(String) });
  });

  it('text with --log-format text, or with $MI_DATAGRAM_LOG_FORMAT', async () => {
    for (const [args, env] of [
      [['--log-format', 'text'], {}],
      [[], { MI_DATAGRAM_LOG_FORMAT: 'text' }],
    ] as const) {
      const line = await firstLogLine([...args], env);
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO \S.* pid=\d+/);
      expect(() => JSON.parse(line)).toThrow();
    }
    // The flag wins over the environment.
    const json = await firstLogLine(['--log-format=json'], { MI_DATAGRAM_LOG_FORMAT: 'text' });
    expect(JSON.parse(json)).toMatchObject({ level: 'info' });
  });

  it('anything else is a configuration error (exit 2, one line)', async () => {
    const server = runCli(['--log-format', 'xml']);
    expect(await server.exited).toBe(2);
    expect(server.stderr()).toBe(
      'mi-datagram-server: invalid --log-format "xml": expected text or json\n',
    );
  });
});
