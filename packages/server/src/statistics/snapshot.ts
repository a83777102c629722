/**
 * Statistics snapshots: what `mi_stats` reports of one process, as plain JSON
 * that the processes of a pool send each other and sum.
 */
import type { CommandLevel } from '../common/index.js';
import { isRecord } from '../common/index.js';
import { BUCKETS, byName, type CommandStats, commandStats, LatencyHistogram } from './histogram.js';
import type { ReplyClasses } from './metrics.js';

/** Counters of one listener; all start at 0. */
export interface ListenerStats {
  readonly address: string;
  readonly level: CommandLevel;
  /** Datagrams from allowed sources (handed to the pipeline). */
  readonly requests: number;
  /** Datagrams dropped by the allowlist (no reply). */
  readonly allowlistDropped: number;
  /** Requests refused with `403 Permission denied`. */
  readonly refused: number;
  /** Requests refused with `429 rate limit exceeded`. */
  readonly rateLimited: number;
  /** Rate-limit buckets held right now (0 without a limit). */
  readonly sources: number;
}

/**
 * The plain counters of `mi_stats`: one number each, alike in a source and a
 * snapshot (a type, not an interface, so that a snapshot stays a JSON value).
 */
export type MiStatsCounters = {
  readonly received: number;
  readonly noReply: number;
  readonly unanswerable: number;
  /** Replies the transports gave up (socket_timeout, pending limit, unreachable peer). */
  readonly transportDropped: number;
  readonly refused: number;
  readonly allowlistDropped: number;
  readonly rateLimited: number;
};

/** What `mi_stats` reports (a subset of `MiServer.stats()`). */
export interface MiStatsSource extends MiStatsCounters {
  readonly replies: ReplyClasses;
  readonly errors: {
    readonly PARSE_ERROR: number;
    readonly NOT_AVAILABLE: number;
    readonly REQUEST_TOO_LARGE: number;
  };
  readonly listeners: readonly ListenerStats[];
  readonly commands: readonly CommandStats[];
  /**
   * `children_count` > 1 only: how many worker processes' counters are in
   * the sums, and how many workers did not answer in time (or were being
   * replaced). Absent for the in-process server.
   */
  readonly workers?: { readonly answered: number; readonly missing: number };
}

/** One command's raw latency histogram as JSON: non-empty buckets as flat `[bucket, count, …]` pairs. */
export type CommandHistogramSnapshot = {
  readonly name: string;
  readonly maxUs: number;
  readonly buckets: readonly number[];
};

/** A listener's counters as JSON. */
export type ListenerSnapshot = { readonly [K in keyof ListenerStats]: ListenerStats[K] };

/**
 * Everything `mi_stats` reports of one process, raw and JSON (what a worker
 * of a pool sends the worker that answers `mi_stats`): counters, listeners,
 * and histograms rather than percentiles, so that processes can be summed.
 */
export type MiStatsSnapshot = MiStatsCounters & {
  readonly replies: { readonly [K in keyof ReplyClasses]: number };
  readonly errors: { readonly [K in keyof MiStatsSource['errors']]: number };
  readonly listeners: readonly ListenerSnapshot[];
  readonly histograms: readonly CommandHistogramSnapshot[];
};

/** A process's {@link MiStatsSnapshot} from its statistics and its raw histograms. */
export function statsSnapshot(
  s: Omit<MiStatsSource, 'commands' | 'workers'>,
  histograms: readonly CommandHistogramSnapshot[],
): MiStatsSnapshot {
  return {
    received: s.received,
    replies: { ...s.replies },
    errors: {
      PARSE_ERROR: s.errors.PARSE_ERROR,
      NOT_AVAILABLE: s.errors.NOT_AVAILABLE,
      REQUEST_TOO_LARGE: s.errors.REQUEST_TOO_LARGE,
    },
    noReply: s.noReply,
    unanswerable: s.unanswerable,
    transportDropped: s.transportDropped,
    refused: s.refused,
    allowlistDropped: s.allowlistDropped,
    rateLimited: s.rateLimited,
    listeners: s.listeners.map((l) => ({ ...l })),
    histograms,
  };
}

