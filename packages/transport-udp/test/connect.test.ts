import { afterEach, describe, expect, it } from 'vitest';
import { type UdpTransport, UdpTransportError } from '../src/index.js';
import { bindInbox, openInbox, peerOf, waitFor } from './helpers.js';

const open: UdpTransport[] = [];
function track<T extends { transport: UdpTransport }>(item: T): T {
  open.push(item.transport);
  return item;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

describe.each(['127.0.0.1', '::1'])('connect() on %s', (host) => {
  it('sends to the connected peer, and datagrams from anyone else stay out', async () => {
    const server = track(await bindInbox(host));
    const client = track(await openInbox({ host }));
    const stranger = track(await openInbox({ host }));
    await client.transport.connect(peerOf(server.transport));
    expect(client.transport.connectedPeer).toEqual({
      address: server.transport.host,
      port: server.transport.port,
    });
    expect(client.transport.send(text('hello'), peerOf(server.transport))).toBe('sent');
    const request = await server.next();
    expect(str(request.data)).toBe('hello');
    expect(request.peer.port).toBe(client.transport.port);

    // The stranger first, then the server: only the server's datagram reaches the client.
    stranger.transport.send(text('intrusion'), peerOf(client.transport));
    server.transport.send(text('reply'), request.peer);
    expect(str((await client.next()).data)).toBe('reply');
    await expect(client.next(200)).rejects.toThrow();
    await waitFor(() => client.transport.stats().sent === 1, 2000, 'send completion');
    expect(client.transport.stats()).toMatchObject({ sent: 1, dropped: 0, received: 1 });
  });

  it('sends made while connect() is in progress go out in order once it ends', async () => {
    const server = track(await bindInbox(host));
    const errors: Error[] = [];
    const client = track(await openInbox({ host }, { onError: (e) => errors.push(e) }));
    const connected = client.transport.connect(peerOf(server.transport));
    for (let i = 0; i < 5; i++) {
      expect(client.transport.send(text(`early ${i}`), peerOf(server.transport))).toBe('sent');
    }
    await connected;
    client.transport.send(text('late'), peerOf(server.transport));
    const got: string[] = [];
    for (let i = 0; i < 6; i++) got.push(str((await server.next()).data));
    expect(got).toEqual(['early 0', 'early 1', 'early 2', 'early 3', 'early 4', 'late']);
    await waitFor(() => client.transport.stats().sent === 6, 2000, 'send completions');
    expect(errors).toEqual([]);
    expect(client.transport.stats()).toMatchObject({ sent: 6, dropped: 0, outstanding: 0 });
  });

  it('a send to another peer ends the association and goes out by address', async () => {
    const first = track(await bindInbox(host));
    const second = track(await bindInbox(host));
    const client = track(await openInbox({ host }));
    await client.transport.connect(peerOf(first.transport));
    expect(client.transport.send(text('to the second'), peerOf(second.transport))).toBe('sent');
    expect(str((await second.next()).data)).toBe('to the second');
    expect(client.transport.connectedPeer).toBeUndefined();
    expect(client.transport.send(text('to the first'), peerOf(first.transport))).toBe('sent');
    expect(str((await first.next()).data)).toBe('to the first');
  });

  it('reports a peer that stopped listening (ICMP port unreachable) as ECONNREFUSED', async () => {
    const server = track(await bindInbox(host));
    const peer = peerOf(server.transport);
    const errors: UdpTransportError[] = [];
    const client = track(
      await openInbox({ host }, { onError: (e) => errors.push(e as UdpTransportError) }),
    );
    await client.transport.connect(peer);
    await server.transport.close();
    client.transport.send(text('anyone?'), peer);
    await waitFor(() => errors.length > 0, 2000, 'the refusal');
    expect(errors[0]).toMatchObject({ code: 'SOCKET_ERROR', systemCode: 'ECONNREFUSED' });
    // Still usable afterwards.
    const again = track(await bindInbox(host));
    client.transport.disconnect();
    expect(client.transport.send(text('hello'), peerOf(again.transport))).toBe('sent');
    expect(str((await again.next()).data)).toBe('hello');
  });

  it('refuses bad peers, a closed transport and a second connect in progress', async () => {
    const server = track(await bindInbox(host));
    const client = track(await openInbox({ host }));
    const wrongFamily = host === '::1' ? '127.0.0.1' : '::1';
    for (const bad of [
      null,
      { address: host, port: 0 },
      { address: host, port: 70000 },
      { address: 'localhost', port: 9 },
      { address: wrongFamily, port: 9 },
    ]) {
      await expect(client.transport.connect(bad as never)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
    const first = client.transport.connect(peerOf(server.transport));
    await expect(client.transport.connect(peerOf(server.transport))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await first;
    // The same peer again: nothing to do.
    await expect(client.transport.connect(peerOf(server.transport))).resolves.toBeUndefined();
    await client.transport.close();
    const err = await client.transport.connect(peerOf(server.transport)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UdpTransportError);
    expect(err).toMatchObject({ code: 'CLOSED' });
  });

  it('close() while connecting rejects the connect and drops the sends that waited for it', async () => {
    const server = track(await bindInbox(host));
    const client = track(await openInbox({ host }));
    const connecting = client.transport.connect(peerOf(server.transport));
    client.transport.send(text('never'), peerOf(server.transport));
    const closed = client.transport.close();
    await expect(connecting).rejects.toMatchObject({ code: 'CLOSED' });
    await closed;
    expect(client.transport.stats()).toMatchObject({ sent: 0, dropped: 1, droppedClosed: 1 });
    await expect(server.next(200)).rejects.toThrow();
  });
});
