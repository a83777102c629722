/** Spawns the built `mi-datagram-server` CLI for a soak or a test, and stops it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const serverDir = dirname(
  createRequire(import.meta.url).resolve('@mi-datagram/server/package.json'),
);
export const SERVER_CLI = join(serverDir, 'dist/cli.js');
export const EXAMPLE_COMMANDS = join(serverDir, 'examples/commands.mjs');
export const SOAK_COMMANDS = fileURLToPath(new URL('./soak-commands.mjs', import.meta.url));

export interface SoakServerOptions {
  readonly unixPath: string;
  readonly children: number;
  readonly socketTimeoutMs: number;
  readonly extraArgs?: readonly string[];
}

export interface SoakServer {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly unixPath: string;
  readonly udpPort: number;
  /** Log lines by level name and message (warn and worse are kept whole, the last 200). */
  readonly logCounts: Map<string, number>;
  readonly recentLogs: string[];
  /** Log lines received so far (a position for {@link SoakServer.logsSince}). */
  logCount(): number;
  /** The lines logged since position `n` (at most the last 200). */
  logsSince(n: number): string[];
  stderrText(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  stop(
    graceMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; forced: boolean }>;
}

export class ServerStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

const LEVELS: Record<string, string> = {
  '-3': 'alert',
  '-2': 'crit',
  '-1': 'error',
  '1': 'warn',
  '2': 'notice',
  '3': 'info',
  '4': 'debug',
};

export async function startSoakServer(options: SoakServerOptions): Promise<SoakServer> {
  const args = [
    SERVER_CLI,
    '--socket-name',
    options.unixPath,
    '--socket-name',
    'udp:127.0.0.1:0',
    '--children-count',
    String(options.children),
    '--socket-timeout',
    String(options.socketTimeoutMs),
    '--log-level',
    '1',
    '--commands',
    EXAMPLE_COMMANDS,
    '--commands',
    SOAK_COMMANDS,
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logCounts = new Map<string, number>();
  const recentLogs: string[] = [];
  let stderr = '';
  let stdout = '';
  let partial = '';
  let lineCount = 0;
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 1_000_000) stderr += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      let key = text.slice(0, 80);
      try {
        const entry = JSON.parse(text) as { level?: unknown; msg?: unknown };
        key = `${LEVELS[String(entry.level)] ?? String(entry.level)}: ${String(entry.msg)}`;
      } catch {
        // not a JSON log line
      }
      logCounts.set(key, (logCounts.get(key) ?? 0) + 1);
      lineCount++;
      recentLogs.push(text.length > 600 ? `${text.slice(0, 600)}…` : text);
      if (recentLogs.length > 200) recentLogs.shift();
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const listening = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new ServerStartError('server did not print its listening line within 15 s', null, stderr),
      );
    }, 15_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const m = /listening on (.*)\n/.exec(stdout);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new ServerStartError(
          `server exited before listening (code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          code,
          stderr,
        ),
      );
    });
  });
  const udp = /udp:127\.0\.0\.1:(\d+)/.exec(listening);
  if (udp === null || child.pid === undefined) {
    child.kill('SIGKILL');
    throw new ServerStartError(`unexpected listening line: ${listening}`, null, stderr);
  }
  const pid = child.pid;
  return {
    child,
    pid,
    unixPath: options.unixPath,
    udpPort: Number(udp[1]),
    logCounts,
    recentLogs,
    logCount: () => lineCount,
    logsSince: (n) => recentLogs.slice(Math.max(0, recentLogs.length - (lineCount - n))),
    stderrText: () => stderr,
    exited,
    async stop(graceMs = 15_000) {
      const started = Date.now();
      if (child.exitCode !== null || child.signalCode !== null) {
        return { ...(await exited), ms: 0, forced: false };
      }
      child.kill('SIGTERM');
      let forced = false;
      const timer = setTimeout(() => {
        forced = true;
        child.kill('SIGKILL');
      }, graceMs);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, ms: Date.now() - started, forced };
    },
  };
}
