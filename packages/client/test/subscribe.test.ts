/**
 * Events on the client side, end to end against the real server (built
 * packages/server, example commands module: cache_store raises
 * E_CACHE_STORED): `MiClient.subscribe` over UNIX and UDP, and
 * `mi subscribe` printing JSON lines until SIGTERM, which unsubscribes.
 */
import { join } from 'node:path';
import type { TempDir } from '@mi-datagram/test-helpers';
import { killStarted, startNode, waitFor, waitForLine } from '@mi-datagram/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiClient, type MiEvent } from '../src/index.js';
import {
  BUSY_MACHINE_TIMEOUT,
  CLI,
  type SpawnedServer,
  spawnServer,
  tempDir,
} from './helpers/proc.js';

let tmp: TempDir;
const servers: SpawnedServer[] = [];

beforeAll(async () => {
  tmp = tempDir('mi-subscribe-');
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await killStarted();
  tmp?.remove();
});

async function server(socketName: string): Promise<SpawnedServer> {
  const s = await spawnServer(socketName);
  servers.push(s);
  return s;
}

async function subscriberCount(client: MiClient<'jsonrpc'>): Promise<number> {
  const reply = await client.call('subscribers_list', { event: 'E_CACHE_STORED' });
  if (!reply.ok) throw new Error(JSON.stringify(reply.error));
  const event = (reply.result as { Event: { Subscribers?: unknown[] } }).Event;
  return event.Subscribers?.length ?? 0;
}

describe('MiClient.subscribe', () => {
  for (const kind of ['unix', 'udp'] as const) {
    it(`${kind}: yields events as they arrive, unsubscribes when the loop ends`, async () => {
      const s = await server(kind === 'unix' ? join(tmp.path, 'mi.sock') : 'udp:127.0.0.1:0');
      const client = new MiClient(s.address, {
        timeout: BUSY_MACHINE_TIMEOUT,
        protocol: 'jsonrpc',
        socketDir: tmp.path,
      });
      try {
        const received: MiEvent[] = [];
        const loop = (async () => {
          for await (const event of client.subscribe('E_CACHE_STORED', {
            expire: 30,
            socketDir: tmp.path,
          })) {
            received.push(event);
            if (received.length === 2) break;
          }
        })();
        await waitFor(
          async () => (await subscriberCount(client)) === 1,
          10_000,
          'the subscription',
        );
        for (const attr of ['a', 'b']) {
          const r = await client.call('cache_store', { system: 'local', attr, value: 'v' });
          expect(r.ok).toBe(true);
        }
        await loop;
        expect(received.map((e) => e.params)).toEqual([
          { system: 'local', attr: 'a' },
          { system: 'local', attr: 'b' },
        ]);
        expect(received[0]?.format).toBe('json');
        expect(await subscriberCount(client)).toBe(0);
      } finally {
        await client.close();
      }
    });
  }

  it('a refused subscription rejects with SUBSCRIBE_REFUSED', async () => {
    const s = await server(join(tmp.path, 'refuse.sock'));
    const client = new MiClient(s.address, {
      timeout: BUSY_MACHINE_TIMEOUT,
      protocol: 'jsonrpc',
      socketDir: tmp.path,
    });
    try {
      const it = client.subscribe('E_NO_SUCH_EVENT');
      await expect(it.next()).rejects.toMatchObject({ code: 'SUBSCRIBE_REFUSED', status: 400 });
    } finally {
      await client.close();
    }
  });
});

describe('mi subscribe', () => {
  it('prints one JSON line per event; SIGTERM unsubscribes and exits 0', async () => {
    const s = await server(join(tmp.path, 'cli.sock'));
    const run = startNode(
      [CLI, '-s', s.address, '--json', 'subscribe', 'E_CACHE_STORED', '--expire', '20'],
      {
        env: { TMPDIR: tmp.path },
      },
    );
    const client = new MiClient(s.address, {
      timeout: BUSY_MACHINE_TIMEOUT,
      protocol: 'jsonrpc',
      socketDir: tmp.path,
    });
    try {
      await waitFor(async () => (await subscriberCount(client)) === 1, 10_000, 'the subscription');
      await client.call('cache_store', { system: 'local', attr: 'k1', value: 'x' });
      const [line] = await waitForLine(run, /^.*\n/);
      expect(JSON.parse(line)).toEqual({
        event: 'E_CACHE_STORED',
        format: 'json',
        params: { system: 'local', attr: 'k1' },
      });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(await subscriberCount(client)).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('usage errors exit 2', async () => {
    const run = startNode([CLI, '-s', join(tmp.path, 'none.sock'), 'subscribe']);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/missing EVENT/);
  });
});
