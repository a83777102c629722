import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bindUnixSocket, openUnixReplySocket, type UnixTransport } from '../src/index.js';
import { recorder, staleSocket, str, tempDir, text, track, waitFor } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Sends to `peer` until the kernel refuses (the peer's queue is full), then `extra` more. */
function fill(
  server: UnixTransport,
  peer: string,
  extra: number,
): { sent: number; queued: number } {
  let sent = 0;
  let queued = 0;
  for (let i = 0; i < 200 && queued < extra; i++) {
    const r = server.send(text(`reply ${i}`), peer);
    if (r === 'sent') sent++;
    else if (r === 'queued') queued++;
    else throw new Error(`unexpected ${r}`);
  }
  return { sent, queued };
}

describe('replies to a full peer queue (EAGAIN) and socket_timeout', () => {
  it('retries, then drops after socketTimeout, while another client is served promptly', async () => {
    const path = join(tempDir(), 'srv.sock');
    const socketTimeout = 3000; // long enough that "served promptly" holds on a machine 5x slower than a loaded one
    const server: UnixTransport = track(
      await bindUnixSocket(path, {
        socketTimeout,
        onMessage(data, peer) {
          server.send(text(`re: ${str(data)}`), peer);
        },
      }),
    );
    // A client that never reads: its queue (net.unix.max_dgram_qlen) fills up.
    const stuck = track(await openUnixReplySocket());
    const start = performance.now();
    const { sent, queued } = fill(server, stuck.path!, 5);
    expect(sent).toBeGreaterThan(0);
    expect(queued).toBe(5);
    expect(server.stats().pending).toBe(5);

    // Meanwhile a second client is answered at once, not after the timeout.
    const got = recorder();
    const other = track(await openUnixReplySocket({ onMessage: got.onMessage }));
    other.send(text('ping'), path);
    await waitFor(() => got.messages.length === 1, socketTimeout, 'reply to the second client');
    expect(str(got.messages[0]!.data)).toBe('re: ping');
    expect(server.stats().pending).toBe(5);
    expect(performance.now() - start).toBeLessThan(socketTimeout);

    await waitFor(() => server.stats().pending === 0, 15_000, 'pending replies to be dropped');
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(socketTimeout - 5);
    expect(elapsed).toBeLessThan(socketTimeout + 6000);
    expect(server.stats()).toMatchObject({
      sent: sent + 1,
      retried: 5,
      dropped: 5,
      droppedTimeout: 5,
      pending: 0,
      pendingBytes: 0,
    });
  });

  it('delivers queued replies, in order, once the peer reads again', async () => {
    const path = join(tempDir(), 'srv.sock');
    const clientPath = join(tempDir(), 'client.sock');
    const server = track(await bindUnixSocket(path, { socketTimeout: 10_000 }));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'fixtures', 'stoppable-client.ts'), clientPath],
      { cwd: resolve(here, '..'), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines: string[] = [];
    child.stdout
      .setEncoding('utf8')
      .on('data', (c: string) => lines.push(...c.split('\n').filter(Boolean)));
    try {
      await waitFor(() => lines.includes('ready'), 15_000, 'client ready');
      child.kill('SIGSTOP');
      const { sent, queued } = fill(server, clientPath, 20);
      expect(queued).toBe(20);
      await new Promise((r) => setTimeout(r, 100));
      expect(server.stats().pending).toBe(20);
      child.kill('SIGCONT');
      const total = sent + queued;
      await waitFor(
        () => lines.at(-1)?.split(' ')[0] === String(total),
        10_000,
        'all replies delivered',
      );
      expect(lines.slice(1).map((l) => l.slice(l.indexOf(' ') + 1))).toEqual(
        Array.from({ length: total }, (_, i) => `reply ${i}`),
      );
      expect(server.stats()).toMatchObject({ sent: total, dropped: 0, pending: 0, retried: 20 });
    } finally {
      child.kill('SIGCONT');
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('bounds pending replies per peer, in count and in bytes', async () => {
    const server = track(
      await bindUnixSocket(join(tempDir(), 'srv.sock'), { maxPendingPerPeer: 3 }),
    );
    const stuck = track(await openUnixReplySocket());
    fill(server, stuck.path!, 3);
    expect(server.send(text('one more'), stuck.path!)).toBe('dropped');
    expect(server.stats()).toMatchObject({ pending: 3, droppedLimit: 1 });

    const small = track(
      await bindUnixSocket(join(tempDir(), 'small.sock'), {
        maxPendingBytes: 100,
        maxPendingReplies: 2,
      }),
    );
    const stuck2 = track(await openUnixReplySocket());
    fill(small, stuck2.path!, 1);
    expect(small.send(new Uint8Array(100), stuck2.path!)).toBe('dropped');
    expect(small.send(new Uint8Array(10), stuck2.path!)).toBe('queued');
    expect(small.send(new Uint8Array(1), stuck2.path!)).toBe('dropped');
    expect(small.stats()).toMatchObject({ pending: 2, droppedLimit: 2 });
  });

  it('drops replies to unreachable peers, reports each errno once, never throws', async () => {
    const dir = tempDir();
    const errors: Error[] = [];
    const server = track(
      await bindUnixSocket(join(dir, 'srv.sock'), { onError: (e) => errors.push(e) }),
    );
    const stale = join(dir, 'stale.sock');
    staleSocket(stale);
    expect(server.send(text('a'), join(dir, 'missing.sock'))).toBe('dropped');
    expect(server.send(text('b'), join(dir, 'missing.sock'))).toBe('dropped');
    expect(server.send(text('c'), stale)).toBe('dropped');
    expect(server.send(text('d'), `\0mi-nobody-here-${process.pid}`)).toBe('dropped');
    expect(server.stats()).toMatchObject({ dropped: 4, droppedUnreachable: 4, sent: 0 });
    expect(
      errors.map((e) => [(e as { code?: string }).code, (e as { errno?: string }).errno]),
    ).toEqual([
      ['PEER_UNREACHABLE', 'ENOENT'],
      ['PEER_UNREACHABLE', 'ECONNREFUSED'],
    ]);
  });

  it('drops pending replies on close and counts them', async () => {
    const server = await bindUnixSocket(join(tempDir(), 'srv.sock'));
    const stuck = track(await openUnixReplySocket());
    fill(server, stuck.path!, 4);
    await server.close();
    expect(server.stats()).toMatchObject({ pending: 0, droppedClosed: 4 });
    expect(server.send(text('late'), stuck.path!)).toBe('dropped');
    expect(server.stats().droppedClosed).toBe(5);
  });
});
