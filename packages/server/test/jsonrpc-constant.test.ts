/**
 * JSON-RPC calls of constant commands (`version`, `which`) answered from the
 * encoded result with the id spliced in (src/request/jsonrpc-constant.ts):
 * the same bytes as the first, uncached answer for every id, the statistics
 * and access decisions of an ordinary call, and a new result once the
 * registry changes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, defineCommand, type RunningServer, startServer } from '../src/index.js';
import { clientFor, type RawClient } from './helpers/raw.js';

let dir: string;
let running: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-jsonrpc-constant-'));
  running = await startServer({
    sockets: [
      { socket_name: join(dir, 'plain.sock') },
      { socket_name: 'udp:127.0.0.1:0', rate_limit: 3 },
    ],
    commands: [defineCommand({ name: 'noop', handler: () => undefined })],
    logger: createLogger({ write: () => undefined }),
  });
});

afterAll(async () => {
  await running?.close();
  await rm(dir, { recursive: true, force: true });
});

const request = (method: string, id: unknown): Buffer =>
  Buffer.from(`{"jsonrpc":"2.0","method":"${method}","id":${id}}`, 'utf8');

const utf8Text = (reply: Uint8Array): string => Buffer.from(reply).toString('utf8');

async function withClient<T>(index: number, f: (client: RawClient) => Promise<T>): Promise<T> {
  const client = await clientFor(running.addresses[index] as string, dir);
  try {
    return await f(client);
  } finally {
    await client.close();
  }
}

describe('constant results with the id spliced in', () => {
  it('every id gets the bytes of the full encoder', async () => {
    await withClient(0, async (client) => {
      const first = utf8Text(await client.request(request('version', 1)));
      const result = (JSON.parse(first) as { result: unknown }).result;
      expect(result).toHaveProperty('Server');
      const callsBefore = running.server.stats().commands.find((c) => c.name === 'version')?.calls;
      const ids = ['2', '"abc"', '"é\\"x"', '18446744073709551616', 'null', '-0', '1.5'];
      for (const id of ids) {
        const reply = utf8Text(await client.request(request('version', id)));
        const expectedId = JSON.stringify(JSON.parse(id));
        const expectedIdText = id === '18446744073709551616' ? id : expectedId;
        expect(reply).toBe(
          `{"jsonrpc":"2.0","result":${JSON.stringify(result)},"id":${expectedIdText}}`,
        );
      }
      const stats = running.server.stats();
      expect(stats.commands.find((c) => c.name === 'version')?.calls).toBe(
        (callsBefore ?? 0) + ids.length,
      );
    });
  });

  it('which with a command param answers its recipes, never the cached list (nor fills it)', async () => {
    await withClient(0, async (client) => {
      const call = async (body: string) =>
        (
          JSON.parse(utf8Text(await client.request(Buffer.from(body, 'utf8')))) as {
            result: unknown;
          }
        ).result;
      const plain = '{"jsonrpc":"2.0","method":"which","id":1}';
      const recipes = '{"jsonrpc":"2.0","method":"which","params":{"command":"log_level"},"id":2}';
      const positional = '{"jsonrpc":"2.0","method":"which","params":["log_level"],"id":3}';
      const list = await call(plain);
      expect(list).toContain('version');
      // Cached now: calls with params still run the handler.
      expect(await call(recipes)).toEqual([[], ['level'], ['level', 'pid']]);
      expect(await call(positional)).toEqual([[], ['level'], ['level', 'pid']]);
      // And they did not replace the cached list.
      expect(await call(plain)).toEqual(list);
    });
  });

  it('which follows the registry: a new command shows up in the next reply', async () => {
    await withClient(0, async (client) => {
      const names = async (id: number) =>
        (JSON.parse(utf8Text(await client.request(request('which', id)))) as { result: string[] })
          .result;
      expect(await names(1)).not.toContain('added_later');
      expect(await names(2)).not.toContain('added_later');
      running.registry.register(defineCommand({ name: 'added_later', handler: () => undefined }));
      expect(await names(3)).toContain('added_later');
      expect(await names(4)).toContain('added_later');
      running.registry.unregister('added_later');
      expect(await names(5)).not.toContain('added_later');
    });
  });

  it('the rate limit still applies to cached answers', async () => {
    await withClient(1, async (client) => {
      const replies: unknown[] = [];
      for (let i = 0; i < 8; i++) {
        replies.push(JSON.parse(utf8Text(await client.request(request('version', i)))));
      }
      const served = replies.filter((r) => (r as { result?: unknown }).result !== undefined);
      expect(served.length).toBeGreaterThanOrEqual(3);
      expect(served.length).toBeLessThan(8); // 8 requests take far less than the 1.7 s that would refill them
      for (const r of replies.slice(served.length)) {
        expect(r).toMatchObject({ error: { code: 429, message: 'rate limit exceeded' } });
      }
      expect(running.server.stats().rateLimited).toBeGreaterThanOrEqual(3);
    });
  });
});
