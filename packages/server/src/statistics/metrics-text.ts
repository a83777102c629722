/**
 * Every statistic in the Prometheus text exposition format (0.0.4, which
 * Prometheus and OpenMetrics scrapers read): a counter `group:name` is
 * `mi_datagram_<group>_<name>_total`, a gauge `mi_datagram_<group>_<name>`,
 * a gauge's per-process values `mi_datagram_<group>_<name>_by_process{process="ID"}`,
 * and each command's latency a histogram
 * `mi_datagram_command_duration_seconds{command="NAME"}` with buckets at the
 * powers of two from 16 µs.
 */
import { LatencyHistogram, POWERS } from './histogram.js';
import type { CommandHistogramSnapshot } from './snapshot.js';
import type { StatisticValue } from './values.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const PREFIX = 'mi_datagram_';
const HISTOGRAM = `${PREFIX}command_duration_seconds`;

function metricName(group: string, name: string): string {
  return `${PREFIX}${group}_${name}`.replace(/[^A-Za-z0-9_]/g, '_');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Upper bounds of the histogram buckets, in seconds (2^4 … 2^31 µs). */
const BOUNDS: readonly string[] = Array.from({ length: POWERS }, (_, k) =>
  String(2 ** (k + 4) / 1e6),
);

/**
 * The metrics text of these statistics and command latency histograms
 * (histograms of several processes with the same command are merged).
 */
export function renderMetrics(
  values: readonly StatisticValue[],
  histograms: readonly CommandHistogramSnapshot[] = [],
): string {
  const lines: string[] = [];
  const families = new Map<string, string[]>();
  const order: string[] = [];
  const family = (name: string, type: string, help: string): string[] | null => {
    const existing = families.get(name);
    if (existing !== undefined) return existing;
    const samples: string[] = [];
    families.set(name, samples);
    order.push(name);
    if (help !== '') samples.push(`# HELP ${name} ${escapeHelp(help)}`);
    samples.push(`# TYPE ${name} ${type}`);
    return samples;
  };
  const kinds = new Map<string, string>();
  for (const v of values) {
    const base = metricName(v.group, v.name);
    if (v.kind === 'counter') {
      const name = `${base}_total`;
      if ((kinds.get(name) ?? 'counter') !== 'counter') continue;
      kinds.set(name, 'counter');
      family(name, 'counter', v.help)?.push(`${name} ${number(v.value)}`);
    } else if (v.proc === undefined) {
      if ((kinds.get(base) ?? 'gauge') !== 'gauge') continue;
      kinds.set(base, 'gauge');
      family(base, 'gauge', v.help)?.push(`${base} ${number(v.value)}`);
    } else {
      const name = `${base}_by_process`;
      if ((kinds.get(name) ?? 'gauge') !== 'gauge') continue;
      kinds.set(name, 'gauge');
      const help = v.help === '' ? '' : `${v.help} (each worker process)`;
      family(name, 'gauge', help)?.push(`${name}{process="${v.proc}"} ${number(v.value)}`);
    }
  }
  for (const name of order) lines.push(...(families.get(name) ?? []));

  const merged = new Map<string, { buckets: number[]; count: number; sumUs: number }>();
  for (const h of histograms) {
    const cumulative = LatencyHistogram.cumulativeAtPowersOfTwo(h.buckets);
    const total = cumulative[POWERS - 1] ?? 0;
    const m = merged.get(h.name);
    if (m === undefined) {
      merged.set(h.name, { buckets: cumulative, count: total, sumUs: h.sumUs ?? 0 });
    } else {
      for (let k = 0; k < POWERS; k++) m.buckets[k] = (m.buckets[k] ?? 0) + (cumulative[k] ?? 0);
      m.count += total;
      m.sumUs += h.sumUs ?? 0;
    }
  }
  if (merged.size > 0) {
    lines.push(
      `# HELP ${HISTOGRAM} time from a command's start to its reply handed to the transport`,
      `# TYPE ${HISTOGRAM} histogram`,
    );
    const names = [...merged.keys()].sort();
    for (const command of names) {
      const m = merged.get(command);
      if (m === undefined) continue;
      const label = `command="${escapeLabel(command)}"`;
      for (let k = 0; k < POWERS; k++) {
        lines.push(`${HISTOGRAM}_bucket{${label},le="${BOUNDS[k]}"} ${m.buckets[k] ?? 0}`);
      }
      lines.push(
        `${HISTOGRAM}_bucket{${label},le="+Inf"} ${m.count}`,
        `${HISTOGRAM}_sum{${label}} ${number(m.sumUs / 1e6)}`,
        `${HISTOGRAM}_count{${label}} ${m.count}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
