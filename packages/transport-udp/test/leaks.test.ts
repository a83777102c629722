import { describe, expect, it } from 'vitest';
import { bindUdpSocket, type UdpTransport } from '../src/index.js';
import { bindEchoServer, openDescriptors, openInbox, peerOf } from './helpers.js';

// Other things in the test process (timers, IPC) may open a descriptor or two
// meanwhile; a leak of one per socket would show as hundreds or thousands.
const SLACK = 8;

async function roundTrip(server: UdpTransport, byte: number): Promise<number> {
  const client = await openInbox({ host: server.host });
  try {
    client.transport.send(Uint8Array.of(byte), peerOf(server));
    return (await client.next()).data[0] ?? -1;
  } finally {
    await client.transport.close();
  }
}

describe('descriptor hygiene', () => {
  it('opens and closes 3000 reply sockets (IPv4 and IPv6) without leaking descriptors', async () => {
    const server4 = await bindEchoServer('127.0.0.1');
    const server6 = await bindEchoServer('::1');
    const before = openDescriptors();
    let answered = 0;
    for (let round = 0; round < 60; round++) {
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) => roundTrip(i % 2 === 0 ? server4 : server6, i)),
      );
      expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => i));
      answered += replies.length;
    }
    expect(answered).toBe(3000);
    expect(openDescriptors() - before).toBeLessThanOrEqual(SLACK);
    await server4.close();
    await server6.close();
  });

  it('releases the socket of every failed bind (500 x EADDRINUSE)', async () => {
    const taken = await bindUdpSocket('127.0.0.1', 0);
    const before = openDescriptors();
    for (let i = 0; i < 500; i++) {
      await expect(bindUdpSocket('127.0.0.1', taken.port)).rejects.toMatchObject({
        code: 'ADDRESS_IN_USE',
      });
    }
    expect(openDescriptors() - before).toBeLessThanOrEqual(SLACK);
    await taken.close();
  });

  it('releases bound-only transports (1000 binds and closes)', async () => {
    const before = openDescriptors();
    for (let i = 0; i < 100; i++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) => bindUdpSocket(j % 2 === 0 ? '127.0.0.1' : '::1', 0)),
      );
      await Promise.all(batch.map((transport) => transport.close()));
    }
    expect(openDescriptors() - before).toBeLessThanOrEqual(SLACK);
  });
});
