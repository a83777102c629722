/**
 * The `pnpm bench:server` table and chart with OpenSIPS rows: each of our cells is
 * compared with the OpenSIPS cell of the same protocol family (legacy ↔ 2.x,
 * JSON-RPC ↔ 3.x), transport, request, children_count and K, and with no other.
 */
import { describe, expect, it } from 'vitest';
import { benchTable, vsOpenSips } from '../src/bench-table.js';
import { type BenchRow, benchSvg } from '../src/svg-chart.js';

function row(
  protocol: BenchRow['protocol'],
  transport: BenchRow['transport'],
  what: string,
  children: number,
  K: number,
  rps: number,
  p50 = 100,
): BenchRow {
  const version = protocol === 'opensips24' ? '2.4.11' : protocol === 'opensips' ? '3.6.8' : null;
  return {
    protocol,
    ...(version === null ? {} : { version }),
    transport,
    what,
    children,
    K,
    rps,
    p50,
    p99: 2 * p50,
    vsEcho: 0.5,
    rssKiB: 1024,
    errors: 0,
  };
}

const rows: BenchRow[] = [
  row('legacy', 'udp', 'version', 2, 16, 30000),
  row('jsonrpc', 'udp', 'version', 2, 16, 20000),
  row('legacy', 'unix', 'version', 1, 1, 20000, 25),
  row('jsonrpc', 'unix', 'ps', 1, 16, 10000),
  row('legacy', 'unix', 'which', 1, 16, 9000),
  row('echo', 'udp', 'echo_server.c', 0, 16, 60000),
  row('opensips24', 'udp', 'version', 1, 16, 1000),
  row('opensips24', 'udp', 'version', 2, 16, 60000),
  row('opensips24', 'unix', 'version', 1, 1, 30000, 20),
  row('opensips', 'udp', 'version', 2, 16, 40000),
  row('opensips', 'unix', 'ps', 1, 16, 40000),
];

describe('vs OpenSIPS', () => {
  it('pairs legacy with 2.x and JSON-RPC with 3.x, same transport, request, children and K', () => {
    expect(vsOpenSips(rows[0] as BenchRow, rows)).toBe(0.5);
    expect(vsOpenSips(rows[1] as BenchRow, rows)).toBe(0.5);
    expect(vsOpenSips(rows[3] as BenchRow, rows)).toBe(0.25);
  });

  it('is OpenSIPS p50 over ours with one request outstanding', () => {
    expect(vsOpenSips(rows[2] as BenchRow, rows)).toBe(0.8);
  });

  it('is empty without a counterpart, and for the OpenSIPS and echo rows themselves', () => {
    expect(vsOpenSips(rows[4] as BenchRow, rows)).toBeNull();
    for (const r of rows.slice(5)) expect(vsOpenSips(r, rows)).toBeNull();
  });

  it('fills the table column and names each OpenSIPS row by version and protocol', () => {
    const lines = benchTable(rows);
    expect(lines[0]).toMatch(/\| vs OpenSIPS \|$/);
    expect(lines[2]?.endsWith(' 0.50 |')).toBe(true);
    expect(lines[4]?.endsWith(' 0.80 |')).toBe(true);
    expect(lines[6]?.endsWith(' |  |')).toBe(true);
    expect(lines[8]).toMatch(/^\| OpenSIPS 2\.4\.11 legacy \| udp \| `version` \| 1 \|/);
    expect(lines[12]).toMatch(/^\| OpenSIPS 3\.6\.8 JSON-RPC \| unix \| `ps` \|/);
  });

  it('has no column without OpenSIPS rows', () => {
    const ours = rows.filter((r) => !r.protocol.startsWith('opensips'));
    expect(benchTable(ours)[0]).toMatch(/\| errors \|$/);
  });

  it('charts the OpenSIPS rows beside ours, with a legend naming the versions', () => {
    const svg = benchSvg(rows, 'title', 'subtitle');
    expect(svg).toContain('UDP legacy version OpenSIPS 2: 60000 req/s');
    expect(svg).toContain('UDP JSON-RPC version OpenSIPS 2: 40000 req/s');
    expect(svg).toContain('OpenSIPS 2.4.11 legacy / 3.6.8 JSON-RPC, children_count 1');
    const ours = benchSvg(
      rows.filter((r) => !r.protocol.startsWith('opensips')),
      'title',
      'subtitle',
    );
    expect(ours).not.toContain('OpenSIPS');
  });
});
