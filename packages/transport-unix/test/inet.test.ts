import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNative, type NativeSocket } from '../src/native.js';
import { waitFor } from './helpers.js';

// The addon's UDP side (used by @mi-datagram/transport-udp): a duplicate of a
// node:dgram socket's descriptor, read in batches and written with sendInet /
// sendInetMany. The descriptor comes from the libuv handle, as transport-udp
// takes it.
const binding = loadNative();
const sockets: Socket[] = [];
const natives: NativeSocket[] = [];
afterEach(() => {
  for (const n of natives.splice(0)) n.close();
  for (const s of sockets.splice(0)) s.close();
});

function descriptorOf(socket: Socket): number {
  const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = (socket as unknown as Record<symbol, { handle: { fd: number } }>)[symbol as symbol];
  return state?.handle.fd ?? -1;
}

async function udp(host: string): Promise<Socket> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, host, resolve));
  return s;
}

describe('UDP descriptors', () => {
  it('adopts a UDP descriptor only as a duplicate, and closing it keeps the original', async () => {
    const s = await udp('127.0.0.1');
    const fd = descriptorOf(s);
    expect(() => new binding.UnixDatagramSocket(fd)).toThrow(
      expect.objectContaining({ code: 'NOT_DATAGRAM_SOCKET' }),
    );
    const dup = new binding.UnixDatagramSocket(fd, true);
    expect(dup.fd()).not.toBe(fd);
    dup.close();
    // the dgram socket still works after the duplicate is gone
    const peer = await udp('127.0.0.1');
    const got = new Promise<Buffer>((resolve) => peer.once('message', resolve));
    s.send('still open', peer.address().port, '127.0.0.1');
    expect((await got).toString()).toBe('still open');
  });

  for (const host of ['127.0.0.1', '::1']) {
    it(`receives with "<port> <address>" senders and sends one and many (${host})`, async () => {
      const s = await udp(host);
      const dup = new binding.UnixDatagramSocket(descriptorOf(s), true);
      natives.push(dup);
      const client = await udp(host);
      const senders: Array<string | null | undefined> = [];
      dup.poll(
        (buffer, count, peers) => {
          if (buffer === null) return;
          for (let i = 0; i < count; i++) {
            senders.push(count === 1 ? (peers as string) : (peers as string[])[i]);
          }
        },
        32,
        65536,
        false,
      );
      // node:dgram must not read: stop its handle as transport-udp does
      const symbol = Object.getOwnPropertySymbols(s).find((x) => x.description === 'state symbol');
      (s as unknown as Record<symbol, { handle: { recvStop(): void } }>)[
        symbol as symbol
      ]?.handle.recvStop();
      client.send('a', s.address().port, host);
      await waitFor(() => senders.length === 1);
      expect(senders[0]).toBe(`${client.address().port} ${host}`);

      const replies: string[] = [];
      client.on('message', (m) => replies.push(m.toString()));
      const port = client.address().port;
      expect(dup.sendInet(Buffer.from('one'), host, port)).toBe(3);
      expect(dup.sendInet(Buffer.from('x'), 'not-an-ip', port)).toBe(-22);
      expect(dup.sendInet(Buffer.from('x'), host === '::1' ? '127.0.0.1' : '::1', port)).toBe(-22);
      const datas = ['two', 'three', 'four'].map((t) => Buffer.from(t));
      expect(dup.sendInetMany(datas, [host, host, host], [port, port, port], 3)).toBe(3);
      // a bad address ends the batch before it; one first: -EINVAL
      expect(dup.sendInetMany(datas, [host, 'bad', host], [port, port, port], 3)).toBe(1);
      expect(dup.sendInetMany(datas, ['bad'], [port], 1)).toBe(-22);
      await waitFor(() => replies.length === 5);
      expect(replies).toEqual(['one', 'two', 'three', 'four', 'two']);
    });
  }
});
