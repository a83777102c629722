/**
 * MiClient throughput next to raw load generators, in the same run, against the real server.
 *
 *   pnpm turbo run build --filter=@mi-datagram/client... --filter=@mi-datagram/server...
 *   pnpm --filter @mi-datagram/client bench          (BENCH_SECONDS=3, BENCH_ROUNDS=3 by default)
 *
 * For each transport (UNIX, UDP) and concurrency (1, 16), `version` calls/s through:
 *   - MiClient: `await client.call('version')` in C closed loops on one client (encode, reply
 *     socket per outstanding call, parse, timeout timer, pool);
 *   - raw node: C reply sockets of the same transports sending pre-encoded bytes and re-sending on
 *     every reply (no encode, no parse, no timers), with the transport's fast paths MiClient uses
 *     (UNIX: receiveBatchSize 1, zeroCopy, connect(); UDP: connect()): what Node + the transport
 *     can do;
 *   - loadgen: /work/shared/bench/loadgen.c (the instrument OpenSIPS 2.4 was measured with),
 *     compiled with gcc into a temp dir at bench time (skipped, and said so, without gcc or
 *     without the file).
 * The ratio MiClient/raw says how much the client costs; the server is the same for all.
 * `server busy` is the share of one CPU the server process used during each measurement (from
 * /proc/PID/stat): near 100% the server is the bottleneck, well below it the client is.
 * Each cell runs BENCH_ROUNDS rounds of MiClient, raw node and loadgen back to back (on a shared
 * machine the load changes between rounds); every figure is the median over the rounds, the
 * ratios the medians of the per-round ratios.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
// The built package (what users run; `pnpm build` first, as for the server's dist/cli.js), not
// ../src through tsx: tsx compiles with esbuild's keepNames, which wraps every function
// expression in `__name(fn, 'name')`, an Object.defineProperty per closure created. MiClient
// creates several closures per call, so from src it measured 1.5-2 µs/call of CPU that the
// published code does not spend (perf: Builtin_ObjectDefineProperty under `__name`).
import { MiClient } from '@mi-datagram/client';
import { openUdpReplySocket } from '@mi-datagram/transport-udp';
import { openUnixReplySocket } from '@mi-datagram/transport-unix';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SERVER_CLI = join(REPO, 'packages/server/dist/cli.js');
const LOADGEN_SRC = fileURLToPath(new URL('../../../../shared/bench/loadgen.c', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? '3');
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? '3')));
const WARMUP_MS = 300;
const CONCURRENCY = [1, 16] as const;
const REQUEST = new TextEncoder().encode(':version:\n');

interface Result {
  readonly rps: number;
  /** Share of one CPU the server process used during the window (1 = a whole core). */
  readonly serverBusy?: number;
  /** CPU time (user + system) of this process per completed call, in µs. */
  readonly cpuPerCall?: number;
  readonly p50?: number;
  readonly p99?: number;
}

