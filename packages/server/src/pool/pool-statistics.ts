/**
 * The statistics commands and the metrics endpoint of a `children_count` > 1
 * server, over the same IPC as `mi_stats` (pool-stats.ts): the asking process
 * broadcasts a request, every worker answers with its own statistic values
 * (and raw latency histograms), and the asker sums them
 * (`mergeStatistics`). A worker that does not answer within
 * {@link POOL_STATS_TIMEOUT_MS} is missing: the reply does not wait for it
 * and names it (`pool:answered-proc-ID` is 0). A reset is broadcast the same
 * way, so it reaches every worker.
 */
import type { BroadcastResult, JsonValue } from '@mi-datagram/worker-pool';
import { isRecord } from '../common/index.js';
import type { Logger } from '../ops/index.js';
import {
  type CommandHistogramSnapshot,
  mergeStatistics,
  type ProcessStatistics,
  type ProcessStatisticsSet,
  parseHistogramSnapshots,
  parseStatisticValues,
  type StatisticValue,
} from '../statistics/index.js';
import { POOL_STATS_TIMEOUT_MS } from './pool-stats.js';

export const STATISTICS_OP = 'mi-datagram/statistics';
export const STATISTICS_RESET_OP = 'mi-datagram/statistics-reset';

type Broadcast = (
  payload: JsonValue,
  options: { readonly timeoutMs: number },
) => Promise<readonly BroadcastResult[]>;

/** What a worker answers to {@link STATISTICS_OP}. */
export function statisticsAnswer(
  set: ProcessStatisticsSet,
  histograms: () => readonly CommandHistogramSnapshot[],
): JsonValue {
  return { values: set.values(), histograms: [...histograms()] } as unknown as JsonValue;
}

/** A worker's answer to an IPC request of this file, or `undefined` when the payload is not one. */
export function answerStatisticsRequest(
  payload: unknown,
  set: () => ProcessStatisticsSet,
  histograms: () => readonly CommandHistogramSnapshot[],
): JsonValue | undefined {
  if (!isRecord(payload)) return undefined;
  if (payload.op === STATISTICS_OP) return statisticsAnswer(set(), histograms);
  if (payload.op === STATISTICS_RESET_OP) {
    const names = payload.names;
    if (names === 'all') return set().reset('all');
    if (Array.isArray(names) && names.every((n) => typeof n === 'string')) {
      return set().reset(names as string[]);
    }
    return 0;
  }
  return undefined;
}

export interface PoolStatistics {
  readonly values: StatisticValue[];
  readonly histograms: CommandHistogramSnapshot[];
}

function poolGroup(workers: number, answered: ReadonlySet<number>): StatisticValue[] {
  const gauge = (name: string, value: number, help: string, proc?: number): StatisticValue => ({
    group: 'pool',
    name,
    kind: 'gauge',
    value,
    merge: 'sum',
    help,
    ...(proc === undefined ? {} : { proc }),
  });
  const out = [
    gauge('workers', workers, 'worker processes the pool runs (children_count)'),
    gauge('answered', answered.size, 'workers whose statistics are in this answer'),
  ];
  for (let id = 1; id <= workers; id++) {
    out.push(gauge('answered', answered.has(id) ? 1 : 0, 'workers that answered', id));
  }
  out.push(gauge('missing', workers - answered.size, 'workers that did not answer in time'));
  return out;
}

/**
 * Every worker's statistics, summed. `own`: the asking worker's (absent in
 * the primary, which serves no datagram); `workers`: `children_count`.
 */
export async function gatherPoolStatistics(
  broadcast: Broadcast,
  own: {
    readonly proc: number;
    readonly values: StatisticValue[];
    readonly histograms: readonly CommandHistogramSnapshot[];
  } | null,
  workers: number,
  logger: Logger,
  timeoutMs = POOL_STATS_TIMEOUT_MS,
): Promise<PoolStatistics> {
  const processes: ProcessStatistics[] = [];
  const histograms: CommandHistogramSnapshot[] = [];
  if (own !== null) {
    processes.push({ proc: own.proc, values: own.values });
    histograms.push(...own.histograms);
  }
  let results: readonly BroadcastResult[] = [];
  try {
    results = await broadcast({ op: STATISTICS_OP }, { timeoutMs });
  } catch (error) {
    logger.warn('statistics: cannot reach the other processes', {
      error: error instanceof Error ? error : String(error),
    });
  }
  for (const result of results) {
    if (result.id === 0) continue;
    const value = result.ok && isRecord(result.value) ? result.value : null;
    const values = value === null ? null : parseStatisticValues(value.values);
    const hist = value === null ? null : parseHistogramSnapshots(value.histograms);
    if (values !== null && hist !== null) {
      processes.push({ proc: result.id, values });
      histograms.push(...hist);
    } else {
      logger.warn('statistics: a worker did not report its statistics', {
        targetPid: result.pid,
        ...(result.ok
          ? { reason: 'malformed answer' }
          : { code: result.error.code, reason: result.error.message }),
      });
    }
  }
  const answered = new Set(processes.map((p) => p.proc));
  for (let id = 1; id <= workers; id++) {
    if (!answered.has(id))
      logger.warn('statistics: a worker is missing from the sums', { workerId: id });
  }
  return {
    values: [...mergeStatistics(processes), ...poolGroup(workers, answered)],
    histograms,
  };
}

/** Resets in every worker (and the asking one); how many statistics the names selected in any. */
export async function resetPoolStatistics(
  broadcast: Broadcast,
  own: ProcessStatisticsSet | null,
  names: readonly string[] | 'all',
  logger: Logger,
  timeoutMs = POOL_STATS_TIMEOUT_MS,
): Promise<number> {
  let found = own === null ? 0 : own.reset(names);
  let results: readonly BroadcastResult[] = [];
  try {
    results = await broadcast(
      { op: STATISTICS_RESET_OP, names: names === 'all' ? 'all' : [...names] },
      { timeoutMs },
    );
  } catch (error) {
    logger.warn('reset_statistics: cannot reach the other processes', {
      error: error instanceof Error ? error : String(error),
    });
  }
  for (const result of results) {
    if (result.id === 0) continue;
    if (result.ok && typeof result.value === 'number') found += result.value;
    else logger.warn('reset_statistics: a worker did not reset', { targetPid: result.pid });
  }
  return found;
}
