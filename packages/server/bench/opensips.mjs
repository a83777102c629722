// Optional comparison servers for `bench/run.mjs --matrix` (and `--udp`): real OpenSIPS
// binaries built outside the project, never used by CI.
//
// BENCH_OPENSIPS24=/path/to/opensips: an OpenSIPS 2.x (mi_datagram speaks the legacy text
// protocol), compared with our legacy cells. BENCH_OPENSIPS=/path/to/opensips: an
// OpenSIPS 3.x (mi_datagram speaks JSON-RPC), compared with our JSON-RPC cells.
// BENCH_OPENSIPS24_MPATH / BENCH_OPENSIPS_MPATH: the directory holding the modules,
// default <dir of the binary>/modules (a source tree, where each module sits in its own
// folder, or an installation, where they are all in one: OpenSIPS finds both).
//
// mi_datagram takes one socket, so every (transport, children_count) pair is its own
// instance, started in the foreground from a config generated under the benchmark's
// temporary directory. cachedb_local is loaded when it was built: it adds the
// cache_*_chunk commands, so that `which` lists what the recorded servers listed
// (21 names on 2.4, 40 on 3.6).
import { execFileSync, spawn } from 'node:child_process';
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

/** `2.4.11` from `opensips -V`. */
function versionOf(bin) {
  const out = execFileSync(bin, ['-V'], { encoding: 'utf8' });
  const m = /version: opensips (\d+)\.(\d+)\.(\d+)/.exec(out);
  if (!m) throw new Error(`${bin} -V: no OpenSIPS version in:\n${out}`);
  return { full: `${m[1]}.${m[2]}.${m[3]}`, major: Number(m[1]) };
}

const hasModule = (mpath, name) =>
  existsSync(join(mpath, `${name}.so`)) || existsSync(join(mpath, name, `${name}.so`));

/** The core part of the config: 2.x and 3.x name the same settings differently. */
function coreConfig(major, sipPort) {
  if (major < 3) {
    return ['log_level=1', 'log_stderror=yes', 'children=1', `listen=udp:127.0.0.1:${sipPort}`];
  }
  return [
    'log_level=1',
    'stderror_enabled=yes',
    'syslog_enabled=no',
    'udp_workers=1',
    `socket=udp:127.0.0.1:${sipPort}`,
  ];
}

/** Waits until the instance answers `probe` over UDP (retrying), or throws with its log. */
async function waitUdp(child, port, probe, name, log) {
  const s = createSocket('udp4');
  try {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`opensips (${name}) exited:\n${log()}`);
      const answered = new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), 100);
        s.once('message', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      s.send(probe, port, '127.0.0.1');
      if (await answered) return;
    }
    throw new Error(`opensips (${name}) did not answer on udp:127.0.0.1:${port}:\n${log()}`);
  } finally {
    s.removeAllListeners('message');
    s.close();
  }
}

async function startOne(bin, major, mpath, dir, name, transport, children) {
  const sipPort = await freeUdpPort();
  const udpPort = transport === 'udp' ? await freeUdpPort() : 0;
  const address = transport === 'unix' ? join(dir, `${name}.sock`) : `udp:127.0.0.1:${udpPort}`;
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(
    cfg,
    [
      ...coreConfig(major, sipPort),
      `mpath="${mpath}"`,
      'loadmodule "proto_udp.so"',
      ...(hasModule(mpath, 'cachedb_local') ? ['loadmodule "cachedb_local.so"'] : []),
      'loadmodule "mi_datagram.so"',
      `modparam("mi_datagram", "socket_name", "${address}")`,
      `modparam("mi_datagram", "children_count", ${children})`,
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
  try {
    await ready(child, major, transport, address, udpPort, name, () => log);
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }
  return { transport, children, address, child };
}

async function ready(child, major, transport, address, udpPort, name, log) {
  if (transport === 'udp') {
    const probe = major < 3 ? ':version:\n' : '{"jsonrpc":"2.0","method":"version","id":1}';
    await waitUdp(child, udpPort, probe, name, log);
  } else {
    for (let i = 0; i < 100 && !existsSync(address); i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (child.exitCode !== null) throw new Error(`opensips (${name}) exited:\n${log()}`);
    }
    if (!existsSync(address)) throw new Error(`opensips (${name}) made no socket:\n${log()}`);
    // The socket exists before the children_count processes serve it.
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Starts one OpenSIPS instance per transport × children_count. `protocol`: what its
 * mi_datagram must speak (`legacy`: 2.x, `jsonrpc`: 3.x). Returns the version and the
 * instances ({transport, children, address, child}); the caller stops each child.
 */
export async function startOpenSips(bin, dir, protocol, options = {}) {
  const { transports = ['unix', 'udp'], childrenCounts = [1, 2], mpathEnv } = options;
  const version = versionOf(bin);
  if ((protocol === 'legacy') !== version.major < 3) {
    throw new Error(
      `${bin} is OpenSIPS ${version.full}: the ${protocol} cells need ${protocol === 'legacy' ? '2.x (BENCH_OPENSIPS24)' : '3.x (BENCH_OPENSIPS)'}`,
    );
  }
  const mpath = (mpathEnv && process.env[mpathEnv]) || join(dirname(bin), 'modules');
  const instances = [];
  try {
    for (const transport of transports) {
      for (const children of childrenCounts) {
        const name = `opensips-${version.full}-${transport}-${children}`;
        instances.push(await startOne(bin, version.major, mpath, dir, name, transport, children));
      }
    }
  } catch (e) {
    for (const { child } of instances) child.kill('SIGTERM');
    throw e;
  }
  return { version: version.full, instances };
}