const REPLY_KEYS: readonly (keyof ReplyClasses)[] = [
  '2xx',
  '4xx',
  '5xx',
  'other',
  'jsonrpc_errors',
];
const ERROR_KEYS: readonly (keyof MiStatsSource['errors'])[] = [
  'PARSE_ERROR',
  'NOT_AVAILABLE',
  'REQUEST_TOO_LARGE',
];
const COUNTER_KEYS = [
  'received',
  'noReply',
  'unanswerable',
  'transportDropped',
  'refused',
  'allowlistDropped',
  'rateLimited',
] as const satisfies readonly (keyof MiStatsCounters)[];
const LISTENER_COUNTERS = [
  'requests',
  'allowlistDropped',
  'refused',
  'rateLimited',
  'sources',
] as const;
const LEVELS: readonly string[] = ['read', 'operator', 'admin'];

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isHistogram(value: unknown): value is CommandHistogramSnapshot {
  if (!isRecord(value) || typeof value.name !== 'string') return false;
  const { maxUs, buckets } = value;
  if (typeof maxUs !== 'number' || !Number.isFinite(maxUs) || maxUs < 0) return false;
  if (!Array.isArray(buckets) || buckets.length % 2 !== 0) return false;
  for (let k = 0; k < buckets.length; k += 2) {
    const i: unknown = buckets[k];
    if (!isCount(i) || i >= BUCKETS || !isCount(buckets[k + 1])) return false;
  }
  return true;
}

/** A {@link MiStatsSnapshot} received from another process (IPC input is untrusted), or null. */
export function parseStatsSnapshot(value: unknown): MiStatsSnapshot | null {
  if (!isRecord(value) || !isRecord(value.replies) || !isRecord(value.errors)) return null;
  const { replies, errors } = value;
  if (!REPLY_KEYS.every((k) => isCount(replies[k]))) return null;
  if (!ERROR_KEYS.every((k) => isCount(errors[k]))) return null;
  if (!COUNTER_KEYS.every((k) => isCount(value[k]))) return null;
  const listenersOk =
    Array.isArray(value.listeners) &&
    value.listeners.every(
      (l: unknown) =>
        isRecord(l) &&
        typeof l.address === 'string' &&
        typeof l.level === 'string' &&
        LEVELS.includes(l.level) &&
        LISTENER_COUNTERS.every((k) => isCount(l[k])),
    );
  if (!listenersOk || !Array.isArray(value.histograms)) return null;
  if (!value.histograms.every(isHistogram)) return null;
  return value as MiStatsSnapshot;
}

/**
 * The statistics of a whole pool from each process's snapshot: every counter
 * summed, listeners merged by address (in first-seen order), each command's
 * histograms merged bucket by bucket and its percentiles computed from the
 * merged histogram.
 */
export function mergeStatsSnapshots(
  snapshots: readonly MiStatsSnapshot[],
  workers?: { readonly answered: number; readonly missing: number },
): MiStatsSource {
  const counters = {
    received: 0,
    noReply: 0,
    unanswerable: 0,
    transportDropped: 0,
    refused: 0,
    allowlistDropped: 0,
    rateLimited: 0,
  };
  const replies = { '2xx': 0, '4xx': 0, '5xx': 0, other: 0, jsonrpc_errors: 0 };
  const errors = { PARSE_ERROR: 0, NOT_AVAILABLE: 0, REQUEST_TOO_LARGE: 0 };
  const listeners = new Map<string, { -readonly [K in keyof ListenerStats]: ListenerStats[K] }>();
  const histograms = new Map<string, LatencyHistogram>();
  for (const s of snapshots) {
    for (const k of COUNTER_KEYS) counters[k] += s[k];
    for (const k of REPLY_KEYS) replies[k] += s.replies[k];
    for (const k of ERROR_KEYS) errors[k] += s.errors[k];
    for (const l of s.listeners) {
      const merged = listeners.get(l.address);
      if (merged === undefined) listeners.set(l.address, { ...l });
      else for (const k of LISTENER_COUNTERS) merged[k] += l[k];
    }
    for (const c of s.histograms) {
      let h = histograms.get(c.name);
      if (h === undefined) {
        h = new LatencyHistogram();
        histograms.set(c.name, h);
      }
      h.merge(c.buckets, c.maxUs);
    }
  }
  const commands: CommandStats[] = [];
  for (const [name, h] of histograms) commands.push(commandStats(name, h));
  return {
    ...counters,
    replies,
    errors,
    listeners: [...listeners.values()],
    commands: commands.sort(byName),
    ...(workers === undefined ? {} : { workers }),
  };
}
