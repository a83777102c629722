import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './backoff.js';
import { WorkerPoolError } from './errors.js';
import { isJsonValue, type JsonValue } from './json.js';
import type { LogLevel } from './messages.js';
import type { WorkerRequestHandler } from './worker-context.js';

/** The socket the primary binds once and every worker receives from. */
export type SocketOptions =
  | {
      readonly kind: 'unix';
      /** Filesystem path of the UNIX datagram socket (removed again by `close`/`destroy`). */
      readonly path: string;
      /** Permission bits (`unix_socket_mode`). Default: the transport's (0o660). */
      readonly mode?: number;
      /** Owner, name or numeric id (`unix_socket_user`). Default: the process's own. */
      readonly user?: string | number;
      /** Group, name or numeric id (`unix_socket_group`). Default: the process's own. */
      readonly group?: string | number;
    }
  | {
      readonly kind: 'udp';
      /** IPv4/IPv6 literal or host name. */
      readonly host: string;
      /** 0 asks the kernel for a free port; `pool.address` tells which. */
      readonly port: number;
    };

/** One line of the pool's own log, or one a worker sent with `context.log`. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  /** The worker slot the entry is about (absent for pool-wide entries). */
  readonly workerId?: number;
  readonly pid?: number;
}

/** Lifecycle events, in the order they happen for a slot. */
export type PoolEvent =
  | {
      readonly type: 'spawn';
      readonly workerId: number;
      readonly pid: number;
      readonly generation: number;
    }
  | {
      readonly type: 'ready';
      readonly workerId: number;
      readonly pid: number;
      readonly generation: number;
    }
  | {
      readonly type: 'exit';
      readonly workerId: number;
      readonly pid: number;
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      /** False when the pool asked the worker to stop (close/destroy). */
      readonly unexpected: boolean;
    }
  | {
      readonly type: 'restart';
      readonly workerId: number;
      /** Why the previous process went away: `exit code 1`, `signal SIGKILL`, `startup timeout`, the module's error… */
      readonly reason: string;
      /** Consecutive failures of this slot, including this one. */
      readonly failures: number;
      readonly delayMs: number;
    }
  | {
      readonly type: 'shutdown-requested';
      readonly workerId: number;
      readonly pid: number;
      readonly reason: string;
    };

/**
 * Answers requests addressed to the primary (`context.request`, and
 * `context.sendToPid`/`broadcast` reaching the primary's PID): the same
 * signature as a worker's {@link WorkerRequestHandler}. Its return value
 * must be JSON; a throw becomes a `REQUEST_FAILED` error at the caller.
 */
export type PrimaryRequestHandler = WorkerRequestHandler;

export interface WorkerPoolOptions {
  /** The one socket every worker receives from. Give either `socket` or `sockets`. */
  readonly socket?: SocketOptions;
  /**
   * Several sockets, bound once by the primary; every worker receives from
   * each one it adopts (`context.adopt(handler, { socket: index })`). The
   * order is kept: index 0 is `pool.address`, `context.sockets[i]` is `sockets[i]`.
   */
  readonly sockets?: readonly SocketOptions[];
  /** Number of worker processes (`children_count`), >= 1. */
  readonly workers: number;
  /**
   * Absolute path or `file:` URL of the ES module each worker runs. Its
   * named export `startWorker`, or else its default export, is called with a
   * {@link WorkerContext}; the worker is ready when that call (and its
   * promise) returns.
   */
  readonly module: string | URL;
  /** Handed to every worker as `context.workerData`. Must be JSON. Default null. */
  readonly workerData?: JsonValue;
  /** Extra environment variables for the workers (merged over `process.env`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Node options of the workers. Default: `process.execArgv` (as `child_process.fork`). */
  readonly execArgv?: readonly string[];
  /** Restart policy; fields left out take their defaults. */
  readonly restart?: Partial<RestartPolicy>;
  /** A worker that has not reported ready this long after it was forked is killed and counted as a failed start. Default 10 000 ms. */
  readonly startupTimeoutMs?: number;
  /** Default grace period of `close()` before remaining workers are SIGKILLed. Default 10 000 ms. */
  readonly closeTimeoutMs?: number;
  /** Receives the pool's log (restarts are `warn`) and what workers send with `context.log`. Default: `warn` and `error` go to stderr. */
  readonly onLog?: (entry: LogEntry) => void;
  /** Receives lifecycle events (spawn, ready, exit, restart, shutdown-requested). */
  readonly onEvent?: (event: PoolEvent) => void;
  /** Answers requests addressed to the primary. Without it they fail with `NO_HANDLER`. */
  readonly onRequest?: PrimaryRequestHandler;
  /**
   * Called when a worker calls `context.requestShutdown()`. Default: the pool
   * closes itself (`pool.close()`); await `pool.closed` to learn when it is done.
   */
  readonly onShutdownRequest?: (request: {
    readonly workerId: number;
    readonly pid: number;
    readonly reason: string;
  }) => void;
}

