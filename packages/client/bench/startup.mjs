#!/usr/bin/env node
/**
 * Start-up cost of the `mi` CLI as a whole process, as a ratio to `node -e 0` (issue 16).
 *
 * Starts a mi-datagram server on a UNIX socket in a temporary directory and on an ephemeral UDP
 * port of 127.0.0.1, then runs, in interleaved rounds so that a busy machine weighs on every
 * case alike:
 *   node -e 0 | mi -s SOCK version | mi --version | mi -s udp:127.0.0.1:PORT version
 * Each case's median wall time is divided by the median of `node -e 0`.
 *
 *   node bench/startup.mjs [--runs N] [--cli PATH] [--compare PATH]
 *
 * --cli: the bundle to measure (default dist/cli.cjs); --compare: another bundle (an older
 * build) measured in the same rounds, shown as a second set of rows.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    cli: { type: 'string', default: join(here, '..', 'dist', 'cli.cjs') },
    compare: { type: 'string' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: not a positive integer`);
const serverCli = join(here, '..', '..', 'server', 'dist', 'cli.js');

function startServer(unixPath) {
  return new Promise((resolveStart, rejectStart) => {
    const child = spawn(
      process.execPath,
      [serverCli, '--socket-name', unixPath, '--socket-name', 'udp:127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    const onData = (chunk) => {
      text += chunk;
      const match = /listening on (\S+) udp:127\.0\.0\.1:(\d+)/.exec(text);
      if (match) {
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        resolveStart({ child, udp: `udp:127.0.0.1:${match[2]}` });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => rejectStart(new Error(`server exited (${code}): ${text}`)));
  });
}

/**
 * CPU time (user + system, ms) of the children waited for so far, from /proc/self/stat
 * (cutime, cstime; USER_HZ = 100): coarse per run, exact enough summed over the runs, and
 * not inflated by waiting for a CPU on a busy machine as wall time is. 0 without /proc.
 */
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

function timeOnce(args, cpu) {
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (cpu !== undefined) cpu.total += childrenCpuMs() - cpuBefore;
  if (result.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return ms;
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'mi-startup-'));
const sock = join(dir, 'mi.sock');
const { child, udp } = await startServer(sock);
try {
  const bundles = [['', resolve(values.cli)]];
  if (values.compare) bundles.push(['before: ', resolve(values.compare)]);
  const cases = [['node -e 0', ['-e', '0']]];
  for (const [prefix, cli] of bundles) {
    cases.push(
      [`${prefix}mi -s SOCK version`, [cli, '-s', sock, 'version']],
      [`${prefix}mi --version`, [cli, '--version']],
      [`${prefix}mi -s UDP version`, [cli, '-s', udp, 'version']],
    );
  }
  for (const [, args] of cases) timeOnce(args); // warm the file cache
  const times = cases.map(() => []);
  const cpu = cases.map(() => ({ total: 0 }));
  for (let round = 0; round < runs; round += 1) {
    // Rotate the order each round: no case always runs right after another.
    for (let k = 0; k < cases.length; k += 1) {
      const index = (k + round) % cases.length;
      times[index].push(timeOnce(cases[index][1], cpu[index]));
    }
  }
  const base = median(times[0]);
  console.log(`node ${process.version}, ${runs} interleaved rounds, medians`);
  const baseMin = Math.min(...times[0]);
  const baseCpu = cpu[0].total;
  console.log(
    '| case | wall median ms | ratio | wall min ms | ratio of minima | CPU ms (mean) | CPU ratio |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  cases.forEach(([name], index) => {
    const m = median(times[index]);
    const least = Math.min(...times[index]);
    const used = cpu[index].total;
    const cpuCells =
      baseCpu > 0 ? `${(used / runs).toFixed(1)} | ${(used / baseCpu).toFixed(3)}` : '- | -';
    console.log(
      `| ${name} | ${m.toFixed(1)} | ${(m / base).toFixed(3)} | ${least.toFixed(1)} | ${(least / baseMin).toFixed(3)} | ${cpuCells} |`,
    );
  });
} finally {
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  rmSync(dir, { recursive: true, force: true });
}
