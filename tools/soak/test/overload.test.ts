/**
 * The short overload phase of CI (issue 15 point 4): four senders flood the
 * server with 60 KB requests to a command that never finishes; the server
 * refuses what is over its in-flight bound, times out what it ran, keeps
 * answering `:version:`, stays within its memory bound and serves normally
 * afterwards. The bounds are the soak's with margins for a busy machine
 * (`pnpm soak` asserts p99 < 100 ms).
 */
import { describe, expect, it } from 'vitest';
import { runOverload } from '../src/overload.js';

describe.each([
  { transport: 'unix', children: 1 },
  { transport: 'udp', children: 2 },
] as const)('overload, $transport, children $children', ({ transport, children }) => {
  it('refuses with 503, times out with 504, stays bounded and keeps serving', async () => {
    const lines: string[] = [];
    const report = await runOverload({
      transport,
      children,
      floodMs: 3000,
      commandTimeoutMs: 1500,
      effectiveTimeoutMs: 1500,
      maxGrowthMiB: 200,
      // Margins for a busy shared 2-core machine; `pnpm soak` asserts p99 < 100 ms.
      maxP99Ms: 1500,
      maxProbeFailures: 3,
      log: (l) => lines.push(l),
    });
    const summary = JSON.stringify({ ...report, log: lines }, null, 1);
    expect(report.failures, summary).toEqual([]);
    expect(report.flood.busy, summary).toBeGreaterThan(0);
    expect(report.flood.timedOut, summary).toBeGreaterThan(0);
    expect(report.flood.other, summary).toBe(0);
    expect(report.growthMiB, summary).toBeLessThan(200);
    expect(report.probes - report.probeTimeouts, summary).toBeGreaterThan(10);
    expect(report.afterwards, summary).toEqual({ ok: 200, of: 200 });
    expect(Number(report.serverCounters.Busy), summary).toBeGreaterThan(0);
    expect(Number(report.serverCounters['Timed out']), summary).toBeGreaterThan(0);
    expect(report.stop.code).toBe(0);
  }, 60_000);
});
