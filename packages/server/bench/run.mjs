// End-to-end benchmark of mi-datagram-server, next to the raw transport
// ping-pong, measured in the same run with the calibration load generator
// the original was measured with (../shared/bench/loadgen.c, compiled with gcc
// into a temporary directory; nothing is copied into the project).
//
// loadgen is a closed-loop C client in its own process: K sockets, each with
// one request outstanding; it does not compete with the Node server for the
// event loop, only for the 2 cores.
//
// Usage: pnpm --filter @mi-datagram/server bench   (BENCH_DURATION=seconds, default 5;
//        BENCH_PROFILE=1 writes a --cpu-prof profile of the server per transport)
//        pnpm --filter @mi-datagram/server bench:pool   (`--pool`: children_count 1
//        vs 2 with `version`, `which` and the CPU-heavy `burn` of bench/commands.mjs,
//        K = 16, over UNIX and UDP, next to the original's scaling)
//        node bench/run.mjs --matrix [--json FILE]   (the cells of issue 16: legacy and
//        JSON-RPC × UNIX/UDP × children_count 1/2, K = 16 and K = 1, next to the C echo
//        server of the same run; see bench/matrix.mjs; `pnpm bench:server` at the root
//        draws it; BENCH_OPENSIPS24 / BENCH_OPENSIPS add real OpenSIPS 2.x / 3.x cells,
//        see bench/opensips.mjs)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchMatrix } from './matrix.mjs';
import { benchUdpPaths } from './udp-paths.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const shared = join(here, '../../../../shared/bench');
const cli = join(here, '../dist/cli.js');
const duration = Number(process.env.BENCH_DURATION ?? 5);
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const profile = process.env.BENCH_PROFILE === '1';
const poolMode = process.argv.includes('--pool');
const matrixMode = process.argv.includes('--matrix');
const udpMode = process.argv.includes('--udp');
const jsonIndex = process.argv.indexOf('--json');
const jsonOut = jsonIndex < 0 ? null : process.argv[jsonIndex + 1];
const benchCommands = join(here, 'commands.mjs');

if (!existsSync(cli)) throw new Error('build first: pnpm --filter @mi-datagram/server build');
const dir = await mkdtemp(join(tmpdir(), 'mi-bench-'));
const loadgen = join(dir, 'loadgen');
const echoC = join(dir, 'echo_server');
execFileSync('gcc', ['-O2', '-o', loadgen, join(shared, 'loadgen.c')]);
execFileSync('gcc', ['-O2', '-o', echoC, join(shared, 'echo_server.c')]);

/** The original, measured on these machines (../shared/bench/README.md). */
const ORIGINAL = {
  'unix version 1': 27499,
  'unix version 16': 109657,
  'unix which 1': 18164,
  'unix which 16': 32936,
  'udp version 1': 31826,
  'udp version 16': 125086,
  'udp which 1': 23253,
  'udp which 16': 43913,
  'unix echo_server.c 1': 32275,
  'unix echo_server.c 16': 160590,
  'udp echo_server.c 1': 29712,
  'udp echo_server.c 16': 103119,
};

/** The original with children_count 2, K = 16 (../shared/bench/README.md). */
const ORIGINAL_2 = {
  'unix version 16': 80771,
  'unix which 16': 45820,
  'udp version 16': 89295,
  'udp which 16': 60917,
};

