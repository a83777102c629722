/**
 * Receiving events (docs/events.md): a socket of our own that matches the
 * target (a UNIX datagram socket for a UNIX target, UDP for a UDP one),
 * `event_subscribe` for it, re-subscribing before the expiry, and
 * unsubscribing (`expire 0`) when done. The events come out of an async
 * iterator.
 */
import type { Socket } from 'node:dgram';
import { type EventFormat, parseEventDatagram } from '@mi-datagram/protocol';
import type { ResolvedTarget } from './channel.js';
import type { MiClient } from './client.js';
import type { MiProtocolName } from './client-types.js';

/** The server refused `event_subscribe` (unknown event, bad socket, not allowed …). */
export class MiSubscribeError extends Error {
  readonly code = 'SUBSCRIBE_REFUSED' as const;
  /** The status (legacy) or JSON-RPC error code of the refusal. */
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'MiSubscribeError';
    this.status = status;
  }
}

/** One received event. */
export interface MiEvent {
  readonly event: string;
  /** `json` (3.6 notification) or `text` (2.4). */
  readonly format: EventFormat;
  /** JSON: the `params` member (object, array or undefined); text: `{ name, value }` lines. */
  readonly params: unknown;
  /** The datagram as received. */
  readonly raw: Uint8Array;
}

export interface SubscribeOptions {
  /** Seconds; default 3600. Re-subscribed before it runs out. */
  readonly expire?: number;
  /** Stops the subscription (unsubscribes, closes the socket). */
  readonly signal?: AbortSignal;
  /** UNIX targets: where the event socket's private directory is made. Default the OS temp dir. */
  readonly socketDir?: string;
  /** Most events kept while nobody reads (older ones are dropped). Default 1024. */
  readonly maxQueued?: number;
}

interface Receiver {
  readonly socket: string;
  close(): Promise<void>;
}

async function udpReceiver(
  address: string,
  port: number,
  family: 4 | 6,
  push: (data: Uint8Array) => void,
): Promise<Receiver> {
  // Loaded here: a client that never subscribes over UDP does not load node:dgram.
  const { createSocket } = await import('node:dgram');
  const type = family === 6 ? 'udp6' : 'udp4';
  // The local address that reaches the target: what a connected socket is given.
  const probe: Socket = createSocket(type);
  const local = await new Promise<string>((resolve, reject) => {
    probe.once('error', reject);
    probe.connect(port, address, () => resolve(probe.address().address));
  }).finally(() => probe.close());
  const socket = createSocket(type);
  socket.on('message', (msg) => push(msg));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, local, () => resolve());
  });
  const bound = socket.address();
  return {
    socket:
      family === 6 ? `udp:[${bound.address}]:${bound.port}` : `udp:${bound.address}:${bound.port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

async function unixReceiver(
  dir: string | undefined,
  push: (data: Uint8Array) => void,
): Promise<Receiver> {
  const { openUnixReplySocket } = await import('@mi-datagram/transport-unix');
  const transport = await openUnixReplySocket({
    ...(dir === undefined ? {} : { dir }),
    onMessage: (data) => push(data.slice()),
  });
  return { socket: `unix:${transport.address}`, close: () => transport.close() };
}

async function subscribeCall<P extends MiProtocolName>(
  client: MiClient<P>,
  event: string,
  socket: string,
  expire: number,
): Promise<void> {
  const reply =
    client.protocol === 'legacy'
      ? await client.callLegacy('event_subscribe', [event, socket, String(expire)])
      : await client.callJsonRpc('event_subscribe', [event, socket, expire]);
  if (reply.protocol === 'legacy') {
    if (reply.code >= 200 && reply.code <= 299) return;
    throw new MiSubscribeError(
      `event_subscribe ${event}: ${reply.code} ${reply.reason}`,
      reply.code,
    );
  }
  if (reply.ok) return;
  throw new MiSubscribeError(
    `event_subscribe ${event}: ${reply.error.code} ${reply.error.message}`,
    reply.error.code,
  );
}

/**
 * Subscribes to `event` through `client` and yields each event as it
 * arrives; leaving the loop (or `signal`) unsubscribes and closes the socket.
 */
export async function* subscribeEvents<P extends MiProtocolName>(
  client: MiClient<P>,
  event: string,
  resolve: () => Promise<ResolvedTarget>,
  clientSocketDir: string | undefined,
  options: SubscribeOptions = {},
): AsyncGenerator<MiEvent, void, undefined> {
  const target = await resolve();
  const socketDir = options.socketDir ?? clientSocketDir;
  const expire = options.expire ?? 3600;
  if (!Number.isInteger(expire) || expire < 1)
    throw new RangeError('expire must be an integer >= 1');
  const maxQueued = options.maxQueued ?? 1024;
  const queue: MiEvent[] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const decoder = new TextDecoder();
  const push = (data: Uint8Array) => {
    const parsed = parseEventDatagram(decoder.decode(data));
    if (parsed === null) return;
    if (queue.length >= maxQueued) queue.shift();
    queue.push({ ...parsed, raw: data });
    notify();
  };
  const receiver =
    target.kind === 'unix'
      ? await unixReceiver(socketDir, push)
      : await udpReceiver(target.address, target.port, target.family, push);
  const signal = options.signal;
  const onAbort = () => notify();
  signal?.addEventListener('abort', onAbort);
  let renew: NodeJS.Timeout | undefined;
  let failure: unknown;
  try {
    await subscribeCall(client, event, receiver.socket, expire);
    // Renewed ahead of the expiry (a minute, or a third of a short one).
    const ahead = Math.min(60, Math.ceil(expire / 3));
    renew = setInterval(
      () => {
        subscribeCall(client, event, receiver.socket, expire).catch((error: unknown) => {
          failure = error;
          notify();
        });
      },
      Math.max(1, expire - ahead) * 1000,
    );
    for (;;) {
      if (signal?.aborted) return;
      if (failure !== undefined) throw failure;
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearInterval(renew);
    signal?.removeEventListener('abort', onAbort);
    await subscribeCall(client, event, receiver.socket, 0).catch(() => {});
    await receiver.close();
  }
}
