/** The `pnpm bench:server` rows as a Markdown table (docs/performance.md shows it). */
import type { BenchRow } from './svg-chart.js';

const PROTOCOL: Record<BenchRow['protocol'], string> = {
  legacy: 'legacy',
  jsonrpc: 'JSON-RPC',
  echo: 'C echo server',
  opensips: 'OpenSIPS 3.6 JSON-RPC',
};

/**
 * One line per cell: req/s and its ratio to the echo server of the same run
 * (same transport, same K); with OpenSIPS rows, our JSON-RPC cells with
 * children_count 1 also get their ratio to OpenSIPS's same cell.
 */
export function benchTable(rows: readonly BenchRow[]): string[] {
  const opensips = (r: BenchRow) =>
    rows.find(
      (o) =>
        o.protocol === 'opensips' &&
        o.transport === r.transport &&
        o.what === r.what &&
        o.K === r.K,
    );
  const withOpenSips = rows.some((r) => r.protocol === 'opensips');
  const lines = [
    `| protocol | transport | request | children | K | req/s | vs echo | p50 µs | p99 µs | RSS MiB | errors |${withOpenSips ? ' vs OpenSIPS |' : ''}`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |${withOpenSips ? ' --- |' : ''}`,
  ];
  for (const r of rows) {
    const o = r.protocol === 'jsonrpc' && r.children === 1 ? opensips(r) : undefined;
    const ratio = o === undefined ? '' : (r.K === 1 ? o.p50 / r.p50 : r.rps / o.rps).toFixed(2);
    lines.push(
      `| ${PROTOCOL[r.protocol]} | ${r.transport} | ${r.protocol === 'echo' ? '10 B' : `\`${r.what}\``} | ${r.children || '—'} | ${r.K} | ${r.rps} | ${r.vsEcho.toFixed(2)} | ${r.p50} | ${r.p99} | ${r.rssKiB === null ? '?' : (r.rssKiB / 1024).toFixed(1)} | ${r.errors} |${withOpenSips ? ` ${ratio} |` : ''}`,
    );
  }
  return lines;
}
