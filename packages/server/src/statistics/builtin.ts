/**
 * The built-in statistics of a server process: group `mi` (the request
 * path's counters, the ones `mi_stats` reports) and group `process` (the
 * Node.js process). Names and meanings: docs/statistics.md.
 */
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { StatisticsRegistry } from './registry.js';
import type { MiStatsSource } from './snapshot.js';

/** How often the event-loop utilisation and delay are sampled (their window). */
export const PROCESS_SAMPLE_MS = 1000;

/** `mi:NAME` → how it is read from `mi_stats`' numbers. */
const MI_COUNTERS: readonly (readonly [string, (s: MiStatsSource) => number, string])[] = [
  ['requests', (s) => s.received, 'requests received (datagrams handed to the pipeline)'],
  ['replies_2xx', (s) => s.replies['2xx'], 'replies with a 2xx status'],
  ['replies_4xx', (s) => s.replies['4xx'], 'replies with a 4xx status'],
  ['replies_5xx', (s) => s.replies['5xx'], 'replies with a 5xx status'],
  ['replies_other', (s) => s.replies.other, 'replies with another status class'],
  ['jsonrpc_errors', (s) => s.replies.jsonrpc_errors, 'JSON-RPC error responses (negative codes)'],
  ['parse_errors', (s) => s.errors.PARSE_ERROR, 'requests that did not parse'],
  ['unknown_commands', (s) => s.errors.NOT_AVAILABLE, 'requests naming no registered command'],
  ['too_large', (s) => s.errors.REQUEST_TOO_LARGE, 'requests over the size limit'],
  ['empty', (s) => s.noReply, 'empty datagrams (never answered)'],
  ['unanswerable', (s) => s.unanswerable, 'requests whose sender cannot be answered'],
  ['dropped_replies', (s) => s.transportDropped, 'replies the transports gave up'],
  ['refused', (s) => s.refused, 'requests refused with 403 (listener level)'],
  ['allowlist_dropped', (s) => s.allowlistDropped, 'datagrams dropped by an allowlist'],
  ['rate_limited', (s) => s.rateLimited, 'requests refused with 429 (rate limit)'],
  ['busy', (s) => s.busy, 'requests refused with 503 (work in flight at its bound)'],
  ['timed_out', (s) => s.timedOut, 'requests answered 504 (handler past its deadline)'],
  ['late_results', (s) => s.lateResults, 'handler results dropped because they came after 504'],
];

/** The built-in registry of one server process; `close()` stops its sampler. */
export interface BuiltinStatistics {
  readonly registry: StatisticsRegistry;
  close(): void;
}

/**
 * The `mi` and `process` groups. `mi`: this process's request-path numbers
 * (read once per query, not per statistic).
 */
export function createBuiltinStatistics(mi: () => MiStatsSource): BuiltinStatistics {
  const registry = new StatisticsRegistry();
  let cached: MiStatsSource | null = null;
  const current = (): MiStatsSource => {
    if (cached === null) {
      cached = mi();
      // One query reads every statistic in one synchronous run: one stats() call.
      queueMicrotask(() => {
        cached = null;
      });
    }
    return cached;
  };
  for (const [name, read, help] of MI_COUNTERS) {
    registry.derivedCounter('mi', name, () => read(current()), help);
  }

  let memory: NodeJS.MemoryUsage | null = null;
  const mem = (): NodeJS.MemoryUsage => {
    if (memory === null) {
      memory = process.memoryUsage();
      queueMicrotask(() => {
        memory = null;
      });
    }
    return memory;
  };
  registry.gauge('process', 'rss', { read: () => mem().rss, help: 'resident set size, bytes' });
  registry.gauge('process', 'heap_used', {
    read: () => mem().heapUsed,
    help: 'V8 heap used, bytes',
  });
  registry.gauge('process', 'heap_total', {
    read: () => mem().heapTotal,
    help: 'V8 heap allocated, bytes',
  });
  const elu = registry.gauge('process', 'event_loop_utilization', {
    merge: 'avg',
    help: 'percent of the last second the event loop was busy',
  });
  const delayMean = registry.gauge('process', 'event_loop_delay_us', {
    merge: 'max',
    help: 'mean event-loop delay over the last second, µs',
  });
  const delayMax = registry.gauge('process', 'event_loop_delay_max_us', {
    merge: 'max',
    help: 'largest event-loop delay over the last second, µs',
  });
  registry.gauge('process', 'uptime', {
    merge: 'max',
    read: () => Math.floor(process.uptime()),
    help: 'seconds since the process started',
  });

  let delay: IntervalHistogram | null = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    elu.set(Math.round(performance.eventLoopUtilization(now, last).utilization * 100));
    last = now;
    if (delay !== null && delay.count > 0) {
      delayMean.set(Math.round(delay.mean / 1000));
      delayMax.set(Math.round(delay.max / 1000));
      delay.reset();
    }
  }, PROCESS_SAMPLE_MS);
  timer.unref();
  return {
    registry,
    close: () => {
      clearInterval(timer);
      delay?.disable();
      delay = null;
    },
  };
}
