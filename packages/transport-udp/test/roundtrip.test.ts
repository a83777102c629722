import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bindUdpSocket,
  resolveUdpPeer,
  type UdpTransport,
  type UdpTransportError,
} from '../src/index.js';
import { bindEchoServer, bindInbox, openInbox, pattern, peerOf, waitFor } from './helpers.js';

const MAX = 65457;
const open: Array<UdpTransport | Socket> = [];

function track<T extends UdpTransport | Socket>(item: T): T {
  open.push(item);
  return item;
}

afterEach(async () => {
  for (const item of open.splice(0)) {
    if ('address' in item && typeof item.address === 'string') await (item as UdpTransport).close();
    else (item as Socket).close();
  }
});

describe.each([
  { label: 'IPv4 literal', host: '127.0.0.1', family: 'IPv4', printable: /^udp:127\.0\.0\.1:\d+$/ },
  { label: 'IPv6 literal', host: '::1', family: 'IPv6', printable: /^udp:\[::1\]:\d+$/ },
  { label: 'IPv6 in brackets', host: '[::1]', family: 'IPv6', printable: /^udp:\[::1\]:\d+$/ },
] as const)('round trip, $label', ({ host, family, printable }) => {
  it('binds an ephemeral port, echoes a request and reports the peer', async () => {
    const server = track(
      await bindEchoServer(host, (data) => Uint8Array.from([...data].reverse())),
    );
    expect(server.port).toBeGreaterThan(0);
    expect(server.family).toBe(family);
    expect(server.address).toMatch(printable);
    expect(server.address.endsWith(`:${server.port}`)).toBe(true);

    const client = await openInbox({ host });
    track(client.transport);
    expect(client.transport.family).toBe(family);
    expect(client.transport.port).not.toBe(server.port);

    const outcome = client.transport.send(Uint8Array.of(1, 2, 3), peerOf(server));
    expect(outcome).toBe('sent');
    const reply = await client.next();
    expect([...reply.data]).toEqual([3, 2, 1]);
    expect(reply.truncated).toBe(false);
    expect(reply.peer.port).toBe(server.port);
    expect(reply.peer.family).toBe(family);
    expect(reply.peer.address).toBe(server.host);

    await waitFor(() => server.stats().sent === 1, 2000, 'server send completion');
    expect(server.stats()).toMatchObject({ received: 1, sent: 1, dropped: 0, outstanding: 0 });
    await waitFor(() => client.transport.stats().sent === 1, 2000, 'client send completion');
    expect(client.transport.stats()).toMatchObject({ received: 1, sent: 1, dropped: 0 });
  });

  it(`carries ${MAX}-byte datagrams both ways`, async () => {
    const server = track(await bindEchoServer(host));
    const client = await openInbox({ host });
    track(client.transport);
    const request = pattern(MAX, 7);
    expect(client.transport.send(request, peerOf(server))).toBe('sent');
    const reply = await client.next();
    expect(reply.data.length).toBe(MAX);
    expect(Buffer.from(reply.data).equals(Buffer.from(request))).toBe(true);
    await waitFor(() => server.stats().sent === 1, 2000, 'server send completion');
    expect(server.stats().dropped).toBe(0);
  });

  it('does not send a datagram over 65457 bytes: dropped, counted and reported', async () => {
    const errors: UdpTransportError[] = [];
    const server = await bindInbox(host);
    track(server.transport);
    const client = await openInbox({ host }, { onError: (error) => errors.push(error) });
    track(client.transport);
    expect(client.transport.send(new Uint8Array(MAX + 1), peerOf(server.transport))).toBe(
      'dropped',
    );
    expect(client.transport.stats()).toMatchObject({ dropped: 1, droppedTooLarge: 1, sent: 0 });
    expect(errors.map((error) => error.code)).toEqual(['DATAGRAM_TOO_LARGE']);
    // Nothing went out: the next datagram the server sees is the small one.
    client.transport.send(Uint8Array.of(9), peerOf(server.transport));
    expect([...(await server.next()).data]).toEqual([9]);
  });
});

describe('larger datagrams', () => {
  it.each([
    { host: '127.0.0.1', type: 'udp4', size: 65507 },
    { host: '::1', type: 'udp6', size: 65527 },
  ] as const)(
    'delivers a $size-byte datagram ($type) whole, with its real length, so it can be refused',
    async ({ host, type, size }) => {
      const server = await bindInbox(host);
      track(server.transport);
      const raw = track(createSocket(type));
      const payload = pattern(size, 3);
      await new Promise<void>((resolve, reject) =>
        raw.send(payload, server.transport.port, server.transport.host, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      const received = await server.next();
      expect(received.data.length).toBe(size);
      expect(received.truncated).toBe(false);
      expect(Buffer.from(received.data).equals(Buffer.from(payload))).toBe(true);
      expect(server.transport.stats()).toMatchObject({ received: 1, truncated: 0 });
    },
  );
});

describe('host names', () => {
  it('binds and answers on localhost, in the family the name resolves to', async () => {
    const server = track(await bindEchoServer('localhost'));
    expect(['IPv4', 'IPv6']).toContain(server.family);
    expect(['127.0.0.1', '::1']).toContain(server.host);
    const client = await openInbox({ host: 'localhost' });
    track(client.transport);
    expect(client.transport.family).toBe(server.family);
    const peer = await resolveUdpPeer('localhost', server.port);
    expect(peer).toEqual({ address: server.host, port: server.port, family: server.family });
    expect(client.transport.send(Uint8Array.of(42), peer)).toBe('sent');
    expect([...(await client.next()).data]).toEqual([42]);
  });

  it('binds the reply socket on the loopback address of the requested family', async () => {
    const v4 = track((await openInbox({ host: '127.0.0.1' })).transport);
    const v6 = track((await openInbox({ host: '::1' })).transport);
    const named = track((await openInbox({ host: 'localhost', family: 4 })).transport);
    expect(v4.host).toBe('127.0.0.1');
    expect(v6.host).toBe('::1');
    expect(named.host).toBe('127.0.0.1');
  });

  it('refuses a peer of the other family with a typed error', async () => {
    const server = track(await bindUdpSocket('::1', 0, { onMessage: () => {} }));
    expect(() =>
      server.send(Uint8Array.of(1), { address: '127.0.0.1', port: 9, family: 'IPv4' }),
    ).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(server.family).toBe('IPv6');
    expect(server.stats().dropped).toBe(0);
  });
});
