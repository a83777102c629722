/**
 * The IPC protocol between the primary and its workers. Everything that
 * arrives on the channel is `unknown` until one of the parse functions below
 * accepts it; anything else is ignored (and counted) by the receiver.
 */
import { isWorkerPoolErrorCode, type WorkerPoolErrorCode } from './errors.js';
import { isJsonValue, isNonNegativeInteger, isRecord, type JsonValue } from './json.js';
import {
  isProcessInfo,
  isProcessMember,
  type ProcessInfo,
  type ProcessMember,
} from './process-table.js';

/** Marks our messages, so a worker module can share the channel with its own. */
export const IPC_TAG = 'mi-datagram/worker-pool@1';

export type SocketKind = 'unix' | 'udp';

export type RemoteError = {
  readonly code: WorkerPoolErrorCode;
  readonly message: string;
};

export type Response =
  | {
      readonly tag: typeof IPC_TAG;
      readonly t: 'res';
      readonly id: number;
      readonly ok: true;
      readonly value: JsonValue;
    }
  | {
      readonly tag: typeof IPC_TAG;
      readonly t: 'res';
      readonly id: number;
      readonly ok: false;
      readonly error: RemoteError;
    };

/** A request delivered to a process's `onRequest` handler. */
export interface Request {
  readonly tag: typeof IPC_TAG;
  readonly t: 'req';
  readonly id: number;
  readonly from: ProcessInfo;
  readonly payload: JsonValue;
}

/** One of the pool's sockets as a worker learns it. */
export interface InitSocket {
  readonly kind: SocketKind;
  /** The bound address in `socket_name` form. */
  readonly address: string;
  /** The inherited descriptor of a UNIX socket (null for UDP: the handle is sent on `adopt`). */
  readonly fd: number | null;
}

function parseInitSocket(raw: unknown): InitSocket | null {
  if (
    isRecord(raw) &&
    (raw.kind === 'unix' || raw.kind === 'udp') &&
    typeof raw.address === 'string' &&
    (raw.fd === null || isNonNegativeInteger(raw.fd))
  ) {
    return { kind: raw.kind, address: raw.address, fd: raw.fd };
  }
  return null;
}

export interface InitMessage {
  readonly tag: typeof IPC_TAG;
  readonly t: 'init';
  readonly workerId: number;
  /** 1 for the first process of a slot, +1 for each replacement. */
  readonly generation: number;
  readonly primaryPid: number;
  /** The pool's sockets, in the order of its options. */
  readonly sockets: readonly InitSocket[];
  readonly moduleUrl: string;
  readonly workerData: JsonValue;
}

/** The process table's membership, sent to every worker whenever a process starts or exits. */
export interface TableMessage {
  readonly tag: typeof IPC_TAG;
  readonly t: 'table';
  /** Increases with every announcement of this pool. */
  readonly generation: number;
  readonly members: readonly ProcessMember[];
}

export type PrimaryMessage =
  | InitMessage
  | TableMessage
  | { readonly tag: typeof IPC_TAG; readonly t: 'stop'; readonly graceMs: number }
  | Request
  | Response;

export type Call =
  | { readonly op: 'table' }
  | { readonly op: 'socket'; readonly index: number }
  | { readonly op: 'primary'; readonly payload: JsonValue }
  | {
      readonly op: 'pid';
      readonly pid: number;
      readonly payload: JsonValue;
      readonly timeoutMs: number;
    }
  | { readonly op: 'broadcast'; readonly payload: JsonValue; readonly timeoutMs: number };

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return (LOG_LEVELS as readonly unknown[]).includes(value);
}

function isSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** One process's answer to a broadcast. */
export type BroadcastResult =
  | { readonly pid: number; readonly id: number; readonly ok: true; readonly value: JsonValue }
  | { readonly pid: number; readonly id: number; readonly ok: false; readonly error: RemoteError };

export function isBroadcastResults(value: unknown): value is readonly BroadcastResult[] {
  return (
    Array.isArray(value) &&
    value.every((item: unknown) => {
      if (!isRecord(item) || !isNonNegativeInteger(item.pid) || !isNonNegativeInteger(item.id)) {
        return false;
      }
      if (item.ok === true) return isJsonValue(item.value);
      return (
        item.ok === false &&
        isRecord(item.error) &&
        isWorkerPoolErrorCode(item.error.code) &&
        typeof item.error.message === 'string'
      );
    })
  );
}

export type WorkerMessage =
  | { readonly tag: typeof IPC_TAG; readonly t: 'ready' }
  | { readonly tag: typeof IPC_TAG; readonly t: 'failed'; readonly message: string }
  | {
      readonly tag: typeof IPC_TAG;
      readonly t: 'log';
      readonly level: LogLevel;
      readonly message: string;
    }
  | { readonly tag: typeof IPC_TAG; readonly t: 'info'; readonly logLevel: number | null }
  | { readonly tag: typeof IPC_TAG; readonly t: 'shutdown'; readonly reason: string }
  | { readonly tag: typeof IPC_TAG; readonly t: 'call'; readonly id: number; readonly call: Call }
  | Response;

