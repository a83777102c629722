/**
 * Bounded work under overload (issue 15), end to end on real sockets: the
 * in-flight bound (count, bytes, per source, JSON-RPC batch items), the
 * operator reserve, handler deadlines with `request.signal`, late results,
 * the signal at shutdown, the parameters, and the counters of `mi_stats`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createLogger,
  type MiRequest,
  parseCommandLine,
  type RunningServer,
  resolveConfig,
  startServer,
  validateParams,
} from '../src/index.js';
import { type RawClient, text, udpClient, udpTarget, unixClient } from './helpers/raw.js';

const dirs: string[] = [];
const servers: RunningServer[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 0 })));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A command whose calls wait until the test lets them go; records their signals. */
function blocker(name = 'block', extra: Record<string, unknown> = {}) {
  const waiting: Array<{ request: MiRequest; release: (value?: unknown) => void }> = [];
  return {
    waiting,
    definition: {
      name,
      ...extra,
      handler: (request: MiRequest) =>
        new Promise((release) => {
          waiting.push({ request, release });
        }),
    },
  };
}

async function serve(
  params: Record<string, unknown>,
  commands: readonly unknown[],
): Promise<{ server: RunningServer; dir: string; logs: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'mi-bound-'));
  dirs.push(dir);
  const logs: string[] = [];
  const server = await startServer({
    socket_name: [join(dir, 'mi.sock'), 'udp:127.0.0.1:0'],
    commands,
    logger: createLogger({ level: 2, write: (line) => logs.push(line) }),
    ...params,
  });
  servers.push(server);
  return { server, dir, logs };
}

async function unix(server: RunningServer, dir: string): Promise<RawClient> {
  const c = await unixClient(server.addresses[0] as string, dir);
  clients.push(c);
  return c;
}

async function udp(server: RunningServer): Promise<RawClient> {
  const t = udpTarget(server.addresses[1] as string);
  const c = await udpClient(t.host, t.port);
  clients.push(c);
  return c;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function stat(reply: Buffer, name: string): number {
  const m = new RegExp(`^${name}:: (\\d+)$`, 'm').exec(reply.toString('latin1'));
  return m === null ? Number.NaN : Number(m[1]);
}

describe('the in-flight bound', () => {
  it('refuses past max_in_flight with 503 server busy, still answers core commands, and recovers', async () => {
    const b = blocker();
    const { server, dir } = await serve({ max_in_flight: 2, in_flight_source_share: 100 }, [
      b.definition,
    ]);
    const a = await unix(server, dir);
    const other = await unix(server, dir);
    a.send(':block:\n');
    a.send(':block:\n');
    await until(() => b.waiting.length === 2, 'two running handlers');
    expect(text(await other.request(':block:\n'))).toBe('503 server busy\n');
    // Operators keep control: core commands come from the reserve.
    expect(text(await other.request(':version:\n'))).toMatch(/^200 OK\n/);
    expect(text(await other.request(':uptime:\n'))).toMatch(/^200 OK\n/);
    const stats = await other.request(':mi_stats:\n');
    expect(stat(stats, 'Busy')).toBe(1);
    expect(server.server.stats().busy).toBe(1);
    // The statistics commands (issue 14) are operator commands too, and count it as mi:busy.
    expect(text(await other.request(':get_statistics:\nmi:busy\n'))).toBe(
      '200 OK\nmi:busy:: 1\n\n',
    );
    b.waiting[0]?.release({ nodes: [{ name: 'done', value: '1' }] });
    expect(text(await a.next())).toBe('200 OK\ndone:: 1\n\n');
    other.send(':block:\n');
    await until(() => b.waiting.length === 3, 'the freed slot used');
    for (const w of b.waiting.slice(1)) w.release();
    expect(text(await a.next())).toBe('200 OK\n\n');
    expect(text(await other.next())).toBe('200 OK\n\n');
    expect(server.server.stats().bound.inFlight).toBe(0);
  });

  it('keeps one source to its share: the others keep being served', async () => {
    const b = blocker();
    const { server, dir } = await serve({ max_in_flight: 4, in_flight_source_share: 50 }, [
      b.definition,
    ]);
    const flood = await unix(server, dir);
    const polite = await unix(server, dir);
    for (let i = 0; i < 3; i++) flood.send(':block:\n');
    expect(text(await flood.next())).toBe('503 server busy\n');
    expect(b.waiting).toHaveLength(2);
    polite.send(':block:\n');
    await until(() => b.waiting.length === 3, 'the other source served');
    expect(server.server.stats().bound.busySource).toBe(1);
    for (const w of b.waiting) w.release();
  });

  it('charges the datagram against max_in_flight_bytes', async () => {
    const b = blocker();
    // The smallest budget: one largest request (64 KiB + 1 KiB bookkeeping).
    const { server, dir } = await serve(
      { max_in_flight_bytes: 66_560, in_flight_source_share: 100 },
      [b.definition],
    );
    const c = await unix(server, dir);
    const big = `:block:\n${'x'.repeat(40_000)}\n`;
    c.send(big);
    await until(() => b.waiting.length === 1, 'the first large request running');
    expect(text(await c.request(big))).toBe('503 server busy\n');
    c.send(':block:\nsmall\n');
    await until(() => b.waiting.length === 2, 'a small one still fits');
    for (const w of b.waiting) w.release();
  });

  it('counts each JSON-RPC batch item; the refused ones get error 503', async () => {
    const b = blocker();
    const { server } = await serve({ max_in_flight: 2, in_flight_source_share: 100 }, [
      b.definition,
    ]);
    const c = await udp(server);
    const call = (id: number) => ({ jsonrpc: '2.0', method: 'block', id });
    c.send(
      JSON.stringify([call(1), call(2), call(3), { jsonrpc: '2.0', method: 'version', id: 4 }]),
    );
    await until(() => b.waiting.length === 2, 'two items running');
    for (const w of b.waiting) w.release();
    const reply = JSON.parse(text(await c.next()) ?? '') as Array<Record<string, unknown>>;
    const byId = new Map(reply.map((r) => [r.id, r]));
    expect(byId.get(1)).toMatchObject({ result: 'OK' });
    expect(byId.get(2)).toMatchObject({ result: 'OK' });
    expect(byId.get(3)).toEqual({
      jsonrpc: '2.0',
      error: { code: 503, message: 'server busy' },
      id: 3,
    });
    expect(byId.get(4)).toHaveProperty('result');
  });
});

describe('handler deadlines', () => {
  it('answers 504 at command_timeout, fires the signal, drops the late result and logs it once', async () => {
    const b = blocker();
    const { server, dir, logs } = await serve({ command_timeout: 300 }, [b.definition]);
    const c = await unix(server, dir);
    const sent = Date.now();
    c.send(':block:\n');
    expect(text(await c.next(5000))).toBe('504 command timed out\n');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(290);
    const signal = b.waiting[0]?.request.signal;
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as { code?: string } | undefined)?.code).toBe('COMMAND_TIMED_OUT');
    b.waiting[0]?.release({ nodes: [{ name: 'late', value: 'yes' }] });
    expect(await c.next(300)).toBeNull();
    const stats = await c.request(':mi_stats:\n');
    expect(stat(stats, 'Timed out')).toBe(1);
    expect(stat(stats, 'Late results')).toBe(1);
    expect(logs.filter((l) => l.includes('late result dropped'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('command timed out'))).toHaveLength(1);
  });

  it("uses a definition's timeoutMs over the server's, and JSON-RPC gets error 504", async () => {
    const quick = blocker('quick', { timeoutMs: 200 });
    const { server } = await serve({ command_timeout: 60_000 }, [quick.definition]);
    const c = await udp(server);
    c.send('{"jsonrpc":"2.0","method":"quick","id":9}');
    expect(JSON.parse(text(await c.next(5000)) ?? '')).toEqual({
      jsonrpc: '2.0',
      error: { code: 504, message: 'command timed out' },
      id: 9,
    });
    expect(quick.waiting[0]?.request.signal.aborted).toBe(true);
  });

  it('a handler that finishes in time is answered and its signal never fires', async () => {
    const b = blocker();
    const { server, dir } = await serve({ command_timeout: 5000 }, [b.definition]);
    const c = await unix(server, dir);
    c.send(':block:\n');
    await until(() => b.waiting.length === 1, 'running');
    b.waiting[0]?.release();
    expect(text(await c.next())).toBe('200 OK\n\n');
    expect(b.waiting[0]?.request.signal.aborted).toBe(false);
  });

  it('at shutdown, running handlers get their signal before the grace period ends', async () => {
    const b = blocker();
    const { server, dir } = await serve({ command_timeout: 60_000 }, [b.definition]);
    servers.splice(servers.indexOf(server), 1);
    const c = await unix(server, dir);
    c.send(':block:\n');
    await until(() => b.waiting.length === 1, 'running');
    let abortedAt = 0;
    const signal = b.waiting[0]?.request.signal;
    signal?.addEventListener('abort', () => {
      abortedAt = Date.now();
    });
    const started = Date.now();
    await server.close({ timeoutMs: 1500 });
    const closedAt = Date.now();
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as { code?: string } | undefined)?.code).toBe('SERVER_CLOSING');
    expect(abortedAt).toBeGreaterThan(0);
    expect(abortedAt).toBeLessThanOrEqual(closedAt);
    expect(abortedAt - started).toBeLessThan(1500);
    expect(text(await c.next())).toBe('504 command timed out\n');
  });
});

