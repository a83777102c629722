/**
 * The graceful stop of a worker: stop receiving, finish the in-flight work,
 * run the module's stop hooks, close the transports and exit 0, all within a
 * grace period after which the process exits anyway.
 */
import { errorMessage } from './errors.js';
import { log } from './worker-channel.js';
import { adoptedTransports } from './worker-sockets.js';
import { markStopping, whenIdle } from './worker-state.js';

const stopHooks: Array<() => void | Promise<void>> = [];

export function addStopHook(hook: () => void | Promise<void>): void {
  stopHooks.push(hook);
}

async function waitForPendingReplies(deadline: number): Promise<void> {
  const pending = (): boolean => adoptedTransports().some((t) => t.stats().pending > 0);
  while (pending() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let stopped: Promise<void> | null = null;

/** Stop receiving, finish in-flight work, run the stop hooks, close the transport, exit 0. */
export function stop(reason: string, graceMs: number): Promise<void> {
  if (stopped !== null) return stopped;
  markStopping();
  const deadline = Date.now() + graceMs;
  // Bounded by graceMs: the primary SIGKILLs after its own timeout anyway, and
  // an orphan must not hang around.
  setTimeout(() => {
    process.stderr.write(
      `[worker-pool pid ${process.pid}] ${reason}: not stopped within ${graceMs} ms, exiting\n`,
    );
    process.exit(1);
  }, graceMs).unref();
  stopped = (async () => {
    await whenIdle();
    await waitForPendingReplies(deadline);
    for (const hook of stopHooks) {
      try {
        await hook();
      } catch (error) {
        log('error', `stop hook failed: ${errorMessage(error)}`);
      }
    }
    await Promise.allSettled(adoptedTransports().map((transport) => transport.close()));
    process.exit(0);
  })();
  return stopped;
}
