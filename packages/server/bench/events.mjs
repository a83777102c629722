// Cost of `events.raise()` on a hot path (docs/events.md): an event nobody
// is subscribed to, with and without a params object, against an empty loop;
// then one with a subscriber (a UDP socket of this process), which encodes
// the datagram and hands it to the sender without waiting. ns per raise,
// best of BENCH_REPEAT runs.
//
// Usage: pnpm --filter @mi-datagram/server build && node bench/events.mjs
//        (BENCH_OPS default 10_000_000, BENCH_REPEAT default 5)
import { createSocket } from 'node:dgram';
import { createLogger, EventPublisher, EventService } from '../dist/index.js';

const ops = Number(process.env.BENCH_OPS ?? 10_000_000);
const repeat = Number(process.env.BENCH_REPEAT ?? 5);
const publisher = new EventPublisher();
publisher.declare('E_BENCH');

function best(name, n, body) {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeat; r++) {
    const start = process.hrtime.bigint();
    body(n);
    const ns = Number(process.hrtime.bigint() - start) / n;
    if (ns < min) min = ns;
  }
  console.log(`${name.padEnd(36)} ${min.toFixed(2)} ns/op`);
}

best('empty loop', ops, (n) => {
  let x = 0;
  for (let i = 0; i < n; i++) x ^= i;
  return x;
});
best('raise, no subscriber, no params', ops, (n) => {
  for (let i = 0; i < n; i++) publisher.raise('E_BENCH');
});
best('raise, no subscriber, { i }', ops, (n) => {
  for (let i = 0; i < n; i++) publisher.raise('E_BENCH', { i });
});

// One subscriber: encode + non-blocking send (drops past the queue bound are counted).
const sink = createSocket('udp4');
let received = 0;
sink.on('message', () => received++);
await new Promise((resolve) => sink.bind(0, '127.0.0.1', resolve));
const service = new EventService({
  logger: createLogger({ level: -3 }),
  socketTimeoutMs: 2000,
  publisher,
});
service.subscribe({
  event: 'E_BENCH',
  socket: `udp:127.0.0.1:${sink.address().port}`,
  expire: 60,
  format: 'json',
  target: { kind: 'udp', address: '127.0.0.1', port: sink.address().port, family: 4 },
});
// Bursts of 256 (the sender's queue holds 64 per subscriber past a full socket
// buffer), with a turn of the event loop between them so the kernel drains.
const bursts = 200;
let spent = 0n;
for (let b = 0; b < bursts; b++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < 256; i++) publisher.raise('E_BENCH', { i });
  spent += process.hrtime.bigint() - start;
  await new Promise((resolve) => setImmediate(resolve));
}
console.log(
  `${'raise, one UDP subscriber, { i }'.padEnd(36)} ${(Number(spent) / (bursts * 256)).toFixed(2)} ns/op`,
);
await new Promise((resolve) => setTimeout(resolve, 500));
const stats = service.stats();
console.log(`sent ${stats.sent}, dropped ${stats.dropped}, received ${received}`);
await service.close();
sink.close();
