/**
 * Issue 8 over real sockets: several listeners with different levels in one
 * server, refusals without side effects, the UDP allowlist (silent drop,
 * counted), per-source rate limits (UDP and UNIX), and `mi_stats` after a
 * known sequence of requests. UDP sources other than 127.0.0.1 are loopback
 * addresses (Linux lets a socket bind 127.0.0.2).
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  defineCommand,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from '../src/index.js';
import { clientFor, parseLegacyReply, type RawClient, text, udpTarget } from './helpers/raw.js';

let dir: string;
const servers: RunningServer[] = [];
const clients: RawClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-access-'));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 100 })));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Side effects of the test commands. */
interface Effects {
  bumps: number;
  kills: number;
}

function commandsFor(effects: Effects) {
  return [
    // No level: a user command defaults to admin.
    defineCommand({
      name: 'bump',
      handler() {
        effects.bumps++;
        return { nodes: [{ name: 'bumps', value: String(effects.bumps) }] };
      },
    }),
    defineCommand({
      name: 'op_bump',
      level: 'operator',
      handler() {
        effects.bumps++;
      },
    }),
    defineCommand({
      name: 'peek',
      level: 'read',
      handler: () => ({ nodes: [{ name: 'bumps', value: String(effects.bumps) }] }),
    }),
    defineCommand({
      name: 'echo',
      level: 'read',
      handler: (request) => ({
        nodes: request.args.map((a) => ({ name: a.name, value: a.value })),
      }),
    }),
  ];
}

async function start(
  options: StartServerOptions,
): Promise<{ running: RunningServer; effects: Effects }> {
  const effects: Effects = { bumps: 0, kills: 0 };
  const running = await startServer({
    commands: commandsFor(effects),
    onKill: () => {
      effects.kills++;
    },
    logger: createLogger({ write: () => undefined }),
    ...options,
  });
  servers.push(running);
  return { running, effects };
}

async function client(address: string): Promise<RawClient> {
  const c = await clientFor(address, dir);
  clients.push(c);
  return c;
}

