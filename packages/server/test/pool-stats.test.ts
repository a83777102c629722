/**
 * `children_count` > 1 through the programmatic API (`startPooledServer`
 * from the built `dist/`, whose workers run `dist/pool-worker.js`; real
 * worker processes, real sockets): listener options reach every worker, and
 * `mi_stats` reports the whole server (every worker's counters summed over
 * the pool's IPC, a worker that cannot answer reported as missing), with
 * JSON-RPC responses counted by outcome. Also the histogram merge, as a unit.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type RunningPooledServer, startPooledServer } from '../dist/index.js';
import { LatencyHistogram, mergeStatsSnapshots, statsSnapshot } from '../src/statistics/index.js';
import { isAlive, waitFor } from './helpers/procs.js';
import {
  clientFor,
  type LegacyNode,
  parseLegacyReply,
  type RawClient,
  text,
  udpTarget,
} from './helpers/raw.js';

let dir: string;
let commandsModule: string;
const clients: RawClient[] = [];
const sockets: Socket[] = [];
let running: RunningPooledServer | null = null;
/** Every worker PID a test saw: none may outlive it. */
const seen = new Set<number>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-pool-stats-'));
  commandsModule = join(dir, 'commands.mjs');
  await writeFile(
    commandsModule,
    [
      'export default [',
      "  { name: 'whoami', level: 'read', handler: () => ({ nodes: [{ name: 'pid', value: String(process.pid) }] }) },",
      "  { name: 'echo', level: 'read', handler: (r) => ({ nodes: r.args.map((a) => ({ name: a.name, value: a.value })) }) },",
      "  { name: 'missing', level: 'read', handler: () => ({ code: 404, reason: 'no such thing' }) },",
      '];',
      '',
    ].join('\n'),
  );
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(
    sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
  );
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

const quiet = createLogger({ write: () => undefined });

async function client(address: string): Promise<RawClient> {
  const c = await clientFor(address, dir);
  clients.push(c);
  return c;
}

/** A UDP client bound to another loopback source (127.0.0.2), outside an allowlist of 127.0.0.1. */
async function outsider(
  address: string,
): Promise<{ send(data: string): void; silent(ms: number): Promise<boolean> }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  let answered = false;
  socket.on('message', () => {
    answered = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.2', () => resolve());
  });
  const { host, port } = udpTarget(address);
  return {
    send: (data) => socket.send(data, port, host),
    silent: (ms) => new Promise((resolve) => setTimeout(() => resolve(!answered), ms)),
  };
}

async function ask(c: RawClient, request: string, timeoutMs = 2000): Promise<string> {
  return text(await c.request(request, timeoutMs)) as string;
}

/** `Name:: rest` lines of a legacy reply (the last one wins) and the `Listener` / `Command` nodes. */
function parse(reply: string): { lines: Record<string, string>; nodes: LegacyNode[] } {
  const { lines, nodes } = parseLegacyReply(reply);
  return { lines: Object.fromEntries(lines), nodes };
}

describe('startPooledServer (programmatic) with children_count 2', () => {
  it('takes the listener options (sockets, level, allow_from, rate_limit) like the CLI', async () => {
    const unixPath = join(dir, 'opts.sock');
    running = await startPooledServer({
      children_count: 2,
      execArgv: [],
      log_level: -1,
      logger: quiet,
      level: 'read',
      rate_limit: 50,
      sockets: [
        { socket_name: 'udp:127.0.0.1:0', allow_from: ['127.0.0.1'] },
        { socket_name: unixPath, level: 'admin', rate_limit: 0 },
      ],
    });
    for (const pid of running.pool.workers) seen.add(pid);
    expect(running.pool.workers).toHaveLength(2);
    expect(running.config.sockets.map((s) => ('policy' in s ? s.policy : null))).toEqual([
      { level: 'read', allow_from: ['127.0.0.1/32'], rate_limit: 50 },
      { level: 'admin', allow_from: null, rate_limit: 0 },
    ]);
    const [udpAddress, unixAddress] = running.addresses as [string, string];
    expect(unixAddress).toBe(unixPath);
    const udp = await client(udpAddress);
    const unix = await client(unixAddress);

    // Every worker applies the read level: several tries, whichever worker reads them.
    for (let i = 0; i < 6; i++) expect(await ask(udp, ':kill:\n')).toBe('403 Permission denied\n');
    // Outside the allowlist: no reply.
    const other = await outsider(udpAddress);
    other.send(':which:\n');
    expect(await other.silent(300)).toBe(true);
    // The server still runs, all of it; the UNIX listener is admin.
    expect(
      (await ask(udp, ':ps:\n')).split('\n').filter((l) => l.startsWith('Process::')),
    ).toHaveLength(3);
    expect(await ask(unix, ':log_level:\n-1\n')).toMatch(/^200 OK\n/);
    expect(running.pool.state).toBe('running');
  });
});

