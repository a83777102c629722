/** The `pnpm bench:server` rows as a Markdown table (docs/performance.md shows it). */
import type { BenchRow } from './svg-chart.js';

/** The label of a row's server and protocol (OpenSIPS rows saved before `version` existed were 3.6). */
function labelOf(r: BenchRow): string {
  switch (r.protocol) {
    case 'legacy':
      return 'legacy';
    case 'jsonrpc':
      return 'JSON-RPC';
    case 'echo':
      return 'C echo server';
    case 'opensips24':
      return `OpenSIPS ${r.version ?? '2.4'} legacy`;
    case 'opensips':
      return `OpenSIPS ${r.version ?? '3.6'} JSON-RPC`;
  }
}

/** Which OpenSIPS rows our rows are compared with: legacy with 2.x, JSON-RPC with 3.x. */
const COUNTERPART: Partial<Record<BenchRow['protocol'], BenchRow['protocol']>> = {
  legacy: 'opensips24',
  jsonrpc: 'opensips',
};

/**
 * OpenSIPS over ours for the same transport, request, children_count and K: req/s
 * ours / OpenSIPS's (K = 16), p50 OpenSIPS's / ours (K = 1); above 1, ours is
 * faster. Null when the run has no such OpenSIPS cell.
 */
export function vsOpenSips(r: BenchRow, rows: readonly BenchRow[]): number | null {
  const protocol = COUNTERPART[r.protocol];
  const o = rows.find(
    (c) =>
      c.protocol === protocol &&
      c.transport === r.transport &&
      c.what === r.what &&
      c.children === r.children &&
      c.K === r.K,
  );
  if (o === undefined) return null;
  return r.K === 1 ? o.p50 / r.p50 : r.rps / o.rps;
}

/**
 * One line per cell: req/s and its ratio to the echo server of the same run
 * (same transport, same K); with OpenSIPS rows, each of our cells that has an
 * OpenSIPS counterpart also gets `vs OpenSIPS` (see vsOpenSips).
 */
export function benchTable(rows: readonly BenchRow[]): string[] {
  const withOpenSips = rows.some((r) => r.protocol === 'opensips' || r.protocol === 'opensips24');
  const lines = [
    `| protocol | transport | request | children | K | req/s | vs echo | p50 µs | p99 µs | RSS MiB | errors |${withOpenSips ? ' vs OpenSIPS |' : ''}`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |${withOpenSips ? ' --- |' : ''}`,
  ];
  for (const r of rows) {
    const ratio = vsOpenSips(r, rows)?.toFixed(2) ?? '';
    lines.push(
      `| ${labelOf(r)} | ${r.transport} | ${r.protocol === 'echo' ? '10 B' : `\`${r.what}\``} | ${r.children || '—'} | ${r.K} | ${r.rps} | ${r.vsEcho.toFixed(2)} | ${r.p50} | ${r.p99} | ${r.rssKiB === null ? '?' : (r.rssKiB / 1024).toFixed(1)} | ${r.errors} |${withOpenSips ? ` ${ratio} |` : ''}`,
    );
  }
  return lines;
}
