import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { childrenOf, makeTempDir } from '@mi-datagram/test-helpers';
import { openUnixReplySocket, type UnixTransport } from '@mi-datagram/transport-unix';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { WorkerPool } from '../dist/index.js';

export { childrenOf, isAlive, waitFor } from '@mi-datagram/test-helpers';

export const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const { path, remove } = makeTempDir('wp-test-');
  return { dir: path, cleanup: async () => remove() };
}

/**
 * A temporary directory for the tests of one file, made before them and
 * removed after them. Returns a function that joins names onto it.
 */
export function useTempDir(): (...names: string[]) => string {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    await cleanup();
  });
  return (...names) => join(dir, ...names);
}

/** After each test of the file: no child process of this one is left. */
export function expectNoChildrenAfterEach(): void {
  afterEach(async () => {
    expect(await childrenOf(process.pid)).toEqual([]);
  });
}

/** A client socket that sends text requests to the pool and matches replies by a tag. */
export interface Client {
  /** Resolves with the reply text minus the tag (`"<pid> <text>"`), or null on timeout. */
  request(text: string, timeoutMs?: number): Promise<string | null>;
  close(): Promise<void>;
}

export function openClient(pool: WorkerPool, kind: 'unix' | 'udp'): Promise<Client> {
  return openClientTo(pool.address, kind);
}

/** Like {@link openClient}, for any address of a pool (`/path` or `udp:127.0.0.1:PORT`). */
export async function openClientTo(address: string, kind: 'unix' | 'udp'): Promise<Client> {
  const waiting = new Map<string, (reply: string) => void>();
  let next = 0;
  const deliver = (data: Uint8Array): void => {
    const text = Buffer.from(data).toString();
    // "<pid> <tag>|<text>": find the tag
    const space = text.indexOf(' ');
    const bar = text.indexOf('|', space);
    const tag = text.slice(space + 1, bar);
    const resolve = waiting.get(tag);
    if (resolve) {
      waiting.delete(tag);
      resolve(text.slice(0, space + 1) + text.slice(bar + 1));
    }
  };
  let send: (data: Buffer) => void;
  let close: () => Promise<void>;
  if (kind === 'unix') {
    const transport: UnixTransport = await openUnixReplySocket({ onMessage: deliver });
    send = (data) => {
      transport.send(data, address);
    };
    close = () => transport.close();
  } else {
    const socket: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.on('message', deliver);
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    send = (data) => socket.send(data, port, '127.0.0.1');
    close = () => new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return {
    request(text, timeoutMs = 3000) {
      const tag = `t${next++}`;
      return new Promise<string | null>((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(tag);
          resolve(null);
        }, timeoutMs);
        waiting.set(tag, (reply) => {
          clearTimeout(timer);
          resolve(reply);
        });
        send(Buffer.from(`${tag}|${text}`));
      });
    },
    close,
  };
}
