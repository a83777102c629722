import { vi } from 'vitest';

/**
 * Waits until `condition` returns true (it may be asynchronous), checking
 * every `intervalMs` with vitest's `vi.waitFor`; fails after `timeoutMs`
 * with "timed out after … waiting for `what`". Bounds are meant to be
 * generous: they only stop a test that would hang.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
  intervalMs = 10,
): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await condition())) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      }
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
