/**
 * The {@link WorkerContext} a worker module's `startWorker` receives: what the
 * worker is, its sockets, and the calls it can make through the primary.
 */
import { WorkerPoolError } from './errors.js';
import { isJsonValue, type JsonValue } from './json.js';
import { type BroadcastResult, IPC_TAG, isBroadcastResults } from './messages.js';
import { isProcessTable, type ProcessInfo } from './process-table.js';
import { call, DEFAULT_TIMEOUT_MS, log, post } from './worker-channel.js';
import type { WorkerCallOptions, WorkerContext, WorkerRequestHandler } from './worker-context.js';
import { answerLocally, setRequestHandler } from './worker-requests.js';
import { adopt } from './worker-sockets.js';
import { initMessage, isStopping, tableSnapshot } from './worker-state.js';
import { addStopHook } from './worker-stop.js';

/** Extra wait beyond a relayed call's own timeout, so the primary's answer arrives first. */
const RELAY_MARGIN_MS = 1_000;

function checkPayload(payload: unknown): JsonValue {
  if (!isJsonValue(payload))
    throw new WorkerPoolError('INVALID_MESSAGE', 'payload must be JSON data');
  return payload;
}

export const context: WorkerContext = {
  get workerId() {
    return initMessage()?.workerId ?? 0;
  },
  get generation() {
    return initMessage()?.generation ?? 0;
  },
  pid: process.pid,
  get primaryPid() {
    return initMessage()?.primaryPid ?? process.ppid;
  },
  get socket() {
    const first = initMessage()?.sockets[0];
    return { kind: first?.kind ?? 'unix', address: first?.address ?? '' };
  },
  get sockets() {
    return (initMessage()?.sockets ?? []).map(({ kind, address }) => ({ kind, address }));
  },
  get workerData() {
    return initMessage()?.workerData ?? null;
  },
  get stopping() {
    return isStopping();
  },
  adopt,
  async processTable(): Promise<readonly ProcessInfo[]> {
    const { value } = await call({ op: 'table' }, DEFAULT_TIMEOUT_MS);
    if (!isProcessTable(value))
      throw new WorkerPoolError('INVALID_MESSAGE', 'malformed process table');
    return value;
  },
  processSnapshot: tableSnapshot,
  async request(payload: JsonValue, options: WorkerCallOptions = {}): Promise<unknown> {
    const { value } = await call(
      { op: 'primary', payload: checkPayload(payload) },
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
    return value;
  },
  async sendToPid(
    pid: number,
    payload: JsonValue,
    options: WorkerCallOptions = {},
  ): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (pid === process.pid) {
      // Addressed to ourselves: answer locally, as the primary would relay it back.
      return answerLocally(checkPayload(payload));
    }
    const { value } = await call(
      { op: 'pid', pid, payload: checkPayload(payload), timeoutMs },
      timeoutMs + RELAY_MARGIN_MS,
    );
    return value;
  },
  async broadcast(
    payload: JsonValue,
    options: WorkerCallOptions = {},
  ): Promise<readonly BroadcastResult[]> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const { value } = await call(
      { op: 'broadcast', payload: checkPayload(payload), timeoutMs },
      timeoutMs + RELAY_MARGIN_MS,
    );
    if (!isBroadcastResults(value))
      throw new WorkerPoolError('INVALID_MESSAGE', 'malformed broadcast results');
    return value;
  },
  onRequest(handler: WorkerRequestHandler | null): void {
    setRequestHandler(handler);
  },
  setLogLevel(level: number | null): void {
    if (level !== null && !Number.isSafeInteger(level)) {
      throw new WorkerPoolError('INVALID_OPTIONS', 'log level must be an integer or null');
    }
    post({ tag: IPC_TAG, t: 'info', logLevel: level });
  },
  log,
  onStop(hook: () => void | Promise<void>): void {
    addStopHook(hook);
  },
  requestShutdown(reason = 'requested by a worker'): void {
    post({ tag: IPC_TAG, t: 'shutdown', reason: String(reason) });
  },
};
