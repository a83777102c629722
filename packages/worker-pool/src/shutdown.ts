/**
 * Shutting the pool down: gracefully (`close`: workers are told to stop and
 * finish their in-flight requests, and SIGKILLed after a grace period) or
 * at once (`destroy`); then the sockets are released.
 */
import { IPC_TAG } from './messages.js';
import type { PoolCore } from './pool-core.js';
import { postToSlot, type Slot } from './slot.js';
import type { Supervisor } from './supervisor.js';

export class Shutdown {
  readonly #core: PoolCore;
  readonly #supervisor: Supervisor;
  #shutdown: Promise<void> | null = null;
  /** Resolves when the pool has been closed or destroyed, whoever started it. */
  readonly closed: Promise<void>;
  #resolveClosed: () => void = () => {};

  constructor(core: PoolCore, supervisor: Supervisor) {
    this.#core = core;
    this.#supervisor = supervisor;
    this.closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** Graceful shutdown, idempotent; `timeoutMs` defaults to the pool's `closeTimeoutMs`. */
  close(timeoutMs?: number): Promise<void> {
    if (this.#shutdown !== null) return this.#shutdown;
    const graceMs = timeoutMs ?? this.#core.options.closeTimeoutMs;
    this.#begin();
    const live = this.#core.slots.filter((slot) => slot.child !== null);
    for (const slot of live) {
      slot.stopRequested = true;
      slot.state = 'stopping';
      postToSlot(slot, { tag: IPC_TAG, t: 'stop', graceMs: Math.floor(graceMs) });
    }
    this.#shutdown = this.#finish(live, graceMs);
    return this.#shutdown;
  }

  /** Immediate shutdown: SIGKILLs every worker, then closes the socket. Also cuts a `close()` short. */
  destroy(): Promise<void> {
    if (this.#core.phase === 'closed') return this.#shutdown ?? Promise.resolve();
    this.#begin();
    const live = this.#core.slots.filter((slot) => slot.child !== null);
    for (const slot of live) {
      slot.stopRequested = true;
      slot.state = 'stopping';
      slot.child?.kill('SIGKILL');
    }
    this.#shutdown ??= this.#finish(live, null);
    return this.#shutdown;
  }

  #begin(): void {
    this.#supervisor.cancelStartup();
    this.#core.phase = 'closing';
    for (const slot of this.#core.slots) {
      if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
      slot.restartTimer = null;
      if (slot.child === null) slot.state = 'idle';
    }
  }

  /** Waits for `live` to exit (SIGKILLing them after `timeoutMs`; null: already killed), then releases the socket. */
  async #finish(live: readonly Slot[], timeoutMs: number | null): Promise<void> {
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
          this.#core.options.onLog({
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
      const results = await Promise.allSettled(this.#core.sockets.map((socket) => socket.close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } finally {
      this.#core.phase = 'closed';
      this.#resolveClosed();
    }
  }
}
