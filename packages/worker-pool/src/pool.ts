/**
 * The primary side: binds the shared socket once, forks the workers,
 * supervises them, answers their IPC calls and shuts everything down.
 */
import { type ChildProcess, fork, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { restartDelay } from './backoff.js';
import { errorMessage, WorkerPoolError } from './errors.js';
import { isJsonValue, type JsonValue } from './json.js';
import {
  type BroadcastResult,
  type Call,
  errorResponse,
  type InitMessage,
  type InitSocket,
  IPC_TAG,
  okResponse,
  type PrimaryMessage,
  parseWorkerMessage,
  type Response,
} from './messages.js';
import {
  type PoolEvent,
  type ResolvedOptions,
  resolveOptions,
  type WorkerPoolOptions,
} from './options.js';
import type { ProcessInfo } from './process-table.js';
import { bindSharedSockets, CHILD_SOCKET_FD, type SharedSocket } from './shared-socket.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.js', import.meta.url));

/** Default timeout of `request`, `broadcast` and the context's equivalents. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

type SlotState = 'idle' | 'starting' | 'ready' | 'stopping' | 'backoff';
type Phase = 'starting' | 'running' | 'closing' | 'closed';

interface PendingCall {
  readonly resolve: (value: JsonValue) => void;
  readonly reject: (error: WorkerPoolError) => void;
  readonly timer: NodeJS.Timeout;
}

interface Slot {
  readonly id: number;
  child: ChildProcess | null;
  pid: number;
  generation: number;
  state: SlotState;
  /** Consecutive unexpected exits; reset by a run of `stableAfterMs`. */
  failures: number;
  readyAt: number | null;
  /** Why the current process is failing, if it told us (module error, startup timeout). */
  lastError: string | null;
  logLevel: number | null;
  stopRequested: boolean;
  exited: Promise<void>;
  startupTimer: NodeJS.Timeout | null;
  restartTimer: NodeJS.Timeout | null;
  /** Requests this primary sent to the current process, by id. */
  readonly calls: Map<number, PendingCall>;
}

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

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `signal ${signal}`;
  return `exit code ${code ?? 'unknown'}`;
}

