// Replies sent from onMessage while a receive batch of several datagrams is delivered go out
// together at its end (sendMany: one sendmmsg per run). These tests pin what must not change
// with that: every reply arrives, in order per peer, a full peer queue makes them wait, a gone
// peer is counted and reported, and the ownership check of replies to other users still holds.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bindUnixSocket,
  openUnixReplySocket,
  type UnixPeer,
  type UnixTransport,
  type UnixTransportError,
} from '../src/index.js';
import { loadNative, type NativeSocket } from '../src/native.js';
import { recorder, str, tempDir, text, track, waitFor } from './helpers.js';
import { isRoot, NOBODY, runAs, runUnprivileged } from './security-helpers.js';

/**
 * An echo server that notes, for each request, how many receive batches had ended before it
 * and how many replies had been sent.
 */
async function echoServer(options: { socketTimeout?: number } = {}) {
  const path = join(tempDir(), 'srv.sock');
  const errors: Error[] = [];
  const seenInBatch: number[] = [];
  const sentBefore: number[] = [];
  let batches = 0;
  let marked = false;
  const server: UnixTransport = track(
    await bindUnixSocket(path, {
      ...options,
      onError: (e) => errors.push(e),
      onMessage(data, peer) {
        // A microtask runs when the addon's call into JavaScript (one batch) returns.
        if (!marked) {
          marked = true;
          queueMicrotask(() => {
            marked = false;
            batches++;
          });
        }
        seenInBatch.push(batches);
        sentBefore.push(server.stats().sent);
        server.send(text(`re: ${str(data)}`), peer);
      },
    }),
  );
  return { path, server, errors, seenInBatch, sentBefore };
}

/** A raw client socket of the addon, bound at a fresh path, that reads only once told to. */
function rawClient(): { socket: NativeSocket; path: string; got: string[]; read(): void } {
  const socket = new (loadNative().UnixDatagramSocket)();
  const path = join(tempDir(), 'c.sock');
  socket.bind(path);
  const got: string[] = [];
  return {
    socket,
    path,
    got,
    read() {
      socket.poll(
        (buffer, count) => {
          if (buffer === null) return;
          const meta = new Int32Array(buffer, 0, count * 2);
          let offset = count * 8;
          for (let i = 0; i < count; i++) {
            const length = meta[2 * i] ?? 0;
            got.push(str(new Uint8Array(buffer, offset, length)));
            offset += length;
          }
        },
        32,
        65536,
        false,
      );
    },
  };
}

