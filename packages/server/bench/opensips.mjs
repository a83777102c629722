// Optional comparison server for `bench/run.mjs --matrix`: a real OpenSIPS 3.x built
// outside the project (BENCH_OPENSIPS=/path/to/opensips; BENCH_OPENSIPS_MPATH = the
// directory holding mi_datagram.so, default <dir of the binary>/modules/mi_datagram in a
// source tree, else <dir of the binary>/modules). Two instances are started in
// the foreground, one with mi_datagram on a UNIX socket and one on UDP (the module
// takes one socket), both with children_count 1, from a config generated under the
// benchmark's temporary directory. Never used by CI.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A UDP port free right now (bound to port 0, then released). */
async function freeUdpPort() {
  const s = createSocket('udp4');
  await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function startOne(bin, mpath, dir, name, socketName) {
  const sipPort = await freeUdpPort();
  const cfg = join(dir, `opensips-${name}.cfg`);
  writeFileSync(
    cfg,
    [
      'log_level=1',
      'stderror_enabled=yes',
      'syslog_enabled=no',
      'udp_workers=1',
      `socket=udp:127.0.0.1:${sipPort}`,
      `mpath="${mpath}"`,
      'loadmodule "proto_udp.so"',
      'loadmodule "mi_datagram.so"',
      `modparam("mi_datagram", "socket_name", "${socketName}")`,
      'modparam("mi_datagram", "children_count", 1)',
      'route { exit; }',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-F', '-f', cfg, '-w', dir, '-m', '64', '-M', '8'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => {
    log = (log + d).slice(-4000);
  });
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (child.exitCode !== null) throw new Error(`opensips (${name}) exited:\n${log}`);
    if (name === 'udp' || existsSync(socketName.replace(/^unix:/, ''))) break;
  }
  await new Promise((r) => setTimeout(r, 500));
  return child;
}

/** Starts OpenSIPS on UNIX and on UDP; `child` stops both (SIGTERM to the UNIX one stops it, the UDP one is tied to it). */
export async function startOpenSips(bin, dir) {
  // A source tree keeps each module in its own folder; an installation, all in one.
  const inTree = join(dirname(bin), 'modules', 'mi_datagram');
  const mpath =
    process.env.BENCH_OPENSIPS_MPATH ??
    (existsSync(join(inTree, 'mi_datagram.so')) ? inTree : join(dirname(bin), 'modules'));
  const unix = join(dir, 'opensips.sock');
  const udpPort = await freeUdpPort();
  const unixChild = await startOne(bin, mpath, dir, 'unix', unix);
  const udpChild = await startOne(bin, mpath, dir, 'udp', `udp:127.0.0.1:${udpPort}`);
  unixChild.once('exit', () => udpChild.kill('SIGTERM'));
  return { child: unixChild, unix, udp: `udp:127.0.0.1:${udpPort}` };
}