describe('parameters', () => {
  it('defaults, validation naming the parameter, command-line flags', () => {
    const c = resolveConfig([]);
    expect(c).toMatchObject({
      max_in_flight: 1000,
      max_in_flight_bytes: 32 * 1024 * 1024,
      in_flight_source_share: 25,
      operator_reserve: 32,
      command_timeout: 10_000,
    });
    const bad: Array<[string, unknown]> = [
      ['max_in_flight', 0],
      ['max_in_flight', 'many'],
      ['max_in_flight_bytes', 1000],
      ['in_flight_source_share', 101],
      ['operator_reserve', -1],
      ['command_timeout', 0],
      ['command_timeout', 2 ** 31],
    ];
    for (const [key, value] of bad) {
      let error: unknown;
      try {
        validateParams({ [key]: value }, 'test');
      } catch (e) {
        error = e;
      }
      expect(error, `${key} = ${String(value)}`).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).parameter).toBe(key);
    }
    const cli = parseCommandLine([
      '--max-in-flight',
      '50',
      '--max-in-flight-bytes=1048576',
      '--in-flight-source-share',
      '10',
      '--operator-reserve',
      '0',
      '--command-timeout',
      '2500',
    ]);
    expect(cli.params).toMatchObject({
      max_in_flight: 50,
      max_in_flight_bytes: 1_048_576,
      in_flight_source_share: 10,
      operator_reserve: 0,
      command_timeout: 2500,
    });
  });

  it("refuses a definition's invalid timeoutMs", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-bound-'));
    dirs.push(dir);
    for (const timeoutMs of [0, 1.5, '100', 2 ** 31]) {
      await expect(
        startServer({
          socket_name: join(dir, 'x.sock'),
          commands: [{ name: 'x', timeoutMs, handler: () => undefined }],
        }),
      ).rejects.toMatchObject({ code: 'INVALID_COMMANDS' });
    }
  });
});
