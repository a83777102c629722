import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MiClient, MiClientError } from '../src/index.js';
import { type FakeUdpServer, fakeUdpServer, reply } from './helpers/fake-udp.js';
import { BUSY_MACHINE_TIMEOUT, datagramSockets } from './helpers/proc.js';
import { rejection } from './helpers/rejection.js';

const servers: FakeUdpServer[] = [];
const clients: MiClient<'legacy' | 'jsonrpc'>[] = [];

async function server(...args: Parameters<typeof fakeUdpServer>): Promise<FakeUdpServer> {
  const s = await fakeUdpServer(...args);
  servers.push(s);
  return s;
}

function client<P extends 'legacy' | 'jsonrpc' = 'legacy'>(
  target: string,
  options: ConstructorParameters<typeof MiClient<P>>[1] = {},
): MiClient<P> {
  const c = new MiClient<P>(target, { timeout: BUSY_MACHINE_TIMEOUT, ...options });
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('MiClient over UDP (legacy)', () => {
  it('sends the encoded request and resolves the parsed reply with its raw bytes', async () => {
    const s = await server((_req, from, sock) =>
      reply(sock, from, '200 OK\nkey:: k1\nvalue:: v 1\n\n'),
    );
    const c = client(s.target);
    const r = await c.call('cache_fetch', ['local', { name: 'key', value: 'k 1' }, 'say "hi"']);
    expect(text(s.received[0]?.data ?? new Uint8Array())).toBe(
      ':cache_fetch:\nlocal\nkey::k 1\n"say \\"hi\\""\n',
    );
    expect(r).toMatchObject({ code: 200, reason: 'OK', form: 'tree' });
    expect(r.nodes.map((n) => [n.name, n.value])).toEqual([
      ['key', 'k1'],
      ['value', 'v 1'],
    ]);
    expect(text(r.raw)).toBe('200 OK\nkey:: k1\nvalue:: v 1\n\n');
  });

  it('a non-2xx reply is data, in both forms', async () => {
    const s = await server((_req, from, sock) => reply(sock, from, '404 unknown MI command\n\n'));
    const c = client(s.target);
    expect(await c.call('help', ['nosuch'])).toMatchObject({ code: 404, form: 'tree', nodes: [] });
    s.answer = (_req, from, sock) => reply(sock, from, '500 command not available\n');
    expect(await c.call('nosuch')).toMatchObject({
      code: 500,
      reason: 'command not available',
      form: 'line',
    });
  });

  it('ignores datagrams from any other address than the target', async () => {
    const intruder = createSocket('udp4');
    await new Promise<void>((resolve) => intruder.bind(0, '127.0.0.1', resolve));
    try {
      const s = await server((_req, from, sock) => {
        intruder.send('200 FORGED\n\n', from.port, from.address);
        setTimeout(() => reply(sock, from, '200 OK\n\n'), 30);
      });
      const r = await client(s.target).call('uptime');
      expect(r.reason).toBe('OK');
    } finally {
      await new Promise<void>((resolve) => intruder.close(() => resolve()));
    }
  });

  it('a pooled reply socket (connected after the first reply) reaches a server restarted on the same port', async () => {
    const answer = (_req: Buffer, from: RemoteInfo, sock: Socket): void =>
      reply(sock, from, '200 OK\n\n');
    const first = await server(answer);
    const c = client(first.target, { maxIdleSockets: 1 });
    expect((await c.call('x')).code).toBe(200);
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    const second = await server(answer, '127.0.0.1', first.port);
    expect((await c.call('x')).code).toBe(200);
    expect(second.received[0]?.from.port).toBe(first.received[0]?.from.port);
  });

  it('a server gone after answering: the next call fails at once with ECONNREFUSED, not a timeout', async () => {
    const s = await server((_req, from, sock) => reply(sock, from, '200 OK\n\n'));
    const c = client(s.target, { maxIdleSockets: 1, timeout: 15_000 });
    expect((await c.call('x')).code).toBe(200);
    // Let the connect() that follows the first reply complete.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await s.close();
    servers.splice(0);
    const started = performance.now();
    const error = await rejection(c.call('x'));
    // Far below the 15 s timeout, with room for a machine 5x slower than a loaded one.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(error).toMatchObject({ code: 'TRANSPORT', errno: 'ECONNREFUSED' });
    expect(error.message).toBe(
      `connection refused (nothing is listening on that port): ${s.target}`,
    );
  });

  it('200 concurrent calls each get their own reply, even answered in reverse order', async () => {
    const pending: Array<() => void> = [];
    const s = await server((req, from, sock) => {
      const arg = text(req).split('\n')[1] ?? '';
      pending.push(() => reply(sock, from, `200 OK\nechoed:: ${arg}\n\n`));
      if (pending.length === 200) for (const send of pending.reverse()) send();
    });
    const c = client(s.target);
    const ids = Array.from({ length: 200 }, (_, i) => `call-${i}`);
    const replies = await Promise.all(ids.map((id) => c.call('echo', [id])));
    expect(replies.map((r) => r.nodes[0]?.value)).toEqual(ids);
    // One reply socket per outstanding request: 200 distinct source ports.
    expect(new Set(s.received.map((r) => r.from.port)).size).toBe(200);
  });

  it('reuses an idle reply socket, but never one whose call timed out', async () => {
    const s = await server((_req, from, sock) => reply(sock, from, '200 OK\n\n'));
    const c = client(s.target);
    await c.call('a');
    await c.call('b');
    expect(s.received[0]?.from.port).toBe(s.received[1]?.from.port);
    s.answer = () => {};
    expect((await rejection(c.call('c', [], { timeout: 50 }))).code).toBe('TIMEOUT');
    const timedOutPort = s.received[2]?.from.port;
    s.answer = (_req, from, sock) => reply(sock, from, '200 OK\n\n');
    await c.call('d');
    expect(s.received[3]?.from.port).not.toBe(timedOutPort);
  });

  it('a late reply after a timeout does not reach the next call', async () => {
    let first = true;
    const s = await server((req, from, sock) => {
      const tag = text(req).split('\n')[1] ?? '';
      if (first) {
        first = false;
        setTimeout(() => reply(sock, from, `200 OK\nlate:: ${tag}\n\n`), 120);
        return;
      }
      setTimeout(() => reply(sock, from, `200 OK\nmine:: ${tag}\n\n`), 200);
    });
    const c = client(s.target, { maxIdleSockets: 4 });
    expect((await rejection(c.call('x', ['one'], { timeout: 60 }))).code).toBe('TIMEOUT');
    const r = await c.call('x', ['two'], { timeout: 1000 });
    expect(r.nodes[0]).toMatchObject({ name: 'mine', value: 'two' });
  });

  it('each call times out after its own timeout, however they are mixed (one shared timer)', async () => {
    const s = await server(() => {});
    const c = client(s.target, { timeout: 5000 });
    const t0 = performance.now();
    const at = (p: Promise<unknown>): Promise<[string, number]> =>
      rejection(p).then((e) => [e.code, performance.now() - t0]);
    // The long one arms the timer first; the shorter ones that follow must re-arm it earlier.
    // Deadlines far apart, so that the order of expiry (not a tight bound) shows the re-arming:
    // without it the short and mid calls would expire with the long one, at 2 s.
    const order: string[] = [];
    const seen = <T>(name: string, p: Promise<T>): Promise<T> => p.finally(() => order.push(name));
    const long = seen('long', at(c.call('a', [], { timeout: 2000 })));
    const short = seen('short', at(c.call('b', [], { timeout: 60 })));
    const mid = seen('mid', at(c.call('c', [], { timeout: 1000 })));
    const [[sc, st], [mc, mt], [lc, lt]] = await Promise.all([short, mid, long]);
    expect([sc, mc, lc]).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
    expect(order).toEqual(['short', 'mid', 'long']);
    expect(st).toBeGreaterThanOrEqual(55);
    expect(st).toBeLessThan(1000);
    expect(mt).toBeGreaterThanOrEqual(995);
    expect(mt).toBeLessThan(2000);
    expect(lt).toBeGreaterThanOrEqual(1995);
    // A call started after all of that still gets its own deadline (not one of 5 s).
    const again = at(c.call('d', [], { timeout: 50 }));
    const [code, t] = await again;
    expect(code).toBe('TIMEOUT');
    expect(t - lt).toBeGreaterThanOrEqual(45);
    expect(t - lt).toBeLessThan(2500);
  });

  it('TIMEOUT closes the reply socket (descriptors back to where they were)', async () => {
    const s = await server(() => {});
    const c = client(s.target, { timeout: 40 });
    const before = datagramSockets();
    const errors = await Promise.all(Array.from({ length: 20 }, () => rejection(c.call('x'))));
    expect(errors.every((e) => e.code === 'TIMEOUT')).toBe(true);
    expect(datagramSockets()).toBe(before);
  });

  it('AbortSignal: ABORTED, socket closed; an already aborted signal sends nothing', async () => {
    const s = await server(() => {});
    const c = client(s.target);
    const before = datagramSockets();
    const controller = new AbortController();
    const calls = Array.from({ length: 10 }, () =>
      rejection(c.call('x', [], { signal: controller.signal })),
    );
    setTimeout(() => controller.abort(new Error('user gave up')), 30);
    const errors = await Promise.all(calls);
    expect(errors.map((e) => e.code)).toEqual(new Array(10).fill('ABORTED'));
    expect(errors[0]?.cause).toEqual(new Error('user gave up'));
    expect(datagramSockets()).toBe(before);
    const received = s.received.length;
    const pre = await rejection(c.call('x', [], { signal: AbortSignal.abort() }));
    expect(pre.code).toBe('ABORTED');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(s.received.length).toBe(received);
  });

  it('close(): calls in flight reject CLOSED, later calls too, sockets released', async () => {
    const s = await server(() => {});
    const before = datagramSockets();
    const c = new MiClient(s.target, { timeout: BUSY_MACHINE_TIMEOUT });
    const inflight = rejection(c.call('x'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await c.close();
    expect((await inflight).code).toBe('CLOSED');
    expect((await rejection(c.call('x'))).code).toBe('CLOSED');
    expect(c.isClosed).toBe(true);
    expect(datagramSockets()).toBe(before);
  });

  it('BAD_REPLY for a datagram that is not a reply; REQUEST_INVALID before anything is sent', async () => {
    const s = await server((_req, from, sock) => reply(sock, from, 'hello'));
    const c = client(s.target);
    expect((await rejection(c.call('x'))).code).toBe('BAD_REPLY');
    s.answer = (_req, from, sock) => reply(sock, from, '{"jsonrpc":"2.0","result":1,"id":1}');
    const json = await rejection(c.call('x'));
    expect(json.code).toBe('BAD_REPLY');
    expect(json.message).toContain('JSON-RPC');
    const count = s.received.length;
    expect((await rejection(c.call('bad:name'))).code).toBe('REQUEST_INVALID');
    expect((await rejection(c.call('x', [{}]))).code).toBe('REQUEST_INVALID');
    expect((await rejection(c.call('x', ['x'.repeat(70_000)]))).code).toBe('REQUEST_INVALID');
    expect(s.received.length).toBe(count);
  });

  it('refuses a bad socket_name or option at construction', () => {
    for (const bad of ['', 'udp:127.0.0.1', 'udp:127.0.0.1:0', 'udp:127.0.0.1:99999']) {
      expect(() => new MiClient(bad)).toThrow(MiClientError);
    }
    expect(() => new MiClient('/x', { timeout: 0 })).toThrow(RangeError);
    expect(() => new MiClient('/x', { maxIdleSockets: -1 })).toThrow(RangeError);
  });

  it('works over IPv6 (::1) and with a host name', async () => {
    const s6 = await server((_req, from, sock) => reply(sock, from, '200 OK\nv:: 6\n\n'), '::1');
    expect((await client(s6.target).call('x')).nodes[0]?.value).toBe('6');
    const s4 = await server((_req, from, sock) => reply(sock, from, '200 OK\nv:: 4\n\n'));
    expect((await client(`udp:localhost:${s4.port}`).call('x', [], { timeout: 1000 })).code).toBe(
      200,
    );
  });
});

describe('MiClient over UDP (JSON-RPC)', () => {
  const answerJson =
    (make: (request: { method: string; params?: unknown; id: unknown }) => unknown) =>
    (req: Buffer, from: import('node:dgram').RemoteInfo, sock: import('node:dgram').Socket) =>
      reply(sock, from, JSON.stringify(make(JSON.parse(req.toString('utf8')))));

  it('sends jsonrpc/method/params/id and resolves { ok: true, result }', async () => {
    const s = await server(
      answerJson((r) => ({
        jsonrpc: '2.0',
        result: { Method: r.method, Params: r.params },
        id: r.id,
      })),
    );
    const c = client(s.target, { protocol: 'jsonrpc' });
    const r = await c.call('log_level', { level: 3 });
    expect(r).toMatchObject({ ok: true, result: { Method: 'log_level', Params: { level: 3 } } });
    const sent = JSON.parse(s.received[0]?.data.toString('utf8') ?? '');
    expect(sent).toMatchObject({ jsonrpc: '2.0', method: 'log_level', params: { level: 3 } });
    expect(['number', 'string']).toContain(typeof sent.id);
    expect(r.id).toBe(sent.id);
  });

  it('unique ids across concurrent calls; each resolves with its own result', async () => {
    const s = await server(answerJson((r) => ({ jsonrpc: '2.0', result: r.params, id: r.id })));
    const c = client(s.target, { protocol: 'jsonrpc' });
    const out = await Promise.all(Array.from({ length: 50 }, (_, i) => c.call('echo', [i])));
    expect(out.map((r) => (r.ok ? r.result : null))).toEqual(
      Array.from({ length: 50 }, (_, i) => [i]),
    );
    const ids = s.received.map((r) => JSON.parse(r.data.toString()).id);
    expect(new Set(ids).size).toBe(50);
  });

  it('errors are data: { ok: false, error: { code, message, data } }', async () => {
    const s = await server(
      answerJson((r) => ({
        jsonrpc: '2.0',
        error: { code: -32601, message: 'Method not found', data: { method: r.method } },
        id: r.id,
      })),
    );
    const r = await client(s.target, { protocol: 'jsonrpc' }).call('nosuch');
    expect(r).toMatchObject({
      ok: false,
      error: { code: -32601, message: 'Method not found', data: { method: 'nosuch' } },
      textLine: false,
    });
  });

  it('ignores a response with another id, takes the one with ours', async () => {
    const s = await server((req, from, sock) => {
      const { id } = JSON.parse(req.toString());
      reply(sock, from, JSON.stringify({ jsonrpc: '2.0', result: 'stale', id: `${id}-other` }));
      setTimeout(
        () => reply(sock, from, JSON.stringify({ jsonrpc: '2.0', result: 'fresh', id })),
        20,
      );
    });
    const r = await client(s.target, { protocol: 'jsonrpc' }).call('x');
    expect(r.ok && r.result).toBe('fresh');
  });

  it('OpenSIPS 3.x plain-text failures are error data; garbage is BAD_REPLY', async () => {
    const s = await server((_req, from, sock) => reply(sock, from, '400 Parse_error\n'));
    const c = client(s.target, { protocol: 'jsonrpc' });
    expect(await c.call('x')).toMatchObject({ ok: false, textLine: true, error: { code: 400 } });
    s.answer = (_req, from, sock) => reply(sock, from, '{"jsonrpc":"2.0"');
    expect((await rejection(c.call('x'))).code).toBe('BAD_REPLY');
  });

  it('REQUEST_INVALID for params that are not an array/object or a request over 65457 bytes', async () => {
    const s = await server(() => {});
    const c = client(s.target, { protocol: 'jsonrpc' });
    expect((await rejection(c.call('x', 5 as unknown as unknown[]))).code).toBe('REQUEST_INVALID');
    expect((await rejection(c.call('x', ['y'.repeat(66_000)]))).code).toBe('REQUEST_INVALID');
    expect(s.received).toHaveLength(0);
  });
});
