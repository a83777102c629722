/**
 * Request/answer routing on the primary: a request (from the pool's API or a
 * worker's `call`) goes to the primary's `onRequest`, to one worker by PID,
 * or to every process (broadcast); a worker's answer comes back as a `res`
 * message matched to its pending call by id.
 */
import { errorMessage, WorkerPoolError } from './errors.js';
import { isJsonValue, type JsonValue } from './json.js';
import {
  type BroadcastResult,
  type Call,
  errorResponse,
  IPC_TAG,
  okResponse,
  type Response,
} from './messages.js';
import { type PoolCore, processTable } from './pool-core.js';
import type { ProcessInfo } from './process-table.js';
import { postToSlot, type Slot, workerInfo } from './slot.js';

export function toPoolError(error: unknown): WorkerPoolError {
  if (error instanceof WorkerPoolError) return error;
  return new WorkerPoolError('REQUEST_FAILED', errorMessage(error), { cause: error });
}

/** The slot's process (`pid`) is gone: every request still waiting for it fails with `WORKER_EXITED`. */
export function failPendingCalls(slot: Slot, pid: number): void {
  for (const [id, call] of slot.calls) {
    clearTimeout(call.timer);
    call.reject(
      new WorkerPoolError(
        'WORKER_EXITED',
        `worker ${slot.id} (pid ${pid}) exited before it answered`,
      ),
    );
    slot.calls.delete(id);
  }
}

export class CallRouter {
  readonly #core: PoolCore;
  #nextCallId = 1;

  constructor(core: PoolCore) {
    this.#core = core;
  }

  /** A worker's `call`: carries it out and posts the answer back to that worker. */
  async onCall(slot: Slot, id: number, call: Call): Promise<void> {
    const from = workerInfo(slot);
    if (from === null) return;
    let response: Response;
    try {
      switch (call.op) {
        case 'table':
          response = okResponse(id, processTable(this.#core));
          break;
        case 'socket': {
          const handle = this.#core.sockets[call.index]?.handle ?? null;
          if (handle === null) {
            response = errorResponse(
              id,
              'INVALID_MESSAGE',
              `socket ${call.index} is not a UDP socket of this pool (UNIX sockets are inherited)`,
            );
            break;
          }
          postToSlot(slot, okResponse(id, null), handle);
          return;
        }
        case 'primary':
          response = okResponse(id, await this.askPrimary(call.payload, from));
          break;
        case 'pid':
          response = okResponse(
            id,
            await this.requestPid(from, call.pid, call.payload, call.timeoutMs),
          );
          break;
        case 'broadcast':
          response = okResponse(
            id,
            await this.broadcast(from, slot.pid, call.payload, call.timeoutMs),
          );
          break;
      }
    } catch (error) {
      const failure = toPoolError(error);
      response = errorResponse(id, failure.code, failure.message);
    }
    postToSlot(slot, response);
  }

  /** A worker's answer (`res`) to a request the primary sent it. */
  onResponse(slot: Slot, message: Response): void {
    const call = slot.calls.get(message.id);
    if (call === undefined) return;
    slot.calls.delete(message.id);
    clearTimeout(call.timer);
    if (message.ok) call.resolve(message.value);
    else call.reject(new WorkerPoolError(message.error.code, message.error.message));
  }

  async askPrimary(payload: JsonValue, from: ProcessInfo): Promise<JsonValue> {
    const handler = this.#core.options.onRequest;
    if (handler === undefined) {
      throw new WorkerPoolError('NO_HANDLER', 'the primary has no request handler (onRequest)');
    }
    let value: unknown;
    try {
      value = await handler(payload, from);
    } catch (error) {
      throw toPoolError(error);
    }
    if (value === undefined) return null;
    if (!isJsonValue(value)) {
      throw new WorkerPoolError(
        'INVALID_MESSAGE',
        'the primary handler returned a value that is not JSON data',
      );
    }
    return value;
  }

  requestPid(
    from: ProcessInfo,
    pid: number,
    payload: JsonValue,
    timeoutMs: number,
  ): Promise<JsonValue> {
    if (this.#core.phase === 'closed') {
      return Promise.reject(new WorkerPoolError('POOL_CLOSED', 'the pool is closed'));
    }
    if (pid === process.pid) return this.askPrimary(payload, from);
    const slot = this.#core.slots.find((s) => s.child !== null && s.pid === pid);
    if (slot === undefined) {
      return Promise.reject(
        new WorkerPoolError('NO_SUCH_PROCESS', `no process of this pool has pid ${pid}`),
      );
    }
    return this.#callWorker(slot, from, payload, timeoutMs);
  }

  #callWorker(
    slot: Slot,
    from: ProcessInfo,
    payload: JsonValue,
    timeoutMs: number,
  ): Promise<JsonValue> {
    return new Promise<JsonValue>((resolve, reject) => {
      const id = this.#nextCallId++;
      const timer = setTimeout(() => {
        slot.calls.delete(id);
        reject(
          new WorkerPoolError(
            'REQUEST_TIMEOUT',
            `worker ${slot.id} (pid ${slot.pid}) did not answer within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      slot.calls.set(id, { resolve, reject, timer });
      if (!postToSlot(slot, { tag: IPC_TAG, t: 'req', id, from, payload })) {
        slot.calls.delete(id);
        clearTimeout(timer);
        reject(new WorkerPoolError('WORKER_EXITED', `worker ${slot.id} is not connected`));
      }
    });
  }

  /** Every process except `exceptPid`: the primary (through `onRequest`) and the ready workers. */
  async broadcast(
    from: ProcessInfo,
    exceptPid: number,
    payload: JsonValue,
    timeoutMs: number,
  ): Promise<BroadcastResult[]> {
    const targets: Array<{ id: number; pid: number; ask: () => Promise<JsonValue> }> = [];
    if (exceptPid !== process.pid) {
      targets.push({ id: 0, pid: process.pid, ask: () => this.askPrimary(payload, from) });
    }
    for (const slot of this.#core.slots) {
      if (slot.child !== null && slot.state === 'ready' && slot.pid !== exceptPid) {
        targets.push({
          id: slot.id,
          pid: slot.pid,
          ask: () => this.#callWorker(slot, from, payload, timeoutMs),
        });
      }
    }
    return Promise.all(
      targets.map(async ({ id, pid, ask }): Promise<BroadcastResult> => {
        try {
          return { pid, id, ok: true, value: await ask() };
        } catch (error) {
          const failure = toPoolError(error);
          return { pid, id, ok: false, error: { code: failure.code, message: failure.message } };
        }
      }),
    );
  }
}
