/**
 * The client fast paths: zeroCopy receive (views of the addon's arena), receiveBatchSize 1 (one
 * datagram per wakeup), the sender passed once per run of datagrams from one peer, and connect().
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bindUnixSocket,
  openUnixReplySocket,
  type UnixPeer,
  type UnixTransport,
  UnixTransportError,
} from '../src/index.js';
import { loadNative } from '../src/native.js';
import { pattern, same, str, tempDir, text, track, waitFor } from './helpers.js';

interface Seen {
  readonly data: Uint8Array;
  readonly peer: UnixPeer;
  readonly truncated: boolean;
  /** The ArrayBuffer the view was given on (to tell in-place views from copies). */
  readonly buffer: ArrayBufferLike;
  /** Event-loop turns counted by a setImmediate chain when the datagram arrived. */
  readonly turn: number;
}

let turns = 0;
let ticking = false;
function tick(): void {
  turns++;
  if (ticking) setImmediate(tick);
}
afterEach(() => {
  ticking = false;
});

async function sink(
  path: string,
  options: { zeroCopy?: boolean; receiveBatchSize?: number; maxDatagramSize?: number } = {},
): Promise<{ readonly server: UnixTransport; readonly seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = track(
    await bindUnixSocket(path, {
      ...options,
      onMessage(data, peer, info) {
        seen.push({
          data: data.slice(),
          peer,
          truncated: info.truncated,
          buffer: data.buffer,
          turn: turns,
        });
      },
    }),
  );
  return { server, seen };
}

describe('zeroCopy', () => {
  it('hands views of one reused buffer, each datagram whole and in order', async () => {
    const path = join(tempDir(), 'zc.sock');
    const { seen } = await sink(path, { zeroCopy: true });
    const client = track(await openUnixReplySocket());
    const sizes = [0, 1, 10, 4096, 65_457, 300, 65_000, 7];
    // Sent in one turn: the server reads them in one wakeup (several per recvmmsg).
    sizes.forEach((size, i) => {
      expect(client.send(pattern(size, i), path)).toBe('sent');
    });
    await waitFor(() => seen.length === sizes.length);
    sizes.forEach((size, i) => {
      expect(seen[i]!.data.length).toBe(size);
      expect(same(seen[i]!.data, pattern(size, i))).toBe(true);
      expect(seen[i]!.truncated).toBe(false);
      expect(seen[i]!.peer).toBe(client.path);
    });
    // In place: every view is of the same buffer (the arena), not a fresh copy per batch.
    expect(new Set(seen.map((s) => s.buffer)).size).toBe(1);
    expect(seen[0]!.buffer.byteLength).toBeGreaterThan(64 * 65_536);
  });

  it('copies when not asked (a fresh buffer per batch, kept valid)', async () => {
    const path = join(tempDir(), 'copy.sock');
    const { seen } = await sink(path);
    const client = track(await openUnixReplySocket());
    client.send(text('one'), path);
    await waitFor(() => seen.length === 1);
    client.send(text('two'), path);
    await waitFor(() => seen.length === 2);
    expect(seen[0]!.buffer).not.toBe(seen[1]!.buffer);
    expect(seen[0]!.buffer.byteLength).toBeLessThan(64);
  });

  it('flags a datagram over maxDatagramSize as truncated, in place too', async () => {
    const path = join(tempDir(), 'trunc.sock');
    const { seen } = await sink(path, { zeroCopy: true, maxDatagramSize: 100 });
    const client = track(await openUnixReplySocket());
    client.send(pattern(101, 1), path);
    client.send(pattern(100, 2), path);
    await waitFor(() => seen.length === 2);
    expect(seen[0]!.truncated).toBe(true);
    expect(same(seen[0]!.data, pattern(101, 1).subarray(0, 100))).toBe(true);
    expect(seen[1]!.truncated).toBe(false);
    expect(same(seen[1]!.data, pattern(100, 2))).toBe(true);
  });

  it('survives a handler that detaches the buffer (transfers it away)', async () => {
    const path = join(tempDir(), 'detach.sock');
    const got: string[] = [];
    let detached = 0;
    track(
      await bindUnixSocket(path, {
        zeroCopy: true,
        onMessage(data) {
          got.push(str(data));
          if (got.length % 2 === 1) {
            // Moves the arena's memory out of this buffer: the addon must not write to it again.
            structuredClone(data.buffer, { transfer: [data.buffer as ArrayBuffer] });
            detached++;
          }
        },
      }),
    );
    const client = track(await openUnixReplySocket());
    for (let i = 0; i < 6; i++) {
      client.send(text(`datagram ${i}`), path);
      await waitFor(() => got.length === i + 1);
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5].map((i) => `datagram ${i}`));
    expect(detached).toBe(3);
  });
});