function median(values: readonly (number | undefined)[]): number {
  const sorted = values.filter((v): v is number => v !== undefined && !Number.isNaN(v));
  sorted.sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

interface Server {
  readonly address: string;
  /** CPU time (user + system) the server process has used so far, in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

function cpuSecondsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return Number.NaN;
  }
}

async function startServer(socketName: string): Promise<Server> {
  const child = spawn(process.execPath, [SERVER_CLI, '--socket-name', socketName], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('listening'));
      const match = line === undefined ? null : /(udp:\S+|\/\S+)/.exec(line);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
  });
  return {
    address,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function benchClient(server: Server, concurrency: number): Promise<Result> {
  const target = server.address;
  const client = new MiClient(target, { timeout: 5000 });
  const latencies: number[] = [];
  let counting = false;
  let stop = false;
  const loop = async (): Promise<void> => {
    while (!stop) {
      const t0 = performance.now();
      const reply = await client.call('version');
      if (reply.code !== 200) throw new Error(`unexpected reply ${reply.code}`);
      if (counting) latencies.push(performance.now() - t0);
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  const { rps, cpuPerCall, serverBusy } = await measure(
    server,
    () => {
      counting = true;
    },
    () => latencies.length,
  );
  stop = true;
  await Promise.all(loops);
  await client.close();
  latencies.sort((a, b) => a - b);
  return {
    rps,
    cpuPerCall,
    serverBusy,
    p50: percentile(latencies, 0.5) * 1000,
    p99: percentile(latencies, 0.99) * 1000,
  };
}

/**
 * Waits out the warm-up, calls `start` (from then on the loops count), then measures calls/s and
 * this process's CPU time per call over BENCH_SECONDS; `count` reads the calls counted so far.
 */
async function measure(
  server: Server,
  start: () => void,
  count: () => number,
): Promise<{ rps: number; cpuPerCall: number; serverBusy: number }> {
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  start();
  const cpu = process.cpuUsage();
  const serverCpu = server.cpuSeconds();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const serverBusy = (server.cpuSeconds() - serverCpu) / elapsed;
  const calls = count();
  return { rps: calls / elapsed, cpuPerCall: (used.user + used.system) / calls, serverBusy };
}

/** C raw reply sockets of the transport, each re-sending the same bytes on every reply. */
async function benchRawNode(server: Server, concurrency: number): Promise<Result> {
  const target = server.address;
  let completed = 0;
  let counting = false;
  let stop = false;
  const closers: Array<() => Promise<void>> = [];
  for (let i = 0; i < concurrency; i++) {
    if (target.startsWith('udp:')) {
      const at = target.lastIndexOf(':');
      const host = target.slice(4, at).replace(/^\[|\]$/g, '');
      const peer = {
        address: host,
        port: Number(target.slice(at + 1)),
        family: host.includes(':') ? 'IPv6' : 'IPv4',
      } as const;
      let connecting = false;
      const t = await openUdpReplySocket(
        { host },
        {
          onMessage() {
            if (counting) completed++;
            if (!connecting) {
              connecting = true;
              void t.connect(peer);
            }
            if (!stop) t.send(REQUEST, peer);
          },
        },
      );
      closers.push(() => t.close());
      t.send(REQUEST, peer);
    } else {
      // The transport's fast paths, as MiClient uses them: one datagram per wakeup, received in
      // place, and connected to a server that answers from its own address.
      const t = await openUnixReplySocket({
        receiveBatchSize: 1,
        zeroCopy: true,
        onMessage(_data, peer) {
          if (counting) completed++;
          if (peer === target && t.connectedPeer === undefined) t.connect(target);
          if (!stop) t.send(REQUEST, target);
        },
      });
      closers.push(() => t.close());
      t.send(REQUEST, target);
    }
  }
  const result = await measure(
    server,
    () => {
      counting = true;
    },
    () => completed,
  );
  stop = true;
  await Promise.all(closers.map((close) => close()));
  return result;
}

function buildLoadgen(dir: string): string | undefined {
  if (!existsSync(LOADGEN_SRC)) {
    console.log(`(loadgen: ${LOADGEN_SRC} not found, column skipped)`);
    return undefined;
  }
  const binary = join(dir, 'loadgen');
  try {
    execFileSync('gcc', ['-O2', '-o', binary, LOADGEN_SRC], { stdio: 'pipe' });
    return binary;
  } catch (error) {
    console.log(
      `(loadgen: gcc failed, column skipped: ${(error as Error).message.split('\n')[0]})`,
    );
    return undefined;
  }
}

function benchLoadgen(binary: string, server: Server, concurrency: number): Result {
  const target = server.address;
  const t = target.startsWith('udp:') ? target : `unix:${target}`;
  // loadgen's whole run, its start included (a few ms in SECONDS).
  const serverCpu = server.cpuSeconds();
  const started = performance.now();
  const out = execFileSync(
    binary,
    ['-t', t, '-c', String(concurrency), '-d', String(SECONDS), '-r', ':version:\\n'],
    {
      encoding: 'utf8',
    },
  );
  const serverBusy = (server.cpuSeconds() - serverCpu) / ((performance.now() - started) / 1000);
  const field = (name: string): number =>
    Number(new RegExp(`${name}=([0-9.]+)`).exec(out)?.[1] ?? Number.NaN);
  return { rps: field('rps'), p50: field('p50_us'), p99: field('p99_us'), serverBusy };
}

const fmt = (n: number | undefined): string =>
  n === undefined || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US');
const percent = (share: number): string =>
  Number.isNaN(share) ? '-' : `${Math.round(share * 100)}%`;
const ratio = (a: number, b: number | undefined): string =>
  b === undefined || Number.isNaN(b) ? '-' : (a / b).toFixed(2);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mi-client-bench-'));
  const servers: Server[] = [];
  try {
    const loadgen = buildLoadgen(dir);
    servers.push(await startServer(join(dir, 'bench.sock')));
    servers.push(await startServer('udp:127.0.0.1:0'));
    let qlen = '?';
    try {
      qlen = readFileSync('/proc/sys/net/unix/max_dgram_qlen', 'utf8').trim();
    } catch {}
    console.log(
      `node ${process.version}, ${availableParallelism()} CPUs, net.unix.max_dgram_qlen=${qlen}, ` +
        `${ROUNDS} rounds × ${SECONDS} s per cell after ${WARMUP_MS} ms warm-up (medians), request :version:\n`,
    );
    const rows: string[][] = [];
    for (const server of servers) {
      const kind = server.address.startsWith('udp:') ? 'udp' : 'unix';
      for (const c of CONCURRENCY) {
        const clients: Result[] = [];
        const raws: Result[] = [];
        const lgs: (Result | undefined)[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          clients.push(await benchClient(server, c));
          raws.push(await benchRawNode(server, c));
          lgs.push(loadgen === undefined ? undefined : benchLoadgen(loadgen, server, c));
        }
        const of = (results: readonly (Result | undefined)[], key: keyof Result): number =>
          median(results.map((r) => r?.[key]));
        const perRound = (b: readonly (Result | undefined)[]): number =>
          median(clients.map((r, i) => r.rps / (b[i]?.rps ?? Number.NaN)));
        rows.push([
          kind,
          String(c),
          fmt(of(clients, 'rps')),
          `${fmt(of(clients, 'p50'))}/${fmt(of(clients, 'p99'))}`,
          fmt(of(raws, 'rps')),
          fmt(of(lgs, 'rps')),
          `${of(clients, 'cpuPerCall').toFixed(1)}/${of(raws, 'cpuPerCall').toFixed(1)}`,
          [clients, raws, lgs].map((r) => percent(of(r, 'serverBusy'))).join('/'),
          ratio(perRound(raws), 1),
          loadgen === undefined ? '-' : ratio(perRound(lgs), 1),
        ]);
      }
    }
    const head = [
      'transport',
      'conc',
      'MiClient/s',
      'p50/p99 µs',
      'raw node/s',
      'loadgen/s',
      'CPU µs/call MiClient/raw',
      'server busy MiClient/raw/loadgen',
      'client/raw',
      'client/loadgen',
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) =>
      `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(' | ')} |`;
    console.log(line(head));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