describe('replies to a receive batch', () => {
  it('answers every request of a batch, each peer in order', async () => {
    const { path, server, seenInBatch, sentBefore } = await echoServer();
    const clients = [recorder(), recorder(), recorder()];
    const sockets = await Promise.all(
      clients.map(async (c) => track(await openUnixReplySocket({ onMessage: c.onMessage }))),
    );
    // Sent in one tick: the server finds all nine waiting and receives them in one batch.
    for (let i = 0; i < 3; i++) {
      for (const [n, s] of sockets.entries()) s.send(text(`${n}.${i}`), path);
    }
    await waitFor(() => clients.every((c) => c.messages.length === 3), 10_000, 'replies');
    // One batch, and no reply went out before the last request had been handled.
    expect(seenInBatch).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(sentBefore).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    clients.forEach((c, n) => {
      expect(c.messages.map((m) => str(m.data))).toEqual([
        `re: ${n}.0`,
        `re: ${n}.1`,
        `re: ${n}.2`,
      ]);
    });
    expect(server.stats()).toMatchObject({ received: 9, sent: 9, dropped: 0, pending: 0 });
  });

  it('queues a held reply that meets a full queue, and the later ones to that peer behind it', async () => {
    const { path, server } = await echoServer({ socketTimeout: 20_000 });
    const slow = rawClient();
    try {
      // The slow client does not read: ten replies fill its queue (net.unix.max_dgram_qlen).
      for (let i = 0; i < 10; i++) slow.socket.send(text(`${i}`), path);
      await waitFor(() => server.stats().received === 10, 10_000, 'first requests');
      // Six more in one batch with a request of another client: that one is answered at once
      // while the slow client's replies wait.
      const other = recorder();
      const fast = track(await openUnixReplySocket({ onMessage: other.onMessage }));
      for (let i = 10; i < 16; i++) slow.socket.send(text(`${i}`), path);
      fast.send(text('fast'), path);
      await waitFor(() => server.stats().received === 17, 10_000, 'second requests');
      await waitFor(() => other.messages.length === 1, 10_000, 'the other reply');
      expect(str(other.messages[0]!.data)).toBe('re: fast');
      const waiting = server.stats();
      expect(waiting.pending).toBeGreaterThan(0);
      expect(waiting.retried).toBeGreaterThan(0);
      expect(waiting.dropped).toBe(0);
      slow.read();
      await waitFor(() => slow.got.length === 16, 20_000, 'all replies to the slow client');
      expect(slow.got).toEqual(Array.from({ length: 16 }, (_, i) => `re: ${i}`));
      expect(server.stats()).toMatchObject({ sent: 17, dropped: 0, pending: 0 });
    } finally {
      slow.socket.close();
    }
  });

  it('counts and reports a held reply to a peer that has gone', async () => {
    const { path, server, errors } = await echoServer();
    const gone = rawClient();
    const other = recorder();
    const alive = track(await openUnixReplySocket({ onMessage: other.onMessage }));
    gone.socket.send(text('a'), path);
    gone.socket.send(text('b'), path);
    alive.send(text('c'), path);
    gone.socket.close(); // its file stays: replies to it meet ECONNREFUSED
    await waitFor(() => other.messages.length === 1, 10_000, 'the live reply');
    await waitFor(() => server.stats().dropped === 2, 10_000, 'the drops');
    expect(server.stats()).toMatchObject({ sent: 1, droppedUnreachable: 2, pending: 0 });
    expect(errors.map((e) => (e as UnixTransportError).errno)).toEqual(['ECONNREFUSED']);
  });

  it('keeps the order of replies to an earlier sender of the batch', async () => {
    const path = join(tempDir(), 'srv.sock');
    const first = recorder();
    const a = track(await openUnixReplySocket({ onMessage: first.onMessage }));
    const server: UnixTransport = track(
      await bindUnixSocket(path, {
        onMessage(data, peer) {
          server.send(text(`re: ${str(data)}`), peer);
          // While the second request is handled: one more to the first sender, after its reply.
          if (str(data) === 'b') server.send(text('more for a'), a.path!);
        },
      }),
    );
    const second = recorder();
    const b = track(await openUnixReplySocket({ onMessage: second.onMessage }));
    a.send(text('a'), path);
    b.send(text('b'), path);
    await waitFor(() => first.messages.length === 2 && second.messages.length === 1, 10_000);
    expect(first.messages.map((m) => str(m.data))).toEqual(['re: a', 'more for a']);
    expect(server.stats()).toMatchObject({ sent: 3, dropped: 0 });
  });

  it('sends at once, or throws, what is not a reply to the current sender', async () => {
    const path = join(tempDir(), 'srv.sock');
    const other = recorder();
    const bystander = track(await openUnixReplySocket({ onMessage: other.onMessage }));
    const outcomes: string[] = [];
    const server: UnixTransport = track(
      await bindUnixSocket(path, {
        onMessage(data, peer) {
          // To a peer that did not send this datagram: out before the batch ends.
          server.send(text(`to bystander: ${str(data)}`), bystander.path!);
          outcomes.push(String(server.stats().sent));
          try {
            server.send(text('x'), `/${'x'.repeat(200)}`);
          } catch (e) {
            outcomes.push((e as UnixTransportError).code);
          }
          server.send(text(`re: ${str(data)}`), peer);
        },
      }),
    );
    const mine = recorder();
    const client = track(await openUnixReplySocket({ onMessage: mine.onMessage }));
    client.send(text('a'), path);
    client.send(text('b'), path);
    await waitFor(() => mine.messages.length === 2 && other.messages.length === 2, 10_000);
    // sent counts 1 after the first bystander send, 2 after the second: neither was held
    expect(outcomes).toEqual(['1', 'INVALID_ARGUMENT', '2', 'INVALID_ARGUMENT']);
    expect(mine.messages.map((m) => str(m.data))).toEqual(['re: a', 're: b']);
    expect(server.stats()).toMatchObject({ sent: 4, dropped: 0 });
  });
});

