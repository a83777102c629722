/**
 * Bookkeeping of one worker slot (ids 1..N): the process filling it now, its
 * lifecycle state, its restart counters and the requests the primary has
 * outstanding with that process.
 */
import type { ChildProcess } from 'node:child_process';
import type { WorkerPoolError } from './errors.js';
import type { JsonValue } from './json.js';
import type { PrimaryMessage } from './messages.js';
import type { ProcessInfo } from './process-table.js';
import type { SharedSocket } from './shared-socket.js';

export type SlotState = 'idle' | 'starting' | 'ready' | 'stopping' | 'backoff';

export interface PendingCall {
  readonly resolve: (value: JsonValue) => void;
  readonly reject: (error: WorkerPoolError) => void;
  readonly timer: NodeJS.Timeout;
}

export interface Slot {
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

/** An empty slot with worker id `id`; nothing is forked yet. */
export function createSlot(id: number): Slot {
  return {
    id,
    child: null,
    pid: 0,
    generation: 0,
    state: 'idle',
    failures: 0,
    readyAt: null,
    lastError: null,
    logLevel: null,
    stopRequested: false,
    exited: Promise.resolve(),
    startupTimer: null,
    restartTimer: null,
    calls: new Map<number, PendingCall>(),
  };
}

/** The process-table row of the slot's live process; null when none is alive. */
export function workerInfo(slot: Slot): ProcessInfo | null {
  if (slot.child === null) return null;
  const state =
    slot.state === 'ready' ? 'ready' : slot.state === 'stopping' ? 'stopping' : 'starting';
  return slot.logLevel === null
    ? { id: slot.id, pid: slot.pid, type: 'worker', state }
    : { id: slot.id, pid: slot.pid, type: 'worker', state, logLevel: slot.logLevel };
}

/** Sends `message` (and `handle`) to the slot's process; false when it is not connected or the send throws. */
export function postToSlot(
  slot: Slot,
  message: PrimaryMessage,
  handle?: SharedSocket['handle'],
): boolean {
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
