/**
 * The `mi` CLI end to end: real processes (the built CLI and the built server), real sockets.
 */
import { chmodSync, chownSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeUdpServer, fakeUdpServer, reply } from './helpers/fake-udp.js';
import { type FakeUnixServer, fakeUnixServer } from './helpers/fake-unix.js';
import {
  CLI,
  REPO,
  runCli,
  runNode,
  type SpawnedServer,
  spawnServer,
  tempDir,
} from './helpers/proc.js';

let dir: ReturnType<typeof tempDir>;
/** TMPDIR of every spawned CLI: where its reply sockets go (must be empty afterwards). */
let cliTmp: ReturnType<typeof tempDir>;
let unixServer: SpawnedServer;
let udpServer: SpawnedServer;
let silent: FakeUnixServer;

beforeAll(async () => {
  dir = tempDir();
  cliTmp = tempDir('mi-cli-tmp-');
  chmodSync(cliTmp.path, 0o1777); // also used by the CLI run as `nobody`
  [unixServer, udpServer] = await Promise.all([
    spawnServer(join(dir.path, 'mi.sock')),
    spawnServer('udp:127.0.0.1:0'),
  ]);
  // A bound socket whose owner reads and never answers.
  silent = await fakeUnixServer(dir.path, () => {}, 'silent.sock');
});

afterAll(async () => {
  await Promise.all([unixServer?.stop(), udpServer?.stop(), silent?.close()]);
  expect(readdirSync(cliTmp.path)).toEqual([]);
  cliTmp.remove();
  dir.remove();
});

const mi = (
  args: string[],
  env: Record<string, string> = {},
  extra: Parameters<typeof runCli>[1] = {},
) => runCli(args, { ...extra, env: { TMPDIR: cliTmp.path, ...env } });

/**
 * A copy of the built CLI and the packages it imports, in a directory owned by
 * `uid`/`gid`, for running the CLI as a user that cannot reach the checkout.
 */
