import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  adoptUnixSocket,
  bindUnixSocket,
  openUnixReplySocket,
  UnixTransportError,
} from '../src/index.js';
import { recorder, str, tempDir, text, track, waitFor } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const packageDir = resolve(here, '..');

function startChild(
  script: string,
  args: string[],
  fd?: number,
): { child: ChildProcess; lines: string[] } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'fixtures', script), ...args],
    {
      cwd: packageDir,
      stdio: fd === undefined ? ['pipe', 'pipe', 'inherit'] : ['pipe', 'pipe', 'inherit', fd],
    },
  );
  const lines: string[] = [];
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  return { child, lines };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((res) => {
    if (child.exitCode !== null) return res(child.exitCode);
    child.once('exit', (code) => res(code));
    child.stdin?.end();
  });
}

describe('adopting an inherited descriptor', () => {
  it('lets two child processes receive from one socket bound by the parent', async () => {
    const path = join(tempDir(), 'pool.sock');
    // The primary binds only (no onMessage): it never reads.
    const primary = track(await bindUnixSocket(path));
    const workers = [
      startChild('adopt-child.ts', ['40'], primary.fd),
      startChild('adopt-child.ts', ['40'], primary.fd),
    ];
    try {
      await waitFor(
        () => workers.every((w) => w.lines.includes(`ready ${path}`)),
        15_000,
        'workers ready',
      );
      const got = recorder();
      const client = track(await openUnixReplySocket({ onMessage: got.onMessage }));
      // Each worker answers one request and then stops reading: the second request can only
      // be received by the other worker, so both must have received from the shared socket.
      for (let i = 0; i < 2; i++) {
        expect(client.send(text(`req${i}`), path)).toBe('sent');
        await waitFor(() => got.messages.length === i + 1, 10_000, `reply ${i}`);
      }
      const pids = got.messages.map((m) => str(m.data).split(':')[0]);
      expect(new Set(pids)).toEqual(new Set(workers.map((w) => String(w.child.pid))));
      expect(got.messages.map((m) => str(m.data).split(':')[1])).toEqual(['req0', 'req1']);
      // replies come from the primary's path, and the workers report it as their address
      expect(got.messages.every((m) => m.peer === path)).toBe(true);
      expect(workers.every((w) => w.lines[0] === `ready ${path}`)).toBe(true);
    } finally {
      expect(await Promise.all(workers.map((w) => stop(w.child)))).toEqual([0, 0]);
    }
    // Workers closing their descriptors never removed the primary's socket file.
    expect(lstatSync(path).isSocket()).toBe(true);
    await primary.close();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses descriptors that are not AF_UNIX datagram sockets', async () => {
    const file = join(tempDir(), 'plain');
    const fd = openSync(file, 'w');
    try {
      expect(() => adoptUnixSocket(fd)).toThrow(
        expect.objectContaining({ code: 'NOT_DATAGRAM_SOCKET' }),
      );
    } finally {
      closeSync(fd);
    }
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(join(tempDir(), 'stream.sock'), r));
    const handle = (server as unknown as { _handle: { fd: number } })._handle;
    try {
      const err = (() => {
        try {
          adoptUnixSocket(handle.fd);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(UnixTransportError);
      expect((err as UnixTransportError).code).toBe('NOT_DATAGRAM_SOCKET');
    } finally {
      await new Promise((r) => server.close(r));
    }
    // a descriptor number that is not open
    expect(() => adoptUnixSocket(999_999)).toThrow(
      expect.objectContaining({ code: 'NOT_DATAGRAM_SOCKET' }),
    );
  });
});
