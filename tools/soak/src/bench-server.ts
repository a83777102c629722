/**
 * `pnpm bench:server`: requests/s, p50/p99 and RSS for legacy and JSON-RPC ×
 * UNIX/UDP × children 1/2 (K=16) and the K=1 latency cells, next to the C echo
 * server of the same run (and real OpenSIPS 2.x / 3.x when BENCH_OPENSIPS24 /
 * BENCH_OPENSIPS name binaries, see packages/server/bench/opensips.mjs), as
 * a table and as docs/bench-server.svg.
 *
 * The measuring is done by the server package's own harness
 * (packages/server/bench/run.mjs `--matrix`: loadgen.c compiled at run time,
 * closed loop, see bench/matrix.mjs); this script only runs it, prints the table and draws
 * the chart. BENCH_DURATION (s per cell, default 3) and BENCH_REPEAT (median
 * of N rounds, default 3) are passed through; `--svg FILE` writes elsewhere (the rows
 * go next to it as .json); `--from FILE.json` redraws saved rows without measuring.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchTable } from './bench-table.js';
import { SERVER_CLI } from './server-process.js';
import { type BenchRow, benchSvg } from './svg-chart.js';

const args = process.argv.slice(2).filter((a) => a !== '--');
const svgIndex = args.indexOf('--svg');
const svgPath =
  svgIndex >= 0 && args[svgIndex + 1] !== undefined
    ? (args[svgIndex + 1] as string)
    : fileURLToPath(new URL('../../../docs/bench-server.svg', import.meta.url));
const fromIndex = args.indexOf('--from');
const from = fromIndex >= 0 ? (args[fromIndex + 1] ?? null) : null;
const runMjs = join(dirname(SERVER_CLI), '../bench/run.mjs');
const duration = process.env.BENCH_DURATION ?? '3';
const repeat = process.env.BENCH_REPEAT ?? '3';

const tmp = mkdtempSync(join(tmpdir(), 'mi-bench-server-'));
const jsonPath = join(tmp, 'rows.json');
try {
  if (from === null) {
    const run = spawnSync(process.execPath, [runMjs, '--matrix', '--json', jsonPath], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, BENCH_DURATION: duration, BENCH_REPEAT: repeat },
    });
    if (run.status !== 0) {
      process.stderr.write(`bench:server: ${runMjs} --matrix failed (status ${run.status})\n`);
      process.exit(1);
    }
  }
  // run.mjs writes the rows; the saved file (docs/bench-server.json) also says when and how.
  const saved = JSON.parse(readFileSync(from ?? jsonPath, 'utf8')) as
    | BenchRow[]
    | { readonly subtitle: string; readonly rows: BenchRow[] };
  const rows = Array.isArray(saved) ? saved : saved.rows;
  const lines = benchTable(rows);
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const subtitle = Array.isArray(saved)
    ? `${when} UTC, ${cpus().length} CPUs, loadgen.c closed loop, ${duration} s per cell, median of ${repeat} round-robin rounds; same run for every bar`
    : saved.subtitle;
  process.stdout.write(`\nmi-datagram-server, ${subtitle}\n\n${lines.join('\n')}\n`);
  mkdirSync(dirname(svgPath), { recursive: true });
  if (from === null) {
    const file = svgPath.replace(/\.svg$/, '.json');
    // Number lists on one line, as the formatter (biome) wants them.
    const json = JSON.stringify({ subtitle, rows }, null, 2).replace(
      /\[\s+([\d.,\s]+?)\s+\]/g,
      (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`,
    );
    writeFileSync(file, `${json}\n`);
  }
  writeFileSync(
    svgPath,
    benchSvg(
      rows,
      'mi-datagram-server: requests/s (K=16) by transport, protocol, command and children_count',
      subtitle,
    ),
  );
  process.stdout.write(`\nchart: ${svgPath}\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