function toPoolError(error: unknown): WorkerPoolError {
  if (error instanceof WorkerPoolError) return error;
  return new WorkerPoolError('REQUEST_FAILED', errorMessage(error), { cause: error });
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

  readonly #options: ResolvedOptions;
  readonly #sockets: readonly SharedSocket[];
  /** What each worker is told about the sockets (UNIX descriptors at 4, 5, … of its stdio). */
  readonly #initSockets: readonly InitSocket[];
  readonly #stdio: StdioOptions;
  readonly #slots: Slot[];
  #phase: Phase = 'starting';
  #primaryLogLevel: number | null = null;
  #nextCallId = 1;
  #spawned = 0;
  #unexpectedExits = 0;
  #restarts = 0;
  #invalidMessages = 0;
  #startup: { resolve: () => void; reject: (error: WorkerPoolError) => void } | null = null;
  #shutdown: Promise<void> | null = null;
  readonly #closed: Promise<void>;
  #resolveClosed: () => void = () => {};

  /** @internal use {@link startWorkerPool}. */
  constructor(options: ResolvedOptions, sockets: readonly SharedSocket[]) {
    const first = sockets[0];
    if (first === undefined) throw new WorkerPoolError('INVALID_OPTIONS', 'no socket');
    this.#options = options;
    this.#sockets = sockets;
    this.address = first.address;
    this.kind = first.kind;
    this.addresses = sockets.map((socket) => socket.address);
    const fds: number[] = [];
    this.#initSockets = sockets.map((socket): InitSocket => {
      if (socket.fd === null) return { kind: socket.kind, address: socket.address, fd: null };
      fds.push(socket.fd);
      return { kind: socket.kind, address: socket.address, fd: CHILD_SOCKET_FD + fds.length - 1 };
    });
    this.#stdio = ['ignore', 'inherit', 'inherit', 'ipc', ...fds];
    this.#closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#slots = Array.from({ length: options.workers }, (_, index) => ({
      id: index + 1,
      child: null,
      pid: 0,
      generation: 0,
      state: 'idle' as SlotState,
      failures: 0,
      readyAt: null,
      lastError: null,
      logLevel: null,
      stopRequested: false,
      exited: Promise.resolve(),
      startupTimer: null,
      restartTimer: null,
      calls: new Map<number, PendingCall>(),
    }));
  }

  /** @internal Forks every worker; resolves when all are ready. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#startup = { resolve, reject };
      for (const slot of this.#slots) this.#spawn(slot);
    });
  }

  /** PIDs of the live worker processes, by worker id. */
  get workers(): readonly number[] {
    return this.#slots.filter((slot) => slot.child !== null).map((slot) => slot.pid);
  }

  /** `running` until `close`/`destroy` (or a worker's shutdown request) begins; `closed` when everything is gone. */
  get state(): 'starting' | 'running' | 'closing' | 'closed' {
    return this.#phase;
  }

  /** Resolves when the pool has been closed or destroyed, whoever started it. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** The primary (id 0) and every live worker (ids 1..N), by id. */
  processTable(): readonly ProcessInfo[] {
    const rows: ProcessInfo[] = [this.#primaryInfo()];
    for (const slot of this.#slots) {
      const info = this.#workerInfo(slot);
      if (info !== null) rows.push(info);
    }
    return rows;
  }

  stats(): WorkerPoolStats {
    return {
      workers: this.#slots.length,
      live: this.#slots.filter((slot) => slot.child !== null).length,
      ready: this.#slots.filter((slot) => slot.state === 'ready').length,
      spawned: this.#spawned,
      unexpectedExits: this.#unexpectedExits,
      restarts: this.#restarts,
      invalidMessages: this.#invalidMessages,
    };
  }

  /** Sets the primary's `logLevel` in the process table (null removes it). */
  setLogLevel(level: number | null): void {
    if (level !== null && !Number.isSafeInteger(level)) {
      throw new WorkerPoolError('INVALID_OPTIONS', 'log level must be an integer or null');
    }
    this.#primaryLogLevel = level;
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
    return this.#requestPid(
      this.#primaryInfo(),
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
    return this.#broadcast(
      this.#primaryInfo(),
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
    if (this.#shutdown !== null) return this.#shutdown;
    const timeoutMs = options.timeoutMs ?? this.#options.closeTimeoutMs;
    this.#beginShutdown();
    const live = this.#slots.filter((slot) => slot.child !== null);
    for (const slot of live) {
      slot.stopRequested = true;
      slot.state = 'stopping';
      this.#post(slot, { tag: IPC_TAG, t: 'stop', graceMs: Math.floor(timeoutMs) });
    }
    this.#shutdown = this.#finishShutdown(live, timeoutMs);
    return this.#shutdown;
  }

  /** Immediate shutdown: SIGKILLs every worker, then closes the socket. Also cuts a `close()` short. */
  destroy(): Promise<void> {
    if (this.#phase === 'closed') return this.#shutdown ?? Promise.resolve();
    this.#beginShutdown();
    const live = this.#slots.filter((slot) => slot.child !== null);
    for (const slot of live) {
      slot.stopRequested = true;
      slot.state = 'stopping';
      slot.child?.kill('SIGKILL');
    }
    this.#shutdown ??= this.#finishShutdown(live, null);
    return this.#shutdown;
  }

  #beginShutdown(): void {
    if (this.#phase === 'starting' && this.#startup !== null) {
      this.#startup.reject(
        new WorkerPoolError('POOL_CLOSED', 'the pool was closed while starting'),
      );
      this.#startup = null;
    }
    this.#phase = 'closing';
    for (const slot of this.#slots) {
      if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
      slot.restartTimer = null;
      if (slot.child === null) slot.state = 'idle';
    }
  }

  /** Waits for `live` to exit (SIGKILLing them after `timeoutMs`; null: already killed), then releases the socket. */
  async #finishShutdown(live: readonly Slot[], timeoutMs: number | null): Promise<void> {
    const exited = Promise.all(live.map((slot) => slot.exited));
    let timer: NodeJS.Timeout | undefined;
    const timedOut =
      timeoutMs !== null &&
      (await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]));
    clearTimeout(timer);
    if (timedOut) {
      for (const slot of live) {
        if (slot.child !== null) {
          this.#options.onLog({
            level: 'warn',
            message: `worker did not stop within ${timeoutMs} ms; killing it`,
            workerId: slot.id,
            pid: slot.pid,
          });
          slot.child.kill('SIGKILL');
        }
      }
    }
    await exited;
    try {
      const results = await Promise.allSettled(this.#sockets.map((socket) => socket.close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } finally {
      this.#phase = 'closed';
      this.#resolveClosed();
    }
  }

  #primaryInfo(): ProcessInfo {
    const state = this.#phase === 'closing' || this.#phase === 'closed' ? 'stopping' : 'running';
    return this.#primaryLogLevel === null
      ? { id: 0, pid: process.pid, type: 'primary', state }
      : { id: 0, pid: process.pid, type: 'primary', state, logLevel: this.#primaryLogLevel };
  }

  #workerInfo(slot: Slot): ProcessInfo | null {
    if (slot.child === null) return null;
    const state =
      slot.state === 'ready' ? 'ready' : slot.state === 'stopping' ? 'stopping' : 'starting';
    return slot.logLevel === null
      ? { id: slot.id, pid: slot.pid, type: 'worker', state }
      : { id: slot.id, pid: slot.pid, type: 'worker', state, logLevel: slot.logLevel };
  }

  #emit(event: PoolEvent): void {
    try {
      this.#options.onEvent(event);
    } catch (error) {
      this.#options.onLog({ level: 'error', message: `onEvent threw: ${errorMessage(error)}` });
    }
  }

  #post(slot: Slot, message: PrimaryMessage, handle?: SharedSocket['handle']): boolean {
    const child = slot.child;
    if (child === null || !child.connected) return false;
    try {
      if (handle) child.send(message, handle);
      else child.send(message);
      return true;
    } catch {
      return false;
    }
  }

  #spawn(slot: Slot): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    slot.generation += 1;
    slot.state = 'starting';
    slot.readyAt = null;
    slot.lastError = null;
    slot.logLevel = null;
    slot.stopRequested = false;
    let child: ChildProcess;
    try {
      child = fork(WORKER_ENTRY, [], {
        stdio: this.#stdio,
        env: { ...process.env, ...this.#options.env },
        execArgv: [...this.#options.execArgv],
        serialization: 'json',
      });
    } catch (error) {
      slot.lastError = `fork failed: ${errorMessage(error)}`;
      this.#onFailure(slot, 0, slot.lastError);
      return;
    }
    this.#spawned += 1;
    slot.child = child;
    slot.pid = child.pid ?? 0;
    let markExited: () => void = () => {};
    slot.exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    child.on('error', (error) => {
      // Spawn failures (no 'exit' follows when there is no pid) and failed sends.
      if (slot.child === child && child.pid === undefined) {
        slot.child = null;
        markExited();
        slot.lastError = `fork failed: ${error.message}`;
        this.#onFailure(slot, 0, slot.lastError);
      }
    });
    child.on('message', (raw: unknown) => {
      if (slot.child === child) this.#onMessage(slot, raw);
    });
    child.once('exit', (code, signal) => {
      markExited();
      if (slot.child === child) this.#onExit(slot, code, signal);
    });
    if (child.pid === undefined) return;
    const init: InitMessage = {
      tag: IPC_TAG,
      t: 'init',
      workerId: slot.id,
      generation: slot.generation,
      primaryPid: process.pid,
      sockets: this.#initSockets,
      moduleUrl: this.#options.moduleUrl,
      workerData: this.#options.workerData,
    };
    this.#post(slot, init);
    slot.startupTimer = setTimeout(() => {
      slot.startupTimer = null;
      if (slot.child === child && slot.state === 'starting') {
        slot.lastError = `not ready within ${this.#options.startupTimeoutMs} ms`;
        child.kill('SIGKILL');
      }
    }, this.#options.startupTimeoutMs);
    this.#emit({ type: 'spawn', workerId: slot.id, pid: slot.pid, generation: slot.generation });
  }

  #onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const pid = slot.pid;
    slot.child = null;
    if (slot.startupTimer !== null) clearTimeout(slot.startupTimer);
    slot.startupTimer = null;
    for (const [id, call] of slot.calls) {
      clearTimeout(call.timer);
      call.reject(
        new WorkerPoolError(
          'WORKER_EXITED',
          `worker ${slot.id} (pid ${pid}) exited before it answered`,
        ),
      );
      slot.calls.delete(id);
    }
    const unexpected =
      !slot.stopRequested && (this.#phase === 'starting' || this.#phase === 'running');
    this.#emit({ type: 'exit', workerId: slot.id, pid, code, signal, unexpected });
    if (!unexpected) {
      slot.state = 'idle';
      return;
    }
    this.#unexpectedExits += 1;
    if (slot.readyAt !== null && Date.now() - slot.readyAt >= this.#options.restart.stableAfterMs) {
      slot.failures = 0;
    }
    const exit = describeExit(code, signal);
    this.#onFailure(slot, pid, slot.lastError === null ? exit : `${slot.lastError} (${exit})`);
  }

  /** The current process of `slot` is gone for `reason`: give up (during startup) or restart it. */
  #onFailure(slot: Slot, pid: number, reason: string): void {
    const wasReady = slot.readyAt !== null;
    slot.failures += 1;
    slot.readyAt = null;
    const policy = this.#options.restart;
    if (this.#phase === 'starting' && slot.failures >= policy.maxStartAttempts) {
      slot.state = 'idle';
      this.#startupFailed(
        new WorkerPoolError(
          'WORKER_START_FAILED',
          `worker ${slot.id} could not start (${slot.failures} attempts): ${reason}`,
        ),
      );
      return;
    }
    if (this.#phase !== 'starting' && this.#phase !== 'running') return;
    const delayMs = restartDelay(policy, slot.failures);
    slot.state = 'backoff';
    this.#restarts += 1;
    this.#options.onLog({
      level: 'warn',
      message:
        `worker ${slot.id} (pid ${pid}) ${wasReady ? 'died' : 'failed to start'}: ${reason}; ` +
        `restarting ${delayMs === 0 ? 'now' : `in ${delayMs} ms`} (consecutive failures: ${slot.failures})`,
      workerId: slot.id,
      pid,
    });
    this.#emit({ type: 'restart', workerId: slot.id, reason, failures: slot.failures, delayMs });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      this.#spawn(slot);
    }, delayMs);
  }

  #startupFailed(error: WorkerPoolError): void {
    const startup = this.#startup;
    this.#startup = null;
    startup?.reject(error);
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
        this.#onReady(slot);
        return;
      case 'failed':
        slot.lastError = `module failed to start: ${message.message}`;
        return;
      case 'log':
        this.#options.onLog({
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
        void this.#onCall(slot, message.id, message.call);
        return;
      case 'res': {
        const call = slot.calls.get(message.id);
        if (call === undefined) return;
        slot.calls.delete(message.id);
        clearTimeout(call.timer);
        if (message.ok) call.resolve(message.value);
        else call.reject(new WorkerPoolError(message.error.code, message.error.message));
        return;
      }
    }
  }

  #onReady(slot: Slot): void {
    if (slot.state !== 'starting') return;
    if (slot.startupTimer !== null) clearTimeout(slot.startupTimer);
    slot.startupTimer = null;
    slot.state = 'ready';
    slot.readyAt = Date.now();
    this.#emit({ type: 'ready', workerId: slot.id, pid: slot.pid, generation: slot.generation });
    if (this.#phase === 'starting' && this.#slots.every((s) => s.state === 'ready')) {
      this.#phase = 'running';
      const startup = this.#startup;
      this.#startup = null;
      startup?.resolve();
    }
  }

  #onShutdownRequest(slot: Slot, reason: string): void {
    this.#emit({ type: 'shutdown-requested', workerId: slot.id, pid: slot.pid, reason });
    this.#options.onLog({
      level: 'info',
      message: `shutdown requested: ${reason}`,
      workerId: slot.id,
      pid: slot.pid,
    });
    const hook = this.#options.onShutdownRequest;
    if (hook === undefined) {
      void this.close();
      return;
    }
    try {
      hook({ workerId: slot.id, pid: slot.pid, reason });
    } catch (error) {
      this.#options.onLog({
        level: 'error',
        message: `onShutdownRequest threw: ${errorMessage(error)}`,
      });
    }
  }

  async #onCall(slot: Slot, id: number, call: Call): Promise<void> {
    const from = this.#workerInfo(slot);
    if (from === null) return;
    let response: Response;
    try {
      switch (call.op) {
        case 'table':
          response = okResponse(id, this.processTable());
          break;
        case 'socket': {
          const handle = this.#sockets[call.index]?.handle ?? null;
          if (handle === null) {
            response = errorResponse(
              id,
              'INVALID_MESSAGE',
              `socket ${call.index} is not a UDP socket of this pool (UNIX sockets are inherited)`,
            );
            break;
          }
          this.#post(slot, okResponse(id, null), handle);
          return;
        }
        case 'primary':
          response = okResponse(id, await this.#askPrimary(call.payload, from));
          break;
        case 'pid':
          response = okResponse(
            id,
            await this.#requestPid(from, call.pid, call.payload, call.timeoutMs),
          );
          break;
        case 'broadcast':
          response = okResponse(
            id,
            await this.#broadcast(from, slot.pid, call.payload, call.timeoutMs),
          );
          break;
      }
    } catch (error) {
      const failure = toPoolError(error);
      response = errorResponse(id, failure.code, failure.message);
    }
    this.#post(slot, response);
  }

  async #askPrimary(payload: JsonValue, from: ProcessInfo): Promise<JsonValue> {
    const handler = this.#options.onRequest;
    if (handler === undefined) {
      throw new WorkerPoolError('NO_HANDLER', 'the primary has no request handler (onRequest)');
    }
    let value: unknown;
    try {
      value = await handler(payload, from);
    } catch (error) {
      throw toPoolError(error);
    }
    if (value === undefined) return null;
    if (!isJsonValue(value)) {
      throw new WorkerPoolError(
        'INVALID_MESSAGE',
        'the primary handler returned a value that is not JSON data',
      );
    }
    return value;
  }

  #requestPid(
    from: ProcessInfo,
    pid: number,
    payload: JsonValue,
    timeoutMs: number,
  ): Promise<JsonValue> {
    if (this.#phase === 'closed') {
      return Promise.reject(new WorkerPoolError('POOL_CLOSED', 'the pool is closed'));
    }
    if (pid === process.pid) return this.#askPrimary(payload, from);
    const slot = this.#slots.find((s) => s.child !== null && s.pid === pid);
    if (slot === undefined) {
      return Promise.reject(
        new WorkerPoolError('NO_SUCH_PROCESS', `no process of this pool has pid ${pid}`),
      );
    }
    return this.#callWorker(slot, from, payload, timeoutMs);
  }

  #callWorker(
    slot: Slot,
    from: ProcessInfo,
    payload: JsonValue,
    timeoutMs: number,
  ): Promise<JsonValue> {
    return new Promise<JsonValue>((resolve, reject) => {
      const id = this.#nextCallId++;
      const timer = setTimeout(() => {
        slot.calls.delete(id);
        reject(
          new WorkerPoolError(
            'REQUEST_TIMEOUT',
            `worker ${slot.id} (pid ${slot.pid}) did not answer within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      slot.calls.set(id, { resolve, reject, timer });
      if (!this.#post(slot, { tag: IPC_TAG, t: 'req', id, from, payload })) {
        slot.calls.delete(id);
        clearTimeout(timer);
        reject(new WorkerPoolError('WORKER_EXITED', `worker ${slot.id} is not connected`));
      }
    });
  }

  /** Every process except `exceptPid`: the primary (through `onRequest`) and the ready workers. */
  async #broadcast(
    from: ProcessInfo,
    exceptPid: number,
    payload: JsonValue,
    timeoutMs: number,
  ): Promise<BroadcastResult[]> {
    const targets: Array<{ id: number; pid: number; ask: () => Promise<JsonValue> }> = [];
    if (exceptPid !== process.pid) {
      targets.push({ id: 0, pid: process.pid, ask: () => this.#askPrimary(payload, from) });
    }
    for (const slot of this.#slots) {
      if (slot.child !== null && slot.state === 'ready' && slot.pid !== exceptPid) {
        targets.push({
          id: slot.id,
          pid: slot.pid,
          ask: () => this.#callWorker(slot, from, payload, timeoutMs),
        });
      }
    }
    return Promise.all(
      targets.map(async ({ id, pid, ask }): Promise<BroadcastResult> => {
        try {
          return { pid, id, ok: true, value: await ask() };
        } catch (error) {
          const failure = toPoolError(error);
          return { pid, id, ok: false, error: { code: failure.code, message: failure.message } };
        }
      }),
    );
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
