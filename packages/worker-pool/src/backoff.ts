/** How the primary restarts workers that exit without being asked to. */
export interface RestartPolicy {
  /**
   * Delay before the second consecutive restart of one worker slot; each
   * further consecutive failure doubles it. The first restart after a
   * healthy run is immediate. Default 100 ms.
   */
  readonly minBackoffMs: number;
  /** Upper bound of the restart delay. Default 10 000 ms. */
  readonly maxBackoffMs: number;
  /**
   * A worker that stayed `ready` at least this long before it died counts as
   * healthy: its slot's consecutive-failure count starts again from 0.
   * Default 5 000 ms.
   */
  readonly stableAfterMs: number;
  /**
   * During `startWorkerPool` only: a slot that fails this many consecutive
   * starts makes the pool give up (`WORKER_START_FAILED`). Once the pool is
   * running a failing slot is retried forever at `maxBackoffMs` at most,
   * while the other workers keep serving. Default 5.
   */
  readonly maxStartAttempts: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  minBackoffMs: 100,
  maxBackoffMs: 10_000,
  stableAfterMs: 5_000,
  maxStartAttempts: 5,
};

/**
 * Delay before restarting a slot that has just failed `failures` times in a
 * row (>= 1): 0 for the first failure, then `minBackoffMs`, doubling, capped.
 */
export function restartDelay(policy: RestartPolicy, failures: number): number {
  if (failures <= 1) return 0;
  const exponent = Math.min(failures - 2, 30);
  return Math.min(policy.maxBackoffMs, policy.minBackoffMs * 2 ** exponent);
}
