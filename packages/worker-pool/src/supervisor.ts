/**
 * Supervision of the worker slots: forks a worker into each slot, watches it
 * start (ready or startup timeout), and when it exits unexpectedly restarts it
 * after the restart policy's backoff, or fails the pool's startup once a
 * worker has used up `maxStartAttempts`.
 */
import { type ChildProcess, fork, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { restartDelay } from './backoff.js';
import { failPendingCalls } from './call-router.js';
import { errorMessage, WorkerPoolError } from './errors.js';
import { type InitMessage, type InitSocket, IPC_TAG } from './messages.js';
import { announceTable, emit, type PoolCore } from './pool-core.js';
import { CHILD_SOCKET_FD } from './shared-socket.js';
import { postToSlot, type Slot } from './slot.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.js', import.meta.url));

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `signal ${signal}`;
  return `exit code ${code ?? 'unknown'}`;
}

/** What the supervisor has counted since the pool started. */
export interface SupervisionCounts {
  readonly spawned: number;
  readonly unexpectedExits: number;
  readonly restarts: number;
}

export class Supervisor {
  readonly #core: PoolCore;
  /** Receives every IPC message of a slot's current process. */
  readonly #onMessage: (slot: Slot, raw: unknown) => void;
  /** What each worker is told about the sockets (UNIX descriptors at 4, 5, … of its stdio). */
  readonly #initSockets: readonly InitSocket[];
  readonly #stdio: StdioOptions;
  #spawned = 0;
  #unexpectedExits = 0;
  #restarts = 0;
  #startup: { resolve: () => void; reject: (error: WorkerPoolError) => void } | null = null;

  constructor(core: PoolCore, onMessage: (slot: Slot, raw: unknown) => void) {
    this.#core = core;
    this.#onMessage = onMessage;
    const fds: number[] = [];
    this.#initSockets = core.sockets.map((socket): InitSocket => {
      if (socket.fd === null) return { kind: socket.kind, address: socket.address, fd: null };
      fds.push(socket.fd);
      return { kind: socket.kind, address: socket.address, fd: CHILD_SOCKET_FD + fds.length - 1 };
    });
    this.#stdio = ['ignore', 'inherit', 'inherit', 'ipc', ...fds];
  }

  /** Forks every worker; resolves when all are ready. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#startup = { resolve, reject };
      for (const slot of this.#core.slots) this.#spawn(slot);
    });
  }

  /** The pool is being closed: a startup still under way rejects with `POOL_CLOSED`. */
  cancelStartup(): void {
    if (this.#core.phase === 'starting' && this.#startup !== null) {
      this.#startup.reject(
        new WorkerPoolError('POOL_CLOSED', 'the pool was closed while starting'),
      );
      this.#startup = null;
    }
  }

  counts(): SupervisionCounts {
    return {
      spawned: this.#spawned,
      unexpectedExits: this.#unexpectedExits,
      restarts: this.#restarts,
    };
  }

  #spawn(slot: Slot): void {
    if (this.#core.phase === 'closing' || this.#core.phase === 'closed') return;
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
        env: { ...process.env, ...this.#core.options.env },
        execArgv: [...this.#core.options.execArgv],
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
        announceTable(this.#core);
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
      moduleUrl: this.#core.options.moduleUrl,
      workerData: this.#core.options.workerData,
    };
    postToSlot(slot, init);
    // After `init`: the new worker learns the table (itself included) next, the others learn of it.
    announceTable(this.#core);
    slot.startupTimer = setTimeout(() => {
      slot.startupTimer = null;
      if (slot.child === child && slot.state === 'starting') {
        slot.lastError = `not ready within ${this.#core.options.startupTimeoutMs} ms`;
        child.kill('SIGKILL');
      }
    }, this.#core.options.startupTimeoutMs);
    emit(this.#core, {
      type: 'spawn',
      workerId: slot.id,
      pid: slot.pid,
      generation: slot.generation,
    });
  }

  #onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const pid = slot.pid;
    slot.child = null;
    announceTable(this.#core);
    if (slot.startupTimer !== null) clearTimeout(slot.startupTimer);
    slot.startupTimer = null;
    failPendingCalls(slot, pid);
    const unexpected =
      !slot.stopRequested && (this.#core.phase === 'starting' || this.#core.phase === 'running');
    emit(this.#core, { type: 'exit', workerId: slot.id, pid, code, signal, unexpected });
    if (!unexpected) {
      slot.state = 'idle';
      return;
    }
    this.#unexpectedExits += 1;
    if (
      slot.readyAt !== null &&
      Date.now() - slot.readyAt >= this.#core.options.restart.stableAfterMs
    ) {
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
    const policy = this.#core.options.restart;
    if (this.#core.phase === 'starting' && slot.failures >= policy.maxStartAttempts) {
      slot.state = 'idle';
      this.#startupFailed(
        new WorkerPoolError(
          'WORKER_START_FAILED',
          `worker ${slot.id} could not start (${slot.failures} attempts): ${reason}`,
        ),
      );
      return;
    }
    if (this.#core.phase !== 'starting' && this.#core.phase !== 'running') return;
    const delayMs = restartDelay(policy, slot.failures);
    slot.state = 'backoff';
    this.#restarts += 1;
    this.#core.options.onLog({
      level: 'warn',
      message:
        `worker ${slot.id} (pid ${pid}) ${wasReady ? 'died' : 'failed to start'}: ${reason}; ` +
        `restarting ${delayMs === 0 ? 'now' : `in ${delayMs} ms`} (consecutive failures: ${slot.failures})`,
      workerId: slot.id,
      pid,
    });
    emit(this.#core, {
      type: 'restart',
      workerId: slot.id,
      reason,
      failures: slot.failures,
      delayMs,
    });
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

  /** The slot's process reported `ready`; the pool is running once every slot has. */
  onReady(slot: Slot): void {
    if (slot.state !== 'starting') return;
    if (slot.startupTimer !== null) clearTimeout(slot.startupTimer);
    slot.startupTimer = null;
    slot.state = 'ready';
    slot.readyAt = Date.now();
    emit(this.#core, {
      type: 'ready',
      workerId: slot.id,
      pid: slot.pid,
      generation: slot.generation,
    });
    if (this.#core.phase === 'starting' && this.#core.slots.every((s) => s.state === 'ready')) {
      this.#core.phase = 'running';
      const startup = this.#startup;
      this.#startup = null;
      startup?.resolve();
    }
  }
}
