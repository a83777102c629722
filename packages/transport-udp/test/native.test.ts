import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { bindUdpSocket, openUdpReplySocket, type UdpTransport } from '../src/index.js';
import { bindEchoServer, bindInbox, pattern, peerOf, waitFor } from './helpers.js';

// Which path a transport takes: the addon's (default on Linux, where the addon
// of @mi-datagram/transport-unix is built or prebuilt) or node:dgram (the
// `native: false` option or MI_DATAGRAM_UDP_NATIVE=0, which the 'dgram'
// vitest project sets for every test of this package).
const forcedOff = process.env.MI_DATAGRAM_UDP_NATIVE === '0';
const expectNative = process.platform === 'linux' && !forcedOff;

const open: UdpTransport[] = [];
const raw: Socket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  for (const s of raw.splice(0)) s.close();
});
function keep<T extends UdpTransport>(t: T): T {
  open.push(t);
  return t;
}

/** A plain node:dgram client socket bound on `host`. */
async function client(host: string): Promise<Socket> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  raw.push(s);
  await new Promise<void>((resolve) => s.bind(0, host, resolve));
  return s;
}

describe('receive/send path', () => {
  it('takes the native path unless it is switched off', async () => {
    const on = keep((await bindInbox('127.0.0.1')).transport);
    expect(on.nativeIo).toBe(expectNative);
    const off = keep((await bindInbox('127.0.0.1', 0, { native: false })).transport);
    expect(off.nativeIo).toBe(false);
    // a transport that does not receive never reads, natively or not
    const quiet = keep(await bindUdpSocket('127.0.0.1', 0));
    expect(quiet.nativeIo).toBe(false);
  });

  it('rejects a native option that is not a boolean', async () => {
    await expect(
      bindUdpSocket('127.0.0.1', 0, { native: 'yes' as unknown as boolean }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  for (const [host, family] of [
    ['127.0.0.1', 'IPv4'],
    ['::1', 'IPv6'],
  ] as const) {
    it(`delivers a burst from two senders with the right peers and bytes (${family})`, async () => {
      const inbox = await bindInbox(host);
      keep(inbox.transport);
      const a = await client(host);
      const b = await client(host);
      const count = 150;
      for (let i = 0; i < count; i++) {
        const from = i % 3 === 0 ? b : a;
        from.send(pattern(10 + (i % 40), i), inbox.transport.port, host);
      }
      const seen = new Map<number, number>();
      for (let i = 0; i < count; i++) {
        const got = await inbox.next();
        expect(got.peer.address).toBe(host);
        expect(got.peer.family).toBe(family);
        expect(got.truncated).toBe(false);
        expect([a.address().port, b.address().port]).toContain(got.peer.port);
        // the seed is the first byte: check the sender and length it implies
        const seed = got.data[0] ?? -1;
        const sender = seed % 3 === 0 ? b : a;
        expect(got.peer.port).toBe(sender.address().port);
        expect(Array.from(got.data)).toEqual(Array.from(pattern(10 + (seed % 40), seed)));
        seen.set(got.peer.port, (seen.get(got.peer.port) ?? 0) + 1);
      }
      expect(seen.get(b.address().port)).toBe(50);
      expect(seen.get(a.address().port)).toBe(100);
      expect(inbox.transport.stats().received).toBe(count);
    });

    it(`answers each request and counts the replies sent (${family})`, async () => {
      const server = keep(await bindEchoServer(host, (d) => Uint8Array.from(d).reverse()));
      const c = await client(host);
      const replies: Buffer[] = [];
      c.on('message', (m) => replies.push(m));
      for (let i = 0; i < 40; i++) c.send(Uint8Array.of(i, 1, 2), server.port, host);
      await waitFor(() => replies.length === 40);
      expect(replies.map((r) => r[2]).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(
        Array.from({ length: 40 }, (_, i) => i),
      );
      expect(server.stats()).toMatchObject({ sent: 40, outstanding: 0, dropped: 0 });
    });
  }

  it('sends to a connected peer and receives its reply', async () => {
    const server = keep(await bindEchoServer('127.0.0.1'));
    const replies: Uint8Array[] = [];
    const c = keep(
      await openUdpReplySocket({ host: '127.0.0.1' }, { onMessage: (d) => replies.push(d) }),
    );
    await c.connect(peerOf(server));
    expect(c.send(Uint8Array.of(7, 8, 9), peerOf(server))).toBe('sent');
    await waitFor(() => replies.length === 1);
    expect(Array.from(replies[0] ?? [])).toEqual([7, 8, 9]);
    expect(c.nativeIo).toBe(expectNative);
  });

  it('stops receiving at close: a later datagram reaches nobody', async () => {
    const inbox = await bindInbox('127.0.0.1');
    const port = inbox.transport.port;
    const s = await client('127.0.0.1');
    s.send('one', port, '127.0.0.1');
    expect((await inbox.next()).data.length).toBe(3);
    await inbox.transport.close();
    expect(inbox.transport.nativeIo).toBe(expectNative);
    s.send('two', port, '127.0.0.1');
    await expect(inbox.next(200)).rejects.toThrow(/no datagram/);
  });
});