describe('sendMany', () => {
  it('ends a run before a peer that is not a socket address, and throws for it alone', () => {
    const socket = new (loadNative().UnixDatagramSocket)();
    const target = rawClient();
    try {
      const bad = `/${'x'.repeat(200)}`;
      const datas = [text('1'), text('2'), text('3')];
      const peers = [target.path, bad, target.path];
      const uids = [-1, -1, -1];
      expect(socket.sendMany(datas, peers, uids, 0, 3)).toBe(1);
      expect(() => socket.sendMany(datas, peers, uids, 1, 2)).toThrow(TypeError);
      expect(socket.sendMany(datas, peers, uids, 2, 1)).toBe(1);
    } finally {
      socket.close();
      target.socket.close();
    }
  });

  it('sends a run of trusted requesters at once and checks another uid alone', () => {
    // As an unprivileged user (nobody when run as root), so that uid 12345 is not trusted.
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const [out, got] = runUnprivileged<[number[], number]>(
      `let got = 0;
       t.poll((b, n) => { got += n; }, 32, 65536, false);
       const s = new m.UnixDatagramSocket();
       const x = Buffer.from('x');
       const peers = Array(6).fill(target);
       const uids = [me, -1, 12345, me, 0, 12345];
       const datas = Array(6).fill(x);
       const out = [s.sendMany(datas, peers, uids, 0, 6), s.sendMany(datas, peers, uids, 2, 4),
                    s.sendMany(datas, peers, uids, 3, 3), s.sendMany(datas, peers, uids, 5, 1)];
       setTimeout(() => { done([out, got]); t.close(); s.close(); }, 200);`,
      dir,
    );
    expect(out).toEqual([2, -13, 2, -13]);
    expect(got).toBe(4);
  });

  it.runIf(isRoot)(
    'a batched reply does not follow a symlink swapped in for a root-only socket',
    async () => {
      const victim = recorder();
      const target = track(
        await bindUnixSocket(join(tempDir(), 'root.sock'), {
          mode: 0o600,
          onMessage: victim.onMessage,
        }),
      );
      const serverDir = tempDir();
      chmodSync(serverDir, 0o755);
      const attackerDir = tempDir();
      chmodSync(attackerDir, 0o777);
      const errors: Error[] = [];
      const peers: UnixPeer[] = [];
      // Replies sent so far, at each request: all 0 when the three came in one batch.
      const sentBefore: number[] = [];
      const server = track(
        await bindUnixSocket(join(serverDir, 'mi.sock'), {
          mode: 0o666,
          onError: (e) => errors.push(e),
          onMessage(data, peer) {
            peers.push(peer);
            sentBefore.push(server.stats().sent);
            server.send(text(`re: ${str(data)}`), peer);
          },
        }),
      );
      const mine = recorder();
      const client = track(await openUnixReplySocket({ onMessage: mine.onMessage }));
      client.send(text('mine'), server.path!);
      // While this process waits (its loop cannot run), nobody sends two requests and swaps
      // its socket for a symlink to the root-only socket: the server receives all three in
      // one batch and its replies go out together.
      const r = runAs(
        `const fs = require('node:fs'); const [mine, server, target] = args;
         const s = new m.UnixDatagramSocket(); s.bind(mine);
         console.log(s.send(Buffer.from('one'), server), s.send(Buffer.from('two'), server));
         fs.unlinkSync(mine); fs.symlinkSync(target, mine); s.close();`,
        [join(attackerDir, 'a.sock'), server.path!, target.path!],
        NOBODY,
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('3 3');
      await waitFor(() => server.stats().received === 3, 10_000, 'requests');
      await waitFor(() => mine.messages.length === 1, 10_000, 'the reply to our client');
      await new Promise((res) => setTimeout(res, 100));
      expect(peers).toHaveLength(3);
      expect(sentBefore).toEqual([0, 0, 0]);
      expect(victim.messages.map((m) => str(m.data))).toEqual([]);
      expect(server.stats()).toMatchObject({ sent: 1, droppedUnreachable: 2 });
      expect(errors.map((e) => (e as UnixTransportError).errno)).toEqual(['EACCES']);
    },
    60_000,
  );
});
