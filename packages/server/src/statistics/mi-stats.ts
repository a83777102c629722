/** The `mi_stats` reply: the legacy tree and the JSON-RPC value of a statistics source. */
import type { JsonValue, MiNode } from '@mi-datagram/protocol';
import type { MiStatsSource } from './snapshot.js';

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
