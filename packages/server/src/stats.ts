/**
 * Request statistics: reply status classes, per-command calls and latency
 * percentiles, and the `mi_stats` command that reports them.
 *
 * Latencies go into a fixed log-linear histogram per command (16 buckets per
 * power of two, exact below 16 µs, at most 1/16 = 6.25 % too high above):
 * recording one is a few integer operations on a preallocated Uint32Array,
 * nothing is allocated per request, and memory is fixed (1.8 KiB per command).
 */
import type { JsonValue, MiNode } from '@mi-datagram/protocol';
import type { ListenerStats } from './access.js';
import type { MiCommandDefinition, MiCommandResult } from './commands.js';
import { isRecord, isThenable } from './values.js';

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
/** Buckets up to 2^31 µs (about 36 minutes); larger values land in the last one. */
const BUCKETS = (31 - SUB_BITS + 1) * SUB;

/** Histogram bucket of a latency in µs. */
export function latencyBucket(us: number): number {
  const v = us >= 0x7fffffff ? 0x7fffffff : us > 0 ? Math.floor(us) : 0;
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v);
  return (e - SUB_BITS + 1) * SUB + ((v >>> (e - SUB_BITS)) & (SUB - 1));
}

/** Largest µs value of a bucket. */
export function bucketUpperBound(index: number): number {
  if (index < SUB) return index;
  const e = Math.floor(index / SUB) + SUB_BITS - 1;
  const low = (SUB + (index % SUB)) * 2 ** (e - SUB_BITS);
  return low + 2 ** (e - SUB_BITS) - 1;
}

/** Latencies of one command (µs). */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;

  record(us: number): void {
    const i = latencyBucket(us);
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.count++;
    if (us > this.max) this.max = us;
  }

  /** The non-empty buckets as flat `[bucket, count, bucket, count, …]` pairs (JSON, for another process). */
  buckets(): number[] {
    const out: number[] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const n = this.#counts[i] as number;
      if (n !== 0) out.push(i, n);
    }
    return out;
  }

  /** Adds another histogram's {@link buckets} (bucket by bucket), its count and max. */
  merge(buckets: readonly number[], maxUs: number): void {
    for (let k = 0; k + 1 < buckets.length; k += 2) {
      const i = buckets[k] as number;
      const n = buckets[k + 1] as number;
      this.#counts[i] = (this.#counts[i] as number) + n;
      this.count += n;
    }
    if (maxUs > this.max) this.max = maxUs;
  }

  /**
   * The `q` quantile (0 < q <= 1) in whole µs: the upper bound of the bucket
   * holding the ceil(q × count)-th value, never above the largest value
   * recorded. 0 when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) return Math.min(bucketUpperBound(i), Math.ceil(this.max));
    }
    return Math.ceil(this.max);
  }
}

/** Calls and latency of one command. */
export interface CommandStats {
  readonly name: string;
  /** Requests that reached the handler (or the cached reply), refused ones excluded. */
  readonly calls: number;
  /** From the handler's start to the reply handed to the transport, in µs. */
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/**
 * Replies the server produced, by the first digit of their status. A
 * JSON-RPC response counts by its outcome (each response of a batch once):
 * a `result` is 2xx, an error with an MI status (100..999, e.g. 403, 429, a
 * handler's 404) counts in that status's class, and a JSON-RPC protocol
 * error (-32700 … -32600, -32603, -32000 …) in `jsonrpc_errors`.
 */
export interface ReplyClasses {
  readonly '2xx': number;
  readonly '4xx': number;
  readonly '5xx': number;
  /** Any other status class (1xx, 3xx, 6xx …). */
  readonly other: number;
  /** JSON-RPC error responses with a JSON-RPC code (negative), not an MI status. */
  readonly jsonrpc_errors: number;
}

/** The {@link CommandStats} of one command's histogram. */
function commandStats(name: string, h: LatencyHistogram): CommandStats {
  return {
    name,
    calls: h.count,
    p50Us: h.quantile(0.5),
    p90Us: h.quantile(0.9),
    p99Us: h.quantile(0.99),
    maxUs: Math.ceil(h.max),
  };
}

function byName(a: CommandStats, b: CommandStats): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Hot-path counters of the pipeline besides MiServer's own. */
export class PipelineMetrics {
  replies2xx = 0;
  replies4xx = 0;
  replies5xx = 0;
  repliesOther = 0;
  jsonRpcErrors = 0;
  readonly #commands = new Map<string, LatencyHistogram>();

  /** Counts a reply by its first byte ('2', '4', '5', anything else). */
  countReply(bytes: Uint8Array): void {
    switch (bytes[0]) {
      case 0x32:
        this.replies2xx++;
        break;
      case 0x34:
        this.replies4xx++;
        break;
      case 0x35:
        this.replies5xx++;
        break;
      default:
        this.repliesOther++;
    }
  }

  /**
   * Counts one JSON-RPC response by its outcome: `null` for a result, else
   * the error's code (an MI status 100..999 by its class, anything else in
   * `jsonrpc_errors`). The pipeline knows the outcome: no bytes are read.
   */
  countJsonRpc(errorCode: number | null): void {
    if (errorCode === null) this.replies2xx++;
    else if (errorCode >= 200 && errorCode <= 299) this.replies2xx++;
    else if (errorCode >= 400 && errorCode <= 499) this.replies4xx++;
    else if (errorCode >= 500 && errorCode <= 599) this.replies5xx++;
    else if (errorCode >= 100 && errorCode <= 999) this.repliesOther++;
    else this.jsonRpcErrors++;
  }

