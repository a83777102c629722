/**
 * Statistic values as the statistics commands, the pool and the metrics
 * endpoint exchange them: read from registries, summed over the worker
 * processes of a pool, selected by the names of `get_statistics`.
 */
import { isRecord } from '../common/index.js';
import type { GaugeMerge, StatisticEntry, StatisticKind, StatisticsRegistry } from './registry.js';

/** One statistic's value (plain JSON: what a worker sends another). */
export type StatisticValue = {
  readonly group: string;
  readonly name: string;
  readonly kind: StatisticKind;
  readonly value: number;
  readonly merge: GaugeMerge;
  readonly help: string;
  /** Set on the per-process listing of a gauge of a pool: the worker's id. */
  readonly proc?: number;
};

/** The name `get_statistics` shows after `group:` (`load-proc-2` style for a per-process value). */
export function statisticName(v: Pick<StatisticValue, 'name' | 'proc'>): string {
  return v.proc === undefined ? v.name : `${v.name}-proc-${v.proc}`;
}

/** Every statistic of these registries (the first registry wins a name registered twice). */
export function* registryEntries(
  registries: readonly StatisticsRegistry[],
): Generator<StatisticEntry> {
  const seen = new Set<string>();
  for (const registry of registries) {
    for (const entry of registry.entries()) {
      const key = `${entry.group}:${entry.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      yield entry;
    }
  }
}

/** The current values of every statistic of these registries. */
export function readStatistics(registries: readonly StatisticsRegistry[]): StatisticValue[] {
  const out: StatisticValue[] = [];
  for (const e of registryEntries(registries)) {
    out.push({
      group: e.group,
      name: e.name,
      kind: e.kind,
      value: e.read(),
      merge: e.merge,
      help: e.help,
    });
  }
  return out;
}

/**
 * Whether a statistic answers to one name of `get_statistics`: `all`,
 * `group:` (the whole group), `group:name`, or a bare `name`.
 */
export function matchesName(
  v: Pick<StatisticValue, 'group' | 'name' | 'proc'>,
  requested: string,
): boolean {
  if (requested === 'all') return true;
  const colon = requested.indexOf(':');
  if (colon < 0) return statisticName(v) === requested;
  const group = requested.slice(0, colon);
  const name = requested.slice(colon + 1);
  if (group !== v.group) return false;
  return name === '' || name === statisticName(v);
}

/**
 * The statistics the names select, in the order of the names (each name's
 * matches in registration order), as OpenSIPS answers them. Names that
 * select nothing are skipped.
 */
export function selectStatistics<T extends Pick<StatisticValue, 'group' | 'name' | 'proc'>>(
  values: readonly T[],
  names: readonly string[],
): T[] {
  const out: T[] = [];
  for (const requested of names) {
    if (requested === '') continue;
    for (const v of values) if (matchesName(v, requested)) out.push(v);
  }
  return out;
}

/** Resets the counters these names select; returns how many statistics they selected. */
export function resetSelected(
  registries: readonly StatisticsRegistry[],
  names: readonly string[] | 'all',
): number {
  let found = 0;
  for (const e of registryEntries(registries)) {
    if (names === 'all' || names.some((n) => n !== '' && matchesName(e, n))) {
      found++;
      if (e.kind === 'counter') e.reset();
    }
  }
  return found;
}

/** The statistics of one process of a pool. */
export interface ProcessStatistics {
  /** The worker's id (1 … children_count). */
  readonly proc: number;
  readonly values: readonly StatisticValue[];
}

/**
 * The statistics of a whole pool, OpenSIPS style: each counter summed over
 * the processes; each gauge merged by its `merge` rule and then listed once
 * per process as `NAME-proc-ID`, right after its total.
 */
export function mergeStatistics(processes: readonly ProcessStatistics[]): StatisticValue[] {
  type Acc = { first: StatisticValue; total: number; max: number; per: StatisticValue[] };
  const merged = new Map<string, Acc>();
  const ordered = [...processes].sort((a, b) => a.proc - b.proc);
  for (const p of ordered) {
    for (const v of p.values) {
      if (v.proc !== undefined) continue;
      const key = `${v.group}:${v.name}`;
      let acc = merged.get(key);
      if (acc === undefined) {
        acc = { first: v, total: 0, max: Number.NEGATIVE_INFINITY, per: [] };
        merged.set(key, acc);
      }
      acc.total += v.value;
      if (v.value > acc.max) acc.max = v.value;
      if (v.kind === 'gauge') acc.per.push({ ...v, proc: p.proc });
    }
  }
  const out: StatisticValue[] = [];
  for (const acc of merged.values()) {
    const { first } = acc;
    if (first.kind === 'counter') {
      out.push({ ...first, value: acc.total });
      continue;
    }
    const n = acc.per.length;
    const value =
      first.merge === 'max'
        ? acc.max
        : first.merge === 'avg'
          ? Math.round(acc.total / n)
          : acc.total;
    out.push({ ...first, value }, ...acc.per);
  }
  return out;
}

const KINDS: readonly string[] = ['counter', 'gauge'];
const MERGES: readonly string[] = ['sum', 'max', 'avg'];

function isStatisticValue(v: unknown): v is StatisticValue {
  return (
    isRecord(v) &&
    typeof v.group === 'string' &&
    typeof v.name === 'string' &&
    typeof v.help === 'string' &&
    typeof v.kind === 'string' &&
    KINDS.includes(v.kind) &&
    typeof v.merge === 'string' &&
    MERGES.includes(v.merge) &&
    typeof v.value === 'number' &&
    Number.isFinite(v.value) &&
    (v.proc === undefined || (typeof v.proc === 'number' && Number.isSafeInteger(v.proc)))
  );
}

/** Statistic values received from another process (IPC input is untrusted), or null. */
export function parseStatisticValues(value: unknown): StatisticValue[] | null {
  if (!Array.isArray(value) || !value.every(isStatisticValue)) return null;
  return value as StatisticValue[];
}
