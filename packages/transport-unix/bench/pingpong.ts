// Ping-pong requests/s through this transport (UNIX datagram, own addon)
// next to a node:dgram UDP baseline measured in the same run, alternating.
//
//   pnpm --filter @mi-datagram/transport-unix bench           (3 rounds x 2 s per cell)
//   BENCH_SECONDS=3 BENCH_ROUNDS=5 pnpm --filter @mi-datagram/transport-unix bench
//
// Each echo server runs in its own process; the client keeps `depth`
// requests outstanding (1 and 16) and sends the next one on every reply.
// Besides requests/s (sensitive to other load on the machine) it reports the
// CPU time client + server spend per request, which is much steadier.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openUnixReplySocket } from '../src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '2');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '3');
const DEPTHS = [1, 16];
const PAYLOAD = new TextEncoder().encode(':uptime:\n'.padEnd(64, ' '));
const here = dirname(fileURLToPath(import.meta.url));

interface Server {
  readonly child: ChildProcess;
  readonly address: string;
  readonly lines: string[];
}

interface Run {
  readonly rate: number;
  /** CPU microseconds per request, client and server together. */
  readonly cpu: number;
}

function startServer(args: string[]): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'echo-server.ts'), ...args],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const m = /^ready (.+)$/.exec(line);
        if (m?.[1] !== undefined) resolve({ child, address: m[1], lines });
      }
    });
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
}

async function serverCpu(s: Server): Promise<number> {
  const seen = s.lines.length;
  s.child.stdin?.write('cpu\n');
  for (;;) {
    const line = s.lines.slice(seen).find((l) => l.startsWith('cpu '));
    if (line !== undefined) return Number(line.slice(4));
    await new Promise((r) => setTimeout(r, 2));
  }
}

function stopServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.child.removeAllListeners('exit');
    s.child.once('exit', () => resolve());
    s.child.stdin?.end();
  });
}

/** Runs one timed ping-pong; `start(onReply)` sends the first `depth` requests. */
async function measure(
  server: Server,
  depth: number,
  setup: (onReply: () => void) => Promise<{ send(): void; finish(): Promise<void> }>,
): Promise<Run> {
  let replies = 0;
  let stopping = false;
  const client = await setup(() => {
    replies++;
    if (!stopping) client.send();
  });
  const serverBefore = await serverCpu(server);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < depth; i++) client.send();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  stopping = true;
  const elapsed = (performance.now() - start) / 1000;
  const counted = replies;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = await serverCpu(server);
  await new Promise((r) => setTimeout(r, 50));
  await client.finish();
  return {
    rate: counted / elapsed,
    cpu: (cpu.user + cpu.system + serverAfter - serverBefore) / counted,
  };
}

function runUnix(server: Server, depth: number): Promise<Run> {
  return measure(server, depth, async (onReply) => {
    const socket = await openUnixReplySocket({ onMessage: onReply });
    return {
      send: () => void socket.send(PAYLOAD, server.address),
      async finish() {
        const { dropped } = socket.stats();
        await socket.close();
        if (dropped > 0) throw new Error(`unix client dropped ${dropped} requests`);
      },
    };
  });
}

function runUdp(server: Server, depth: number): Promise<Run> {
  const port = Number(server.address);
  return measure(server, depth, async (onReply) => {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    socket.on('message', onReply);
    return {
      send: () => socket.send(PAYLOAD, port, '127.0.0.1'),
      finish: () => new Promise<void>((r) => socket.close(r)),
    };
  });
}

const dir = mkdtempSync(join(tmpdir(), 'mi-bench-'));
const unixServer = await startServer(['unix', join(dir, 'echo.sock')]);
const udpServer = await startServer(['udp']);
const results = new Map<number, { unix: Run[]; udp: Run[] }>();
try {
  for (const depth of DEPTHS) {
    const r = { unix: [] as Run[], udp: [] as Run[] };
    results.set(depth, r);
    for (let round = 0; round < ROUNDS; round++) {
      // alternate which goes first, so drift in machine load hits both alike
      const order = round % 2 === 0 ? (['unix', 'udp'] as const) : (['udp', 'unix'] as const);
      for (const kind of order) {
        const run =
          kind === 'unix' ? await runUnix(unixServer, depth) : await runUdp(udpServer, depth);
        r[kind].push(run);
        process.stderr.write(
          `depth ${depth} round ${round + 1} ${kind}: ${Math.round(run.rate)} req/s, ${run.cpu.toFixed(1)} µs CPU/req\n`,
        );
      }
    }
  }
} finally {
  await stopServer(unixServer);
  await stopServer(udpServer);
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const rows = [...results].map(([depth, r]) => {
  const unixRate = median(r.unix.map((x) => x.rate));
  const udpRate = median(r.udp.map((x) => x.rate));
  const unixCpu = median(r.unix.map((x) => x.cpu));
  const udpCpu = median(r.udp.map((x) => x.cpu));
  return {
    outstanding: depth,
    'unix req/s': Math.round(unixRate),
    'udp req/s': Math.round(udpRate),
    'req/s unix÷udp': Number((unixRate / udpRate).toFixed(2)),
    'unix µs CPU/req': Number(unixCpu.toFixed(1)),
    'udp µs CPU/req': Number(udpCpu.toFixed(1)),
    'CPU udp÷unix': Number((udpCpu / unixCpu).toFixed(2)),
  };
});
console.log(
  `ping-pong, 64-byte datagrams, median of ${ROUNDS} x ${SECONDS}s per cell, node ${process.version}; ` +
    'unix = @mi-datagram/transport-unix both sides, udp = node:dgram both sides',
);
console.table(rows);
