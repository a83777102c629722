/**
 * The primary side: binds the shared socket once, forks the workers,
 * supervises them, answers their IPC calls and shuts everything down.
 * This file is the public face; it hands each worker message to the part
 * that deals with it: supervision (supervisor.ts), request routing
 * (call-router.ts) and shutdown (shutdown.ts).
 */
import { CallRouter } from './call-router.js';
import { errorMessage, WorkerPoolError } from './errors.js';
import { isJsonValue, type JsonValue } from './json.js';
import { type BroadcastResult, IPC_TAG, parseWorkerMessage } from './messages.js';
import { type ResolvedOptions, resolveOptions, type WorkerPoolOptions } from './options.js';
import { emit, type PoolCore, primaryInfo, processTable } from './pool-core.js';
import type { ProcessInfo } from './process-table.js';
import { bindSharedSockets, type SharedSocket } from './shared-socket.js';
import { Shutdown } from './shutdown.js';
import { createSlot, type Slot } from './slot.js';
import { Supervisor } from './supervisor.js';

/** Default timeout of `request`, `broadcast` and the context's equivalents. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/** Counters of a pool; all start at 0. */
export interface WorkerPoolStats {
  /** Configured number of workers. */
  readonly workers: number;
  /** Worker processes alive now. */
  readonly live: number;
  /** Workers that reported ready and are not stopping. */
  readonly ready: number;
  /** Processes forked in total (initial ones and replacements). */
  readonly spawned: number;
  /** Workers that exited without being asked to. */
  readonly unexpectedExits: number;
  /** Restarts scheduled after such exits. */
  readonly restarts: number;
  /** IPC messages from workers that failed validation and were ignored. */
  readonly invalidMessages: number;
}

export interface RequestOptions {
  /** Default 5 000 ms. */
  readonly timeoutMs?: number;
}

export interface CloseOptions {
  /** Grace period before remaining workers are SIGKILLed. Default: the pool's `closeTimeoutMs`. */
  readonly timeoutMs?: number;
}
/**
 * A running pool. Create it with {@link startWorkerPool}; it resolves once every
 * worker is ready.
 */
export class WorkerPool {
  /** The (first) bound socket in `socket_name` form: `/path`, `udp:127.0.0.1:40123` (real port). */
  readonly address: string;
  /** Kind of the (first) socket. */
  readonly kind: 'unix' | 'udp';
  /** Every bound socket, in the order of the options (`[address]` for a single `socket`). */
  readonly addresses: readonly string[];

  readonly #core: PoolCore;
  readonly #supervisor: Supervisor;
  readonly #router: CallRouter;
  readonly #shutdown: Shutdown;
  #invalidMessages = 0;

