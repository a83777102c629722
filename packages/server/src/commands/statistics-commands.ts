/**
 * `get_statistics`, `list_statistics`, `reset_statistics` and
 * `reset_all_statistics` (PROTOCOL.md 3.1), over a {@link StatisticsProvider}:
 * this process's statistics, or a pool's summed over its workers.
 *
 * Legacy replies are `group:name:: value` lines (2.4); JSON-RPC results are
 * `{"group:name": value}` objects (3.6).
 */
import type { JsonValue, MiNode } from '@mi-datagram/protocol';
import { isThenable } from '../common/index.js';
import { type StatisticValue, selectStatistics, statisticName } from '../statistics/index.js';
import type { MiCommandDefinition, MiCommandResult, MiRequest } from './define.js';

/** Where the statistics commands read and reset. */
export interface StatisticsProvider {
  /** Every statistic of the server (a pool: summed over its workers). */
  values(): readonly StatisticValue[] | PromiseLike<readonly StatisticValue[]>;
  /** Resets the counters the names select (`all`: every one); resolves to how many statistics they selected. */
  reset(names: readonly string[] | 'all'): number | PromiseLike<number>;
}

const NOT_FOUND: MiCommandResult = Object.freeze({ code: 404, reason: 'Statistics Not Found' });
const TOO_FEW: MiCommandResult = Object.freeze({
  code: 400,
  reason: 'Too few or too many arguments',
});
const OK: MiCommandResult = Object.freeze({ json: 'OK' });

/**
 * The names a request asks for: the parameter `statistics` (a JSON array of
 * strings over JSON-RPC, positional or named) or, in the legacy protocol,
 * one name per value line.
 */
export function requestedStatistics(request: MiRequest): string[] {
  // Declared parameter (docs/commands.md): already matched and checked.
  const declared = request.params?.statistics;
  if (Array.isArray(declared)) return declared.filter((n): n is string => typeof n === 'string');
  const names: string[] = [];
  for (const arg of request.args) {
    const value = arg.value;
    if (value === null) continue;
    if (value.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed)) {
          for (const item of parsed) if (typeof item === 'string') names.push(item);
          continue;
        }
      } catch {
        // Not JSON: a legacy name that starts with '['.
      }
    }
    names.push(value);
  }
  return names;
}

function then<T>(value: T | PromiseLike<T>, f: (v: T) => MiCommandResult) {
  return isThenable(value) ? Promise.resolve(value).then(f) : f(value);
}

function valuesReply(selected: readonly StatisticValue[]): MiCommandResult {
  if (selected.length === 0) return NOT_FOUND;
  const json: Record<string, JsonValue> = {};
  const nodes: MiNode[] = [];
  for (const v of selected) {
    const name = `${v.group}:${statisticName(v)}`;
    json[name] = v.value;
    nodes.push({ name, value: String(v.value) });
  }
  return { json, nodes };
}

function kindsReply(selected: readonly StatisticValue[]): MiCommandResult {
  if (selected.length === 0) return NOT_FOUND;
  const json: Record<string, JsonValue> = {};
  const nodes: MiNode[] = [];
  for (const v of selected) {
    const name = `${v.group}:${statisticName(v)}`;
    // A gauge's per-process listing is never incremental.
    const kind = v.kind === 'counter' && v.proc === undefined ? 'incremental' : 'non-incremental';
    json[name] = kind;
    nodes.push({ name, value: kind });
  }
  return { json, nodes };
}

/** The four statistics commands (reading: level `read`; resetting: `operator`). */
export function createStatisticsCommands(provider: StatisticsProvider): MiCommandDefinition[] {
  return [
    {
      name: 'get_statistics',
      help: 'prints the values of statistics: all, a group (group:), group:name or a bare name',
      level: 'read',
      params: {
        statistics: { type: 'string[]', description: 'names: all, group:, group:name or name' },
      },
      handler(request) {
        const names = requestedStatistics(request);
        if (names.length === 0) return TOO_FEW;
        return then(provider.values(), (values) => valuesReply(selectStatistics(values, names)));
      },
    },
    {
      name: 'list_statistics',
      help: 'lists statistics (all, or the given names) as incremental or non-incremental',
      level: 'read',
      params: {
        statistics: { type: 'string[]', description: 'names: all, group:, group:name or name' },
      },
      recipes: [[], ['statistics']],
      handler(request) {
        const names = requestedStatistics(request);
        return then(provider.values(), (values) =>
          kindsReply(names.length === 0 ? values : selectStatistics(values, names)),
        );
      },
    },
    {
      name: 'reset_statistics',
      help: 'resets the given incremental statistics (all, group:, group:name or a bare name)',
      level: 'operator',
      params: {
        statistics: { type: 'string[]', description: 'names: all, group:, group:name or name' },
      },
      handler(request) {
        const names = requestedStatistics(request);
        if (names.length === 0) return TOO_FEW;
        return then(provider.reset(names), (found) => (found === 0 ? NOT_FOUND : OK));
      },
    },
    {
      name: 'reset_all_statistics',
      help: 'resets every incremental statistic',
      noInput: true,
      level: 'operator',
      params: {},
      handler() {
        return then(provider.reset('all'), () => OK);
      },
    },
  ];
}
