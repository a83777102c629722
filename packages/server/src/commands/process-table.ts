/**
 * The process table behind the `ps` and `log_level` core commands. With
 * `children_count` 1 the server is one process ({@link LocalProcessTable});
 * a worker pool provides its own implementation listing every process.
 */
import type { Logger } from '../ops/index.js';

export interface ProcessInfo {
  /** Index in the table (0-based), shown as `ID=`. */
  readonly id: number;
  readonly pid: number;
  /** Shown as `Type=` (e.g. `main`, `MI Datagram worker`). */
  readonly type: string;
  /** Current log level of that process. */
  readonly logLevel: number;
}

export interface ProcessTable {
  list(): readonly ProcessInfo[] | PromiseLike<readonly ProcessInfo[]>;
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

  constructor(logger: Logger, options: { readonly type?: string; readonly pid?: number } = {}) {
    this.#logger = logger;
    this.#type = options.type ?? 'main';
    this.#pid = options.pid ?? process.pid;
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
