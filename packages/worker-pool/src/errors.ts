/**
 * Every error this package throws or rejects with is a {@link WorkerPoolError}
 * carrying a stable {@link WorkerPoolErrorCode}: match on `code`, never on the
 * message text. Errors of the transports (binding the socket) pass through
 * unchanged with their own codes.
 */
export const WORKER_POOL_ERROR_CODES = [
  /** An option is missing, of the wrong type or out of range. */
  'INVALID_OPTIONS',
  /** A worker could not reach `ready` within `restart.maxStartAttempts` attempts during `startWorkerPool`. */
  'WORKER_START_FAILED',
  /** The pool is closing or closed. */
  'POOL_CLOSED',
  /** No live process has the PID a message was addressed to. */
  'NO_SUCH_PROCESS',
  /** The target process registered no request handler. */
  'NO_HANDLER',
  /** The target's request handler threw; `message` carries its message. */
  'REQUEST_FAILED',
  /** No response arrived within the request's timeout. */
  'REQUEST_TIMEOUT',
  /** The target process exited before it answered. */
  'WORKER_EXITED',
  /** The IPC channel to the primary is gone (worker side). */
  'IPC_DISCONNECTED',
  /** A message or value that cannot cross the IPC channel, or a malformed one that did. */
  'INVALID_MESSAGE',
] as const;

export type WorkerPoolErrorCode = (typeof WORKER_POOL_ERROR_CODES)[number];

export function isWorkerPoolErrorCode(value: unknown): value is WorkerPoolErrorCode {
  return (
    typeof value === 'string' && (WORKER_POOL_ERROR_CODES as readonly string[]).includes(value)
  );
}

export class WorkerPoolError extends Error {
  override readonly name = 'WorkerPoolError';
  readonly code: WorkerPoolErrorCode;

  constructor(code: WorkerPoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
