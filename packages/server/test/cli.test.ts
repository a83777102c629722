/**
 * The CLI as users run it (`dist/cli.js` in a child process): configuration
 * errors (exit 2, one line naming the parameter, nothing bound, nothing
 * touched), sources and precedence, signals, `kill`, user modules.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, text } from './helpers/raw.js';
import { killAll, runCli, waitListening } from './helpers/spawn.js';

const EXAMPLES = fileURLToPath(new URL('../examples/commands.mjs', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-cli-test-'));
  await writeFile(join(dir, 'keep.txt'), 'precious\n');
  await writeFile(join(dir, 'not-a-socket'), 'do not remove\n');
  await writeFile(
    join(dir, 'dup.mjs'),
    "export default [{ name: 'a', handler() {} }, { name: 'a', handler() {} }];\n",
  );
  await writeFile(
    join(dir, 'core-dup.mjs'),
    "export default [{ name: 'version', handler() {} }];\n",
  );
  await writeFile(join(dir, 'colon.mjs'), "export default [{ name: 'a:b', handler() {} }];\n");
  await writeFile(join(dir, 'newline.mjs'), "export default [{ name: 'a\\nb', handler() {} }];\n");
  await writeFile(join(dir, 'empty-name.mjs'), "export default [{ name: '', handler() {} }];\n");
  await writeFile(join(dir, 'number-name.mjs'), 'export default [{ name: 42, handler() {} }];\n');
  await writeFile(join(dir, 'no-handler.mjs'), "export default [{ name: 'x' }];\n");
  await writeFile(join(dir, 'not-array.mjs'), "export default { name: 'x', handler() {} };\n");
  await writeFile(join(dir, 'syntax.mjs'), 'export default [;\n');
  await writeFile(
    join(dir, 'extra.mjs'),
    [
      'export default [',
      "  { name: 'nested', handler: () => ({ nodes: [{ name: 'a', value: '1', children: [{ name: 'b', value: '2' }] }] }) },",
      "  { name: 'leak', handler() { Promise.reject(new Error('stray rejection')); setTimeout(() => { throw new Error('stray throw'); }, 1); } },",
      "  { name: 'slow', async handler() { await new Promise((r) => setTimeout(r, 300)); return { nodes: [{ value: 'done' }] }; } },",
      '];',
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'bad.json'), '{ "socket_timeout": ');
  await writeFile(join(dir, 'unknown-key.json'), '{ "socket_timout": 5 }');
  await writeFile(join(dir, 'neg-timeout.json'), '{ "socket_timeout": -1 }');
  await writeFile(
    join(dir, 'bad.cfg'),
    '# comment\nloadmodule "mi_datagram.so"\nmodparam("mi_datagram", "children_count", "many")\n',
  );
});

afterEach(async () => {
  await killAll();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function snapshot(): Promise<string> {
  const names = (await readdir(dir)).sort();
  const parts: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const st = await stat(path);
    parts.push(`${name}:${st.isFile() ? await readFile(path, 'latin1') : 'other'}:${st.mode}`);
  }
  return parts.join('|');
}

const sock = () => join(dir, 'mi.sock');

const CONFIG_ERRORS: Array<[string, string[], string]> = [
  ['socket_timeout not a number', ['--socket-timeout', 'abc'], 'socket_timeout'],
  ['socket_timeout negative', ['--socket-timeout=-5'], 'socket_timeout'],
  ['children_count 0', ['--children-count', '0'], 'children_count'],
  ['children_count too big', ['--children-count', '1025'], 'children_count'],
  ['unix_socket_mode not octal', ['--unix-socket-mode', '0999'], 'unix_socket_mode'],
  ['unix_socket_mode too big', ['--unix-socket-mode', '1777'], 'unix_socket_mode'],
  ['unknown unix_socket_user', ['--unix-socket-user', 'no_such_user_mi'], 'unix_socket_user'],
  ['unknown unix_socket_group', ['--unix-socket-group', 'no_such_group_mi'], 'unix_socket_group'],
  ['reply_indent with a newline', ['--reply-indent', 'a\nb'], 'reply_indent'],
  ['log_level out of range', ['--log-level', '9'], 'log_level'],
  ['UDP port out of range', ['--socket-name', 'udp:127.0.0.1:99999'], 'socket_name'],
  ['UDP bad host', ['--socket-name', 'udp:[zz]:4000'], 'socket_name'],
  ['UDP no port', ['--socket-name', 'udp:127.0.0.1'], 'socket_name'],
  ['UNIX path too long', ['--socket-name', `/tmp/${'x'.repeat(120)}`], 'socket_name'],
  ['unknown option', ['--bogus', '1'], '--bogus'],
  ['missing value', ['--socket-timeout'], 'socket_timeout'],
  ['--config unreadable', ['--config', '/nonexistent/x.json'], '--config'],
  ['--config bad JSON', ['--config', 'bad.json'], '--config'],
  ['--config unknown key', ['--config', 'unknown-key.json'], 'socket_timout'],
  ['--config bad value', ['--config', 'neg-timeout.json'], 'socket_timeout'],
  ['--opensips-cfg bad value', ['--opensips-cfg', 'bad.cfg'], 'children_count'],
  ['--commands missing file', ['--commands', 'nonexistent.mjs'], 'commands'],
  ['--commands duplicate names', ['--commands', 'dup.mjs'], 'commands'],
  ['--commands duplicate of a core command', ['--commands', 'core-dup.mjs'], 'commands'],
  ['--commands name with ":"', ['--commands', 'colon.mjs'], 'commands'],
  ['--commands name with a newline', ['--commands', 'newline.mjs'], 'commands'],
  ['--commands empty name', ['--commands', 'empty-name.mjs'], 'commands'],
  ['--commands non-string name', ['--commands', 'number-name.mjs'], 'commands'],
  ['--commands without handler', ['--commands', 'no-handler.mjs'], 'commands'],
  ['--commands default export not an array', ['--commands', 'not-array.mjs'], 'commands'],
  ['--commands syntax error', ['--commands', 'syntax.mjs'], 'commands'],
  ['socket_name is a regular file', ['--socket-name', 'not-a-socket'], 'socket_name'],
];

describe('configuration errors: exit 2, one line naming the parameter, nothing bound or touched', () => {
  it.each(CONFIG_ERRORS)('%s', async (_label, args, parameter) => {
    const before = await snapshot();
    const withSocket = args.includes('--socket-name') ? args : ['--socket-name', sock(), ...args];
    const run = runCli(withSocket, { cwd: dir });
    expect(await run.exited).toBe(2);
    const lines = run
      .stderr()
      .split('\n')
      .filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(parameter);
    expect(lines[0]).toMatch(/^mi-datagram-server: /);
    expect(run.stdout()).not.toContain('listening');
    expect(existsSync(sock())).toBe(false);
    expect(await snapshot()).toBe(before);
  });
});

describe('running', () => {
  it('--help and --version', async () => {
    const help = runCli(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('--socket-name');
    expect(help.stdout()).toContain(
      'Precedence: command line > --config > --opensips-cfg > defaults',
    );
    const version = runCli(['--version']);
    expect(await version.exited).toBe(0);
    expect(version.stdout()).toBe('mi-datagram-server 0.1.0\n');
  });

  it('SIGTERM: finishes in-flight requests, removes the socket file, exits 0', async () => {
    const run = runCli(['--socket-name', sock(), '--commands', join(dir, 'extra.mjs')]);
    const [address] = await waitListening(run);
    expect(address).toBe(sock());
    expect((await stat(sock())).isSocket()).toBe(true);
    expect((await stat(sock())).mode & 0o777).toBe(0o660);
    const client = await clientFor(sock(), dir);
    try {
      expect(text(await client.request(':version:\n'))).toMatch(/^200 OK\nServer:: mi-datagram/);
      client.send(':slow:\n');
      await new Promise((r) => setTimeout(r, 50));
      run.child.kill('SIGTERM');
      expect(text(await client.next(3000))).toBe('200 OK\ndone\n\n');
      expect(await run.exited).toBe(0);
    } finally {
      await client.close();
    }
    expect(existsSync(sock())).toBe(false);
  });

  it('SIGINT exits 0 too', async () => {
    const run = runCli(['--socket-name', sock()]);
    await waitListening(run);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(existsSync(sock())).toBe(false);
  });

  it('kill: replies 200 OK, then shuts down cleanly', async () => {
    const run = runCli(['--socket-name', sock()]);
    await waitListening(run);
    const client = await clientFor(sock(), dir);
    try {
      expect(text(await client.request(':kill:\n'))).toBe('200 OK\n\n');
    } finally {
      await client.close();
    }
    expect(await run.exited).toBe(0);
    expect(existsSync(sock())).toBe(false);
  });

  it('--commands (repeatable) and stray errors from handlers do not stop the server', async () => {
    const run = runCli([
      '--socket-name',
      sock(),
      '--socket-name',
      'udp:127.0.0.1:0',
      '--commands',
      EXAMPLES,
      '--commands',
      join(dir, 'extra.mjs'),
      '--reply-indent',
      '  ',
    ]);
    const addresses = await waitListening(run);
    expect(addresses[0]).toBe(sock());
    expect(addresses[1]).toMatch(/^udp:127\.0\.0\.1:[1-9][0-9]*$/);
    for (const address of addresses) {
      const client = await clientFor(address, dir);
      try {
        expect(text(await client.request(':echo:\nx::1\ny\n'))).toBe('200 OK\nx:: 1\ny\n\n');
        expect(text(await client.request(':help:\necho\n'))).toMatch(/Exported by:: example\n\n$/);
        expect(text(await client.request(':help:\nnested\n'))).toMatch(/Exported by:: extra\n\n$/);
        expect(text(await client.request(':nested:\n'))).toBe('200 OK\na:: 1\n  b:: 2\n\n');
        expect(text(await client.request(':leak:\n'))).toBe('200 OK\n\n');
        await new Promise((r) => setTimeout(r, 30));
        expect(text(await client.request(':version:\n'))).toMatch(/^200 OK\n/);
      } finally {
        await client.close();
      }
    }
    expect(run.stderr()).toContain('stray rejection');
    expect(run.stderr()).toContain('stray throw');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('--opensips-cfg, --config and flags: precedence command line > config > opensips cfg', async () => {
    const cfg = join(dir, 'opensips.cfg');
    await writeFile(
      cfg,
      [
        '#### OpenSIPS config',
        'log_level=3',
        'loadmodule "mi_datagram.so"',
        'modparam("mi_fifo", "fifo_name", "/tmp/x_fifo")',
        '# modparam("mi_datagram", "socket_name", "/commented/out.sock")',
        `modparam("mi_datagram", "socket_name", "${join(dir, 'from-cfg.sock')}")`,
        'modparam("mi_datagram", "children_count", 1)',
        'modparam("mi_datagram", "unix_socket_mode", "0600")',
        'modparam("mi_datagram", "reply_indent", "->")  /* block',
        'comment */ modparam("mi_datagram",',
        '         "socket_timeout", 500)',
        'route { if (1) { xlog("modparam(\\"mi_datagram\\", \\"x\\", 1)"); } }',
        '',
      ].join('\n'),
    );
    const extra = join(dir, 'extra.mjs');

    const a = runCli(['--opensips-cfg', cfg, '--commands', extra]);
    expect(await waitListening(a)).toEqual([join(dir, 'from-cfg.sock')]);
    expect((await stat(join(dir, 'from-cfg.sock'))).mode & 0o777).toBe(0o600);
    const client = await clientFor(join(dir, 'from-cfg.sock'), dir);
    try {
      expect(text(await client.request(':nested:\n'))).toBe('200 OK\na:: 1\n->b:: 2\n\n');
    } finally {
      await client.close();
    }
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);

    const json = join(dir, 'server.json');
    await writeFile(
      json,
      JSON.stringify({
        socket_name: join(dir, 'from-json.sock'),
        unix_socket_mode: '0640',
        commands: ['extra.mjs'],
      }),
    );
    const b = runCli(['--opensips-cfg', cfg, '--config', json]);
    expect(await waitListening(b)).toEqual([join(dir, 'from-json.sock')]);
    expect((await stat(join(dir, 'from-json.sock'))).mode & 0o777).toBe(0o640);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);

    const c = runCli([
      '--opensips-cfg',
      cfg,
      '--config',
      json,
      '--socket-name',
      sock(),
      '--unix-socket-mode',
      '660',
    ]);
    expect(await waitListening(c)).toEqual([sock()]);
    expect((await stat(sock())).mode & 0o777).toBe(0o660);
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(existsSync(join(dir, 'from-cfg.sock'))).toBe(false);
    expect(existsSync(join(dir, 'from-json.sock'))).toBe(false);
  });

  it('warns about a UDP port below 1024', async () => {
    const run = runCli(['--socket-name', 'udp:127.0.0.1:1023']);
    const exited = await Promise.race([run.exited, waitListening(run).then(() => 'listening')]);
    expect(run.stderr()).toMatch(/port 1023 is below 1024/);
    if (exited === 'listening') {
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } else {
      expect(exited).toBe(1); // not allowed to bind a privileged port
    }
  });
});
