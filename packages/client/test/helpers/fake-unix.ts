/** A fake MI server on a real UNIX datagram socket (bound with @mi-datagram/transport-unix). */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bindUnixSocket, type UnixPeer, type UnixTransport } from '@mi-datagram/transport-unix';

export type UnixAnswer = (request: Buffer, peer: UnixPeer, server: UnixTransport) => void;

export interface FakeUnixServer {
  readonly path: string;
  readonly transport: UnixTransport;
  readonly received: Array<{ readonly data: Buffer; readonly peer: UnixPeer }>;
  answer: UnixAnswer;
  close(): Promise<void>;
}

export async function fakeUnixServer(
  dir: string,
  answer: UnixAnswer,
  name = 'server.sock',
): Promise<FakeUnixServer> {
  const path = join(dir, name);
  const received: FakeUnixServer['received'] = [];
  let current = answer;
  const transport = await bindUnixSocket(path, {
    mode: 0o666,
    onMessage(data, peer) {
      const copy = Buffer.from(data);
      received.push({ data: copy, peer });
      current(copy, peer, transport);
    },
  });
  return {
    path,
    transport,
    received,
    get answer() {
      return current;
    },
    set answer(next: UnixAnswer) {
      current = next;
    },
    close: () => transport.close(),
  };
}

export function answerWith(server: UnixTransport, peer: UnixPeer, text: string | Uint8Array): void {
  if (peer === null) throw new Error('request from an unbound socket');
  server.send(typeof text === 'string' ? Buffer.from(text) : text, peer);
}

interface AnonymousSocket {
  send(data: Uint8Array, path: string): number;
  close(): void;
}

/**
 * An unbound UNIX datagram socket, as OpenSIPS answers from (PROTOCOL.md 1): its datagrams carry
 * no sender address. Made with the transport's addon directly (no public API makes one).
 */
export function anonymousSocket(): AnonymousSocket {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@mi-datagram/transport-unix');
  const addon = require(join(dirname(entry), '../build/Release/unix_dgram.node')) as {
    UnixDatagramSocket: new () => AnonymousSocket;
  };
  return new addon.UnixDatagramSocket();
}
