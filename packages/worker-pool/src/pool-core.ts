/**
 * The state the parts of the primary share (phase, options, sockets, worker
 * slots) and the helpers all of them use on it: process-table rows and
 * event emission.
 */
import { errorMessage } from './errors.js';
import { IPC_TAG, type TableMessage } from './messages.js';
import type { PoolEvent, ResolvedOptions } from './options.js';
import type { ProcessInfo } from './process-table.js';
import type { SharedSocket } from './shared-socket.js';
import { postToSlot, type Slot, workerInfo } from './slot.js';

export type Phase = 'starting' | 'running' | 'closing' | 'closed';

export interface PoolCore {
  readonly options: ResolvedOptions;
  readonly sockets: readonly SharedSocket[];
  readonly slots: readonly Slot[];
  phase: Phase;
  primaryLogLevel: number | null;
  /** Generation of the last process table announced to the workers ({@link announceTable}). */
  tableGeneration: number;
}

/** The primary's row (id 0) of the process table. */
export function primaryInfo(core: PoolCore): ProcessInfo {
  const state = core.phase === 'closing' || core.phase === 'closed' ? 'stopping' : 'running';
  return core.primaryLogLevel === null
    ? { id: 0, pid: process.pid, type: 'primary', state }
    : { id: 0, pid: process.pid, type: 'primary', state, logLevel: core.primaryLogLevel };
}

/** The primary (id 0) and every live worker (ids 1..N), by id. */
export function processTable(core: PoolCore): readonly ProcessInfo[] {
  const rows: ProcessInfo[] = [primaryInfo(core)];
  for (const slot of core.slots) {
    const info = workerInfo(slot);
    if (info !== null) rows.push(info);
  }
  return rows;
}

/**
 * A process started or exited (a slot's `child` was set or cleared): tells
 * every live worker the new membership of the table, under the next
 * generation, so that a worker knows the table without asking. Messages on
 * one channel arrive in order, so a worker never goes back to an older table.
 */
export function announceTable(core: PoolCore): void {
  core.tableGeneration += 1;
  const message: TableMessage = {
    tag: IPC_TAG,
    t: 'table',
    generation: core.tableGeneration,
    members: processTable(core).map(({ id, pid, type }) => ({ id, pid, type })),
  };
  for (const slot of core.slots) postToSlot(slot, message);
}

/** Hands `event` to `onEvent`; a throwing listener is logged, never propagated. */
export function emit(core: PoolCore, event: PoolEvent): void {
  try {
    core.options.onEvent(event);
  } catch (error) {
    core.options.onLog({ level: 'error', message: `onEvent threw: ${errorMessage(error)}` });
  }
}
