/**
 * JSON-RPC requests go through the same access decision as legacy ones
 * (issue 8 listener level and rate limit, via MiServer.admit): a refusal is a
 * JSON-RPC error with the legacy line's code and text (403 / 429), the
 * command never runs, and a notification that is refused has no effect.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, defineCommand, type RunningServer, startServer } from '../src/index.js';
import { clientFor, type RawClient, text } from './helpers/raw.js';

let dir: string;
let running: RunningServer;
const effects = { kills: 0, mutations: 0 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-jsonrpc-access-'));
  running = await startServer({
    sockets: [
      { socket_name: join(dir, 'read.sock'), level: 'read' },
      { socket_name: 'udp:127.0.0.1:0', level: 'admin', rate_limit: 5 },
    ],
    commands: [
      defineCommand({
        name: 'mutate',
        handler() {
          effects.mutations++;
        },
      }),
      defineCommand({ name: 'peek', level: 'read', handler: () => ({ json: effects.mutations }) }),
    ],
    onKill: () => {
      effects.kills++;
    },
    logger: createLogger({ write: () => undefined }),
  });
});

afterAll(async () => {
  await running?.close();
  await rm(dir, { recursive: true, force: true });
});

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const req = (method: string, params?: unknown, id: unknown = 1): string =>
  JSON.stringify(
    params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id },
  );
const ok = (result: unknown, id: unknown = 1) => ({ jsonrpc: '2.0', result, id });
const denied = (id: unknown = 1) => ({
  jsonrpc: '2.0',
  error: { code: 403, message: 'Permission denied' },
  id,
});
const limited = (id: unknown = 1) => ({
  jsonrpc: '2.0',
  error: { code: 429, message: 'rate limit exceeded' },
  id,
});

describe('a read-only listener', () => {
  let client: RawClient;
  beforeAll(async () => {
    client = await clientFor(running.addresses[0] as string, dir);
  });
  afterAll(async () => {
    await client.close();
  });
  const rpc = async (request: string): Promise<unknown> =>
    JSON.parse((await client.request(utf8(request))).toString('utf8'));

  it.each([
    ['kill (admin)', req('kill'), denied()],
    ['log_level with a level (admin)', req('log_level', [3]), denied()],
    ['log_level with a named level (admin)', req('log_level', { level: 3 }), denied()],
    ['a user command without a level (admin)', req('mutate', undefined, 'm'), denied('m')],
    [
      'log_level without params (read)',
      req('log_level'),
      { jsonrpc: '2.0', result: expect.any(Object), id: 1 },
    ],
    ['a read command', req('peek'), ok(0)],
  ])('%s', async (_name, request, expected) => {
    expect(await rpc(request)).toEqual(expected);
    expect(effects).toEqual({ kills: 0, mutations: 0 });
    expect(running.logger.level).toBe(2);
  });

  it('each member of a batch is checked on its own', async () => {
    expect(
      await rpc(
        `[${req('version', undefined, 1)},${req('kill', undefined, 2)},${req('mutate', undefined, 3)},${req('peek', undefined, 4)}]`,
      ),
    ).toEqual([
      expect.objectContaining({ id: 1, result: expect.any(Object) }),
      denied(2),
      denied(3),
      ok(0, 4),
    ]);
    expect(effects).toEqual({ kills: 0, mutations: 0 });
  });

  it('a refused notification has no effect and no answer', async () => {
    client.send(utf8(JSON.stringify({ jsonrpc: '2.0', method: 'mutate' })));
    client.send(utf8(JSON.stringify({ jsonrpc: '2.0', method: 'kill' })));
    expect(await rpc(req('peek', undefined, 'after'))).toEqual(ok(0, 'after'));
    expect(effects).toEqual({ kills: 0, mutations: 0 });
  });

  it('legacy requests on the same socket get the legacy line', async () => {
    expect(text(await client.request(':kill:\n'))).toBe('403 Permission denied\n');
    expect(text(await client.request(':mutate:\n'))).toBe('403 Permission denied\n');
  });

  it('refusals are counted like legacy ones; JSON-RPC calls count in the per-command stats', () => {
    const stats = running.server.stats();
    expect(stats.refused).toBeGreaterThanOrEqual(9);
    expect(stats.commands.find((c) => c.name === 'peek')?.calls).toBe(3);
  });
});

describe('a rate-limited listener (5 requests per second per source)', () => {
  it('batch members take one token each; over the limit: 429, not run', async () => {
    const client = await clientFor(running.addresses[1] as string, dir);
    try {
      const batch = Array.from({ length: 12 }, (_, i) => req('mutate', undefined, i));
      const replies = JSON.parse(
        (await client.request(utf8(`[${batch.join(',')}]`))).toString('utf8'),
      ) as Array<{ id: number; result?: unknown }>;
      expect(replies.map((r) => r.id)).toEqual(batch.map((_, i) => i));
      const served = replies.filter((r) => r.result === 'OK').length;
      expect(served).toBeGreaterThanOrEqual(5);
      expect(served).toBeLessThanOrEqual(6);
      expect(effects.mutations).toBe(served);
      for (const r of replies.slice(served)) expect(r).toEqual(limited(r.id));
      // The bucket is shared with legacy requests from the same source.
      expect(text(await client.request(':mutate:\n'))).toBe('429 rate limit exceeded\n');
      expect(effects.mutations).toBe(served);
      expect(running.server.stats().rateLimited).toBeGreaterThanOrEqual(7);
    } finally {
      await client.close();
    }
  });
});
