import { isNonNegativeInteger, isRecord } from './json.js';

export const PROCESS_STATES = ['starting', 'ready', 'running', 'stopping'] as const;
/**
 * `running`: the primary while the pool is up. `starting`: a worker whose
 * module has not finished starting. `ready`: a worker serving requests.
 * `stopping`: the pool (or this worker) is shutting down.
 */
export type ProcessState = (typeof PROCESS_STATES)[number];

/** One row of the process table: the primary (id 0) or a worker (id 1..N). */
export type ProcessInfo = {
  /** 0 for the primary; the worker's slot number 1..N, kept by its replacements. */
  readonly id: number;
  readonly pid: number;
  readonly type: 'primary' | 'worker';
  readonly state: ProcessState;
  /** Set by the process itself (`context.setLogLevel`, `pool.setLogLevel`); absent until then. */
  readonly logLevel?: number;
};

/** What a row says about which process it is: the part of {@link ProcessInfo} that changes only when a process starts or exits. */
export type ProcessMember = Pick<ProcessInfo, 'id' | 'pid' | 'type'>;

/**
 * The pool's processes as the primary last announced them to a worker
 * (`context.processSnapshot()`): it announces them whenever a process starts
 * or exits, each time with a higher `generation`.
 */
export interface ProcessTableSnapshot {
  readonly generation: number;
  /** The primary (id 0) and every live worker (ids 1..N), by id. */
  readonly members: readonly ProcessMember[];
}

export function isProcessMember(value: unknown): value is ProcessMember {
  return (
    isRecord(value) &&
    isNonNegativeInteger(value.id) &&
    isNonNegativeInteger(value.pid) &&
    (value.type === 'primary' || value.type === 'worker')
  );
}

export function isProcessInfo(value: unknown): value is ProcessInfo {
  if (!isRecord(value)) return false;
  return (
    isNonNegativeInteger(value.id) &&
    isNonNegativeInteger(value.pid) &&
    (value.type === 'primary' || value.type === 'worker') &&
    (PROCESS_STATES as readonly unknown[]).includes(value.state) &&
    (value.logLevel === undefined || Number.isSafeInteger(value.logLevel))
  );
}

export function isProcessTable(value: unknown): value is readonly ProcessInfo[] {
  return Array.isArray(value) && value.every(isProcessInfo);
}
