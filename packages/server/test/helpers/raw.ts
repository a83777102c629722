/**
 * Raw datagram clients for the tests: they send exact bytes and hand back the
 * exact reply bytes, without any codec of ours. UNIX through
 * transport-unix's `openUnixReplySocket` (a bound reply socket), UDP through
 * `node:dgram`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { openUnixReplySocket } from '@mi-datagram/transport-unix';

export interface RawClient {
  /** Sends one datagram to the server. */
  send(data: Uint8Array | string): void;
  /** The next reply, or null when none arrives within `timeoutMs`. */
  next(timeoutMs?: number): Promise<Buffer | null>;
  /** send + next; throws when no reply arrives. */
  request(data: Uint8Array | string, timeoutMs?: number): Promise<Buffer>;
  close(): Promise<void>;
}

class ReplyQueue {
  readonly #replies: Buffer[] = [];
  #waiter: ((reply: Buffer | null) => void) | null = null;

  push(data: Uint8Array): void {
    const copy = Buffer.from(data);
    if (this.#waiter !== null) {
      const w = this.#waiter;
      this.#waiter = null;
      w(copy);
    } else {
      this.#replies.push(copy);
    }
  }

  next(timeoutMs: number): Promise<Buffer | null> {
    const queued = this.#replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        resolve(null);
      }, timeoutMs);
      this.#waiter = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
    });
  }
}

function bytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
}

function makeClient(
  sendRaw: (data: Uint8Array) => void,
  queue: ReplyQueue,
  close: () => Promise<void>,
): RawClient {
  return {
    send: (data) => sendRaw(bytes(data)),
    next: (timeoutMs = 2000) => queue.next(timeoutMs),
    async request(data, timeoutMs = 2000) {
      sendRaw(bytes(data));
      const reply = await queue.next(timeoutMs);
      if (reply === null) throw new Error(`no reply within ${timeoutMs} ms`);
      return reply;
    },
    close,
  };
}

/** A client on a bound UNIX datagram socket (its own path under `dir`), talking to `serverPath`. */
export async function unixClient(serverPath: string, dir: string): Promise<RawClient> {
  const queue = new ReplyQueue();
  const transport = await openUnixReplySocket({
    dir,
    maxDatagramSize: 200_000,
    sendBufferSize: 1 << 20,
    onMessage: (data) => queue.push(data),
  });
  return makeClient(
    (data) => {
      const outcome = transport.send(data, serverPath);
      if (outcome === 'dropped') throw new Error('request dropped by the client transport');
    },
    queue,
    () => transport.close(),
  );
}

/** A client on a UDP socket bound to the loopback of `family`. */
export async function udpClient(host: string, port: number): Promise<RawClient> {
  const family = host.includes(':') ? 'udp6' : 'udp4';
  const socket: Socket = createSocket({ type: family });
  const queue = new ReplyQueue();
  socket.on('message', (msg) => queue.push(msg));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, family === 'udp6' ? '::1' : '127.0.0.1', () => resolve());
  });
  return makeClient(
    (data) => socket.send(data, port, host),
    queue,
    () => new Promise<void>((resolve) => socket.close(() => resolve())),
  );
}

/** Splits a `udp:HOST:PORT` address (IPv6 in brackets). */
export function udpTarget(address: string): { host: string; port: number } {
  const m = /^udp:\[?(.*?)\]?:(\d+)$/.exec(address);
  if (m === null) throw new Error(`not a UDP address: ${address}`);
  return { host: m[1] as string, port: Number(m[2]) };
}

/** A client for any address the server reports. */
export function clientFor(address: string, dir: string): Promise<RawClient> {
  if (address.startsWith('udp:')) {
    const { host, port } = udpTarget(address);
    return udpClient(host, port);
  }
  return unixClient(address, dir);
}

/** Latin-1 view of reply bytes, for readable assertions. */
export function text(reply: Uint8Array | null): string | null {
  return reply === null ? null : Buffer.from(reply).toString('latin1');
}

/** A node of a legacy reply line `Name:: value k=v ...`. */
export interface LegacyNode {
  readonly name: string;
  readonly value: string;
  readonly attrs: Record<string, string>;
}

/**
 * Parses the `Name:: rest` lines of a legacy reply (after the status line):
 * `lines` maps each name to its rest (the last one wins), `nodes` has every
 * line split into its value and `k=v` attributes.
 */
export function parseLegacyReply(reply: string): {
  lines: Map<string, string>;
  nodes: LegacyNode[];
} {
  const lines = new Map<string, string>();
  const nodes: LegacyNode[] = [];
  for (const line of reply.split('\n').slice(1)) {
    const m = /^([^:]+):: (.*)$/.exec(line);
    if (m === null) continue;
    const [name, rest] = [m[1] as string, m[2] as string];
    lines.set(name, rest);
    const [value, ...pairs] = rest.split(' ');
    const attrs: Record<string, string> = {};
    for (const p of pairs) {
      const [k, v] = p.split('=');
      if (k !== undefined && v !== undefined) attrs[k] = v;
    }
    nodes.push({ name, value: value ?? '', attrs });
  }
  return { lines, nodes };
}
