/** A fake MI server on a real UNIX datagram socket (bound with @mi-datagram/transport-unix). */
import { join } from 'node:path';
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
