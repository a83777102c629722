// Ping-pong requests/s through this transport (UNIX datagram, own addon)
// next to a node:dgram UDP baseline measured in the same run, alternating.
//
//   pnpm --filter @mi-datagram/transport-unix bench           (2 s per run)
//   BENCH_SECONDS=3 BENCH_ROUNDS=3 pnpm --filter @mi-datagram/transport-unix bench
//
// Each echo server runs in its own process; the client keeps `depth`
// requests outstanding (1 and 16) and sends the next one on every reply.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openUnixReplySocket } from '../src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '2');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '2');
const DEPTHS = [1, 16];
const PAYLOAD = new TextEncoder().encode(':uptime:\n'.padEnd(64, ' '));
const here = dirname(fileURLToPath(import.meta.url));

interface Server {
  readonly child: ChildProcess;
  readonly address: string;
}

function startServer(args: string[]): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'echo-server.ts'), ...args],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /ready (.+)\n/.exec(out);
      if (m?.[1] !== undefined) resolve({ child, address: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
}

function stopServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.child.removeAllListeners('exit');
    s.child.once('exit', () => resolve());
    s.child.stdin?.end();
  });
}

async function runUnix(path: string, depth: number): Promise<number> {
  let replies = 0;
  let stopping = false;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  let inflight = depth;
  const client = await openUnixReplySocket({
    onMessage() {
      replies++;
      if (stopping) {
        if (--inflight === 0) done();
        return;
      }
      client.send(PAYLOAD, path);
    },
  });
  const start = performance.now();
  for (let i = 0; i < depth; i++) client.send(PAYLOAD, path);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  stopping = true;
  const elapsed = (performance.now() - start) / 1000;
  const counted = replies;
  await Promise.race([finished, new Promise((r) => setTimeout(r, 1000))]);
  const { dropped, retried } = client.stats();
  if (process.env.BENCH_DEBUG) process.stderr.write(`  client retried ${retried}\n`);
  await client.close();
  if (dropped > 0) throw new Error(`unix client dropped ${dropped} requests`);
  return counted / elapsed;
}

async function runUdp(port: number, depth: number): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  let replies = 0;
  let stopping = false;
  socket.on('message', () => {
    replies++;
    if (!stopping) socket.send(PAYLOAD, port, '127.0.0.1');
  });
  const start = performance.now();
  for (let i = 0; i < depth; i++) socket.send(PAYLOAD, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  stopping = true;
  const elapsed = (performance.now() - start) / 1000;
  const counted = replies;
  await new Promise((r) => setTimeout(r, 50));
  await new Promise<void>((r) => socket.close(r));
  return counted / elapsed;
}

const dir = mkdtempSync(join(tmpdir(), 'mi-bench-'));
const unixServer = await startServer(['unix', join(dir, 'echo.sock')]);
const udpServer = await startServer(['udp']);
const results = new Map<string, { unix: number[]; udp: number[] }>();
try {
  for (const depth of DEPTHS) {
    const r = { unix: [] as number[], udp: [] as number[] };
    results.set(String(depth), r);
    for (let round = 0; round < ROUNDS; round++) {
      // alternate which goes first, so drift in machine load hits both alike
      const order = round % 2 === 0 ? (['unix', 'udp'] as const) : (['udp', 'unix'] as const);
      for (const kind of order) {
        const rate =
          kind === 'unix'
            ? await runUnix(unixServer.address, depth)
            : await runUdp(Number(udpServer.address), depth);
        r[kind].push(rate);
        process.stderr.write(
          `depth ${depth} round ${round + 1} ${kind}: ${Math.round(rate)} req/s\n`,
        );
      }
    }
  }
} finally {
  await stopServer(unixServer);
  await stopServer(udpServer);
  rmSync(dir, { recursive: true, force: true });
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = [...results].map(([depth, r]) => {
  const unix = mean(r.unix);
  const udp = mean(r.udp);
  return {
    outstanding: Number(depth),
    'unix (this addon) req/s': Math.round(unix),
    'udp (node:dgram) req/s': Math.round(udp),
    'unix / udp': Number((unix / udp).toFixed(2)),
  };
});
console.log(
  `ping-pong, 64-byte datagrams, ${ROUNDS} x ${SECONDS}s per cell, node ${process.version}`,
);
console.table(rows);
