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

/** Replies the server produced, by the first digit of their status. */
export interface ReplyClasses {
  readonly '2xx': number;
  readonly '4xx': number;
  readonly '5xx': number;
  /** Anything else (another status class, a JSON-RPC reply). */
  readonly other: number;
}

/** Hot-path counters of the pipeline besides MiServer's own. */
export class PipelineMetrics {
  replies2xx = 0;
  replies4xx = 0;
  replies5xx = 0;
  repliesOther = 0;
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
    };
  }

  commands(): CommandStats[] {
    const out: CommandStats[] = [];
    for (const [name, h] of this.#commands) {
      out.push({
        name,
        calls: h.count,
        p50Us: h.quantile(0.5),
        p90Us: h.quantile(0.9),
        p99Us: h.quantile(0.99),
        maxUs: Math.ceil(h.max),
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** What `mi_stats` reports (a subset of `MiServer.stats()`). */
export interface MiStatsSource {
  readonly received: number;
  readonly replies: ReplyClasses;
  readonly errors: {
    readonly PARSE_ERROR: number;
    readonly NOT_AVAILABLE: number;
    readonly REQUEST_TOO_LARGE: number;
  };
  readonly noReply: number;
  readonly unanswerable: number;
  /** Replies the transports gave up (socket_timeout, pending limit, unreachable peer). */
  readonly transportDropped: number;
  readonly refused: number;
  readonly allowlistDropped: number;
  readonly rateLimited: number;
  readonly listeners: readonly ListenerStats[];
  readonly commands: readonly CommandStats[];
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

/** The `mi_stats` command (level `read`) over a statistics source (`() => server.stats()`). */
export function createStatsCommand(source: () => MiStatsSource): MiCommandDefinition {
  return {
    name: 'mi_stats',
    help: 'prints request statistics: requests, replies by status class, refusals, drops, and per command calls and latency percentiles (µs)',
    noInput: true,
    level: 'read',
    handler: (): MiCommandResult => {
      const s = source();
      return { nodes: miStatsNodes(s), json: miStatsJson(s) };
    },
  };
}
