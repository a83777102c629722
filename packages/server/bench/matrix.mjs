// `node bench/run.mjs --matrix [--json FILE]` (what `pnpm bench:server` runs): the cells of
// issue 16, every one measured in the same run next to the C echo server
// (../shared/bench/echo_server.c, the machine's upper bound) on the same transport.
//
// Cells: legacy (`version`, `which`) and JSON-RPC (`version`, `which`, `ps`) × UNIX/UDP ×
// children_count 1/2, K = 16 (throughput); `version` with K = 1 (p50 latency), both
// protocols, children_count 1. `which` lists 21 names (bench/commands.mjs pads the
// registry), as the OpenSIPS it is compared with.
//
// Every server is started once and left idle while the others are measured; the cells
// are measured round-robin, BENCH_REPEAT rounds (default 3), and each cell reports the
// median round by req/s. The machine is shared and noisy: compare a cell with the echo
// server of the same run (`vs echo`), not with another run.
//
// BENCH_OPENSIPS24=/path/to/opensips (OpenSIPS 2.x) and BENCH_OPENSIPS=/path/to/opensips
// (OpenSIPS 3.x), both optional and never needed by CI: binaries built elsewhere (e.g.
// under /tmp), started with generated configs (bench/opensips.mjs: one instance per
// transport × children_count 1/2). The 2.x instances get the legacy cells, the 3.x ones
// the JSON-RPC cells, measured in the same rounds as ours; each OpenSIPS row carries the
// binary's version.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOpenSips } from './opensips.mjs';

const JSONRPC = (method) => `{"jsonrpc":"2.0","method":"${method}","id":1}`;
const EXPECT = {
  legacy: '200 OK',
  jsonrpc: '{"jsonrpc":"2.0","result"',
  echo: ':version:',
};
/** The protocol a cell speaks: `opensips24` is OpenSIPS 2.x (legacy), `opensips` 3.x. */
const SPOKEN = {
  legacy: 'legacy',
  jsonrpc: 'jsonrpc',
  echo: 'echo',
  opensips24: 'legacy',
  opensips: 'jsonrpc',
};
/** The OpenSIPS binaries: environment variable, protocol, row `protocol`, modules variable. */
const OPENSIPS = [
  {
    env: 'BENCH_OPENSIPS24',
    protocol: 'legacy',
    cell: 'opensips24',
    mpathEnv: 'BENCH_OPENSIPS24_MPATH',
  },
  {
    env: 'BENCH_OPENSIPS',
    protocol: 'jsonrpc',
    cell: 'opensips',
    mpathEnv: 'BENCH_OPENSIPS_MPATH',
  },
];
const WHAT = { legacy: ['version', 'which'], jsonrpc: ['version', 'which', 'ps'] };

/** The request each cell sends. */
function requestOf(protocol, what) {
  if (protocol === 'echo') return ':version:\\n';
  return protocol === 'legacy' ? `:${what}:\\n` : JSONRPC(what);
}

/** The cells of one transport: [protocol, what, children, K]; `opensips`: the row protocols of the OpenSIPS binaries given. */
function cellsOf(opensips) {
  const cells = [];
  const throughput = (protocol, spoken) => {
    for (const children of [1, 2]) {
      for (const what of WHAT[spoken]) cells.push([protocol, what, children, 16]);
    }
  };
  throughput('legacy', 'legacy');
  throughput('jsonrpc', 'jsonrpc');
  cells.push(['legacy', 'version', 1, 1], ['jsonrpc', 'version', 1, 1]);
  cells.push(['echo', 'echo_server.c', 0, 16], ['echo', 'echo_server.c', 0, 1]);
  for (const protocol of opensips) {
    throughput(protocol, SPOKEN[protocol]);
    cells.push([protocol, 'version', 1, 1]);
  }
  return cells;
}

/** The UDP port a process bound (echo_server.c takes port 0 but does not print it). */
function boundUdpPort(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
    if (m) inodes.add(m[1]);
  }
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && inodes.has(f[9])) return Number.parseInt(f[1].split(':')[1], 16);
  }
  return null;
}

export async function startEcho(echoC, transport, dir) {
  const address = transport === 'unix' ? `unix:${join(dir, 'echo-c.sock')}` : 'udp:127.0.0.1:0';
  const child = spawn(echoC, [address], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (transport === 'unix') return { child, address: address.slice(5) };
    const port = boundUdpPort(child.pid);
    if (port) return { child, address: `udp:127.0.0.1:${port}` };
  }
  child.kill();
  throw new Error('echo_server.c did not bind');
}

