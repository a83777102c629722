import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindUnixSocket } from '@mi-datagram/transport-unix';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MiClient } from '../src/index.js';
import {
  anonymousSocket,
  answerWith,
  type FakeUnixServer,
  fakeUnixServer,
} from './helpers/fake-unix.js';
import { BUSY_MACHINE_TIMEOUT, datagramSockets, REPO, runNode, tempDir } from './helpers/proc.js';
import { rejection } from './helpers/rejection.js';

let dir: ReturnType<typeof tempDir>;
/** Where the clients under test create their reply sockets. */
let replyDir: ReturnType<typeof tempDir>;
const servers: FakeUnixServer[] = [];
const clients: MiClient<'legacy' | 'jsonrpc'>[] = [];

beforeEach(() => {
  dir = tempDir();
  replyDir = tempDir('mi-client-replies-');
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  // Every reply socket and its private directory is gone once the clients are closed.
  expect(readdirSync(replyDir.path)).toEqual([]);
  dir.remove();
  replyDir.remove();
});

async function server(answer: FakeUnixServer['answer'], name?: string): Promise<FakeUnixServer> {
  const s = await fakeUnixServer(dir.path, answer, name);
  servers.push(s);
  return s;
}

function client<P extends 'legacy' | 'jsonrpc' = 'legacy'>(
  target: string,
  options: ConstructorParameters<typeof MiClient<P>>[1] = {},
): MiClient<P> {
  const c = new MiClient<P>(target, {
    socketDir: replyDir.path,
    timeout: BUSY_MACHINE_TIMEOUT,
    ...options,
  });
  clients.push(c);
  return c;
}

const replySockets = (): string[] => readdirSync(replyDir.path);

