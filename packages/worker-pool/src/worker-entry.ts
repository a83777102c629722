/**
 * The program each worker process runs (forked by the primary as
 * dist/worker-entry.js). It waits for `init`, imports the user's module,
 * calls its `startWorker` (or default export) with a {@link WorkerContext},
 * reports `ready`, and stops gracefully when the primary says so or goes away.
 */
import { Socket } from 'node:dgram';
import type { DatagramHandler, DatagramTransport } from '@mi-datagram/protocol';
import { adoptUdpSocket, type UdpPeer } from '@mi-datagram/transport-udp';
import { adoptUnixSocket, type UnixPeer } from '@mi-datagram/transport-unix';
import { errorMessage, WorkerPoolError } from './errors.js';
import { isJsonValue, type JsonValue } from './json.js';
import {
  type BroadcastResult,
  type Call,
  errorResponse,
  type InitMessage,
  IPC_TAG,
  isBroadcastResults,
  type LogLevel,
  okResponse,
  parsePrimaryMessage,
  type Request,
  type WorkerMessage,
} from './messages.js';
import { isProcessTable, type ProcessInfo } from './process-table.js';
import type {
  AdoptOptions,
  StartWorker,
  WorkerCallOptions,
  WorkerContext,
  WorkerDatagramHandler,
  WorkerPeer,
  WorkerRequestHandler,
} from './worker-context.js';

const DEFAULT_TIMEOUT_MS = 5_000;
/** How long a worker whose primary vanished may take to finish its in-flight requests. */
const ORPHAN_GRACE_MS = 1_000;
/** Extra wait beyond a relayed call's own timeout, so the primary's answer arrives first. */
const RELAY_MARGIN_MS = 1_000;

interface Outstanding {
  readonly resolve: (result: { value: JsonValue; handle: unknown }) => void;
  readonly reject: (error: WorkerPoolError) => void;
  readonly timer: NodeJS.Timeout;
}

const outstanding = new Map<number, Outstanding>();
let nextCallId = 1;
let init: InitMessage | null = null;
let stopping = false;
/** Adopted transports, by socket index. */
const adopted = new Map<number, DatagramTransport<WorkerPeer>>();
const adopting = new Set<number>();
let inFlight = 0;
let idleWaiters: Array<() => void> = [];
let requestHandler: WorkerRequestHandler | null = null;
const stopHooks: Array<() => void | Promise<void>> = [];

function post(message: WorkerMessage, callback?: () => void): boolean {
  if (!process.connected || process.send === undefined) return false;
  try {
    return process.send(message, undefined, {}, callback ? () => callback() : undefined);
  } catch {
    return false;
  }
}

function log(level: LogLevel, message: string): void {
  if (!post({ tag: IPC_TAG, t: 'log', level, message })) {
    process.stderr.write(
      `[worker-pool worker ${init?.workerId ?? '?'} pid ${process.pid}] ${level}: ${message}\n`,
    );
  }
}

