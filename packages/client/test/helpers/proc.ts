/** Spawning the real programs (server, `mi` CLI) for end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const CLI = join(REPO, 'packages/client/dist/cli.cjs');
export const SERVER_CLI = join(REPO, 'packages/server/dist/cli.js');
export const EXAMPLE_COMMANDS = join(REPO, 'packages/server/examples/commands.mjs');

export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly uid?: number;
  readonly gid?: number;
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /** Written to the process's stdin (else stdin is closed). */
  readonly input?: string;
}

/** A running process: await it for its result; `child` to signal it. */
export type Running = Promise<RunResult> & { readonly child: ChildProcess };

/** Runs `mi ARGS…` to completion. */
export function runCli(args: readonly string[], options: RunOptions = {}): Running {
  return runNode([CLI, ...args], options);
}

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
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    started = child;
    if (options.input !== undefined) child.stdin?.end(options.input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
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

export interface SpawnedServer {
  /** The address from the `listening` line (`/path` or `udp:127.0.0.1:PORT`). */
  readonly address: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node packages/server/dist/cli.js --socket-name S --commands examples/commands.mjs`. */
export function spawnServer(
  socketName: string,
  extra: readonly string[] = [],
): Promise<SpawnedServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [SERVER_CLI, '--socket-name', socketName, '--commands', EXAMPLE_COMMANDS, ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${stdout} ${stderr}`));
    }, 10_000);
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening: ${stdout} ${stderr}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.includes('listening'));
      if (line === undefined) return;
      clearTimeout(timer);
      const match = /(udp:\S+|\/\S+)/.exec(line);
      resolve({
        address: match?.[1]?.replace(/[,;)]+$/, '') ?? socketName,
        child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

/** A fresh private directory under the OS temp dir, and its removal. */
export function tempDir(prefix = 'mi-client-'): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Open descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}
