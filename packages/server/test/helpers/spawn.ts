/** Runs the built CLI (`dist/cli.js`) as a child process. */
import { fileURLToPath } from 'node:url';
import { killStarted, type NodeRun, startNode, waitForLine } from '@mi-datagram/test-helpers';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export type CliRun = NodeRun;

export function runCli(args: readonly string[], options: { cwd?: string } = {}): CliRun {
  return startNode([CLI, ...args], options);
}

/** Waits for the `listening` line and returns the addresses it names. */
export async function waitListening(run: CliRun, timeoutMs = 10_000): Promise<string[]> {
  const m = await waitForLine(run, /listening on (.*)\n/, timeoutMs);
  return (m[1] as string).split(' ');
}

/** Kills every child still running (afterEach/afterAll). */
export const killAll = killStarted;