export interface ResolvedOptions {
  /** At least one. */
  readonly sockets: readonly SocketOptions[];
  readonly workers: number;
  readonly moduleUrl: string;
  readonly workerData: JsonValue;
  readonly env: Readonly<Record<string, string>>;
  readonly execArgv: readonly string[];
  readonly restart: RestartPolicy;
  readonly startupTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly onLog: (entry: LogEntry) => void;
  readonly onEvent: (event: PoolEvent) => void;
  readonly onRequest: PrimaryRequestHandler | undefined;
  readonly onShutdownRequest: WorkerPoolOptions['onShutdownRequest'];
}

function invalid(message: string): never {
  throw new WorkerPoolError('INVALID_OPTIONS', message);
}

function checkMs(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    invalid(`${name} must be a non-negative number of milliseconds`);
  }
  return value;
}

function defaultLog(entry: LogEntry): void {
  if (entry.level !== 'warn' && entry.level !== 'error') return;
  const who = entry.workerId === undefined ? '' : ` worker ${entry.workerId} (pid ${entry.pid})`;
  process.stderr.write(`[worker-pool${who}] ${entry.level}: ${entry.message}\n`);
}

function resolveModuleUrl(module: unknown): string {
  if (module instanceof URL) {
    if (module.protocol !== 'file:') invalid('module must be a file: URL or an absolute path');
    return module.href;
  }
  if (typeof module !== 'string' || module === '')
    invalid('module must be a file: URL or an absolute path');
  if (module.startsWith('file:')) return new URL(module).href;
  if (!isAbsolute(module))
    invalid(`module must be an absolute path, got ${JSON.stringify(module)}`);
  return pathToFileURL(module).href;
}

function checkSocket(socket: unknown, name: string): SocketOptions {
  if (typeof socket !== 'object' || socket === null) invalid(`${name} is required`);
  const s = socket as SocketOptions;
  if (s.kind === 'unix') {
    if (typeof s.path !== 'string' || s.path === '')
      invalid(`${name}.path must be a non-empty string`);
  } else if (s.kind === 'udp') {
    if (typeof s.host !== 'string' || s.host === '')
      invalid(`${name}.host must be a non-empty string`);
    if (!Number.isInteger(s.port) || s.port < 0 || s.port > 65535)
      invalid(`${name}.port must be 0..65535`);
  } else {
    invalid(`${name}.kind must be 'unix' or 'udp'`);
  }
  return s;
}

function checkSockets(options: WorkerPoolOptions): SocketOptions[] {
  if (options.socket !== undefined && options.sockets !== undefined) {
    invalid('give either socket or sockets, not both');
  }
  if (options.sockets === undefined) return [checkSocket(options.socket, 'socket')];
  if (!Array.isArray(options.sockets) || options.sockets.length === 0) {
    invalid('sockets must be a non-empty array');
  }
  const list = options.sockets.map((s: unknown, i) => checkSocket(s, `sockets[${i}]`));
  const paths = list.flatMap((s) => (s.kind === 'unix' ? [s.path] : []));
  if (new Set(paths).size !== paths.length) invalid('sockets lists a UNIX path twice');
  return list;
}

export function resolveOptions(options: WorkerPoolOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) invalid('options are required');
  const sockets = checkSockets(options);
  if (!Number.isSafeInteger(options.workers) || options.workers < 1) {
    invalid('workers must be an integer >= 1');
  }
  const workerData = options.workerData ?? null;
  if (!isJsonValue(workerData)) invalid('workerData must be JSON data');
  const policy = { ...DEFAULT_RESTART_POLICY, ...options.restart };
  const restart: RestartPolicy = {
    minBackoffMs: checkMs('restart.minBackoffMs', policy.minBackoffMs, 0),
    maxBackoffMs: checkMs('restart.maxBackoffMs', policy.maxBackoffMs, 0),
    stableAfterMs: checkMs('restart.stableAfterMs', policy.stableAfterMs, 0),
    maxStartAttempts: policy.maxStartAttempts,
  };
  if (!Number.isSafeInteger(restart.maxStartAttempts) || restart.maxStartAttempts < 1) {
    invalid('restart.maxStartAttempts must be an integer >= 1');
  }
  if (restart.maxBackoffMs < restart.minBackoffMs)
    invalid('restart.maxBackoffMs must be >= restart.minBackoffMs');
  return {
    sockets,
    workers: options.workers,
    moduleUrl: resolveModuleUrl(options.module),
    workerData,
    env: { ...options.env },
    execArgv: [...(options.execArgv ?? process.execArgv)],
    restart,
    startupTimeoutMs: checkMs('startupTimeoutMs', options.startupTimeoutMs, 10_000),
    closeTimeoutMs: checkMs('closeTimeoutMs', options.closeTimeoutMs, 10_000),
    onLog: options.onLog ?? defaultLog,
    onEvent: options.onEvent ?? (() => {}),
    onRequest: options.onRequest,
    onShutdownRequest: options.onShutdownRequest,
  };
}
