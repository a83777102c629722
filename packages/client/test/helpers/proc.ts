/** Spawning the real programs (server, `mi` CLI) for end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  makeTempDir,
  ownSockets,
  type Running,
  type RunOptions,
  runNode,
  type TempDir,
} from '@mi-datagram/test-helpers';

export {
  openFds,
  type Running,
  type RunOptions,
  type RunResult,
  runNode,
} from '@mi-datagram/test-helpers';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const CLI = join(REPO, 'packages/client/dist/cli.cjs');
export const SERVER_CLI = join(REPO, 'packages/server/dist/cli.js');
export const EXAMPLE_COMMANDS = join(REPO, 'packages/server/examples/commands.mjs');

/** Runs `mi ARGS…` to completion. */
export function runCli(args: readonly string[], options: RunOptions = {}): Running {
  return runNode([CLI, ...args], options);
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
export function tempDir(prefix = 'mi-client-'): TempDir {
  return makeTempDir(prefix);
}

/** Datagram sockets (UNIX, UDP/UDP6) open in this process, counted exactly. */
export function datagramSockets(): number {
  return ownSockets(['unix-dgram', 'udp']);
}

/**
 * The per-call timeout of clients in tests that are not about timeouts: the library's 2 s
 * default was exceeded on a machine running the suite under heavy load (stress runs).
 */
export const BUSY_MACHINE_TIMEOUT = 10_000;
