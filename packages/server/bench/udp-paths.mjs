// `node bench/run.mjs --udp`: the legacy UDP cells of issue 16 through both receive/send
// paths of @mi-datagram/transport-udp in the same run: the addon's native path (the
// default) and node:dgram alone (MI_DATAGRAM_UDP_NATIVE=0), children_count 1 and 2,
// K = 16 (throughput) and K = 1 (p50), next to the C echo server (echo_server.c).
// BENCH_OPENSIPS24 (see opensips.mjs) adds OpenSIPS 2.x over UDP with the same legacy
// cells (children_count 1 and 2); BENCH_OPENSIPS adds OpenSIPS 3.x over UDP (JSON-RPC
// `version`, children_count 1): the nearest reference when no 2.x is at hand.
// Cells are measured round-robin, BENCH_REPEAT rounds; each reports its median round.
import { runLoadgen, startEcho } from './matrix.mjs';
import { startOpenSips } from './opensips.mjs';

const LEGACY = (what) => `:${what}:\\n`;

export async function benchUdpPaths(h) {
  const { dir, loadgen, echoC, cli, benchCommands, duration, repeat, start, stop } = h;
  const servers = new Map();
  const cells = [];
  try {
    for (const path of ['native', 'dgram']) {
      for (const children of [1, 2]) {
        const args = [cli, '--socket-name', 'udp:127.0.0.1:0'];
        args.push('--children-count', String(children), '--commands', benchCommands);
        args.push('--log-level', '1');
        if (path === 'dgram') process.env.MI_DATAGRAM_UDP_NATIVE = '0';
        try {
          servers.set(
            `${path} ${children}`,
            await start(process.execPath, args, /listening on (\S+)/),
          );
        } finally {
          delete process.env.MI_DATAGRAM_UDP_NATIVE;
        }
        for (const what of ['version', 'which']) {
          cells.push({ server: `${path} ${children}`, what, K: 16, request: LEGACY(what) });
        }
        if (children === 1) {
          cells.push({ server: `${path} 1`, what: 'version', K: 1, request: LEGACY('version') });
        }
      }
    }
    servers.set('echo', await startEcho(echoC, 'udp', dir));
    for (const K of [16, 1]) {
      cells.push({
        server: 'echo',
        what: 'echo_server.c',
        K,
        request: ':version:\\n',
        expect: ':version:',
      });
    }
    if (process.env.BENCH_OPENSIPS24) {
      const os = await startOpenSips(process.env.BENCH_OPENSIPS24, dir, 'legacy', {
        transports: ['udp'],
        mpathEnv: 'BENCH_OPENSIPS24_MPATH',
      });
      for (const instance of os.instances) {
        const server = `opensips ${os.version} ${instance.children}`;
        servers.set(server, instance);
        for (const what of ['version', 'which']) {
          cells.push({ server, what, K: 16, request: LEGACY(what) });
        }
        if (instance.children === 1) {
          cells.push({ server, what: 'version', K: 1, request: LEGACY('version') });
        }
      }
    }
    if (process.env.BENCH_OPENSIPS) {
      const os = await startOpenSips(process.env.BENCH_OPENSIPS, dir, 'jsonrpc', {
        transports: ['udp'],
        childrenCounts: [1],
        mpathEnv: 'BENCH_OPENSIPS_MPATH',
      });
      const server = `opensips ${os.version} 1`;
      servers.set(server, os.instances[0]);
      for (const K of [16, 1]) {
        const request = '{"jsonrpc":"2.0","method":"version","id":1}';
        cells.push({
          server,
          what: 'jsonrpc version',
          K,
          request,
          expect: '{"jsonrpc":"2.0","result"',
        });
      }
    }
    for (const cell of cells) cell.runs = [];
    for (let round = 0; round < repeat; round++) {
      for (const cell of cells) {
        const { address } = servers.get(cell.server);
        cell.runs.push(
          runLoadgen(loadgen, address, cell.K, duration, cell.request, cell.expect ?? '200 OK'),
        );
      }
      process.stderr.write(`bench --udp: round ${round + 1}/${repeat} done\n`);
    }
  } finally {
    for (const server of servers.values()) await stop(server.child);
  }
  const median = (cell) =>
    [...cell.runs].sort((a, b) => a.rps - b.rps)[Math.floor(cell.runs.length / 2)];
  const echoOf = (K) => median(cells.find((c) => c.server === 'echo' && c.K === K));
  const rows = cells.map((cell) => {
    const m = median(cell);
    return {
      server: cell.server,
      what: cell.what,
      K: cell.K,
      rps: m.rps,
      p50: m.p50,
      p99: m.p99,
      errors: m.errors,
      vsEcho: Number((m.rps / echoOf(cell.K).rps).toFixed(3)),
      rounds: cell.runs.map((r) => r.rps).join(' '),
    };
  });
  console.log(
    `legacy UDP, native path vs node:dgram: loadgen.c closed loop, ${duration} s per cell (+1 s warm-up), median of ${repeat} round-robin rounds`,
  );
  console.table(rows);
  return rows;
}
