/**
 * `ps` and `log_level` in a worker process of a `children_count` > 1 server:
 * the table is the pool's (primary and every worker), a global level goes to
 * every process, a level for one PID goes to that process only. `ps` reads
 * the membership the primary announces to every worker when a process
 * starts or exits (no round trip); `log_level` asks the primary, whose rows
 * carry the current levels.
 */
import {
  type JsonValue,
  type ProcessTableSnapshot,
  type WorkerContext,
  WorkerPoolError,
} from '@mi-datagram/worker-pool';
import type { ProcessInfo, ProcessSnapshot, ProcessTable } from '../commands/index.js';
import type { Logger } from '../ops/index.js';
import {
  logLevelRequest,
  POOL_PROCESS_TYPES,
  parseLogLevelRequest,
  toServerProcessInfo,
} from './pool-data.js';

export class WorkerProcessTable implements ProcessTable {
  readonly #context: WorkerContext;
  readonly #logger: Logger;
  readonly #fallbackLevel: number;

  /** `fallbackLevel`: shown for a process that has not published its level yet (still starting). */
  constructor(context: WorkerContext, logger: Logger, fallbackLevel: number) {
    this.#context = context;
    this.#logger = logger;
    this.#fallbackLevel = fallbackLevel;
  }

  /** The pool's announcement {@link snapshot} was last derived from, and what it gave. */
  #announced: ProcessTableSnapshot | null = null;
  #snapshot: ProcessSnapshot | null = null;

  /** The announced membership (the same object until the next announcement); null before the first. */
  snapshot(): ProcessSnapshot | null {
    const announced = this.#context.processSnapshot();
    if (announced !== this.#announced) {
      this.#announced = announced;
      this.#snapshot =
        announced === null
          ? null
          : Object.freeze({
              generation: announced.generation,
              processes: Object.freeze(
                announced.members.map((m) =>
                  Object.freeze({ id: m.id, pid: m.pid, type: POOL_PROCESS_TYPES[m.type] }),
                ),
              ),
            });
    }
    return this.#snapshot;
  }

  async list(): Promise<readonly ProcessInfo[]> {
    const rows = await this.#context.processTable();
    return rows.map((row) => toServerProcessInfo(row, this.#fallbackLevel));
  }

  /** This process: its logger's threshold and its row of the table. */
  setOwnLogLevel(level: number): void {
    this.#logger.level = level;
    this.#context.setLogLevel(level);
  }

  async setGlobalLogLevel(level: number): Promise<void> {
    this.setOwnLogLevel(level);
    const results = await this.#context.broadcast(logLevelRequest(level));
    for (const result of results) {
      if (!result.ok) {
        this.#logger.warn('log_level: a process did not take the new global level', {
          targetPid: result.pid,
          code: result.error.code,
          reason: result.error.message,
        });
      }
    }
  }

  async setProcessLogLevel(pid: number, level: number): Promise<boolean> {
    if (pid === this.#context.pid) {
      this.setOwnLogLevel(level);
      return true;
    }
    try {
      await this.#context.sendToPid(pid, logLevelRequest(level));
      return true;
    } catch (error) {
      if (error instanceof WorkerPoolError && error.code === 'NO_SUCH_PROCESS') return false;
      throw error;
    }
  }

  /** Answers the IPC requests other processes address to this worker (`context.onRequest`). */
  answer(payload: unknown): JsonValue {
    const level = parseLogLevelRequest(payload);
    if (level === null) throw new Error('unknown request');
    this.setOwnLogLevel(level);
    return { pid: this.#context.pid, level };
  }
}