function call(request: Call, timeoutMs: number): Promise<{ value: JsonValue; handle: unknown }> {
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

function checkPayload(payload: unknown): JsonValue {
  if (!isJsonValue(payload))
    throw new WorkerPoolError('INVALID_MESSAGE', 'payload must be JSON data');
  return payload;
}

function finishedOne(): void {
  inFlight -= 1;
  if (inFlight === 0) {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** Wraps the module's handler: no delivery once stopping; async handlers are counted in flight. */
function guard(handler: WorkerDatagramHandler): DatagramHandler<WorkerPeer> {
  return (data, peer, info) => {
    if (stopping) return;
    let result: void | Promise<void>;
    try {
      result = handler(data, peer, info);
    } catch (error) {
      log('error', `datagram handler threw: ${errorMessage(error)}`);
      return;
    }
    if (result instanceof Promise) {
      inFlight += 1;
      result.then(finishedOne, (error: unknown) => {
        log('error', `datagram handler failed: ${errorMessage(error)}`);
        finishedOne();
      });
    }
  };
}

async function adopt(
  onMessage: WorkerDatagramHandler,
  options: AdoptOptions = {},
): Promise<DatagramTransport<WorkerPeer>> {
  const current = init;
  if (current === null) throw new WorkerPoolError('INVALID_MESSAGE', 'adopt() before init');
  if (typeof onMessage !== 'function') {
    throw new WorkerPoolError('INVALID_OPTIONS', 'adopt(onMessage): onMessage must be a function');
  }
  const index = options.socket ?? 0;
  const socket = Number.isSafeInteger(index) ? current.sockets[index] : undefined;
  if (socket === undefined) {
    throw new WorkerPoolError(
      'INVALID_OPTIONS',
      `adopt(): options.socket must be an index 0..${current.sockets.length - 1}, got ${String(index)}`,
    );
  }
  if (adopted.has(index) || adopting.has(index)) {
    throw new WorkerPoolError(
      'INVALID_OPTIONS',
      `adopt() may be called once per socket (socket ${index} is adopted already)`,
    );
  }
  if (stopping) throw new WorkerPoolError('POOL_CLOSED', 'this worker is stopping');
  adopting.add(index);
  try {
    const onError = options.onError ?? ((error: Error) => log('error', error.message));
    const onWarning = (warning: Error | string): void =>
      log('warn', typeof warning === 'string' ? warning : warning.message);
    const common =
      options.socketTimeout === undefined ? {} : { socketTimeout: options.socketTimeout };
    const handler = guard(onMessage);
    let transport: DatagramTransport<WorkerPeer>;
    if (socket.kind === 'unix') {
      if (socket.fd === null)
        throw new WorkerPoolError('INVALID_MESSAGE', 'no descriptor was inherited');
      const onUnix: DatagramHandler<UnixPeer> = handler;
      transport = adoptUnixSocket(socket.fd, {
        ...options.unix,
        ...common,
        address: socket.address,
        onMessage: onUnix,
        onError,
        onWarning,
      });
    } else {
      // The primary sends the bound socket now. node:dgram starts reading as
      // soon as it arrives; the transport below attaches its listener in the
      // same tick, before any I/O can run, so no datagram is read unheard.
      const { handle } = await call({ op: 'socket', index }, DEFAULT_TIMEOUT_MS);
      if (!(handle instanceof Socket)) {
        throw new WorkerPoolError('INVALID_MESSAGE', 'the primary sent no UDP socket');
      }
      const onUdp: DatagramHandler<UdpPeer> = handler;
      transport = adoptUdpSocket(handle, {
        ...options.udp,
        ...common,
        onMessage: onUdp,
        onError,
        onWarning,
      });
    }
    adopted.set(index, transport);
    if (stopping) void transport.close();
    return transport;
  } finally {
    adopting.delete(index);
  }
}

const context: WorkerContext = {
  get workerId() {
    return init?.workerId ?? 0;
  },
  get generation() {
    return init?.generation ?? 0;
  },
  pid: process.pid,
  get primaryPid() {
    return init?.primaryPid ?? process.ppid;
  },
  get socket() {
    const first = init?.sockets[0];
    return { kind: first?.kind ?? 'unix', address: first?.address ?? '' };
  },
  get sockets() {
    return (init?.sockets ?? []).map(({ kind, address }) => ({ kind, address }));
  },
  get workerData() {
    return init?.workerData ?? null;
  },
  get stopping() {
    return stopping;
  },
  adopt,
  async processTable(): Promise<readonly ProcessInfo[]> {
    const { value } = await call({ op: 'table' }, DEFAULT_TIMEOUT_MS);
    if (!isProcessTable(value))
      throw new WorkerPoolError('INVALID_MESSAGE', 'malformed process table');
    return value;
  },
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
    requestHandler = handler;
  },
  setLogLevel(level: number | null): void {
    if (level !== null && !Number.isSafeInteger(level)) {
      throw new WorkerPoolError('INVALID_OPTIONS', 'log level must be an integer or null');
    }
    post({ tag: IPC_TAG, t: 'info', logLevel: level });
  },
  log,
  onStop(hook: () => void | Promise<void>): void {
    stopHooks.push(hook);
  },
  requestShutdown(reason = 'requested by a worker'): void {
    post({ tag: IPC_TAG, t: 'shutdown', reason: String(reason) });
  },
};

function selfInfo(): ProcessInfo {
  return {
    id: init?.workerId ?? 0,
    pid: process.pid,
    type: 'worker',
    state: stopping ? 'stopping' : 'ready',
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

function answerLocally(payload: JsonValue): Promise<JsonValue> {
  return runHandler(payload, selfInfo());
}

async function answer(request: Request): Promise<void> {
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

function pickStart(module: unknown): StartWorker | null {
  if (typeof module !== 'object' || module === null) return null;
  const named: unknown = (module as { startWorker?: unknown }).startWorker;
  if (typeof named === 'function') return named as StartWorker;
  const fallback: unknown = (module as { default?: unknown }).default;
  if (typeof fallback === 'function') return fallback as StartWorker;
  return null;
}

async function start(message: InitMessage): Promise<void> {
  try {
    const module: unknown = await import(message.moduleUrl);
    const startWorker = pickStart(module);
    if (startWorker === null) {
      throw new Error(`${message.moduleUrl} exports neither startWorker nor a default function`);
    }
    await startWorker(context);
  } catch (error) {
    const text = errorMessage(error);
    // Exit only once the primary has the reason (it logs it with the restart).
    if (!post({ tag: IPC_TAG, t: 'failed', message: text }, () => process.exit(1))) {
      process.stderr.write(
        `[worker-pool worker ${message.workerId} pid ${process.pid}] start failed: ${text}\n`,
      );
      process.exit(1);
    }
    return;
  }
  if (!stopping) post({ tag: IPC_TAG, t: 'ready' });
}

function whenIdle(): Promise<void> {
  if (inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}

async function waitForPendingReplies(deadline: number): Promise<void> {
  const pending = (): boolean => [...adopted.values()].some((t) => t.stats().pending > 0);
  while (pending() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let stopped: Promise<void> | null = null;

/** Stop receiving, finish in-flight work, run the stop hooks, close the transport, exit 0. */
function stop(reason: string, graceMs: number): Promise<void> {
  if (stopped !== null) return stopped;
  stopping = true;
  const deadline = Date.now() + graceMs;
  // Bounded by graceMs: the primary SIGKILLs after its own timeout anyway, and
  // an orphan must not hang around.
  setTimeout(() => {
    process.stderr.write(
      `[worker-pool pid ${process.pid}] ${reason}: not stopped within ${graceMs} ms, exiting\n`,
    );
    process.exit(1);
  }, graceMs).unref();
  stopped = (async () => {
    await whenIdle();
    await waitForPendingReplies(deadline);
    for (const hook of stopHooks) {
      try {
        await hook();
      } catch (error) {
        log('error', `stop hook failed: ${errorMessage(error)}`);
      }
    }
    await Promise.allSettled([...adopted.values()].map((transport) => transport.close()));
    process.exit(0);
  })();
  return stopped;
}

function onPrimaryMessage(raw: unknown, handle: unknown): void {
  const message = parsePrimaryMessage(raw);
  if (message === null) return;
  switch (message.t) {
    case 'init':
      if (init !== null) return;
      init = message;
      void start(message);
      return;
    case 'stop':
      void stop('stop requested', message.graceMs);
      return;
    case 'req':
      void answer(message);
      return;
    case 'res': {
      const pending = outstanding.get(message.id);
      if (pending === undefined) return;
      outstanding.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve({ value: message.value, handle });
      else pending.reject(new WorkerPoolError(message.error.code, message.error.message));
      return;
    }
  }
}

if (process.send === undefined) {
  process.stderr.write('worker-entry.js is started by @mi-datagram/worker-pool, not by hand\n');
  process.exit(2);
}
process.on('message', onPrimaryMessage);
// The primary is gone (even SIGKILLed): its end of the IPC channel closed.
process.on('disconnect', () => {
  for (const [id, pending] of outstanding) {
    clearTimeout(pending.timer);
    pending.reject(new WorkerPoolError('IPC_DISCONNECTED', 'the primary went away'));
    outstanding.delete(id);
  }
  void stop('primary went away', ORPHAN_GRACE_MS);
});
// Ctrl-C reaches the whole process group: let the primary coordinate the shutdown.
process.on('SIGINT', () => {});
// A hangup (terminal closed, `kill -HUP` of the group) never stops a worker:
// the primary handles SIGHUP for the whole server.
process.on('SIGHUP', () => {});
process.on('SIGTERM', () => void stop('SIGTERM', DEFAULT_TIMEOUT_MS));