describe('mi_stats with children_count 2: the whole server', () => {
  it('sums every worker (counters, JSON-RPC classes, listeners by address, command calls)', async () => {
    const unixPath = join(dir, 'stats.sock');
    running = await startPooledServer({
      children_count: 2,
      execArgv: [],
      log_level: -1,
      logger: quiet,
      commandModules: [commandsModule],
      sockets: [
        { socket_name: unixPath },
        { socket_name: 'udp:127.0.0.1:0', level: 'read', allow_from: ['127.0.0.1'] },
      ],
    });
    const workers = [...running.pool.workers];
    for (const pid of workers) seen.add(pid);
    const [unixAddress, udpAddress] = running.addresses as [string, string];
    const unixClients = await Promise.all(Array.from({ length: 6 }, () => client(unixAddress)));
    const udpClients = await Promise.all(Array.from({ length: 4 }, () => client(udpAddress)));

    // Rounds of `whoami` from every client at once until both workers have served
    // some on each listener (the kernel does not round-robin: at least 10 rounds).
    const servedBy = { unix: new Set<string>(), udp: new Set<string>() };
    let whoamiUnix = 0;
    let whoamiUdp = 0;
    for (let round = 0; round < 10 || servedBy.unix.size < 2 || servedBy.udp.size < 2; round++) {
      expect(round).toBeLessThan(300);
      const replies = await Promise.all([
        ...unixClients.map(async (c) => ['unix', await ask(c, ':whoami:\n')] as const),
        ...udpClients.map(async (c) => ['udp', await ask(c, ':whoami:\n')] as const),
      ]);
      for (const [kind, reply] of replies) {
        const pid = /^200 OK\npid:: (\d+)\n/.exec(reply)?.[1];
        expect(pid).toBeDefined();
        servedBy[kind].add(pid as string);
      }
      whoamiUnix += unixClients.length;
      whoamiUdp += udpClients.length;
    }
    expect([...servedBy.unix].sort()).toEqual(workers.map(String).sort());

    const [u, r] = [unixClients[0] as RawClient, udpClients[0] as RawClient];
    // Legacy: 2 unknown (5xx), 1 parse error (4xx), 1 empty (no reply), 2 refused (4xx).
    expect(await ask(u, ':nope:\n')).toBe('500 command not available\n');
    expect(await ask(u, ':nope:\n')).toBe('500 command not available\n');
    expect(await ask(u, ':echo:\n"unterminated\n')).toBe('400 parse_error\n');
    u.send('');
    expect(await ask(r, ':kill:\n')).toBe('403 Permission denied\n');
    expect(await ask(r, ':kill:\n')).toBe('403 Permission denied\n');
    // Outside the allowlist: 3 silent drops.
    const other = await outsider(udpAddress);
    for (let i = 0; i < 3; i++) other.send(':whoami:\n');
    // JSON-RPC, by outcome: result → 2xx; MI status 403/404 → 4xx; -32xxx → JSON-RPC errors.
    const rpc = (id: number, method: string) => JSON.stringify({ jsonrpc: '2.0', method, id });
    expect(await ask(u, rpc(1, 'whoami'))).toContain('"result"');
    expect(await ask(u, rpc(2, 'nope'))).toContain('"code":-32601');
    expect(await ask(r, rpc(3, 'kill'))).toContain('"code":403');
    expect(await ask(u, rpc(4, 'missing'))).toContain('"code":404');
    expect(await ask(u, '{"jsonrpc":')).toContain('"code":-32700');
    const batch = await ask(u, `[${rpc(5, 'whoami')},${rpc(6, 'nope')}]`);
    expect(batch).toMatch(/^\[\{"jsonrpc":"2.0","result".*"code":-32601.*\]$/);
    // A notification: runs, no reply.
    u.send(JSON.stringify({ jsonrpc: '2.0', method: 'whoami' }));
    await new Promise((res) => setTimeout(res, 100));

    // Whichever worker answers sums both; ask several times from both listeners.
    const whoami = whoamiUnix + whoamiUdp;
    // whoami + 2 nope + parse + empty + 2 kill + 7 JSON-RPC datagrams (+ mi_stats itself)
    const before = whoami + 2 + 1 + 1 + 2 + 7;
    for (let i = 0; i < 12; i++) {
      const c = (i % 2 === 0 ? unixClients : udpClients)[i % 4] as RawClient;
      const reply = await ask(c, ':mi_stats:\n');
      expect(reply.startsWith('200 OK\n')).toBe(true);
      const { lines, nodes } = parse(reply);
      expect(lines).toMatchObject({
        // Earlier mi_stats requests count as requests and 2xx replies.
        Requests: String(before + i + 1),
        'Replies 2xx': String(whoami + 2 + i),
        'Replies 4xx': '5',
        'Replies 5xx': '2',
        'Replies other': '0',
        'Replies JSON-RPC errors': '3',
        'Parse errors': '1',
        'Unknown commands': '2',
        'Too large': '0',
        Empty: '2',
        Unanswerable: '0',
        'Dropped replies': '0',
        Refused: '3',
        'Allowlist dropped': '3',
        'Rate limited': '0',
        Workers: '2',
        'Workers missing': '0',
      });
      const listeners = nodes.filter((n) => n.name === 'Listener');
      // mi_stats requests so far (this one included): even i on UNIX, odd i on UDP.
      const [statsUnix, statsUdp] = [Math.floor(i / 2) + 1, Math.floor((i + 1) / 2)];
      expect(listeners).toEqual([
        {
          name: 'Listener',
          value: unixAddress,
          attrs: {
            level: 'admin',
            // whoami, 2 nope, parse error, empty, 6 JSON-RPC datagrams, mi_stats
            requests: String(whoamiUnix + 2 + 1 + 1 + 6 + statsUnix),
            allowlist_dropped: '0',
            refused: '0',
            rate_limited: '0',
            sources: '0',
          },
        },
        {
          name: 'Listener',
          value: udpAddress,
          attrs: {
            level: 'read',
            // whoami, 2 kill, 1 JSON-RPC kill, mi_stats
            requests: String(whoamiUdp + 2 + 1 + statsUdp),
            allowlist_dropped: '3',
            refused: '3',
            rate_limited: '0',
            sources: '0',
          },
        },
      ]);
      const commands = Object.fromEntries(
        nodes.filter((n) => n.name === 'Command').map((n) => [n.value, n.attrs] as const),
      );
      expect(Object.keys(commands)).toEqual(
        i === 0 ? ['missing', 'whoami'] : ['mi_stats', 'missing', 'whoami'],
      );
      // whoami: legacy rounds + JSON-RPC single + batch member + notification.
      expect(commands.whoami?.calls).toBe(String(whoami + 3));
      expect(commands.missing?.calls).toBe('1');
      if (i > 0) expect(commands.mi_stats?.calls).toBe(String(i));
      for (const attrs of Object.values(commands)) {
        const [p50, p90, p99, max] = ['p50_us', 'p90_us', 'p99_us', 'max_us'].map((k) =>
          Number(attrs[k]),
        ) as [number, number, number, number];
        expect(p50).toBeLessThanOrEqual(p90);
        expect(p90).toBeLessThanOrEqual(p99);
        expect(p99).toBeLessThanOrEqual(max);
      }
    }

    // JSON-RPC mi_stats: the same sums as JSON, the workers' fields included.
    const json = JSON.parse(await ask(u, rpc(9, 'mi_stats'))) as {
      result: Record<string, unknown>;
    };
    expect(json.result).toMatchObject({
      requests: before + 12 + 1,
      replies: { '2xx': whoami + 2 + 12, '4xx': 5, '5xx': 2, other: 0, jsonrpc_errors: 3 },
      refused: 3,
      allowlist_dropped: 3,
      workers: 2,
      workers_missing: 0,
    });
    expect(json.result.listeners).toHaveLength(2);
  });

  it('a worker that cannot answer is reported missing within the timeout, not waited for', async () => {
    running = await startPooledServer({
      children_count: 2,
      execArgv: [],
      log_level: -3,
      logger: quiet,
      socket_name: 'udp:127.0.0.1:0',
    });
    const [stopped, live] = running.pool.workers as [number, number];
    seen.add(stopped);
    seen.add(live);
    const c = await client(running.addresses[0] as string);
    expect(parse(await ask(c, ':mi_stats:\n')).lines).toMatchObject({
      Workers: '2',
      'Workers missing': '0',
    });
    process.kill(stopped, 'SIGSTOP');
    try {
      const started = Date.now();
      // Only the live worker reads while the other is stopped.
      const reply = await ask(c, ':mi_stats:\n', 6000);
      const elapsed = Date.now() - started;
      expect(parse(reply).lines).toMatchObject({ Workers: '1', 'Workers missing': '1' });
      // POOL_STATS_TIMEOUT_MS (1 s), far below the IPC's default 5 s.
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(3000);
    } finally {
      process.kill(stopped, 'SIGCONT');
    }
    await waitFor(
      async () => parse(await ask(c, ':mi_stats:\n')).lines['Workers missing'] === '0',
      5_000,
      'the resumed worker to answer again',
    );
  });
});

describe('mergeStatsSnapshots (unit)', () => {
  it('merges histograms bucket by bucket: percentiles as if one process had seen everything', () => {
    const all = new LatencyHistogram();
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 900; i++) {
      const us = (i * 37) % 200;
      all.record(us);
      a.record(us);
    }
    for (let i = 0; i < 100; i++) {
      const us = 5_000 + i * 40;
      all.record(us);
      b.record(us);
    }
    const base = {
      received: 0,
      replies: { '2xx': 0, '4xx': 0, '5xx': 0, other: 0, jsonrpc_errors: 0 },
      errors: { PARSE_ERROR: 0, NOT_AVAILABLE: 0, REQUEST_TOO_LARGE: 0 },
      noReply: 0,
      unanswerable: 0,
      transportDropped: 0,
      refused: 0,
      allowlistDropped: 0,
      rateLimited: 0,
      listeners: [],
    };
    const merged = mergeStatsSnapshots([
      statsSnapshot(base, [{ name: 'x', maxUs: a.max, buckets: a.buckets() }]),
      statsSnapshot({ ...base, received: 3 }, [{ name: 'x', maxUs: b.max, buckets: b.buckets() }]),
    ]);
    expect(merged.received).toBe(3);
    expect(merged.workers).toBeUndefined();
    expect(merged.commands).toEqual([
      {
        name: 'x',
        calls: 1000,
        p50Us: all.quantile(0.5),
        p90Us: all.quantile(0.9),
        p99Us: all.quantile(0.99),
        maxUs: Math.ceil(all.max),
      },
    ]);
    // p99 comes from the second process, p50 from the first: neither alone has both.
    expect(merged.commands[0]?.p99Us).toBeGreaterThan(5_000);
    expect(merged.commands[0]?.p50Us).toBeLessThan(200);
  });
});