function start(cmd, args, readyPattern) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start`)), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = readyPattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Median (by req/s) of `repeat` runs of loadgen. `expect`: reply prefix loadgen checks. */
function measure(address, k, request, expect = '200 OK') {
  const target = address.startsWith('udp:') ? address : `unix:${address}`;
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    const out = execFileSync(
      loadgen,
      [
        '-t',
        target,
        '-c',
        String(k),
        '-d',
        String(duration),
        '-w',
        '1',
        '-r',
        request,
        '-e',
        expect,
      ],
      { encoding: 'utf8' },
    );
    const get = (key) => Number(new RegExp(`${key}=([0-9.]+)`).exec(out)?.[1]);
    runs.push({
      rps: get('rps'),
      p50: get('p50_us'),
      p99: get('p99_us'),
      errors: get('errors'),
      timeouts: get('timeouts'),
    });
  }
  runs.sort((a, b) => a.rps - b.rps);
  return runs[Math.floor(runs.length / 2)];
}

const rows = [];
function record(transport, what, k, r) {
  const original = ORIGINAL[`${transport} ${what} ${k}`];
  rows.push({
    transport,
    what,
    K: k,
    'req/s': r.rps,
    'p50 µs': r.p50,
    'p99 µs': r.p99,
    'original req/s': original ?? '',
    'vs original': original ? `${((r.rps / original) * 100).toFixed(0)}%` : '',
    errors: r.errors + r.timeouts,
  });
}

/** `--pool`: the same server with children_count 1 (in-process) and 2 (worker pool). */
async function benchPool() {
  const poolRows = [];
  for (const transport of ['unix', 'udp']) {
    const byChildren = {};
    for (const children of [1, 2]) {
      const server = await start(
        process.execPath,
        [
          cli,
          '--socket-name',
          transport === 'unix' ? join(dir, `pool${children}.sock`) : 'udp:127.0.0.1:0',
          '--children-count',
          String(children),
          '--commands',
          benchCommands,
          '--log-level',
          '1',
        ],
        /listening on (\S+)/,
      );
      for (const [what, request] of [
        ['version', ':version:\\n'],
        ['which', ':which:\\n'],
        ['burn 200µs', ':burn:\\n'],
      ]) {
        byChildren[`${what} ${children}`] = measure(server.address, 16, request);
      }
      await stop(server.child);
    }
    for (const what of ['version', 'which', 'burn 200µs']) {
      const one = byChildren[`${what} 1`];
      const two = byChildren[`${what} 2`];
      const o1 = ORIGINAL[`${transport} ${what} 16`];
      const o2 = ORIGINAL_2[`${transport} ${what} 16`];
      poolRows.push({
        transport,
        what,
        K: 16,
        'children 1 req/s': one.rps,
        'children 2 req/s': two.rps,
        'scaling 2/1': (two.rps / one.rps).toFixed(2),
        'p99 µs (1 / 2)': `${one.p99} / ${two.p99}`,
        'original 1 / 2': o1 && o2 ? `${o1} / ${o2}` : '',
        'original scaling': o1 && o2 ? (o2 / o1).toFixed(2) : '',
        errors: one.errors + one.timeouts + two.errors + two.timeouts,
      });
    }
  }
  console.log(
    `mi-datagram-server children_count 1 (in-process) vs 2 (worker pool): loadgen.c closed loop, K=16, ${duration} s per cell (+1 s warm-up), median of ${repeat}`,
  );
  console.table(poolRows);
}

/** VmRSS (KiB) of `pid` and of its children (the workers), summed; null if unreadable. */
function treeRssKiB(pid) {
  const rss = (p) =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
  try {
    let total = rss(pid);
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/)) {
        if (c !== '') total += rss(c);
      }
    }
    return total;
  } catch {
    return null;
  }
}

try {
  if (poolMode) await benchPool();
  if (udpMode) {
    await benchUdpPaths({ dir, loadgen, echoC, cli, benchCommands, duration, repeat, start, stop });
  }
  if (matrixMode) {
    await benchMatrix({
      dir,
      loadgen,
      echoC,
      cli,
      benchCommands,
      duration,
      repeat,
      start,
      stop,
      treeRssKiB,
      jsonOut,
    });
  }
  for (const transport of poolMode || matrixMode || udpMode ? [] : ['unix', 'udp']) {
    const addr = (name) => (transport === 'unix' ? join(dir, `${name}.sock`) : 'udp:127.0.0.1:0');
    // 1. the server (children_count 1), core commands
    const serverArgs = [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}/prof-${transport}`] : []),
      cli,
      '--socket-name',
      addr('server'),
      '--log-level',
      '1',
    ];
    const server = await start(process.execPath, serverArgs, /listening on (\S+)/);
    for (const [what, request] of [
      ['version', ':version:\\n'],
      ['which', ':which:\\n'],
    ]) {
      for (const k of [1, 16]) record(transport, what, k, measure(server.address, k, request));
    }
    await stop(server.child);
    // 2. raw transport ping-pong (same transports, no pipeline)
    const echo = await start(
      process.execPath,
      [join(here, 'transport-echo.mjs'), addr('echo')],
      /listening on (\S+)/,
    );
    for (const k of [1, 16])
      record(
        transport,
        'transport echo (Node)',
        k,
        measure(echo.address, k, ':version:\\n', ':version:'),
      );
    await stop(echo.child);
    // 3. the C echo server: the machine's upper bound
    const cAddr = transport === 'unix' ? `unix:${join(dir, 'c.sock')}` : 'udp:127.0.0.1:47123';
    const c = spawn(echoC, [cAddr], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    for (const k of [1, 16])
      record(
        transport,
        'echo_server.c',
        k,
        measure(cAddr.replace(/^unix:/, ''), k, ':version:\\n', ':version:'),
      );
    await stop(c);
  }
  if (!poolMode && !matrixMode && !udpMode) {
    console.log(
      `mi-datagram-server benchmark: loadgen.c closed loop, ${duration} s per cell (+1 s warm-up), median of ${repeat}, children_count 1`,
    );
    console.table(rows);
  }
  if (profile) console.log(`CPU profiles: ${dir}/prof-*/ (kept; delete when done)`);
} finally {
  if (!profile) await rm(dir, { recursive: true, force: true });
}
