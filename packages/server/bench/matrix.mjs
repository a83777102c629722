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
// BENCH_OPENSIPS=/path/to/opensips (optional, never needed by CI): an OpenSIPS 3.x
// binary built elsewhere (e.g. under /tmp); it is started with a generated config
// (mi_datagram on UNIX and UDP, BENCH_OPENSIPS_MPATH = its modules directory) and its
// JSON-RPC cells are measured in the same rounds.
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

/** The request each cell sends. */
function requestOf(protocol, what) {
  if (protocol === 'echo') return ':version:\\n';
  return protocol === 'legacy' ? `:${what}:\\n` : JSONRPC(what);
}

/** The cells of one transport: [protocol, what, children, K]. */
function cellsOf(hasOpenSips) {
  const cells = [];
  for (const children of [1, 2]) {
    for (const what of ['version', 'which']) cells.push(['legacy', what, children, 16]);
    for (const what of ['version', 'which', 'ps']) cells.push(['jsonrpc', what, children, 16]);
  }
  cells.push(['legacy', 'version', 1, 1], ['jsonrpc', 'version', 1, 1]);
  cells.push(['echo', 'echo_server.c', 0, 16], ['echo', 'echo_server.c', 0, 1]);
  if (hasOpenSips) {
    for (const what of ['version', 'which', 'ps']) cells.push(['opensips', what, 1, 16]);
    cells.push(['opensips', 'version', 1, 1]);
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
  const opensipsBin = process.env.BENCH_OPENSIPS;
  const servers = new Map();
  const key = (transport, protocol, children) =>
    `${transport} ${protocol === 'jsonrpc' ? 'legacy' : protocol} ${children}`;
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
    if (opensipsBin) {
      const os = await startOpenSips(opensipsBin, dir);
      servers.set(key('unix', 'opensips', 1), { child: os.child, address: os.unix });
      servers.set(key('udp', 'opensips', 1), { child: null, address: os.udp });
    }
    const cells = [];
    for (const transport of ['unix', 'udp']) {
      for (const [protocol, what, children, k] of cellsOf(Boolean(opensipsBin))) {
        cells.push({ transport, protocol, what, children, K: k, runs: [] });
      }
    }
    for (let round = 0; round < repeat; round++) {
      for (const cell of cells) {
        const server = servers.get(key(cell.transport, cell.protocol, cell.children));
        const protocol = cell.protocol === 'opensips' ? 'jsonrpc' : cell.protocol;
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
    for (const server of servers.values()) if (server.child) await stop(server.child);
  }
  console.log(
    `mi-datagram-server matrix: loadgen.c closed loop, ${duration} s per cell (+1 s warm-up), ` +
      `median of ${repeat} round-robin rounds; vs echo = req/s / echo_server.c req/s (same K, same run)`,
  );
  console.table(out.map(({ rounds, ...row }) => row));
  if (h.jsonOut) writeFileSync(h.jsonOut, `${JSON.stringify(out, null, 2)}\n`);
  return out;
}
