// The native path holds replies for one sendmmsg only when a receive batch
// brought several requests; the reply to a lone request is sent at once.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { NativeUdp } from '../src/native-io.js';
import { stopReceiving } from '../src/stop-receiving.js';
import { waitFor } from './helpers.js';

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

const expectNative = process.platform === 'linux';

describe.runIf(expectNative)('replies of a receive batch', () => {
  it('sends the reply to a lone request at once and holds those of a burst for one sendmmsg', async () => {
    const server = await bound();
    // node:dgram must not read the datagrams itself: the native reader takes them.
    expect(stopReceiving(server)).toBe(true);
    const io = NativeUdp.open(server, 'IPv4');
    expect(io).toBeDefined();
    if (io === undefined) return;
    const held: boolean[] = [];
    const flushes: number[] = [];
    io.receive(
      (data, rinfo) => {
        // What the transport does with a reply: hold it for the batch's sendmmsg, else send now.
        const kept = io.hold(data, rinfo.address, rinfo.port);
        held.push(kept);
        if (!kept) expect(io.send(data, rinfo.address, rinfo.port)).toBe(data.length);
      },
      (error) => {
        throw error;
      },
      (sent) => flushes.push(sent),
    );
    const client = await bound();
    const replies: string[] = [];
    client.on('message', (m) => replies.push(m.toString()));
    const { port } = server.address();

    client.send('lone', port, '127.0.0.1');
    await waitFor(() => replies.length === 1);
    expect(held).toEqual([false]);
    expect(flushes).toEqual([]);

    // Sent in one synchronous run: all of them wait in the socket for one recvmmsg.
    const burst = ['b1', 'b2', 'b3', 'b4', 'b5'];
    for (const text of burst) client.send(text, port, '127.0.0.1');
    await waitFor(() => replies.length === 1 + burst.length);
    expect(held.slice(1)).toEqual(burst.map(() => true));
    expect(flushes).toEqual([burst.length]);
    expect(replies.slice(1).sort()).toEqual(burst);
    io.close();
  });
});