describe('senders', () => {
  for (const zeroCopy of [false, true]) {
    it(`names the right sender for runs of datagrams from several peers (zeroCopy ${zeroCopy})`, async () => {
      const path = join(tempDir(), 'peers.sock');
      const { seen } = await sink(path, { zeroCopy });
      const a = track(await openUnixReplySocket());
      const b = track(await openUnixReplySocket());
      const anonymous = new (loadNative().UnixDatagramSocket)();
      try {
        // One turn, so one batch: a a b anonymous anonymous a b b.
        const order: Array<[UnixTransport | null, string]> = [
          [a, 'a1'],
          [a, 'a2'],
          [b, 'b1'],
          [null, 'n1'],
          [null, 'n2'],
          [a, 'a3'],
          [b, 'b2'],
          [b, 'b3'],
        ];
        for (const [from, payload] of order) {
          if (from === null) expect(anonymous.send(text(payload), path)).toBeGreaterThan(0);
          else expect(from.send(text(payload), path)).toBe('sent');
        }
        await waitFor(() => seen.length === order.length);
        // Then one more from a, in a later batch of its own: the sender of the batch before was b.
        a.send(text('a4'), path);
        await waitFor(() => seen.length === order.length + 1);
        const expected = [...order.map(([from]) => from?.path ?? null), a.path];
        expect(seen.map((s) => s.peer)).toEqual(expected);
        expect(seen.map((s) => str(s.data))).toEqual([...order.map(([, p]) => p), 'a4']);
      } finally {
        anonymous.close();
      }
    });
  }
});

describe('receiveBatchSize 1', () => {
  it('delivers one datagram per event-loop turn, none lost', async () => {
    const path = join(tempDir(), 'one.sock');
    const { seen } = await sink(path, { receiveBatchSize: 1, zeroCopy: true });
    const client = track(await openUnixReplySocket());
    for (let i = 0; i < 8; i++) client.send(text(`m${i}`), path);
    ticking = true;
    tick();
    await waitFor(() => seen.length === 8);
    expect(seen.map((s) => str(s.data))).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `m${i}`));
    for (let i = 1; i < 8; i++) expect(seen[i]!.turn).toBeGreaterThan(seen[i - 1]!.turn);
  });

  it('while the default batch takes a queue in one turn', async () => {
    const path = join(tempDir(), 'many.sock');
    const { seen } = await sink(path);
    const client = track(await openUnixReplySocket());
    for (let i = 0; i < 8; i++) client.send(text(`m${i}`), path);
    ticking = true;
    tick();
    await waitFor(() => seen.length === 8);
    expect(new Set(seen.map((s) => s.turn)).size).toBe(1);
  });
});

describe('connect()', () => {
  it('sends to the connected peer, and the kernel keeps every other sender out', async () => {
    const path = join(tempDir(), 'srv.sock');
    const { seen } = await sink(path);
    const replies: string[] = [];
    const client = track(
      await openUnixReplySocket({
        onMessage(data) {
          replies.push(str(data));
        },
      }),
    );
    client.connect(path);
    expect(client.connectedPeer).toBe(path);
    expect(client.send(text('hello'), path)).toBe('sent');
    await waitFor(() => seen.length === 1);
    expect(seen[0]!.peer).toBe(client.path);

    const errors: Error[] = [];
    const stranger = track(await openUnixReplySocket({ onError: (e) => errors.push(e) }));
    expect(stranger.send(text('intrusion'), client.path!)).toBe('dropped');
    expect(errors[0]).toMatchObject({ code: 'PEER_UNREACHABLE', errno: 'EPERM' });

    client.disconnect();
    expect(client.connectedPeer).toBeUndefined();
    expect(stranger.send(text('welcome'), client.path!)).toBe('sent');
    await waitFor(() => replies.length === 1);
    expect(replies).toEqual(['welcome']);
  });

  it('falls back to the address when the peer is replaced at the same path', async () => {
    const path = join(tempDir(), 'restart.sock');
    const first = await sink(path);
    const client = track(await openUnixReplySocket());
    client.connect(path);
    client.send(text('to the first'), path);
    await waitFor(() => first.seen.length === 1);
    await first.server.close();
    const second = await sink(path);
    expect(client.send(text('to the second'), path)).toBe('sent');
    await waitFor(() => second.seen.length === 1);
    expect(str(second.seen[0]!.data)).toBe('to the second');
    expect(client.connectedPeer).toBeUndefined();
    expect(client.stats()).toMatchObject({ sent: 2, dropped: 0 });
  });

  it('reports a peer that is gone like an unconnected send does', async () => {
    const path = join(tempDir(), 'gone.sock');
    const { server } = await sink(path);
    const errors: Error[] = [];
    const client = track(await openUnixReplySocket({ onError: (e) => errors.push(e) }));
    client.connect(path);
    await server.close();
    expect(client.send(text('anyone?'), path)).toBe('dropped');
    expect(errors[0]).toMatchObject({ code: 'PEER_UNREACHABLE', errno: 'ENOENT' });
    expect(client.connectedPeer).toBeUndefined();
  });

  it('throws typed errors', async () => {
    const dir = tempDir();
    const client = track(await openUnixReplySocket());
    const err = (() => {
      try {
        client.connect(join(dir, 'nobody.sock'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UnixTransportError);
    expect(err).toMatchObject({ code: 'SYSCALL', errno: 'ENOENT' });
    expect(client.connectedPeer).toBeUndefined();
    for (const bad of ['', 42, null]) {
      expect(() => client.connect(bad as string)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    await client.close();
    expect(() => client.connect(join(dir, 'x.sock'))).toThrow(
      expect.objectContaining({ code: 'CLOSED' }),
    );
    expect(() => client.disconnect()).not.toThrow();
  });
});

describe('the addon', () => {
  it('poll() refuses an inPlace flag that is not a boolean', () => {
    const socket = new (loadNative().UnixDatagramSocket)();
    try {
      expect(() => socket.poll(() => undefined, 1, 100, 'yes' as unknown as boolean)).toThrow(
        TypeError,
      );
    } finally {
      socket.close();
    }
  });
});
