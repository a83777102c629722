/**
 * The statistics commands of a `children_count` 2 server (real worker
 * processes from the built dist/, real sockets): counters summed over the
 * workers, gauges listed per process, a reset reaching every worker, a
 * stopped worker named missing without holding the reply, and the primary's
 * metrics endpoint summing the workers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type RunningPooledServer, startPooledServer } from '../dist/index.js';
import { EXAMPLES } from './helpers/e2e-server.js';
import { isAlive, waitFor } from './helpers/procs.js';
import { clientFor, type RawClient } from './helpers/raw.js';
import { readRecording } from './helpers/recording.js';

const v24 = readRecording(
  new URL('../../../../shared/conformance/replies-opensips-2.4-statistics.txt', import.meta.url),
);
const VALUES_REPLY = /^200 OK\n(?:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+:: -?[0-9]+(?:\.[0-9]+)?\n)+\n$/;

let dir: string;
let running: RunningPooledServer | null = null;
const clients: RawClient[] = [];
const seen = new Set<number>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-pool-statistics-'));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  if (running !== null) {
    for (const pid of running.pool.workers) {
      seen.add(pid);
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await running.close({ timeoutMs: 500 });
    running = null;
  }
  await waitFor(
    async () => (await Promise.all([...seen].map(isAlive))).every((alive) => !alive),
    5_000,
    'every worker of the test to be gone',
  );
  seen.clear();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function lines(reply: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of reply.split('\n').slice(1)) {
    const at = line.indexOf(':: ');
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 3));
  }
  return out;
}

async function start(): Promise<RunningPooledServer> {
  running = await startPooledServer({
    children_count: 2,
    execArgv: [],
    log_level: -3,
    logger: createLogger({ write: () => undefined }),
    socket_name: [join(dir, 'mi.sock'), 'udp:127.0.0.1:0'],
    commandModules: [EXAMPLES],
    metrics_listen: '127.0.0.1:0',
  });
  for (const pid of running.pool.workers) seen.add(pid);
  return running;
}

describe.each([
  ['unix', 0],
  ['udp', 1],
] as const)('children_count 2 over %s', (_transport, index) => {
  it('counters summed over the workers, gauges per process, reset reaches every worker', async () => {
    const r = await start();
    const c = await clientFor(r.addresses[index] as string, dir);
    clients.push(c);
    const ask = async (q: string) => (await c.request(q, 5000)).toString('latin1');
    const N = 40;
    for (let i = 0; i < N; i++) {
      expect(await ask(`:cache_store:\nlocal\nk${i}\nv\n`)).toBe('200 OK\n\n');
    }
    // The recorded exchanges: the same shape, and the same bytes where no value is involved.
    for (const title of ['get_statistics: unknown name', 'get_statistics: no argument']) {
      const rec = v24.get(title);
      expect(await ask(rec?.request.toString('latin1') ?? '')).toBe(rec?.reply?.toString('latin1'));
    }
    const allReply = await ask(':get_statistics:\nall\n');
    expect(allReply).toMatch(VALUES_REPLY);
    expect(v24.get('get_statistics: all groups')?.reply?.toString('latin1')).toMatch(VALUES_REPLY);
    const all = lines(allReply);
    // Whichever worker took each request, the sum is every request.
    expect(all.get('example:cache_stores')).toBe(String(N));
    expect(Number(all.get('mi:requests'))).toBeGreaterThanOrEqual(N);
    expect(all.get('pool:workers')).toBe('2');
    expect(all.get('pool:answered')).toBe('2');
    expect(all.get('pool:missing')).toBe('0');
    for (const id of [1, 2]) {
      expect(Number(all.get(`process:rss-proc-${id}`))).toBeGreaterThan(0);
      expect(all.get(`pool:answered-proc-${id}`)).toBe('1');
    }
    expect(Number(all.get('process:rss'))).toBe(
      Number(all.get('process:rss-proc-1')) + Number(all.get('process:rss-proc-2')),
    );
    // JSON-RPC: the same sums.
    const json = JSON.parse(
      await ask(
        '{"jsonrpc":"2.0","method":"get_statistics","params":{"statistics":["example:"]},"id":1}',
      ),
    ) as { result: Record<string, number> };
    expect(json.result['example:cache_stores']).toBe(N);
    expect(await ask(':reset_statistics:\ncache_stores\n')).toBe('200 OK\n\n');
    expect(lines(await ask(':get_statistics:\ncache_stores\n')).get('example:cache_stores')).toBe(
      '0',
    );
    // The primary's /metrics: the workers summed.
    const res = await fetch(`http://${r.metricsAddress}/metrics`);
    const families = parsePrometheusTextFormat(await res.text());
    const stores = families.find((f) => f.name === 'mi_datagram_example_cache_stores_total');
    expect(stores?.metrics[0]?.value).toBe('0');
    const rss = families.find((f) => f.name === 'mi_datagram_process_rss_by_process');
    expect(rss?.metrics.map((m) => m.labels?.process).sort()).toEqual(['1', '2']);
  });
});

describe('a stopped worker', () => {
  it('does not hold the reply: answered within the 1 s timeout, named missing', async () => {
    const r = await start();
    const [stopped, live] = r.pool.workers as [number, number];
    expect(live).toBeGreaterThan(0);
    const c = await clientFor(r.addresses[1] as string, dir);
    clients.push(c);
    const ask = async (q: string) => (await c.request(q, 6000)).toString('latin1');
    expect(lines(await ask(':get_statistics:\npool:\n')).get('pool:missing')).toBe('0');
    process.kill(stopped, 'SIGSTOP');
    try {
      const started = Date.now();
      const reply = lines(await ask(':get_statistics:\npool:\n'));
      const elapsed = Date.now() - started;
      expect(reply.get('pool:answered')).toBe('1');
      expect(reply.get('pool:missing')).toBe('1');
      // Worker ids follow the pool's order: the first PID is worker 1.
      expect(reply.get('pool:answered-proc-1')).toBe('0');
      expect(reply.get('pool:answered-proc-2')).toBe('1');
      // The timeout is 1 s (POOL_STATS_TIMEOUT_MS), far below the IPC's default 5 s.
      expect(elapsed).toBeLessThan(4000);
      // A reset while it is stopped still answers.
      expect(await ask(':reset_all_statistics:\n')).toBe('200 OK\n\n');
    } finally {
      process.kill(stopped, 'SIGCONT');
    }
    await waitFor(
      async () => lines(await ask(':get_statistics:\npool:\n')).get('pool:missing') === '0',
      5_000,
      'the resumed worker to answer again',
    );
  });
});
