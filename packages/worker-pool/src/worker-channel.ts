/**
 * The worker's IPC channel to the primary: posting messages, logging through
 * the primary, and calls (`call` → `res`) matched to their answers by id.
 */
import { WorkerPoolError } from './errors.js';
import type { JsonValue } from './json.js';
import {
  type Call,
  IPC_TAG,
  type LogLevel,
  type Response,
  type WorkerMessage,
} from './messages.js';
import { initMessage } from './worker-state.js';

export const DEFAULT_TIMEOUT_MS = 5_000;

interface Outstanding {
  readonly resolve: (result: { value: JsonValue; handle: unknown }) => void;
  readonly reject: (error: WorkerPoolError) => void;
  readonly timer: NodeJS.Timeout;
}

const outstanding = new Map<number, Outstanding>();
let nextCallId = 1;

export function post(message: WorkerMessage, callback?: () => void): boolean {
  if (!process.connected || process.send === undefined) return false;
  try {
    return process.send(message, undefined, {}, callback ? () => callback() : undefined);
  } catch {
    return false;
  }
}

export function log(level: LogLevel, message: string): void {
  if (!post({ tag: IPC_TAG, t: 'log', level, message })) {
    process.stderr.write(
      `[worker-pool worker ${initMessage()?.workerId ?? '?'} pid ${process.pid}] ${level}: ${message}\n`,
    );
  }
}

export function call(
  request: Call,
  timeoutMs: number,
): Promise<{ value: JsonValue; handle: unknown }> {
  return new Promise((resolve, reject) => {
    const id = nextCallId++;
    const timer = setTimeout(() => {
      outstanding.delete(id);
      reject(
        new WorkerPoolError('REQUEST_TIMEOUT', `no answer from the primary within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    outstanding.set(id, { resolve, reject, timer });
    if (!post({ tag: IPC_TAG, t: 'call', id, call: request })) {
      outstanding.delete(id);
      clearTimeout(timer);
      reject(new WorkerPoolError('IPC_DISCONNECTED', 'the IPC channel to the primary is closed'));
    }
  });
}

/** The primary's answer (`res`, with the handle it sent along, if any) to one of our calls. */
export function onCallResponse(message: Response, handle: unknown): void {
  const pending = outstanding.get(message.id);
  if (pending === undefined) return;
  outstanding.delete(message.id);
  clearTimeout(pending.timer);
  if (message.ok) pending.resolve({ value: message.value, handle });
  else pending.reject(new WorkerPoolError(message.error.code, message.error.message));
}

/** The channel is gone: every call still waiting fails with `IPC_DISCONNECTED`. */
export function failOutstandingCalls(): void {
  for (const [id, pending] of outstanding) {
    clearTimeout(pending.timer);
    pending.reject(new WorkerPoolError('IPC_DISCONNECTED', 'the primary went away'));
    outstanding.delete(id);
  }
}
