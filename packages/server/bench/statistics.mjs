// Cost of a statistics update on a hot path: `counter.inc()` and
// `gauge.set()` of the statistics API, against an empty loop and a plain
// object property increment, in ns per operation (best of BENCH_REPEAT runs
// of BENCH_OPS operations), plus the heap growth over the counter runs (it
// allocates nothing per increment).
//
// Usage: pnpm --filter @mi-datagram/server build && node bench/statistics.mjs
//        (BENCH_OPS default 50_000_000, BENCH_REPEAT default 5)
import { StatisticsRegistry } from '../dist/index.js';

const ops = Number(process.env.BENCH_OPS ?? 50_000_000);
const repeat = Number(process.env.BENCH_REPEAT ?? 5);
const registry = new StatisticsRegistry();
const counter = registry.counter('bench', 'hits');
const gauge = registry.gauge('bench', 'depth');
const plain = { value: 0 };

function best(name, body) {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeat; r++) {
    const start = process.hrtime.bigint();
    body(ops);
    const ns = Number(process.hrtime.bigint() - start) / ops;
    if (ns < min) min = ns;
  }
  console.log(`${name.padEnd(28)} ${min.toFixed(2)} ns/op`);
  return min;
}

best('empty loop', (n) => {
  let x = 0;
  for (let i = 0; i < n; i++) x ^= i;
  return x;
});
best('plain property ++', (n) => {
  for (let i = 0; i < n; i++) plain.value++;
});
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
best('counter.inc()', (n) => {
  for (let i = 0; i < n; i++) counter.inc();
});
best('counter.inc(3)', (n) => {
  for (let i = 0; i < n; i++) counter.inc(3);
});
best('gauge.set(i)', (n) => {
  for (let i = 0; i < n; i++) gauge.set(i);
});
const heapAfter = process.memoryUsage().heapUsed;
console.log(
  `heap growth over ${(3 * repeat * ops).toExponential(1)} updates: ${((heapAfter - heapBefore) / 1024).toFixed(0)} KiB`,
);
console.log(`(counter ${counter.value}, plain ${plain.value})`);
