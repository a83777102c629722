/** A fake MI server on a real UDP socket (127.0.0.1 or ::1), answering as each test decides. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export type Answer = (request: Buffer, from: RemoteInfo, socket: Socket) => void;

export interface FakeUdpServer {
  readonly target: string;
  readonly port: number;
  /** Every request received, in order, with its sender. */
  readonly received: Array<{ readonly data: Buffer; readonly from: RemoteInfo }>;
  answer: Answer;
  close(): Promise<void>;
}

export async function fakeUdpServer(
  answer: Answer,
  host = '127.0.0.1',
  port = 0,
): Promise<FakeUdpServer> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => resolve());
  });
  const bound = socket.address().port;
  const server: FakeUdpServer = {
    target: host.includes(':') ? `udp:[${host}]:${bound}` : `udp:${host}:${bound}`,
    port: bound,
    received: [],
    answer,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (data, from) => {
    server.received.push({ data, from });
    server.answer(data, from, socket);
  });
  return server;
}

export function reply(socket: Socket, to: RemoteInfo, text: string | Uint8Array): void {
  socket.send(typeof text === 'string' ? Buffer.from(text) : text, to.port, to.address);
}