  /** Records one call of `command` that started at `startedMs` (`performance.now()`). */
  recordCall(command: string, startedMs: number): void {
    let h = this.#commands.get(command);
    if (h === undefined) {
      h = new LatencyHistogram();
      this.#commands.set(command, h);
    }
    h.record((performance.now() - startedMs) * 1000);
  }

  replies(): ReplyClasses {
    return {
      '2xx': this.replies2xx,
      '4xx': this.replies4xx,
      '5xx': this.replies5xx,
      other: this.repliesOther,
      jsonrpc_errors: this.jsonRpcErrors,
    };
  }

  commands(): CommandStats[] {
    const out: CommandStats[] = [];
    for (const [name, h] of this.#commands) out.push(commandStats(name, h));
    return out.sort(byName);
  }

  /** The raw histograms (mergeable with those of other processes, see {@link mergeStatsSnapshots}). */
  histograms(): CommandHistogramSnapshot[] {
    const out: CommandHistogramSnapshot[] = [];
    for (const [name, h] of this.#commands) {
      out.push({ name, maxUs: h.max, buckets: h.buckets() });
    }
    return out;
  }
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

/** The `mi_stats` reply tree (legacy shape; JSON-RPC gets its usual tree mapping). */
export function miStatsNodes(s: MiStatsSource): MiNode[] {
  const line = (name: string, value: number): MiNode => ({ name, value: String(value) });
  const nodes: MiNode[] = [
    line('Requests', s.received),
    line('Replies 2xx', s.replies['2xx']),
    line('Replies 4xx', s.replies['4xx']),
    line('Replies 5xx', s.replies['5xx']),
    line('Replies other', s.replies.other),
    line('Replies JSON-RPC errors', s.replies.jsonrpc_errors),
    line('Parse errors', s.errors.PARSE_ERROR),
    line('Unknown commands', s.errors.NOT_AVAILABLE),
    line('Too large', s.errors.REQUEST_TOO_LARGE),
    line('Empty', s.noReply),
    line('Unanswerable', s.unanswerable),
    line('Dropped replies', s.transportDropped),
    line('Refused', s.refused),
    line('Allowlist dropped', s.allowlistDropped),
    line('Rate limited', s.rateLimited),
  ];
  if (s.workers !== undefined) {
    nodes.push(line('Workers', s.workers.answered), line('Workers missing', s.workers.missing));
  }
  for (const l of s.listeners) {
    nodes.push({
      name: 'Listener',
      value: l.address,
      attributes: [
        ['level', l.level],
        ['requests', String(l.requests)],
        ['allowlist_dropped', String(l.allowlistDropped)],
        ['refused', String(l.refused)],
        ['rate_limited', String(l.rateLimited)],
        ['sources', String(l.sources)],
      ],
    });
  }
  for (const c of s.commands) {
    nodes.push({
      name: 'Command',
      value: c.name,
      attributes: [
        ['calls', String(c.calls)],
        ['p50_us', String(c.p50Us)],
        ['p90_us', String(c.p90Us)],
        ['p99_us', String(c.p99Us)],
        ['max_us', String(c.maxUs)],
      ],
    });
  }
  return nodes;
}

/** The `mi_stats` JSON-RPC result: the same numbers, as numbers, snake_case keys. */
export function miStatsJson(s: MiStatsSource): JsonValue {
  return {
    requests: s.received,
    replies: { ...s.replies },
    parse_errors: s.errors.PARSE_ERROR,
    unknown_commands: s.errors.NOT_AVAILABLE,
    too_large: s.errors.REQUEST_TOO_LARGE,
    empty: s.noReply,
    unanswerable: s.unanswerable,
    dropped_replies: s.transportDropped,
    refused: s.refused,
    allowlist_dropped: s.allowlistDropped,
    rate_limited: s.rateLimited,
    ...(s.workers === undefined
      ? {}
      : { workers: s.workers.answered, workers_missing: s.workers.missing }),
    listeners: s.listeners.map((l) => ({
      address: l.address,
      level: l.level,
      requests: l.requests,
      allowlist_dropped: l.allowlistDropped,
      refused: l.refused,
      rate_limited: l.rateLimited,
      sources: l.sources,
    })),
    commands: s.commands.map((c) => ({
      name: c.name,
      calls: c.calls,
      p50_us: c.p50Us,
      p90_us: c.p90Us,
      p99_us: c.p99Us,
      max_us: c.maxUs,
    })),
  };
}

/**
 * Where `mi_stats` reads its numbers: `() => server.stats()` in-process; in a
 * worker of a pool, a promise of the whole pool's (src/pool-stats.ts).
 */
export type MiStatsProvider = () => MiStatsSource | PromiseLike<MiStatsSource>;

/** The `mi_stats` command (level `read`) over a statistics source (`() => server.stats()`). */
export function createStatsCommand(source: MiStatsProvider): MiCommandDefinition {
  return {
    name: 'mi_stats',
    help: 'prints request statistics: requests, replies by status class, refusals, drops, and per command calls and latency percentiles (µs)',
    noInput: true,
    level: 'read',
    handler: (): MiCommandResult | Promise<MiCommandResult> => {
      const s = source();
      if (!isThenable(s)) return { nodes: miStatsNodes(s), json: miStatsJson(s) };
      return Promise.resolve(s).then((all) => ({
        nodes: miStatsNodes(all),
        json: miStatsJson(all),
      }));
    },
  };
}
