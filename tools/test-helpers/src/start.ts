/** Starting a long-running node program (a server) and reading its output as it comes. */
import { type ChildProcess, spawn } from 'node:child_process';

export interface NodeRun {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** Starts `node ARGS…` with piped stdout/stderr; {@link killStarted} ends what is left. */
export function startNode(args: readonly string[], options: { cwd?: string } = {}): NodeRun {
  const child = spawn(process.execPath, [...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * Waits until stdout matches `pattern` and returns the match; fails when the
 * program exits first or after `timeoutMs`.
 */
export async function waitForLine(
  run: NodeRun,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(run.stdout());
    if (m !== null) return m;
    if (run.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`server did not start; stderr: ${run.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGKILLs every program {@link startNode} started that is still running, and waits for them. */
export async function killStarted(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of running) {
    waits.push(new Promise((r) => child.once('close', r)));
    child.kill('SIGKILL');
  }
  await Promise.all(waits);
}
