/**
 * The process table behind the `ps` and `log_level` core commands. With
 * `children_count` 1 the server is one process ({@link LocalProcessTable});
 * a worker pool provides its own implementation listing every process.
 */
import type { Logger } from '../ops/index.js';

/** Which process a row of the table is: what `ps` shows. */
export interface ProcessEntry {
  /** Index in the table (0-based), shown as `ID=`. */
  readonly id: number;
  readonly pid: number;
  /** Shown as `Type=` (e.g. `main`, `MI Datagram worker`). */
  readonly type: string;
}

export interface ProcessInfo extends ProcessEntry {
  /** Current log level of that process. */
  readonly logLevel: number;
}

/** The processes as known without asking anyone, numbered by a generation ({@link ProcessTable.snapshot}). */
export interface ProcessSnapshot {
  /** Changes whenever `processes` does (a process started, exited or was replaced). */
  readonly generation: number;
  readonly processes: readonly ProcessEntry[];
}

export interface ProcessTable {
  list(): readonly ProcessInfo[] | PromiseLike<readonly ProcessInfo[]>;
  /**
   * Optional: the processes (no log levels) known right now without waiting,
   * or null when they are not. Given, `ps` answers from it, and its encoded
   * reply is kept until `generation` changes; absent (or null), `ps` is built
   * from {@link list} on every call.
   */
  snapshot?(): ProcessSnapshot | null;
  /** Sets the level of every process. */
  setGlobalLogLevel(level: number): void | PromiseLike<void>;
  /** Sets the level of one process; false when no process has that PID. */
  setProcessLogLevel(pid: number, level: number): boolean | PromiseLike<boolean>;
}

/** The single process of an in-process server (`children_count` 1). */
export class LocalProcessTable implements ProcessTable {
  readonly #logger: Logger;
  readonly #type: string;
  readonly #pid: number;
  readonly #snapshot: ProcessSnapshot;

  constructor(logger: Logger, options: { readonly type?: string; readonly pid?: number } = {}) {
    this.#logger = logger;
    this.#type = options.type ?? 'main';
    this.#pid = options.pid ?? process.pid;
    // One process whose PID and type never change: a single generation.
    this.#snapshot = Object.freeze({
      generation: 0,
      processes: Object.freeze([Object.freeze({ id: 0, pid: this.#pid, type: this.#type })]),
    });
  }

  snapshot(): ProcessSnapshot {
    return this.#snapshot;
  }

  list(): readonly ProcessInfo[] {
    return [{ id: 0, pid: this.#pid, type: this.#type, logLevel: this.#logger.level }];
  }

  setGlobalLogLevel(level: number): void {
    this.#logger.level = level;
  }

  setProcessLogLevel(pid: number, level: number): boolean {
    if (pid !== this.#pid) return false;
    this.#logger.level = level;
    return true;
  }
}
