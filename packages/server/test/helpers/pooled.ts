/**
 * Servers with children_count > 1 started through the CLI, and the proof that
 * none of their processes outlives a test.
 */
import { expect } from 'vitest';
import { childrenOf, isAlive, waitFor } from './procs.js';
import { type CliRun, killAll, runCli, waitListening } from './spawn.js';

/** Every process a test started (primaries and their workers): none may outlive it. */
const seen = new Set<number>();

/** Counts `pid` among the processes that must be gone after the test. */
export function remember(pid: number): void {
  seen.add(pid);
}

/** Kills what is still running and checks that every process seen is gone. */
export async function noProcessLeft(): Promise<void> {
  await killAll();
  // The workers of a SIGKILLed primary leave by themselves (IPC channel closed).
  await waitFor(
    async () => (await Promise.all([...seen].map(isAlive))).every((alive) => !alive),
    5_000,
    'every process of the test to be gone',
  );
  seen.clear();
}

export interface Pooled {
  readonly run: CliRun;
  readonly primary: number;
  readonly addresses: string[];
  /** The primary's children now (each remembered). */
  workers(): Promise<number[]>;
}

/** Starts the CLI with `children` workers and waits until it listens and they run. */
export async function startPooled(args: readonly string[], children = 2): Promise<Pooled> {
  const run = runCli(['--children-count', String(children), ...args]);
  const addresses = await waitListening(run);
  const primary = run.child.pid as number;
  remember(primary);
  const workers = async () => {
    const pids = await childrenOf(primary);
    for (const pid of pids) remember(pid);
    return pids;
  };
  expect(await workers()).toHaveLength(children);
  return { run, primary, addresses, workers };
}
