// Ping-pong requests/s through UdpTransport (client and echo server) against
// raw node:dgram (client and echo server), measured alternately in one run.
// The echo servers run in a child process, the clients here: two processes,
// one core each on a 2-core machine.
//
//   pnpm --filter @mi-datagram/transport-udp bench
//   BENCH_SECONDS=3 BENCH_ROUNDS=3 pnpm --filter @mi-datagram/transport-udp bench
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { openUdpReplySocket, type UdpTransport } from '../src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OUTSTANDING = [1, 16] as const;
// A tiny MI request, as a `which` call would be.
const REQUEST = new TextEncoder().encode(':which:\n');

interface Result {
  readonly requestsPerSecond: number;
  readonly refills: number;
}

/**
 * Keeps `outstanding` requests in flight for SECONDS and counts the replies.
 * `send` issues one request; the caller wires `onReply` to its receive path.
 * A datagram lost on the way would shrink the window, so a watchdog refills
 * it when no reply came for 100 ms (reported as `refills`; expected 0).
 */
async function pingPong(
  outstanding: number,
  setup: (onReply: () => void) => Promise<{ send: () => void; close: () => Promise<void> }>,
): Promise<Result> {
  let replies = 0;
  let running = true;
  let counting = false;
  const state: { send?: () => void } = {};
  const client = await setup(() => {
    if (counting) replies++;
    if (running) state.send?.();
  });
  state.send = client.send;
  // Warm-up: 200 ms not counted.
  for (let i = 0; i < outstanding; i++) client.send();
  await new Promise((resolve) => setTimeout(resolve, 200));
  counting = true;
  const started = process.hrtime.bigint();
  let refills = 0;
  let lastSeen = -1;
  const watchdog = setInterval(() => {
    if (replies === lastSeen) {
      refills++;
      for (let i = 0; i < outstanding; i++) client.send();
    }
    lastSeen = replies;
  }, 100);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const counted = replies;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  running = false;
  counting = false;
  clearInterval(watchdog);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await client.close();
  return { requestsPerSecond: counted / elapsed, refills };
}

function rawClient(port: number) {
  return async (onReply: () => void) => {
    const socket = createSocket('udp4');
    socket.on('message', onReply);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return {
      send: () => {
        socket.send(REQUEST, port, '127.0.0.1');
      },
      close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
    };
  };
}

function transportClient(port: number) {
  return async (onReply: () => void) => {
    const transport: UdpTransport = await openUdpReplySocket(
      { host: '127.0.0.1' },
      { onMessage: onReply },
    );
    const server = { address: '127.0.0.1', port, family: 'IPv4' } as const;
    return {
      send: () => {
        transport.send(REQUEST, server);
      },
      close: () => transport.close(),
    };
  };
}

const child = fork(fileURLToPath(new URL('./echo-server.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const ports = await new Promise<{ rawPort: number; transportPort: number }>((resolve) =>
  child.once('message', (message) =>
    resolve(message as { rawPort: number; transportPort: number }),
  ),
);

const samples = new Map<string, number[]>();
let refills = 0;
function record(key: string, result: Result): void {
  const list = samples.get(key) ?? [];
  list.push(result.requestsPerSecond);
  samples.set(key, list);
  refills += result.refills;
}

console.log(
  `UDP ping-pong on 127.0.0.1, ${ROUNDS} rounds x ${SECONDS} s per cell, alternating (node ${process.version})`,
);
for (let round = 1; round <= ROUNDS; round++) {
  for (const outstanding of OUTSTANDING) {
    // Alternate which variant goes first, so drift does not favour one.
    const order =
      round % 2 === 1 ? (['raw', 'transport'] as const) : (['transport', 'raw'] as const);
    for (const variant of order) {
      const result =
        variant === 'raw'
          ? await pingPong(outstanding, rawClient(ports.rawPort))
          : await pingPong(outstanding, transportClient(ports.transportPort));
      record(`${variant}/${outstanding}`, result);
      console.log(
        `  round ${round}  ${variant.padEnd(9)}  outstanding ${String(outstanding).padStart(2)}: ${Math.round(result.requestsPerSecond).toLocaleString('en-US')} req/s`,
      );
    }
  }
}

const serverStats = await new Promise<Record<string, number>>((resolve) => {
  child.once('message', (message) => resolve((message as { stats: Record<string, number> }).stats));
  child.send('stats');
});
child.send('stop');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

console.log('');
console.log('| outstanding | raw node:dgram (req/s) | UdpTransport (req/s) | UdpTransport / raw |');
console.log('| ---: | ---: | ---: | ---: |');
for (const outstanding of OUTSTANDING) {
  const raw = median(samples.get(`raw/${outstanding}`) ?? []);
  const transport = median(samples.get(`transport/${outstanding}`) ?? []);
  console.log(
    `| ${outstanding} | ${Math.round(raw).toLocaleString('en-US')} | ${Math.round(transport).toLocaleString('en-US')} | ${(transport / raw).toFixed(2)} |`,
  );
}
console.log('');
console.log(
  `medians of ${ROUNDS} rounds; window refills after a lost datagram: ${refills}; ` +
    `echo server (UdpTransport) stats: sent ${serverStats.sent}, dropped ${serverStats.dropped}`,
);