/** A UDP client bound to `local` (e.g. 127.0.0.2), talking to the server `address`. */
async function udpFrom(local: string, address: string): Promise<RawClient> {
  const { host, port } = udpTarget(address);
  const socket: Socket = createSocket({ type: local.includes(':') ? 'udp6' : 'udp4' });
  const replies: Buffer[] = [];
  let waiter: ((b: Buffer | null) => void) | null = null;
  socket.on('message', (msg) => {
    if (waiter !== null) {
      const w = waiter;
      waiter = null;
      w(msg);
    } else {
      replies.push(msg);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, local, () => resolve());
  });
  const next = (timeoutMs = 2000): Promise<Buffer | null> => {
    const queued = replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiter = null;
        resolve(null);
      }, timeoutMs);
      waiter = (b) => {
        clearTimeout(timer);
        resolve(b);
      };
    });
  };
  const send = (data: Uint8Array | string) =>
    socket.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, port, host);
  const c: RawClient = {
    send,
    next,
    async request(data, timeoutMs = 2000) {
      send(data);
      const reply = await next(timeoutMs);
      if (reply === null) throw new Error(`no reply within ${timeoutMs} ms`);
      return reply;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  clients.push(c);
  return c;
}

const ask = async (c: RawClient, request: string): Promise<string | null> =>
  text(await c.request(request));

describe('two listeners with different levels in one server', () => {
  it('UNIX admin and UDP read: the read listener refuses admin commands, which never run', async () => {
    const { running, effects } = await start({
      sockets: [
        { socket_name: join(dir, 'admin.sock') },
        { socket_name: 'udp:127.0.0.1:0', level: 'read' },
      ],
    });
    const [unixAddress, udpAddress] = running.addresses as [string, string];
    expect(udpAddress).toMatch(/^udp:127\.0\.0\.1:\d+$/);
    const admin = await client(unixAddress);
    const reader = await client(udpAddress);

    // Refused: exactly the line, no side effect.
    expect(await ask(reader, ':bump:\n')).toBe('403 Permission denied\n');
    expect(await ask(reader, ':op_bump:\n')).toBe('403 Permission denied\n');
    expect(await ask(reader, ':kill:\n')).toBe('403 Permission denied\n');
    expect(await ask(reader, ':log_level:\n3\n')).toBe('403 Permission denied\n');
    expect(effects).toEqual({ bumps: 0, kills: 0 });
    expect(running.logger.level).toBe(2);

    // Still serving, on both listeners; read commands run on the read listener.
    expect(await ask(reader, ':version:\n')).toMatch(/^200 OK\nServer:: mi-datagram /);
    expect(await ask(reader, ':which:\n')).toMatch(/^200 OK\n/);
    expect(await ask(reader, ':peek:\n')).toBe('200 OK\nbumps:: 0\n\n');
    expect(await ask(reader, ':log_level:\n')).toMatch(/^200 OK\nProcess:: /);
    expect(await ask(reader, ':mi_stats:\n')).toMatch(/^200 OK\nRequests:: /);

    // The admin listener runs them.
    expect(await ask(admin, ':bump:\n')).toBe('200 OK\nbumps:: 1\n\n');
    expect(await ask(admin, ':log_level:\n3\n')).toBe('200 OK\nNew global log level:: 3\n\n');
    expect(running.logger.level).toBe(3);
    expect(await ask(admin, ':kill:\n')).toBe('200 OK\n\n');
    await new Promise((r) => setTimeout(r, 20));
    expect(effects).toEqual({ bumps: 1, kills: 1 });

    const stats = running.server.stats();
    expect(stats.refused).toBe(4);
    expect(stats.listeners.map((l) => [l.address, l.level, l.refused])).toEqual([
      [unixAddress, 'admin', 0],
      [udpAddress, 'read', 4],
    ]);
  });

  it('an operator listener runs read and operator commands, not admin ones', async () => {
    const { running, effects } = await start({
      socket_name: join(dir, 'op.sock'),
      level: 'operator',
    });
    const c = await client(running.addresses[0] as string);
    expect(await ask(c, ':op_bump:\n')).toBe('200 OK\n\n');
    expect(await ask(c, ':peek:\n')).toBe('200 OK\nbumps:: 1\n\n');
    expect(await ask(c, ':bump:\n')).toBe('403 Permission denied\n');
    expect(await ask(c, ':kill:\n')).toBe('403 Permission denied\n');
    expect(effects).toEqual({ bumps: 1, kills: 0 });
  });

  it('UDP over IPv6 with its own level', async () => {
    const { running, effects } = await start({
      sockets: [{ socket_name: 'udp:[::1]:0', level: 'read' }],
    });
    const c = await client(running.addresses[0] as string);
    expect(await ask(c, ':bump:\n')).toBe('403 Permission denied\n');
    expect(await ask(c, ':echo:\nx\n')).toBe('200 OK\nx\n\n');
    expect(effects.bumps).toBe(0);
  });

  it('the CLI defaults: UNIX and loopback UDP are admin', async () => {
    const { running, effects } = await start({
      socket_name: [join(dir, 'default.sock'), 'udp:127.0.0.1:0'],
    });
    for (const address of running.addresses) {
      const c = await client(address);
      expect(await ask(c, ':bump:\n')).toMatch(/^200 OK\n/);
    }
    expect(effects.bumps).toBe(2);
  });
});

describe('UDP allowlist', () => {
  it('drops other sources without a reply, before running anything, and counts them', async () => {
    const { running, effects } = await start({
      socket_name: 'udp:127.0.0.1:0',
      allow_from: ['127.0.0.1/32'],
    });
    const address = running.addresses[0] as string;
    const allowed = await udpFrom('127.0.0.1', address);
    const other = await udpFrom('127.0.0.2', address);

    other.send(':bump:\n');
    other.send(':kill:\n');
    other.send(':version:\n');
    other.send('garbage');
    other.send('{"jsonrpc":"2.0","method":"bump","id":1}');
    expect(await other.next(300)).toBeNull();
    // The allowed source is served (and its request is after the dropped ones).
    expect(await ask(allowed, ':peek:\n')).toBe('200 OK\nbumps:: 0\n\n');
    expect(await other.next(100)).toBeNull();
    expect(effects).toEqual({ bumps: 0, kills: 0 });

    const stats = running.server.stats();
    expect(stats.allowlistDropped).toBe(5);
    expect(stats.received).toBe(1); // dropped datagrams never reach the pipeline
    expect(stats.listeners[0]?.allowlistDropped).toBe(5);
    expect(await ask(allowed, ':mi_stats:\n')).toContain('\nAllowlist dropped:: 5\n');
  });

  it('a loopback bind serves loopback sources only by default (127.0.0.0/8)', async () => {
    const { running } = await start({ socket_name: 'udp:127.0.0.1:0' });
    const c = await udpFrom('127.0.0.2', running.addresses[0] as string);
    expect(await ask(c, ':echo:\nfrom 127.0.0.2\n')).toBe('200 OK\nfrom 127.0.0.2\n\n');
    expect(running.config.sockets[0]?.policy.allow_from).toEqual(['127.0.0.0/8', '::1/128']);
  });

  it('IPv6: ::1 passes ::1/128, not an IPv4-only list', async () => {
    const { running } = await start({
      sockets: [
        { socket_name: 'udp:[::1]:0', allow_from: ['::1'] },
        { socket_name: 'udp:[::1]:0', allow_from: ['127.0.0.0/8'] },
      ],
    });
    const [open, closed] = running.addresses as [string, string];
    const a = await udpFrom('::1', open);
    const b = await udpFrom('::1', closed);
    expect(await ask(a, ':echo:\nv6\n')).toBe('200 OK\nv6\n\n');
    b.send(':echo:\nv6\n');
    expect(await b.next(300)).toBeNull();
    expect(running.server.stats().listeners.map((l) => l.allowlistDropped)).toEqual([0, 1]);
  });
});

describe('rate limits', () => {
  it('UDP, per source address: over the limit 429 exactly, the command does not run', async () => {
    const { running, effects } = await start({
      socket_name: 'udp:127.0.0.1:0',
      rate_limit: 3,
    });
    const address = running.addresses[0] as string;
    const a = await udpFrom('127.0.0.1', address);
    const b = await udpFrom('127.0.0.2', address);
    const replies: Array<string | null> = [];
    for (let i = 0; i < 5; i++) replies.push(await ask(a, ':bump:\n'));
    expect(replies.slice(0, 3).map((r) => r?.slice(0, 7))).toEqual([
      '200 OK\n',
      '200 OK\n',
      '200 OK\n',
    ]);
    expect(replies.slice(3)).toEqual(['429 rate limit exceeded\n', '429 rate limit exceeded\n']);
    expect(effects.bumps).toBe(3);
    // Another source address has its own bucket.
    expect(await ask(b, ':bump:\n')).toMatch(/^200 OK\n/);
    expect(effects.bumps).toBe(4);
    // A second client port on the same address shares the first one's bucket.
    const a2 = await udpFrom('127.0.0.1', address);
    expect(await ask(a2, ':bump:\n')).toBe('429 rate limit exceeded\n');
    expect(effects.bumps).toBe(4);
    // Tokens come back at the rate (3/s: one every 333 ms).
    await new Promise((r) => setTimeout(r, 400));
    expect(await ask(a, ':bump:\n')).toMatch(/^200 OK\n/);
    expect(await ask(a, ':bump:\n')).toBe('429 rate limit exceeded\n');
    expect(effects.bumps).toBe(5);
    expect(running.server.stats().rateLimited).toBe(4);
  });

  it('UNIX: per peer path, with its own limit beside an unlimited listener', async () => {
    const { running, effects } = await start({
      sockets: [
        { socket_name: join(dir, 'limited.sock'), rate_limit: 2 },
        { socket_name: join(dir, 'free.sock') },
      ],
    });
    const [limited, free] = running.addresses as [string, string];
    const c1 = await client(limited);
    const c2 = await client(limited);
    expect(await ask(c1, ':bump:\n')).toMatch(/^200/);
    expect(await ask(c1, ':bump:\n')).toMatch(/^200/);
    expect(await ask(c1, ':bump:\n')).toBe('429 rate limit exceeded\n');
    expect(await ask(c2, ':bump:\n')).toMatch(/^200/); // another path, another bucket
    expect(effects.bumps).toBe(3);
    const f = await client(free);
    for (let i = 0; i < 10; i++) expect(await ask(f, ':peek:\n')).toMatch(/^200/);
    expect(running.server.stats().listeners.map((l) => [l.rateLimited, l.sources])).toEqual([
      [1, 2],
      [0, 0],
    ]);
  });

  it('JSON-RPC gets a JSON-RPC error with code 429', async () => {
    const { running, effects } = await start({ socket_name: 'udp:127.0.0.1:0', rate_limit: 1 });
    const c = await udpFrom('127.0.0.1', running.addresses[0] as string);
    const call = async (id: number) =>
      JSON.parse(
        (await c.request(JSON.stringify({ jsonrpc: '2.0', method: 'bump', id }))).toString('utf8'),
      ) as unknown;
    expect(await call(1)).toMatchObject({ id: 1, result: expect.anything() });
    expect(await call(2)).toEqual({
      jsonrpc: '2.0',
      error: { code: 429, message: 'rate limit exceeded' },
      id: 2,
    });
    expect(effects.bumps).toBe(1);
  });
});

describe('mi_stats', () => {
  it('reports the numbers of a known sequence of requests', async () => {
    const { running } = await start({
      sockets: [
        { socket_name: join(dir, 'stats.sock') },
        { socket_name: 'udp:127.0.0.1:0', level: 'read', allow_from: ['127.0.0.1'], rate_limit: 4 },
      ],
    });
    const [unixAddress, udpAddress] = running.addresses as [string, string];
    const u = await client(unixAddress);
    const r = await udpFrom('127.0.0.1', udpAddress);
    const outsider = await udpFrom('127.0.0.2', udpAddress);

    // UNIX (admin, unlimited): 3 version, 2 bump, 1 unknown, 1 parse error, 1 echo.
    for (let i = 0; i < 3; i++) await ask(u, ':version:\n');
    await ask(u, ':bump:\n');
    await ask(u, ':bump:\n');
    expect(await ask(u, ':nope:\n')).toBe('500 command not available\n');
    expect(await ask(u, ':echo:\n"unterminated\n')).toBe('400 parse_error\n');
    await ask(u, ':echo:\na\n');
    // UDP (read, 4/s): 1 refused (kill), 3 peek, then 2 rate-limited.
    expect(await ask(r, ':kill:\n')).toBe('403 Permission denied\n');
    for (let i = 0; i < 3; i++) expect(await ask(r, ':peek:\n')).toMatch(/^200/);
    expect(await ask(r, ':peek:\n')).toBe('429 rate limit exceeded\n');
    expect(await ask(r, ':peek:\n')).toBe('429 rate limit exceeded\n');
    // 2 datagrams from outside the allowlist.
    outsider.send(':peek:\n');
    outsider.send(':kill:\n');
    expect(await outsider.next(300)).toBeNull();
    // An empty datagram (no reply) on UNIX.
    u.send('');
    await new Promise((res) => setTimeout(res, 50));

    const reply = (await ask(u, ':mi_stats:\n')) as string;
    expect(reply.startsWith('200 OK\n')).toBe(true);
    expect(reply.endsWith('\n\n')).toBe(true);
    const { lines, nodes } = parseLegacyReply(reply);
    // Requests: 8 on UNIX + 1 empty + 6 on UDP + mi_stats itself = 16.
    expect(Object.fromEntries(lines)).toMatchObject({
      Requests: '16',
      // 2xx: 3 version + 2 bump + echo + 3 peek = 9
      'Replies 2xx': '9',
      // 4xx: parse error, 403, 2 × 429
      'Replies 4xx': '4',
      'Replies 5xx': '1',
      'Replies other': '0',
      'Parse errors': '1',
      'Unknown commands': '1',
      'Too large': '0',
      Empty: '1',
      Unanswerable: '0',
      'Dropped replies': '0',
      Refused: '1',
      'Allowlist dropped': '2',
      'Rate limited': '2',
    });
    const listeners = nodes.filter((n) => n.name === 'Listener');
    expect(listeners).toEqual([
      {
        name: 'Listener',
        value: unixAddress,
        attrs: {
          level: 'admin',
          requests: '10',
          allowlist_dropped: '0',
          refused: '0',
          rate_limited: '0',
          sources: '0',
        },
      },
      {
        name: 'Listener',
        value: udpAddress,
        attrs: {
          level: 'read',
          requests: '6',
          allowlist_dropped: '2',
          refused: '1',
          rate_limited: '2',
          sources: '1',
        },
      },
    ]);
    const commands = new Map(
      nodes.filter((n) => n.name === 'Command').map((n) => [n.value, n.attrs] as const),
    );
    // Only commands that ran (refused and rate-limited ones did not).
    expect([...commands.keys()]).toEqual(['bump', 'echo', 'peek', 'version']);
    expect(commands.get('version')?.calls).toBe('3');
    expect(commands.get('bump')?.calls).toBe('2');
    expect(commands.get('peek')?.calls).toBe('3');
    expect(commands.get('echo')?.calls).toBe('1');
    for (const attrs of commands.values()) {
      const [p50, p90, p99, max] = ['p50_us', 'p90_us', 'p99_us', 'max_us'].map((k) =>
        Number(attrs[k]),
      ) as [number, number, number, number];
      expect(p50).toBeGreaterThanOrEqual(0);
      expect(p50).toBeLessThanOrEqual(p90);
      expect(p90).toBeLessThanOrEqual(p99);
      expect(p99).toBeLessThanOrEqual(max);
      expect(max).toBeLessThan(1_000_000);
    }

    // JSON-RPC: the same numbers as JSON.
    const json = JSON.parse(
      (await u.request(JSON.stringify({ jsonrpc: '2.0', method: 'mi_stats', id: 7 }))).toString(
        'utf8',
      ),
    ) as { result: Record<string, unknown> };
    expect(json.result).toMatchObject({
      requests: 17,
      replies: { '2xx': 10, '4xx': 4, '5xx': 1, other: 0 },
      parse_errors: 1,
      refused: 1,
      allowlist_dropped: 2,
      rate_limited: 2,
    });
    expect((json.result.commands as Array<{ name: string }>).map((c) => c.name)).toContain(
      'mi_stats',
    );
  });

  it('slow handlers show in the latency percentiles', async () => {
    const { running } = await start({
      socket_name: join(dir, 'slow.sock'),
      commands: [
        defineCommand({
          name: 'slow',
          level: 'read',
          async handler() {
            await new Promise((r) => setTimeout(r, 30));
          },
        }),
      ],
    });
    const c = await client(running.addresses[0] as string);
    for (let i = 0; i < 3; i++) expect(await ask(c, ':slow:\n')).toBe('200 OK\n\n');
    const slow = running.server.stats().commands.find((s) => s.name === 'slow');
    expect(slow?.calls).toBe(3);
    expect(slow?.p50Us).toBeGreaterThanOrEqual(25_000);
    expect(slow?.maxUs).toBeLessThan(2_000_000);
  });
});