describe('MiClient over UNIX datagram sockets', () => {
  it('binds its own reply socket, sends the request, resolves the reply', async () => {
    const s = await server((_req, peer, t) => answerWith(t, peer, '200 OK\nWD:: /\n\n'));
    const r = await client(s.path).call('pwd');
    expect(r).toMatchObject({
      code: 200,
      reason: 'OK',
      form: 'tree',
      nodes: [{ name: 'WD', value: '/' }],
    });
    const peer = s.received[0]?.peer;
    expect(peer?.startsWith(replyDir.path)).toBe(true);
    expect(s.received[0]?.data.toString()).toBe(':pwd:\n');
  });

  it('raw is a copy the reply owns, not a view of the transport receive buffer', async () => {
    let n = 0;
    const s = await server((_req, peer, t) => {
      n++;
      answerWith(t, peer, `200 OK\nn:: ${n}\n\n`);
    });
    const c = client(s.path);
    const first = await c.call('x');
    const rest = await Promise.all(Array.from({ length: 20 }, () => c.call('x')));
    expect(first.raw.byteOffset).toBe(0);
    expect(first.raw.buffer.byteLength).toBe(first.raw.byteLength);
    expect(Buffer.from(first.raw).toString()).toBe('200 OK\nn:: 1\n\n');
    expect(rest.map((r) => r.nodes[0]?.value).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i + 2)),
    );
  });

  it('ignores datagrams from any socket path other than the target', async () => {
    const s = await server((_req, peer) => {
      void (async () => {
        const anonymousDir = tempDir();
        const other = await bindUnixSocket(join(anonymousDir.path, 'x.sock'));
        // Sent from another path than the target's: must be ignored.
        other.send(Buffer.from('200 FORGED\n\n'), peer ?? '');
        await other.close();
        anonymousDir.remove();
        setTimeout(() => answerWith(s.transport, peer, '200 OK\n\n'), 20);
      })();
    });
    const r = await client(s.path).call('x');
    expect(r.reason).toBe('OK');
  });

  it('a reply socket that heard the target answer from its own address is connected to it: others are refused', async () => {
    const forged: string[] = [];
    const s = await server((_req, peer, t) => {
      void (async () => {
        const anonymousDir = tempDir();
        const errors: Error[] = [];
        const other = await bindUnixSocket(join(anonymousDir.path, 'x.sock'), {
          onError: (e) => errors.push(e),
        });
        const outcome = other.send(Buffer.from('200 FORGED\n\n'), peer ?? '');
        forged.push(
          `${outcome}${errors.length > 0 ? ` ${(errors[0] as { errno?: string }).errno}` : ''}`,
        );
        await other.close();
        anonymousDir.remove();
        answerWith(t, peer, '200 OK\n\n');
      })();
    });
    const c = client(s.path, { maxIdleSockets: 1 });
    expect((await c.call('x')).reason).toBe('OK');
    expect((await c.call('x')).reason).toBe('OK');
    // First call: the socket still takes anyone's datagrams (and the client drops the forgery);
    // second call, same pooled socket: the kernel refuses the forger.
    expect(forged).toEqual(['sent', 'dropped EPERM']);
    expect(new Set(s.received.map((r) => r.peer)).size).toBe(1);
  });

  it('OpenSIPS-style anonymous replies keep reaching a pooled reply socket (it never connects)', async () => {
    const replier = anonymousSocket();
    try {
      let n = 0;
      const s = await server((_req, peer) => {
        n++;
        expect(replier.send(Buffer.from(`200 OK\nn:: ${n}\n\n`), peer ?? '')).toBeGreaterThan(0);
      });
      const c = client(s.path, { maxIdleSockets: 1, timeout: 1000 });
      for (let i = 1; i <= 3; i++) expect((await c.call('x')).nodes[0]?.value).toBe(String(i));
      expect(new Set(s.received.map((r) => r.peer)).size).toBe(1);
    } finally {
      replier.close();
    }
  });

  it('a server restarted at the same path is reached through the pooled (connected) reply socket', async () => {
    const answer: FakeUnixServer['answer'] = (_req, peer, t) =>
      answerWith(t, peer, '200 OK\nWD:: /\n\n');
    const first = await server(answer);
    const c = client(first.path, { maxIdleSockets: 1 });
    expect((await c.call('pwd')).code).toBe(200);
    await first.close();
    const second = await server(answer);
    expect((await c.call('pwd')).code).toBe(200);
    // The same reply socket both times: the pooled one went on by address.
    expect(second.received[0]?.peer).toBe(first.received[0]?.peer);
  });

  it('200 concurrent calls each get their own reply (answered in reverse order)', async () => {
    const pending: Array<() => void> = [];
    const s = await server((req, peer, t) => {
      const arg = req.toString().split('\n')[1] ?? '';
      pending.push(() => answerWith(t, peer, `200 OK\n${arg}\n\n`));
      if (pending.length === 200) for (const send of pending.reverse()) send();
    });
    const c = client(s.path);
    const ids = Array.from(
      { length: 200 },
      (_, i) => `unique-${i}-${Math.random().toString(36).slice(2)}`,
    );
    const replies = await Promise.all(ids.map((id) => c.call('echo', [id])));
    expect(replies.map((r) => r.nodes[0]?.value)).toEqual(ids);
    expect(new Set(s.received.map((r) => r.peer)).size).toBe(200);
    // At most maxIdleSockets (16) stay open for reuse.
    expect(replySockets().length).toBe(16);
  });

  it('AbortSignal: rejects ABORTED, the reply socket file and descriptor are gone at once', async () => {
    const s = await server(() => {});
    const c = client(s.path, { maxIdleSockets: 0 });
    await rejection(c.call('warmup', [], { timeout: 30 }));
    const before = datagramSockets();
    const controller = new AbortController();
    const call = rejection(c.call('x', [], { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(replySockets().length).toBe(1);
    controller.abort();
    expect((await call).code).toBe('ABORTED');
    expect(replySockets()).toEqual([]);
    expect(datagramSockets()).toBe(before);
  });

  it('TIMEOUT: socket closed and removed, never reused', async () => {
    const s = await server(() => {});
    const c = client(s.path);
    const error = await rejection(c.call('x', [], { timeout: 50 }));
    expect(error.code).toBe('TIMEOUT');
    expect(error.target).toBe(s.path);
    expect(replySockets()).toEqual([]);
    s.answer = (_req, peer, t) => answerWith(t, peer, '200 OK\n\n');
    await c.call('y');
    expect(s.received[1]?.peer).not.toBe(s.received[0]?.peer);
  });

  it('TRANSPORT ENOENT for a missing path, fast', async () => {
    const started = Date.now();
    const error = await rejection(
      client(join(dir.path, 'missing.sock')).call('x', [], { timeout: 15_000 }),
    );
    expect(error).toMatchObject({ code: 'TRANSPORT', errno: 'ENOENT' });
    // Far below the 15 s timeout, with room for a machine 5x slower than a loaded one.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(replySockets()).toEqual([]);
  });

  it('TRANSPORT ECONNREFUSED for a stale socket file (server died), ENOTSOCK for a regular file', async () => {
    const stale = join(dir.path, 'stale.sock');
    const killed = await runNode(
      [
        '--input-type=module',
        '-e',
        "const m = await import('@mi-datagram/transport-unix'); await m.bindUnixSocket(process.argv[1]); process.kill(process.pid, 'SIGKILL');",
        stale,
      ],
      { cwd: join(REPO, 'packages/client') },
    );
    expect(killed.signal).toBe('SIGKILL');
    expect(await rejection(client(stale).call('x'))).toMatchObject({
      code: 'TRANSPORT',
      errno: 'ECONNREFUSED',
    });
    const file = join(dir.path, 'file');
    writeFileSync(file, 'x');
    expect(await rejection(client(file).call('x'))).toMatchObject({
      code: 'TRANSPORT',
      errno: 'ENOTSOCK',
    });
    expect(await rejection(client(dir.path).call('x'))).toMatchObject({
      code: 'TRANSPORT',
      errno: 'ENOTSOCK',
    });
  });

  it('TRANSPORT when the reply socket cannot be created (socketDir missing)', async () => {
    const s = await server(() => {});
    const c = new MiClient(s.path, { socketDir: join(dir.path, 'no', 'such') });
    clients.push(c);
    expect(await rejection(c.call('x'))).toMatchObject({ code: 'TRANSPORT', errno: 'ENOENT' });
  });

  it('JSON-RPC over UNIX: id matched, result and error as data', async () => {
    const s = await server((req, peer, t) => {
      const r = JSON.parse(req.toString());
      const body =
        r.method === 'uptime'
          ? { jsonrpc: '2.0', result: { Now: 'Thu Nov 26 08:58:54 2026' }, id: r.id }
          : { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: r.id };
      answerWith(t, peer, JSON.stringify(body));
    });
    const c = client(s.path, { protocol: 'jsonrpc' });
    expect(await c.call('uptime')).toMatchObject({
      ok: true,
      result: { Now: 'Thu Nov 26 08:58:54 2026' },
    });
    expect(await c.call('nosuch', [])).toMatchObject({ ok: false, error: { code: -32601 } });
  });
});
