import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bindUnixSocket,
  MAX_DATAGRAM_SIZE,
  openUnixReplySocket,
  type UnixTransport,
} from '../src/index.js';
import {
  pattern,
  recorder,
  same,
  sendFromUnbound,
  str,
  tempDir,
  text,
  track,
  waitFor,
} from './helpers.js';

async function echoServer(
  path: string,
  extra: { maxDatagramSize?: number } = {},
): Promise<UnixTransport> {
  const server: UnixTransport = track(
    await bindUnixSocket(path, {
      ...extra,
      onMessage(data, peer) {
        server.send(data, peer);
      },
    }),
  );
  return server;
}

describe('round trip', () => {
  it('delivers a request and its reply, with the sender addresses', async () => {
    const path = join(tempDir(), 'mi.sock');
    const seen = recorder();
    const server = track(
      await bindUnixSocket(path, {
        onMessage(data, peer, info) {
          seen.onMessage(data, peer, info);
          expect(server.send(text(`re: ${str(data)}`), peer)).toBe('sent');
        },
      }),
    );
    const got = recorder();
    const client = track(await openUnixReplySocket({ onMessage: got.onMessage }));
    expect(client.send(text(':uptime:\n'), path)).toBe('sent');
    await waitFor(() => got.messages.length === 1);
    expect(str(got.messages[0]!.data)).toBe('re: :uptime:\n');
    expect(got.messages[0]!.peer).toBe(path);
    expect(got.messages[0]!.truncated).toBe(false);
    expect(seen.messages[0]!.peer).toBe(client.path);
    expect(server.address).toBe(path);
    expect(server.stats()).toMatchObject({ received: 1, sent: 1, dropped: 0, truncated: 0 });
  });

  it('carries 65457-byte datagrams whole in both directions', async () => {
    const path = join(tempDir(), 'big.sock');
    const seen = recorder();
    const server: UnixTransport = track(
      await bindUnixSocket(path, {
        onMessage(data, peer, info) {
          seen.onMessage(data, peer, info);
          server.send(pattern(MAX_DATAGRAM_SIZE, 7), peer);
        },
      }),
    );
    const got = recorder();
    const client = track(await openUnixReplySocket({ onMessage: got.onMessage }));
    expect(client.send(pattern(MAX_DATAGRAM_SIZE, 3), path)).toBe('sent');
    await waitFor(() => got.messages.length === 1);
    expect(seen.messages[0]!.truncated).toBe(false);
    expect(same(seen.messages[0]!.data, pattern(MAX_DATAGRAM_SIZE, 3))).toBe(true);
    expect(got.messages[0]!.truncated).toBe(false);
    expect(same(got.messages[0]!.data, pattern(MAX_DATAGRAM_SIZE, 7))).toBe(true);
  });

  it('reports a datagram over the limit as truncated, never as whole', async () => {
    const path = join(tempDir(), 'trunc.sock');
    const seen = recorder();
    const server = track(await bindUnixSocket(path, { onMessage: seen.onMessage }));
    const client = track(await openUnixReplySocket({ maxDatagramSize: 200_000 }));
    for (const size of [MAX_DATAGRAM_SIZE + 1, 65_536, 65_537, 100_000]) {
      expect(client.send(pattern(size), path)).toBe('sent');
    }
    await waitFor(() => seen.messages.length === 4);
    for (const m of seen.messages) {
      expect(m.truncated).toBe(true);
      // cut at the limit: only the first 65457 bytes, never more
      expect(same(m.data, pattern(MAX_DATAGRAM_SIZE))).toBe(true);
      expect(m.peer).toBe(client.path);
    }
    expect(server.stats()).toMatchObject({ truncated: 4, received: 4 });
  });

  it('refuses to send more than maxDatagramSize bytes', async () => {
    const client = track(await openUnixReplySocket());
    expect(() => client.send(new Uint8Array(MAX_DATAGRAM_SIZE + 1), '/nonexistent')).toThrow(
      expect.objectContaining({ code: 'DATAGRAM_TOO_LARGE' }),
    );
  });

  it('delivers a burst in order, many per wakeup', async () => {
    const path = join(tempDir(), 'burst.sock');
    const seen = recorder();
    track(await bindUnixSocket(path, { onMessage: seen.onMessage, receiveBufferSize: 1 << 20 }));
    const client = track(await openUnixReplySocket({ sendBufferSize: 1 << 20 }));
    // More than net.unix.max_dgram_qlen at once: the rest is queued and retried, in order.
    for (let i = 0; i < 60; i++) client.send(text(String(i)), path);
    await waitFor(
      () => client.stats().pending === 0 && seen.messages.length === client.stats().sent,
    );
    expect(client.stats().dropped).toBe(0);
    const delivered = seen.messages.map((m) => Number(str(m.data)));
    expect(delivered.length).toBe(60);
    expect(delivered.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...delivered].sort((x, y) => x - y)).toEqual(delivered);
  });

  it('delivers empty datagrams', async () => {
    const path = join(tempDir(), 'empty.sock');
    const seen = recorder();
    track(await bindUnixSocket(path, { onMessage: seen.onMessage }));
    const client = track(await openUnixReplySocket());
    expect(client.send(new Uint8Array(0), path)).toBe('sent');
    await waitFor(() => seen.messages.length === 1);
    expect(seen.messages[0]!.data.length).toBe(0);
  });

  it('works with Linux abstract names (exact length, no file)', async () => {
    const name = `\0mi-datagram-test-${process.pid}-${Date.now()}`;
    await echoServer(name);
    const replyName = `\0mi-datagram-reply-${process.pid}-${Date.now()}`;
    const got = recorder();
    const client = track(await bindUnixSocket(replyName, { onMessage: got.onMessage }));
    expect(client.path).toBe(replyName);
    expect(client.address).toBe(`@${replyName.slice(1)}`);
    expect(client.send(text('abstract'), name)).toBe('sent');
    await waitFor(() => got.messages.length === 1);
    expect(str(got.messages[0]!.data)).toBe('abstract');
    expect(got.messages[0]!.peer).toBe(name);
    // The same name with a trailing byte is a different address.
    expect(client.send(text('x'), `${name}\0`)).toBe('dropped');
  });

  it('cannot answer an unbound sender: peer is null, the reply is dropped and counted', async () => {
    const path = join(tempDir(), 'anon.sock');
    const errors: Error[] = [];
    const seen = recorder();
    const server = track(
      await bindUnixSocket(path, {
        onError: (e) => errors.push(e),
        onMessage(data, peer, info) {
          seen.onMessage(data, peer, info);
          expect(server.send(data, peer)).toBe('dropped');
        },
      }),
    );
    const r = sendFromUnbound(path, 'anon');
    expect(r.status).toBe(0);
    await waitFor(() => seen.messages.length === 1);
    expect(seen.messages[0]!.peer).toBeNull();
    expect(server.stats()).toMatchObject({ dropped: 1, droppedUnanswerable: 1 });
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['PEER_UNREACHABLE']);
  });
});
