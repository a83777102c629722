import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bindUnixSocket, openUnixReplySocket, type UnixTransport } from '../src/index.js';
import { openFds, tempDir, text, track, unixDatagramSockets, waitFor } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));

function runFixture(
  script: string,
  args: string[] = [],
): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'fixtures', script), ...args],
      {
        cwd: resolve(here, '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.once('exit', (code) => res({ code, out }));
  });
}

describe('lifecycle', () => {
  it('closes idempotently; a closed transport drops sends and refuses queries', async () => {
    const path = join(tempDir(), 'twice.sock');
    const t = await bindUnixSocket(path, { onMessage: () => undefined });
    expect(t.fd).toBeGreaterThan(2);
    const first = t.close();
    const second = t.close();
    expect(second).toBe(first);
    await Promise.all([first, second, t.close()]);
    expect(t.closed).toBe(true);
    expect(t.fd).toBe(-1);
    expect(existsSync(path)).toBe(false);
    expect(t.send(text('x'), path)).toBe('dropped');
    expect(() => t.bufferSizes()).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    t.ref();
    t.unref();
  });

  it('stops delivering the rest of a batch once onMessage closes the transport', async () => {
    const path = join(tempDir(), 'stop.sock');
    let count = 0;
    const server: UnixTransport = track(
      await bindUnixSocket(path, {
        onMessage() {
          count++;
          void server.close();
        },
      }),
    );
    const client = track(await openUnixReplySocket());
    for (let i = 0; i < 5; i++) client.send(text(String(i)), path);
    await waitFor(() => server.closed);
    await new Promise((r) => setTimeout(r, 50));
    expect(count).toBe(1);
  });

  it('opens and closes thousands of sockets without leaking descriptors', async () => {
    const dir = tempDir();
    // warm up lazily created things (addon, strategy probe) before counting
    await (await openUnixReplySocket({ dir, onMessage: () => undefined })).close();
    await (await bindUnixSocket(join(dir, 'warm.sock'))).close();
    // Our sockets are counted exactly; all descriptors with a margin, for the ones the runtime
    // (libuv, vitest's worker) may open meanwhile. A leak of one per cycle would be thousands.
    const FD_MARGIN = 8;
    const before = openFds();
    const socketsBefore = unixDatagramSockets();
    for (let i = 0; i < 1500; i++) {
      const t = await openUnixReplySocket({ dir, onMessage: () => undefined });
      await t.close();
    }
    for (let i = 0; i < 500; i++) {
      const t = await bindUnixSocket(join(dir, `s${i % 7}.sock`), { onMessage: () => undefined });
      await t.close();
    }
    for (let i = 0; i < 500; i++) {
      const t = await bindUnixSocket(`\0mi-leak-${process.pid}-${i}`, {
        onMessage: () => undefined,
      });
      await t.close();
    }
    // failure paths must not leak either
    const live = track(await bindUnixSocket(join(dir, 'live.sock')));
    for (let i = 0; i < 200; i++) {
      await bindUnixSocket(live.path!).catch(() => undefined);
      await bindUnixSocket(dir).catch(() => undefined);
    }
    expect(unixDatagramSockets()).toBe(socketsBefore + 1);
    expect(openFds() - before).toBeLessThanOrEqual(1 + FD_MARGIN);
    await live.close();
    expect(unixDatagramSockets()).toBe(socketsBefore);
    expect(openFds() - before).toBeLessThanOrEqual(FD_MARGIN);
  }, 60_000);

  it('applies receive and send buffer sizes', async () => {
    const t = track(
      await bindUnixSocket(join(tempDir(), 'buf.sock'), {
        receiveBufferSize: 1 << 20,
        sendBufferSize: 1 << 19,
      }),
    );
    const { receive, send } = t.bufferSizes();
    expect(receive).toBeGreaterThanOrEqual(1 << 20);
    expect(send).toBeGreaterThanOrEqual(1 << 19);
  });

  it('lets the process exit while an unref()ed socket is open', async () => {
    const { code, out } = await runFixture('unref.ts', [join(tempDir(), 'unref.sock')]);
    expect(code).toBe(0);
    expect(out).toContain('bound');
  });

  it('rethrows an onMessage exception as uncaught, after delivering the rest of the batch and sending its replies', async () => {
    const { code, out } = await runFixture('throwing-handler.ts', [join(tempDir(), 'throw.sock')]);
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toEqual([
      'uncaught: boom 0',
      'received 3',
      'replies 3',
      'still receiving',
    ]);
  });

  it('releases sockets of a worker thread that ends without close() (env cleanup hook)', async () => {
    const { Worker } = await import('node:worker_threads');
    const dir = tempDir();
    const before = unixDatagramSockets();
    for (let round = 0; round < 3; round++) {
      const path = join(dir, `w${round}.sock`);
      // The raw addon in a worker thread: bind, receive, never close().
      const worker = new Worker(
        `const { parentPort, workerData } = require('node:worker_threads');
         const m = require(${JSON.stringify(join(here, '..', 'build', 'Release', 'unix_dgram.node'))});
         const s = new m.UnixDatagramSocket();
         s.bind(workerData);
         s.poll((buf, n) => parentPort.postMessage('got ' + Buffer.from(buf, n * 8, new Int32Array(buf, 0, 1)[0]).toString()), 8, 65457);
         parentPort.postMessage('fd ' + s.fd());`,
        { eval: true, workerData: path },
      );
      const messages: string[] = [];
      worker.on('message', (m: string) => messages.push(m));
      await waitFor(() => messages.length === 1, 15_000, 'worker bound');
      const client = track(await openUnixReplySocket());
      client.send(text('hello'), path);
      await waitFor(() => messages.length === 2, 5000, 'worker received');
      expect(messages[1]).toBe('got hello');
      await worker.terminate();
      await client.close();
      // the worker's descriptor was closed by the cleanup hook (the file stays: no close())
      expect(existsSync(path)).toBe(true);
    }
    await waitFor(() => unixDatagramSockets() <= before, 15_000, 'sockets released');
    expect(unixDatagramSockets()).toBe(before);
  }, 60_000);
});
