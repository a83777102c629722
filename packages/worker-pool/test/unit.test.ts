/** Pure parts: the backoff schedule and the IPC message validators. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, restartDelay } from '../dist/index.js';

describe('restartDelay', () => {
  it('is 0 for the first failure, then doubles from minBackoffMs up to maxBackoffMs', () => {
    const policy = { ...DEFAULT_RESTART_POLICY, minBackoffMs: 100, maxBackoffMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6, 50, 10_000].map((n) => restartDelay(policy, n))).toEqual([
      0, 100, 200, 400, 800, 1_000, 1_000, 1_000,
    ]);
  });

  it('defaults: immediate, then 100 ms doubling to 10 s', () => {
    expect(DEFAULT_RESTART_POLICY).toEqual({
      minBackoffMs: 100,
      maxBackoffMs: 10_000,
      stableAfterMs: 5_000,
      maxStartAttempts: 5,
    });
  });
});
