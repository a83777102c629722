/**
 * What this worker process knows about itself: the `init` message of the
 * primary, whether it is stopping, and how many datagram handlers are still
 * in flight (a graceful stop waits for them).
 */
import type { InitMessage } from './messages.js';
import type { ProcessTableSnapshot } from './process-table.js';

let init: InitMessage | null = null;
let table: ProcessTableSnapshot | null = null;
let stopping = false;
let inFlight = 0;
let idleWaiters: Array<() => void> = [];

/** The primary's `init` message; null until it has arrived. */
export function initMessage(): InitMessage | null {
  return init;
}

export function setInitMessage(message: InitMessage): void {
  init = message;
}

/** The process table the primary announced last; null until the first announcement. */
export function tableSnapshot(): ProcessTableSnapshot | null {
  return table;
}

/** An announcement of the primary; one older than what this worker knows is ignored. */
export function setTableSnapshot(snapshot: ProcessTableSnapshot): void {
  if (table === null || snapshot.generation > table.generation) table = snapshot;
}

export function isStopping(): boolean {
  return stopping;
}

export function markStopping(): void {
  stopping = true;
}

/** A datagram handler returned a promise: it counts as in flight until {@link finishedOne}. */
export function startedOne(): void {
  inFlight += 1;
}

export function finishedOne(): void {
  inFlight -= 1;
  if (inFlight === 0) {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** Resolves once no datagram handler is in flight. */
export function whenIdle(): Promise<void> {
  if (inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}
