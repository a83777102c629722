/**
 * What the primary of a `children_count` > 1 server hands each worker
 * process (`workerData`, JSON over the IPC channel), and the small IPC
 * vocabulary of `log_level` between the processes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { JsonValue, ProcessInfo as PoolProcessInfo } from '@mi-datagram/worker-pool';
import type { ProcessInfo } from '../commands/index.js';
import { isRecord } from '../common/index.js';
import type { ResolvedConfig } from '../config/index.js';

/**
 * `Type=` of `ps` / `log_level` for the processes of a pool, as the original
 * names them (`../shared/conformance/replies-opensips-2.4.txt`): the primary
 * is OpenSIPS' `attendant`, each worker an `MI Datagram` process. The
 * in-process server (`children_count` 1) is one process of type `main`.
 */
export const POOL_PROCESS_TYPES = Object.freeze({
  primary: 'attendant',
  worker: 'MI Datagram',
} as const);

export interface PoolWorkerData {
  /** The resolved configuration, listener specs included, exactly as the primary has it. */
  readonly config: ResolvedConfig;
  /** Absolute paths of the commands modules every worker loads. */
  readonly commandModules: readonly string[];
  /** The server's command line (what `arg` lists). */
  readonly argv: readonly string[];
  /** When the server started, ms since the epoch (what `uptime` counts from). */
  readonly startedAt: number;
  /** How long a worker's graceful stop waits for in-flight handlers and queued replies. */
  readonly shutdownGraceMs: number;
}

/**
 * The worker data as JSON. The resolved configuration must survive JSON
 * unchanged (every listener option reaches the workers intact): anything that
 * does not (a function, a Map, a RegExp, `undefined` values) is a bug of the
 * configuration layer and is refused here rather than silently lost.
 */
export function encodePoolWorkerData(data: PoolWorkerData): JsonValue {
  // JSON.parse of JSON.stringify's output is JSON data by construction.
  const json: JsonValue = JSON.parse(JSON.stringify(data));
  if (!isDeepStrictEqual(json, data) || !isPoolWorkerData(json)) {
    throw new Error(
      'the resolved configuration does not survive JSON; it cannot be passed to the worker processes',
    );
  }
  return json;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isResolvedConfig(value: unknown): value is ResolvedConfig {
  if (!isRecord(value) || !Array.isArray(value.sockets) || value.sockets.length === 0) return false;
  const socketsOk = value.sockets.every(
    (s: unknown) =>
      isRecord(s) &&
      typeof s.text === 'string' &&
      ((s.kind === 'unix' && typeof s.path === 'string') ||
        (s.kind === 'udp' && typeof s.host === 'string' && typeof s.port === 'number')),
  );
  return (
    socketsOk &&
    typeof value.children_count === 'number' &&
    typeof value.unix_socket_mode === 'number' &&
    typeof value.socket_timeout === 'number' &&
    typeof value.reply_indent === 'string' &&
    typeof value.log_level === 'number' &&
    isStringArray(value.warnings)
  );
}

export function isPoolWorkerData(value: unknown): value is PoolWorkerData {
  return (
    isRecord(value) &&
    isResolvedConfig(value.config) &&
    isStringArray(value.commandModules) &&
    isStringArray(value.argv) &&
    typeof value.startedAt === 'number' &&
    typeof value.shutdownGraceMs === 'number'
  );
}

/** IPC request: set the log level of the process it is addressed to. */
export const LOG_LEVEL_OP = 'mi-datagram/log_level';

export function logLevelRequest(level: number): JsonValue {
  return { op: LOG_LEVEL_OP, level };
}

/** The level of a {@link logLevelRequest}, or null for any other payload. */
export function parseLogLevelRequest(payload: unknown): number | null {
  if (!isRecord(payload) || payload.op !== LOG_LEVEL_OP) return null;
  return typeof payload.level === 'number' && Number.isSafeInteger(payload.level)
    ? payload.level
    : null;
}

/** A row of the pool's process table as `ps` / `log_level` show it. */
export function toServerProcessInfo(row: PoolProcessInfo, fallbackLevel: number): ProcessInfo {
  return {
    id: row.id,
    pid: row.pid,
    type: POOL_PROCESS_TYPES[row.type],
    logLevel: row.logLevel ?? fallbackLevel,
  };
}