function parseResponse(m: Record<string, unknown>): Response | null {
  if (!isNonNegativeInteger(m.id)) return null;
  if (m.ok === true) {
    // JSON drops an undefined `value`: treat it as null.
    const value = m.value === undefined ? null : m.value;
    return isJsonValue(value) ? { tag: IPC_TAG, t: 'res', id: m.id, ok: true, value } : null;
  }
  if (m.ok === false && isRecord(m.error)) {
    const { code, message } = m.error;
    if (isWorkerPoolErrorCode(code) && typeof message === 'string') {
      return { tag: IPC_TAG, t: 'res', id: m.id, ok: false, error: { code, message } };
    }
  }
  return null;
}

function payloadOf(m: Record<string, unknown>): JsonValue | undefined {
  const payload = m.payload === undefined ? null : m.payload;
  return isJsonValue(payload) ? payload : undefined;
}

export function parsePrimaryMessage(raw: unknown): PrimaryMessage | null {
  if (!isRecord(raw) || raw.tag !== IPC_TAG) return null;
  switch (raw.t) {
    case 'init': {
      const workerData = raw.workerData === undefined ? null : raw.workerData;
      const sockets = Array.isArray(raw.sockets) ? raw.sockets.map(parseInitSocket) : [];
      if (
        isNonNegativeInteger(raw.workerId) &&
        isNonNegativeInteger(raw.generation) &&
        isNonNegativeInteger(raw.primaryPid) &&
        sockets.length > 0 &&
        typeof raw.moduleUrl === 'string' &&
        isJsonValue(workerData)
      ) {
        const valid = sockets.filter((socket): socket is InitSocket => socket !== null);
        if (valid.length !== sockets.length) return null;
        return {
          tag: IPC_TAG,
          t: 'init',
          workerId: raw.workerId,
          generation: raw.generation,
          primaryPid: raw.primaryPid,
          sockets: valid,
          moduleUrl: raw.moduleUrl,
          workerData,
        };
      }
      return null;
    }
    case 'table':
      if (
        isNonNegativeInteger(raw.generation) &&
        Array.isArray(raw.members) &&
        raw.members.every(isProcessMember)
      ) {
        const members = raw.members.map(({ id, pid, type }: ProcessMember) => ({ id, pid, type }));
        return { tag: IPC_TAG, t: 'table', generation: raw.generation, members };
      }
      return null;
    case 'stop':
      return isNonNegativeInteger(raw.graceMs)
        ? { tag: IPC_TAG, t: 'stop', graceMs: raw.graceMs }
        : null;
    case 'req': {
      const payload = payloadOf(raw);
      if (isNonNegativeInteger(raw.id) && isProcessInfo(raw.from) && payload !== undefined) {
        return { tag: IPC_TAG, t: 'req', id: raw.id, from: raw.from, payload };
      }
      return null;
    }
    case 'res':
      return parseResponse(raw);
    default:
      return null;
  }
}

function parseCall(raw: unknown): Call | null {
  if (!isRecord(raw)) return null;
  switch (raw.op) {
    case 'table':
      return { op: 'table' };
    case 'socket':
      return isNonNegativeInteger(raw.index) ? { op: 'socket', index: raw.index } : null;
    case 'primary': {
      const payload = payloadOf(raw);
      return payload === undefined ? null : { op: 'primary', payload };
    }
    case 'pid': {
      const payload = payloadOf(raw);
      if (
        payload === undefined ||
        !isNonNegativeInteger(raw.pid) ||
        !isNonNegativeInteger(raw.timeoutMs)
      ) {
        return null;
      }
      return { op: 'pid', pid: raw.pid, payload, timeoutMs: raw.timeoutMs };
    }
    case 'broadcast': {
      const payload = payloadOf(raw);
      if (payload === undefined || !isNonNegativeInteger(raw.timeoutMs)) return null;
      return { op: 'broadcast', payload, timeoutMs: raw.timeoutMs };
    }
    default:
      return null;
  }
}

export function parseWorkerMessage(raw: unknown): WorkerMessage | null {
  if (!isRecord(raw) || raw.tag !== IPC_TAG) return null;
  switch (raw.t) {
    case 'ready':
      return { tag: IPC_TAG, t: 'ready' };
    case 'failed':
      return typeof raw.message === 'string'
        ? { tag: IPC_TAG, t: 'failed', message: raw.message }
        : null;
    case 'log':
      if (isLogLevel(raw.level) && typeof raw.message === 'string') {
        return { tag: IPC_TAG, t: 'log', level: raw.level, message: raw.message };
      }
      return null;
    case 'info':
      if (raw.logLevel === null || isSafeInteger(raw.logLevel)) {
        return { tag: IPC_TAG, t: 'info', logLevel: raw.logLevel };
      }
      return null;
    case 'shutdown':
      return typeof raw.reason === 'string'
        ? { tag: IPC_TAG, t: 'shutdown', reason: raw.reason }
        : null;
    case 'call': {
      const call = parseCall(raw.call);
      return call !== null && isNonNegativeInteger(raw.id)
        ? { tag: IPC_TAG, t: 'call', id: raw.id, call }
        : null;
    }
    case 'res':
      return parseResponse(raw);
    default:
      return null;
  }
}

export function okResponse(id: number, value: JsonValue): Response {
  return { tag: IPC_TAG, t: 'res', id, ok: true, value };
}

export function errorResponse(id: number, code: WorkerPoolErrorCode, message: string): Response {
  return { tag: IPC_TAG, t: 'res', id, ok: false, error: { code, message } };
}