export function runLoadgen(loadgen, address, k, duration, request, expect) {
  const target = address.startsWith('udp:') ? address : `unix:${address}`;
  const args = ['-t', target, '-c', String(k), '-d', String(duration), '-w', '1'];
  const out = execFileSync(loadgen, [...args, '-r', request, '-e', expect], { encoding: 'utf8' });
  const get = (key) => Number(new RegExp(`${key}=([0-9.]+)`).exec(out)?.[1]);
  return {
    rps: get('rps'),
    p50: get('p50_us'),
    p99: get('p99_us'),
    errors: get('errors') + get('timeouts'),
  };
}

export async function benchMatrix(h) {
  const { dir, loadgen, echoC, cli, benchCommands, duration, repeat, start, stop } = h;
  const servers = new Map();
  // Our server answers both protocols: one instance per transport and children_count.
  const key = (transport, protocol, children) =>
    `${transport} ${protocol === 'jsonrpc' ? 'legacy' : protocol} ${children}`;
  const versions = {};
  const out = [];
  try {
    for (const transport of ['unix', 'udp']) {
      for (const children of [1, 2]) {
        const socket = transport === 'unix' ? join(dir, `m${children}.sock`) : 'udp:127.0.0.1:0';
        const args = [cli, '--socket-name', socket, '--children-count', String(children)];
        args.push('--commands', benchCommands, '--log-level', '1');
        servers.set(
          key(transport, 'legacy', children),
          await start(process.execPath, args, /listening on (\S+)/),
        );
      }
      servers.set(key(transport, 'echo', 0), await startEcho(echoC, transport, dir));
    }
    for (const { env, protocol, cell, mpathEnv } of OPENSIPS) {
      if (!process.env[env]) continue;
      const os = await startOpenSips(process.env[env], dir, protocol, { mpathEnv });
      versions[cell] = os.version;
      for (const instance of os.instances) {
        servers.set(key(instance.transport, cell, instance.children), instance);
      }
    }
    const cells = [];
    // BENCH_CELLS (a regular expression) keeps the cells whose "transport protocol what
    // children K" it matches, e.g. "unix .* 2 16"; the echo cells are always measured.
    const only = process.env.BENCH_CELLS ? new RegExp(process.env.BENCH_CELLS) : null;
    for (const transport of ['unix', 'udp']) {
      for (const [protocol, what, children, k] of cellsOf(Object.keys(versions))) {
        const name = `${transport} ${protocol} ${what} ${children} ${k}`;
        if (only !== null && protocol !== 'echo' && !only.test(name)) continue;
        cells.push({ transport, protocol, what, children, K: k, runs: [] });
      }
    }
    for (let round = 0; round < repeat; round++) {
      for (const cell of cells) {
        const server = servers.get(key(cell.transport, cell.protocol, cell.children));
        const protocol = SPOKEN[cell.protocol];
        const request = requestOf(protocol, cell.what);
        cell.runs.push(
          runLoadgen(loadgen, server.address, cell.K, duration, request, EXPECT[protocol]),
        );
      }
      process.stderr.write(`bench:server: round ${round + 1}/${repeat} done\n`);
    }
    for (const cell of cells) {
      const runs = [...cell.runs].sort((a, b) => a.rps - b.rps);
      const median = runs[Math.floor(runs.length / 2)];
      const server = servers.get(key(cell.transport, cell.protocol, cell.children));
      const echo = cells.find(
        (c) => c.transport === cell.transport && c.protocol === 'echo' && c.K === cell.K,
      );
      const echoRps = [...echo.runs].sort((a, b) => a.rps - b.rps)[Math.floor(repeat / 2)].rps;
      out.push({
        protocol: cell.protocol,
        ...(versions[cell.protocol] ? { version: versions[cell.protocol] } : {}),
        transport: cell.transport,
        what: cell.what,
        children: cell.children,
        K: cell.K,
        ...median,
        vsEcho: Number((median.rps / echoRps).toFixed(3)),
        rounds: cell.runs.map((r) => r.rps),
        rssKiB: server.child ? h.treeRssKiB(server.child.pid) : null,
      });
    }
  } finally {
    for (const server of servers.values()) await stop(server.child);
  }
  console.log(
    `mi-datagram-server matrix: loadgen.c closed loop, ${duration} s per cell (+1 s warm-up), ` +
      `median of ${repeat} round-robin rounds; vs echo = req/s / echo_server.c req/s (same K, same run)`,
  );
  console.table(out.map(({ rounds, ...row }) => row));
  if (h.jsonOut) writeFileSync(h.jsonOut, `${JSON.stringify(out, null, 2)}\n`);
  return out;
}
