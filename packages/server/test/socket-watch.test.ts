/**
 * The socket file removed (or replaced) from under a running server
 * (socket-watch.ts): re-created in-process, reported loudly with workers.
 */
import { lstatSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@mi-datagram/test-helpers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, type RunningServer, startServer } from '../src/index.js';
import { watchSocketFiles } from '../src/ops/index.js';
import { text, udpClient, udpTarget, unixClient } from './helpers/raw.js';
import { killAll, runCli, waitListening } from './helpers/spawn.js';

const dirs: TempDir[] = [];
const servers: RunningServer[] = [];

function tempDir(): string {
  const dir = makeTempDir('mi-watch-');
  dirs.push(dir);
  return dir.path;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 0 })));
  await killAll();
  for (const d of dirs.splice(0)) d.remove();
});

function until<T>(probe: () => T | null | undefined, timeoutMs = 4000): Promise<T> {
  return vi.waitFor(
    () => {
      const value = probe();
      if (value === null || value === undefined) throw new Error('condition not met in time');
      return value;
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

function ino(path: string): bigint | null {
  try {
    return lstatSync(path, { bigint: true }).ino;
  } catch {
    return null;
  }
}

async function inProcess(
  dir: string,
): Promise<{ server: RunningServer; path: string; logs: string[] }> {
  const logs: string[] = [];
  const path = join(dir, 's.sock');
  const server = await startServer({
    socket_name: path,
    logger: createLogger({ level: 2, write: (line) => logs.push(line) }),
  });
  servers.push(server);
  return { server, path, logs };
}

describe('socket file watch, children_count 1 (in-process)', () => {
  it('re-creates a removed socket file and keeps answering on it', async () => {
    const dir = tempDir();
    const { server, path, logs } = await inProcess(dir);
    const before = ino(path);
    unlinkSync(path);
    const after = await until(() => {
      const i = ino(path);
      return i !== null && i !== before ? i : null;
    });
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(after).not.toBe(before);
    const client = await unixClient(path, dir);
    expect(text(await client.request(':version:\n'))).toMatch(/^200 OK\nServer:: /);
    await client.close();
    expect(logs.join('\n')).toMatch(
      /socket file removed while the server is running: re-creating it/,
    );
    expect(logs.join('\n')).toMatch(/socket file re-created/);
    await server.close();
    expect(ino(path)).toBeNull(); // the re-created file is removed at shutdown too
  });

  it('never touches a file somebody else put at the path, and reports it', async () => {
    const dir = tempDir();
    const { server, path, logs } = await inProcess(dir);
    unlinkSync(path);
    writeFileSync(path, 'not yours');
    await until(() => logs.find((l) => l.includes('socket file replaced by another file')));
    await server.close();
    expect(readFileSync(path, 'utf8')).toBe('not yours');
  });

  it('reports nothing when the server removes its own file at shutdown', async () => {
    const dir = tempDir();
    const { server, logs } = await inProcess(dir);
    await server.close();
    await new Promise((r) => setTimeout(r, 1300));
    expect(logs.filter((l) => l.includes('socket file'))).toEqual([]);
  });

  it('reports (once, then every remindMs) when it cannot re-create', async () => {
    const dir = tempDir();
    const path = join(dir, 'plain');
    writeFileSync(path, '');
    const logs: string[] = [];
    const watch = watchSocketFiles([{ path }], {
      logger: createLogger({ write: (l) => logs.push(l) }),
      intervalMs: 1_000_000,
      remindMs: 1_000_000,
    });
    await watch.check();
    expect(logs).toEqual([]);
    unlinkSync(path);
    await watch.check();
    await watch.check();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/"level":"error".*socket file removed while the server is running/);
    expect(watch.states().get(path)).toBe('missing');
    watch.stop();
  });
});

describe('socket file watch, children_count 2 (workers)', () => {
  it('reports the removal loudly on stderr and keeps serving its other sockets', async () => {
    const dir = tempDir();
    const path = join(dir, 'p.sock');
    const run = runCli([
      '--socket-name',
      path,
      '--socket-name',
      'udp:127.0.0.1:0',
      '--children-count',
      '2',
    ]);
    const addresses = await waitListening(run, 15_000);
    const udp = udpTarget(addresses.find((a) => a.startsWith('udp:')) as string);
    unlinkSync(path);
    await until(() =>
      /socket file removed while the server is running/.test(run.stderr()) ? true : null,
    );
    expect(run.stderr()).toMatch(/"level":"error"/);
    const client = await udpClient(udp.host, udp.port);
    expect(text(await client.request(':version:\n'))).toMatch(/^200 OK\n/);
    await client.close();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
