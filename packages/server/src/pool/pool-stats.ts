/**
 * `mi_stats` of a `children_count` > 1 server: the worker that receives the
 * request asks every other worker for its raw counters over the pool's IPC
 * (`context.broadcast`), adds its own and sums them (src/statistics/snapshot.ts
 * `mergeStatsSnapshots`). A worker that does not answer within
 * {@link POOL_STATS_TIMEOUT_MS} (stopped, busy, being replaced) is counted
 * as missing; the reply never waits longer than that.
 */
import type { JsonValue, WorkerContext } from '@mi-datagram/worker-pool';
import type { Logger } from '../ops/index.js';
import {
  type MiStatsSnapshot,
  type MiStatsSource,
  mergeStatsSnapshots,
  parseStatsSnapshot,
} from '../statistics/index.js';

/** How long the answering worker waits for the others' counters. */
export const POOL_STATS_TIMEOUT_MS = 1000;

/** IPC request: send this process's {@link MiStatsSnapshot}. */
export const STATS_OP = 'mi-datagram/mi_stats';

export function statsRequest(): JsonValue {
  return { op: STATS_OP };
}

export function isStatsRequest(payload: unknown): boolean {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    (payload as { readonly op?: unknown }).op === STATS_OP
  );
}

/**
 * The whole pool's statistics as seen from this worker: its own snapshot
 * plus every other worker's. `workers`: how many worker processes the pool
 * runs (`children_count`); those whose counters are not in the sums are
 * reported as missing.
 */
export async function gatherPoolStats(
  context: Pick<WorkerContext, 'broadcast'>,
  own: () => MiStatsSnapshot,
  workers: number,
  logger: Logger,
  timeoutMs = POOL_STATS_TIMEOUT_MS,
): Promise<MiStatsSource> {
  const snapshots: MiStatsSnapshot[] = [own()];
  let results: Awaited<ReturnType<WorkerContext['broadcast']>> = [];
  try {
    results = await context.broadcast(statsRequest(), { timeoutMs });
  } catch (error) {
    // The primary is gone or the channel is closing: this worker's numbers only.
    logger.warn('mi_stats: cannot reach the other processes', {
      error: error instanceof Error ? error : String(error),
    });
  }
  for (const result of results) {
    // The primary (id 0) serves no datagram and has no counters.
    if (result.id === 0) continue;
    const snapshot = result.ok ? parseStatsSnapshot(result.value) : null;
    if (snapshot !== null) {
      snapshots.push(snapshot);
    } else {
      logger.warn('mi_stats: a worker did not report its counters', {
        targetPid: result.pid,
        ...(result.ok
          ? { reason: 'malformed snapshot' }
          : { code: result.error.code, reason: result.error.message }),
      });
    }
  }
  const answered = snapshots.length;
  return mergeStatsSnapshots(snapshots, {
    answered,
    missing: Math.max(0, workers - answered),
  });
}