  /** @internal use {@link startWorkerPool}. */
  constructor(options: ResolvedOptions, sockets: readonly SharedSocket[]) {
    const first = sockets[0];
    if (first === undefined) throw new WorkerPoolError('INVALID_OPTIONS', 'no socket');
    this.address = first.address;
    this.kind = first.kind;
    this.addresses = sockets.map((socket) => socket.address);
    this.#core = {
      options,
      sockets,
      slots: Array.from({ length: options.workers }, (_, index) => createSlot(index + 1)),
      phase: 'starting',
      primaryLogLevel: null,
      tableGeneration: 0,
    };
    this.#router = new CallRouter(this.#core);
    this.#supervisor = new Supervisor(this.#core, (slot, raw) => this.#onMessage(slot, raw));
    this.#shutdown = new Shutdown(this.#core, this.#supervisor);
  }

  /** @internal Forks every worker; resolves when all are ready. */
  start(): Promise<void> {
    return this.#supervisor.start();
  }

  /** PIDs of the live worker processes, by worker id. */
  get workers(): readonly number[] {
    return this.#core.slots.filter((slot) => slot.child !== null).map((slot) => slot.pid);
  }

  /** `running` until `close`/`destroy` (or a worker's shutdown request) begins; `closed` when everything is gone. */
  get state(): 'starting' | 'running' | 'closing' | 'closed' {
    return this.#core.phase;
  }

  /** Resolves when the pool has been closed or destroyed, whoever started it. */
  get closed(): Promise<void> {
    return this.#shutdown.closed;
  }

  /** The primary (id 0) and every live worker (ids 1..N), by id. */
  processTable(): readonly ProcessInfo[] {
    return processTable(this.#core);
  }

  stats(): WorkerPoolStats {
    const counts = this.#supervisor.counts();
    return {
      workers: this.#core.slots.length,
      live: this.#core.slots.filter((slot) => slot.child !== null).length,
      ready: this.#core.slots.filter((slot) => slot.state === 'ready').length,
      spawned: counts.spawned,
      unexpectedExits: counts.unexpectedExits,
      restarts: counts.restarts,
      invalidMessages: this.#invalidMessages,
    };
  }

  /** Sets the primary's `logLevel` in the process table (null removes it). */
  setLogLevel(level: number | null): void {
    if (level !== null && !Number.isSafeInteger(level)) {
      throw new WorkerPoolError('INVALID_OPTIONS', 'log level must be an integer or null');
    }
    this.#core.primaryLogLevel = level;
  }

  /**
   * Sends `payload` to the process with `pid` and resolves with its handler's
   * answer: a worker's `context.onRequest` handler, or the pool's `onRequest`
   * for the primary's own PID. Rejects with `NO_SUCH_PROCESS`, `NO_HANDLER`,
   * `REQUEST_FAILED`, `REQUEST_TIMEOUT`, `WORKER_EXITED` or `POOL_CLOSED`.
   */
  request(pid: number, payload: JsonValue, options: RequestOptions = {}): Promise<unknown> {
    if (!isJsonValue(payload)) {
      return Promise.reject(new WorkerPoolError('INVALID_MESSAGE', 'payload must be JSON data'));
    }
    return this.#router.requestPid(
      primaryInfo(this.#core),
      pid,
      payload,
      options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
  }

  /** Sends `payload` to every ready worker; one result per worker, never rejects for a worker's failure. */
  broadcast(payload: JsonValue, options: RequestOptions = {}): Promise<readonly BroadcastResult[]> {
    if (!isJsonValue(payload)) {
      return Promise.reject(new WorkerPoolError('INVALID_MESSAGE', 'payload must be JSON data'));
    }
    return this.#router.broadcast(
      primaryInfo(this.#core),
      process.pid,
      payload,
      options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
  }

  /**
   * Graceful shutdown: every worker is told to stop receiving, finish its
   * in-flight requests and exit; those still alive after `timeoutMs` are
   * SIGKILLed; then the socket is closed (a UNIX socket file is removed).
   * Resolves when all of it is done. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#shutdown.close(options.timeoutMs);
  }

  /** Immediate shutdown: SIGKILLs every worker, then closes the socket. Also cuts a `close()` short. */
  destroy(): Promise<void> {
    return this.#shutdown.destroy();
  }

  #onMessage(slot: Slot, raw: unknown): void {
    const message = parseWorkerMessage(raw);
    if (message === null) {
      // Not ours (a module may use the channel too) or malformed.
      if (typeof raw === 'object' && raw !== null && 'tag' in raw && raw.tag === IPC_TAG) {
        this.#invalidMessages += 1;
      }
      return;
    }
    switch (message.t) {
      case 'ready':
        this.#supervisor.onReady(slot);
        return;
      case 'failed':
        slot.lastError = `module failed to start: ${message.message}`;
        return;
      case 'log':
        this.#core.options.onLog({
          level: message.level,
          message: message.message,
          workerId: slot.id,
          pid: slot.pid,
        });
        return;
      case 'info':
        slot.logLevel = message.logLevel;
        return;
      case 'shutdown':
        this.#onShutdownRequest(slot, message.reason);
        return;
      case 'call':
        void this.#router.onCall(slot, message.id, message.call);
        return;
      case 'res':
        this.#router.onResponse(slot, message);
        return;
    }
  }

  #onShutdownRequest(slot: Slot, reason: string): void {
    emit(this.#core, { type: 'shutdown-requested', workerId: slot.id, pid: slot.pid, reason });
    this.#core.options.onLog({
      level: 'info',
      message: `shutdown requested: ${reason}`,
      workerId: slot.id,
      pid: slot.pid,
    });
    const hook = this.#core.options.onShutdownRequest;
    if (hook === undefined) {
      void this.close();
      return;
    }
    try {
      hook({ workerId: slot.id, pid: slot.pid, reason });
    } catch (error) {
      this.#core.options.onLog({
        level: 'error',
        message: `onShutdownRequest threw: ${errorMessage(error)}`,
      });
    }
  }
}

/**
 * Binds the socket, forks `options.workers` workers running `options.module`
 * and resolves once all of them are ready. If a worker cannot start
 * (`restart.maxStartAttempts` consecutive failures) it rejects with
 * `WORKER_START_FAILED` after killing the others and releasing the socket.
 */
export async function startWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  const resolved = resolveOptions(options);
  const sockets = await bindSharedSockets(resolved.sockets, resolved.onLog);
  const pool = new WorkerPool(resolved, sockets);
  try {
    await pool.start();
  } catch (error) {
    await pool.destroy();
    throw error;
  }
  return pool;
}
