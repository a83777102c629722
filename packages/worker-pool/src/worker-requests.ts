/**
 * Requests addressed to this worker (from the primary or, relayed by it,
 * from another process): run the module's `onRequest` handler and answer.
 */
import { errorMessage, WorkerPoolError } from './errors.js';
import { isJsonValue, type JsonValue } from './json.js';
import { errorResponse, okResponse, type Request } from './messages.js';
import type { ProcessInfo } from './process-table.js';
import { post } from './worker-channel.js';
import type { WorkerRequestHandler } from './worker-context.js';
import { initMessage, isStopping } from './worker-state.js';

let requestHandler: WorkerRequestHandler | null = null;

export function setRequestHandler(handler: WorkerRequestHandler | null): void {
  requestHandler = handler;
}

function selfInfo(): ProcessInfo {
  return {
    id: initMessage()?.workerId ?? 0,
    pid: process.pid,
    type: 'worker',
    state: isStopping() ? 'stopping' : 'ready',
  };
}

async function runHandler(payload: JsonValue, from: ProcessInfo): Promise<JsonValue> {
  const handler = requestHandler;
  if (handler === null)
    throw new WorkerPoolError('NO_HANDLER', `worker pid ${process.pid} has no request handler`);
  let value: unknown;
  try {
    value = await handler(payload, from);
  } catch (error) {
    if (error instanceof WorkerPoolError) throw error;
    throw new WorkerPoolError('REQUEST_FAILED', errorMessage(error), { cause: error });
  }
  if (value === undefined) return null;
  if (!isJsonValue(value))
    throw new WorkerPoolError('INVALID_MESSAGE', 'the request handler returned non-JSON data');
  return value;
}

/** A request this worker addressed to itself: answered here, as if the primary had relayed it back. */
export function answerLocally(payload: JsonValue): Promise<JsonValue> {
  return runHandler(payload, selfInfo());
}

/** A `req` from the primary: posts the handler's answer (or its failure) back. */
export async function answer(request: Request): Promise<void> {
  try {
    post(okResponse(request.id, await runHandler(request.payload, request.from)));
  } catch (error) {
    const failure =
      error instanceof WorkerPoolError
        ? error
        : new WorkerPoolError('REQUEST_FAILED', errorMessage(error));
    post(errorResponse(request.id, failure.code, failure.message));
  }
}
