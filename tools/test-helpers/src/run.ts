/** Running a node program to completion (end-to-end tests of the CLIs). */
import { type ChildProcess, spawn } from 'node:child_process';

export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface RunOptions {
  /** Added to the environment (which never inherits `MI_SOCKET`). */
  readonly env?: Readonly<Record<string, string>>;
  readonly uid?: number;
  readonly gid?: number;
  /** SIGKILL after this long. Default 15 s. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

/** A running process: await it for its result; `child` to signal it. */
export type Running = Promise<RunResult> & { readonly child: ChildProcess };

/** Runs `node ARGS…` to completion. */
export function runNode(args: readonly string[], options: RunOptions = {}): Running {
  let started: ChildProcess | undefined;
  const result = new Promise<RunResult>((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && k !== 'MI_SOCKET') env[k] = v;
    }
    Object.assign(env, options.env ?? {});
    const child = spawn(process.execPath, args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    started = child;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        status,
        signal,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
  if (started === undefined) throw new Error('spawn did not run');
  return Object.assign(result, { child: started });
}
