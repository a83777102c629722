export { openFds as openDescriptors, waitFor } from '@mi-datagram/test-helpers';

import {
  bindUdpSocket,
  openUdpReplySocket,
  type UdpPeer,
  type UdpTransport,
  type UdpTransportOptions,
} from '../src/index.js';

export interface Received {
  readonly data: Uint8Array;
  readonly peer: UdpPeer;
  readonly truncated: boolean;
}

/** A transport whose received datagrams can be awaited one by one. */
export interface Inbox {
  readonly transport: UdpTransport;
  next(timeoutMs?: number): Promise<Received>;
}

function inboxOptions(
  extra: UdpTransportOptions,
  onReceived: (received: Received) => void,
): UdpTransportOptions {
  return {
    ...extra,
    onMessage: (data, peer, info) => onReceived({ data, peer, truncated: info.truncated }),
  };
}

function makeInbox(): {
  push: (r: Received) => void;
  next: (timeoutMs?: number) => Promise<Received>;
} {
  const queue: Received[] = [];
  const waiters: Array<(r: Received) => void> = [];
  return {
    push(received) {
      const waiter = waiters.shift();
      if (waiter) waiter(received);
      else queue.push(received);
    },
    next(timeoutMs = 5000) {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise<Received>((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          reject(new Error(`no datagram within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (received: Received): void => {
          clearTimeout(timer);
          resolve(received);
        };
        waiters.push(waiter);
      });
    },
  };
}

export async function bindInbox(
  host: string,
  port = 0,
  options: UdpTransportOptions = {},
): Promise<Inbox> {
  const box = makeInbox();
  const transport = await bindUdpSocket(host, port, inboxOptions(options, box.push));
  return { transport, next: box.next };
}

export async function openInbox(
  target: { host: string; family?: 4 | 6 },
  options: UdpTransportOptions = {},
): Promise<Inbox> {
  const box = makeInbox();
  const transport = await openUdpReplySocket(target, inboxOptions(options, box.push));
  return { transport, next: box.next };
}

/** A server that answers every datagram with `reply(data)` (default: the same bytes). */
export async function bindEchoServer(
  host: string,
  reply: (data: Uint8Array) => Uint8Array = (data) => data,
  options: UdpTransportOptions = {},
): Promise<UdpTransport> {
  const holder: { transport?: UdpTransport } = {};
  holder.transport = await bindUdpSocket(host, 0, {
    ...options,
    onMessage: (data, peer) => {
      holder.transport?.send(reply(data), peer);
    },
  });
  return holder.transport;
}

export function peerOf(transport: UdpTransport): UdpPeer {
  return { address: transport.host, port: transport.port, family: transport.family };
}

/** Bytes 0..n-1 modulo 251 (a prime, so shifts and truncations show). */
export function pattern(length: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i + seed) % 251;
  return bytes;
}

export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