function stageCliFor(uid: number, gid: number): { readonly dir: string; readonly path: string } {
  const staged = mkdtempSync(join(tmpdir(), 'mi-cli-as-user-'));
  const copy = (from: string, to: string): void =>
    cpSync(join(REPO, from), join(staged, to), { recursive: true });
  copy('packages/client/package.json', 'client/package.json');
  copy('packages/client/dist', 'client/dist');
  for (const name of ['protocol', 'transport-udp', 'transport-unix']) {
    copy(`packages/${name}/package.json`, `node_modules/@mi-datagram/${name}/package.json`);
    copy(`packages/${name}/dist`, `node_modules/@mi-datagram/${name}/dist`);
  }
  const addon = 'build/Release/unix_dgram.node';
  copy(`packages/transport-unix/${addon}`, `node_modules/@mi-datagram/transport-unix/${addon}`);
  chownSync(staged, uid, gid);
  for (const entry of readdirSync(staged, { recursive: true, encoding: 'utf8' })) {
    chownSync(join(staged, entry), uid, gid);
  }
  return { dir: staged, path: join(staged, 'client/dist/cli.cjs') };
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe.each([
  ['UNIX', () => unixServer.address],
  ['UDP', () => udpServer.address],
])('mi against the server over %s', (_kind, target) => {
  it('prints the status line and the tree; exit 0 for 200', async () => {
    const out = await mi(['-s', target(), 'which']);
    expect(out.status).toBe(0);
    expect(out.stderr).toBe('');
    const text = out.stdout.toString();
    expect(text.startsWith('200 OK\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(true);
    expect(lines(text)).toEqual(expect.arrayContaining(['uptime', 'version', 'echo', 'which']));
  });

  it('sends ARGs as values or name::value, quoting spaces, quotes and newlines', async () => {
    const args = [
      'plain',
      'two words',
      ' padded ',
      'say "hi"',
      'line1\nline2',
      'key::v a l',
      'a::b::c',
    ];
    const out = await mi(['-s', target(), 'echo', ...args]);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    // echo answers one node per argument, as received (PROTOCOL.md 3: values are raw, so a
    // newline reads back as a second line).
    expect(out.stdout.toString()).toBe(
      '200 OK\nplain\ntwo words\n padded \nsay "hi"\nline1\nline2\nkey:: v a l\na:: b::c\n\n',
    );
  });

  it('exit 1 for a non-2xx reply, printed as received (a line reply or a tree)', async () => {
    const missing = await mi(['-s', target(), 'nosuch']);
    expect(missing.status).toBe(1);
    expect(missing.stdout.toString()).toBe('500 command not available\n');
    expect(missing.stderr).toBe('');
    const bad = await mi(['-s', target(), 'log_level', 'abc']);
    expect(bad.status).toBe(1);
    expect(bad.stdout.toString()).toBe('400 Bad parameter\n\n');
  });

  it('MI_SOCKET is the default target', async () => {
    const out = await mi(['version'], { MI_SOCKET: target() });
    expect(out.status).toBe(0);
    expect(out.stdout.toString()).toMatch(/^200 OK\nServer:: /);
  });
});

describe('mi request bytes', () => {
  it('quotes and escapes as the grammar requires (exact datagram seen by a fake server)', async () => {
    const recorder = await fakeUnixServer(dir.path, () => {}, 'recorder.sock');
    try {
      const args = [
        'plain',
        'two words',
        ' padded ',
        'say "hi"',
        'line1\nline2',
        'key::v a l',
        'a::b::c',
        'k::',
      ];
      // The timeout counts from the call's start, reply socket setup included: under load that
      // alone can take longer than a short timeout, and then nothing is sent.
      await mi(['-s', recorder.path, '--timeout', '2000', 'echo', ...args]);
      // The CLI has exited; under load this process may not have read the
      // datagram waiting in its socket yet.
      await vi.waitFor(() => expect(recorder.received.length).toBe(1), { timeout: 5_000 });
      expect(recorder.received[0]?.data.toString()).toBe(
        ':echo:\nplain\ntwo words\n" padded "\n"say \\"hi\\""\n"line1\nline2"\nkey::v a l\na::b::c\nk::\n',
      );
    } finally {
      await recorder.close();
    }
  });
});

describe('mi failures: exit 2 and one line on stderr', () => {
  it('usage errors', async () => {
    for (const args of [[], ['--timeout', 'soon', 'which'], ['--nope', 'which'], ['-s']]) {
      const out = await mi(args);
      expect(out.status).toBe(2);
      expect(lines(out.stderr)).toHaveLength(1);
      expect(out.stderr).toMatch(/^mi: .*mi --help/);
      expect(out.stdout.length).toBe(0);
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const out = await mi(['--help']);
    expect(out.status).toBe(0);
    expect(out.stdout.toString()).toContain(
      'Usage: mi [-s SOCKET]... [--timeout MS] [--json] [--jsonrpc|--legacy] COMMAND [ARG]...',
    );
  });

  it('a socket that never answers: timeout after --timeout ms', async () => {
    const started = Date.now();
    // The timeout also covers opening the reply socket: on a busy machine that alone took over
    // 300 ms, and the request was never sent.
    const out = await mi(['-s', silent.path, '--timeout', '1500', 'which']);
    const elapsed = Date.now() - started;
    expect(out.status).toBe(2);
    expect(out.stderr).toBe(`mi: ${silent.path}: no reply within 1500 ms (nothing answering)\n`);
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    await vi.waitFor(() => expect(silent.received.length).toBeGreaterThan(0), { timeout: 5_000 });
  });

  it('a UDP port nobody listens on: timeout', async () => {
    const out = await mi(['-s', 'udp:127.0.0.1:9', '--timeout', '200', 'which']);
    expect(out.status).toBe(2);
    expect(out.stderr).toBe('mi: udp:127.0.0.1:9: no reply within 200 ms (nothing answering)\n');
  });

  it('a UNIX path that does not exist', async () => {
    const path = join(dir.path, 'missing.sock');
    const out = await mi(['-s', path, 'which']);
    expect(out.status).toBe(2);
    expect(out.stderr).toBe(`mi: ${path}: no such socket (is the server running?)\n`);
  });

  it('permission denied (EACCES from the kernel for the CLI process)', async () => {
    // A live, bound socket the CLI may not write to. Root bypasses file permissions, so when the
    // tests run as root the CLI runs as `nobody` (uid/gid 65534), for whom mode 000 does apply.
    const locked = await fakeUnixServer(dir.path, () => {}, 'locked.sock');
    let staged: string | undefined;
    try {
      chmodSync(dir.path, 0o711); // nobody may traverse the directory, not list it
      chmodSync(locked.path, 0o000);
      const asRoot = process.getuid?.() === 0;
      // `nobody` may not reach the checkout (a clone under /root): it runs a copy of the CLI.
      const cli = asRoot ? stageCliFor(65534, 65534) : undefined;
      staged = cli?.dir;
      const out = await runNode([cli?.path ?? CLI, '-s', locked.path, 'which'], {
        env: { TMPDIR: cliTmp.path },
        ...(cli === undefined ? {} : { uid: 65534, gid: 65534, cwd: cli.dir }),
      });
      expect(out.stderr).toBe(`mi: ${locked.path}: permission denied\n`);
      expect(out.status).toBe(2);
      expect(locked.received).toHaveLength(0);
    } finally {
      if (staged !== undefined) rmSync(staged, { recursive: true, force: true });
      chmodSync(dir.path, 0o700);
      await locked.close();
    }
  });

  it('fan-out: every target concurrently, replies labelled, exit status the worst', async () => {
    const dead = join(dir.path, 'dead.sock');
    const out = await mi([
      '-s',
      unixServer.address,
      '-s',
      dead,
      '-s',
      udpServer.address,
      'version',
    ]);
    expect(out.status).toBe(2);
    expect(out.stderr).toBe(`mi: ${dead}: no such socket (is the server running?)\n`);
    const text = out.stdout.toString();
    expect(text).toMatch(
      new RegExp(
        `^==> ${unixServer.address} <==\\n200 OK\\nServer:: .*\\n\\n==> ${udpServer.address.replace(/[.[\]]/g, '\\$&')} <==\\n200 OK\\nServer:: .*\\n\\n$`,
      ),
    );
    const ok = await mi(['-s', unixServer.address, '-s', udpServer.address, 'uptime']);
    expect(ok.status).toBe(0);
    const mixed = await mi([
      '-s',
      unixServer.address,
      '-s',
      udpServer.address,
      '--json',
      'help',
      'nosuch',
    ]);
    const json = JSON.parse(mixed.stdout.toString());
    expect(json.map((e: { target: string }) => e.target)).toEqual([
      unixServer.address,
      udpServer.address,
    ]);
  });

  it('fan-out --json labels errors too', async () => {
    // A target that fails at once (a generous timeout for the live one: a busy machine is slow).
    const missing = join(dir.path, 'missing.sock');
    const out = await mi([
      '-s',
      unixServer.address,
      '-s',
      missing,
      '--timeout',
      '20000',
      '--json',
      'pwd',
    ]);
    expect(out.status).toBe(2);
    expect(JSON.parse(out.stdout.toString())).toEqual([
      {
        target: unixServer.address,
        result: { WD: expect.any(String) },
      },
      {
        target: missing,
        error: { code: 'TRANSPORT', message: `no such socket: ${missing}`, errno: 'ENOENT' },
      },
    ]);
  });

  it('SIGINT while waiting: the call is aborted, the reply socket removed, exit 130', async () => {
    const tmp = tempDir('mi-sigint-');
    try {
      const pending = runCli(['-s', silent.path, '--timeout', '20000', 'which'], {
        env: { TMPDIR: tmp.path },
      });
      // Once its reply socket exists the CLI is waiting (and handles SIGINT), however busy the
      // machine is.
      await vi.waitFor(() => expect(readdirSync(tmp.path)).not.toEqual([]), {
        timeout: 15_000,
        interval: 20,
      });
      const child = pending.child;
      child.kill('SIGINT');
      const out = await pending;
      expect(out.status).toBe(130);
      expect(out.stderr).toBe(`mi: ${silent.path}: interrupted\n`);
      expect(readdirSync(tmp.path)).toEqual([]);
    } finally {
      tmp.remove();
    }
  });
});

describe('mi --jsonrpc (fake JSON-RPC server over UDP)', () => {
  let rpc: FakeUdpServer;
  beforeAll(async () => {
    rpc = await fakeUdpServer((req, from, sock) => {
      const r = JSON.parse(req.toString());
      const body =
        r.method === 'nosuch'
          ? { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: r.id }
          : { jsonrpc: '2.0', result: { method: r.method, params: r.params ?? null }, id: r.id };
      reply(sock, from, JSON.stringify(body));
    });
  });
  afterAll(async () => {
    await rpc.close();
  });

  it('named and positional params; the result alone as JSON (pipeable); exit 0', async () => {
    const named = await mi(['--jsonrpc', '-s', rpc.target, 'log_level', 'level::3', 'pid::42']);
    expect(named.status).toBe(0);
    expect(named.stderr).toBe('');
    expect(named.stdout.toString()).toBe(
      `${JSON.stringify({ method: 'log_level', params: { level: '3', pid: '42' } }, null, 2)}\n`,
    );
    const positional = await mi(['--jsonrpc', '--json', '-s', rpc.target, 'echo', 'a', 'b c']);
    expect(JSON.parse(positional.stdout.toString())).toEqual({
      method: 'echo',
      params: ['a', 'b c'],
    });
  });

  it('a JSON-RPC error: exit 1, code and message on stderr, nothing on stdout', async () => {
    for (const json of [[], ['--json']]) {
      const out = await mi(['--jsonrpc', ...json, '-s', rpc.target, 'nosuch']);
      expect(out.status).toBe(1);
      expect(out.stdout.length).toBe(0);
      expect(out.stderr).toBe(`mi: ${rpc.target}: error -32601: Method not found\n`);
    }
  });

  it('mixing named and positional ARGs is a usage error', async () => {
    const out = await mi(['--jsonrpc', '-s', rpc.target, 'x', 'a::1', 'b']);
    expect(out.status).toBe(2);
    expect(lines(out.stderr)).toHaveLength(1);
  });
});
