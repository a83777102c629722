/** Client sockets of the soak: one per slot, UNIX (bound reply socket) or UDP (127.0.0.1). */
import { createSocket, type Socket } from 'node:dgram';
import { openUdpReplySocket, type UdpTransport } from '@mi-datagram/transport-udp';
import { openUnixReplySocket, type UnixTransport } from '@mi-datagram/transport-unix';
import { MAX_SEND, type Transport } from './generate.js';

export interface ServerAddress {
  readonly unixPath: string;
  readonly udpPort: number;
}

export type SendResult = 'sent' | 'queued' | 'dropped';

export interface Channel {
  readonly transport: Transport;
  send(data: Uint8Array): SendResult;
  /** Replies the client transport gave up sending (its own queue, socket_timeout). */
  sendDrops(): number;
  close(): Promise<void>;
}

export async function openChannel(
  transport: Transport,
  server: ServerAddress,
  dir: string,
  onReply: (data: Uint8Array) => void,
): Promise<Channel> {
  if (transport === 'unix') {
    const socket: UnixTransport = await openUnixReplySocket({
      dir,
      onMessage: (data) => onReply(data.slice()),
      socketTimeout: 2000,
      maxDatagramSize: MAX_SEND.unix,
      sendBufferSize: 1 << 20,
      maxPendingPerPeer: 64,
    });
    return {
      transport,
      send: (data) => socket.send(data, server.unixPath),
      sendDrops: () => socket.stats().dropped,
      close: () => socket.close(),
    };
  }
  const socket: Socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  let failed = 0;
  socket.on('message', (data) => onReply(new Uint8Array(data)));
  socket.on('error', () => {
    failed++;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  let closed = false;
  return {
    transport,
    send(data) {
      if (closed) return 'dropped';
      socket.send(data, server.udpPort, '127.0.0.1', (error) => {
        if (error) failed++;
      });
      return 'sent';
    },
    sendDrops: () => failed,
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}

/** A client that sends but never reads: its queue fills, the server must drop after socket_timeout. */
export interface NonReader {
  send(data: Uint8Array): void;
  sent(): number;
  close(): Promise<void>;
}

export async function openNonReader(
  transport: Transport,
  server: ServerAddress,
  dir: string,
): Promise<NonReader> {
  let count = 0;
  if (transport === 'unix') {
    // No onMessage: the socket is never read.
    const socket = await openUnixReplySocket({ dir, socketTimeout: 200 });
    return {
      send(data) {
        if (socket.send(data, server.unixPath) !== 'dropped') count++;
      },
      sent: () => count,
      close: () => socket.close(),
    };
  }
  // No onMessage: transport-udp stops node:dgram's reading, the kernel queue fills.
  const socket: UdpTransport = await openUdpReplySocket({ host: '127.0.0.1', family: 4 }, {});
  const peer = { address: '127.0.0.1', port: server.udpPort, family: 'IPv4' as const };
  return {
    send(data) {
      if (socket.send(data, peer) !== 'dropped') count++;
    },
    sent: () => count,
    close: () => socket.close(),
  };
}
