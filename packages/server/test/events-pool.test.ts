/**
 * Events with two worker processes (real processes, real sockets): one
 * subscription list for the whole server, kept in the primary; an event
 * raised by a command module in either worker reaches the subscriber once;
 * a worker killed and replaced raises E_MI_WORKER_REPLACED.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { udpSubscriber } from './helpers/events.js';
import { childrenOf, waitFor } from './helpers/procs.js';
import { unixClient } from './helpers/raw.js';
import { killAll, runCli, waitListening } from './helpers/spawn.js';

let dir: string;
const DIST = pathToFileURL(new URL('../dist/index.js', import.meta.url).pathname).href;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-events-pool-'));
  await writeFile(
    join(dir, 'ticks.mjs'),
    [
      `import { events } from ${JSON.stringify(DIST)};`,
      "events.declare('E_TICK');",
      'export default [',
      "  { name: 'tick', level: 'operator', handler: () => { events.raise('E_TICK', { pid: process.pid }); } },",
      '];',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await killAll();
  await rm(dir, { recursive: true, force: true });
});

describe('events with children_count 2', () => {
  it('one list for the server; each raise reaches the subscriber once, from any worker', async () => {
    const mi = join(dir, 'mi.sock');
    const run = runCli([
      '--children-count',
      '2',
      '--socket-name',
      mi,
      '--commands',
      join(dir, 'ticks.mjs'),
    ]);
    await waitListening(run);
    const primary = run.child.pid as number;
    const sub = await udpSubscriber();
    const client = await unixClient(mi, dir);
    try {
      const call = async (method: string, params?: unknown) =>
        JSON.parse(
          (
            await client.request(JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }), 5000)
          ).toString(),
        ) as { result?: unknown; error?: unknown };
      expect((await call('event_subscribe', ['E_TICK', sub.socket, 60])).result).toBe('OK');
      // Whichever worker answers, it sees the primary's list.
      for (let i = 0; i < 4; i++) {
        expect(await call('subscribers_list', { event: 'E_TICK' })).toMatchObject({
          result: { Event: { name: 'E_TICK', Subscribers: [{ socket: sub.socket, expire: 60 }] } },
        });
      }
      // The workers learn that E_TICK has a subscriber (a broadcast): wait until both raise it.
      const pids = new Set<number>();
      await waitFor(
        async () => {
          await client.request(':tick:\n', 5000);
          for (let got = await sub.next(200); got !== null; got = await sub.next(200)) {
            pids.add((JSON.parse(got) as { params: { pid: number } }).params.pid);
          }
          return pids.size === 2;
        },
        30_000,
        'events raised in both workers',
        50,
      );
      // Now every raise, in whichever worker, gives exactly one datagram.
      const ticks = 20;
      for (let i = 0; i < ticks; i++) await client.request(':tick:\n', 5000);
      let received = 0;
      while ((await sub.next(1000)) !== null) received++;
      expect(received).toBe(ticks);

      // A worker killed: replaced, and the server event says so.
      expect((await call('event_subscribe', ['E_MI_WORKER_REPLACED', sub.socket, 60])).result).toBe(
        'OK',
      );
      const [victim] = await childrenOf(primary);
      process.kill(victim as number, 'SIGKILL');
      const event = await sub.next(10_000);
      expect(JSON.parse(event ?? 'null')).toMatchObject({
        jsonrpc: '2.0',
        method: 'E_MI_WORKER_REPLACED',
        params: { worker: expect.any(Number) },
      });
    } finally {
      await client.close();
      await sub.close();
      run.child.kill('SIGTERM');
    }
  }, 60_000);
});
