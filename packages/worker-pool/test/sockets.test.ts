/**
 * Several sockets in one pool: the primary binds each once, every worker
 * adopts each one it wants (`adopt(handler, { socket: i })`), replies leave
 * from the socket the request came in on, and close() releases all of them.
 */
import { existsSync } from 'node:fs';

import { expect, it } from 'vitest';
import { startWorkerPool, WorkerPoolError } from '../dist/index.js';
import {
  childrenOf,
  expectNoChildrenAfterEach,
  fixture,
  openClientTo,
  useTempDir,
} from './helpers.js';

const tempPath = useTempDir();
expectNoChildrenAfterEach();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkerPoolError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

it('serves two UNIX sockets and a UDP port from every worker, drains all, removes both files', async () => {
  const a = tempPath('a.sock');
  const b = tempPath('b.sock');
  const pool = await startWorkerPool({
    sockets: [
      { kind: 'unix', path: a },
      { kind: 'udp', host: '127.0.0.1', port: 0 },
      { kind: 'unix', path: b, mode: 0o600 },
    ],
    workers: 2,
    module: fixture('multi.mjs'),
    execArgv: [],
  });
  expect(pool.address).toBe(a);
  expect(pool.kind).toBe('unix');
  expect(pool.addresses).toHaveLength(3);
  expect(pool.addresses[1]).toMatch(/^udp:127\.0\.0\.1:\d+$/);
  expect(pool.addresses[2]).toBe(b);
  const kinds = ['unix', 'udp', 'unix'] as const;
  const clients = await Promise.all(
    pool.addresses.map((address, i) => openClientTo(address, kinds[i] ?? 'unix')),
  );
  try {
    const seen = new Set<string>();
    for (let round = 0; round < 40; round++) {
      const replies = await Promise.all(clients.map((c, i) => c.request(`r${round}s${i}`)));
      replies.forEach((reply, i) => {
        expect(reply).toMatch(new RegExp(`^\\d+ ${i}:r${round}s${i}$`));
        seen.add(`${i}:${reply?.split(' ')[0]}`);
      });
    }
    // Every socket was answered by a worker of the pool (which one is the kernel's choice).
    for (let i = 0; i < 3; i++) {
      expect([...seen].some((s) => s.startsWith(`${i}:`))).toBe(true);
    }
    for (const s of seen) expect(pool.workers).toContain(Number(s.split(':')[1]));
    // A slow request on the UDP socket and one on the second UNIX socket finish during close().
    const slowUdp = clients[1]?.request('slow:400', 5_000);
    const slowUnix = clients[2]?.request('slow:400', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pool.close({ timeoutMs: 5_000 });
    expect(await slowUdp).toMatch(/^\d+ 1:slow:400$/);
    expect(await slowUnix).toMatch(/^\d+ 2:slow:400$/);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await pool.destroy();
  }
  expect(existsSync(a)).toBe(false);
  expect(existsSync(b)).toBe(false);
});

it('a socket that cannot be bound releases the ones bound before it; nothing is forked', async () => {
  const first = tempPath('first.sock');
  const error = await startWorkerPool({
    sockets: [
      { kind: 'unix', path: first },
      { kind: 'unix', path: tempPath('no-such-dir', 'x.sock') },
    ],
    workers: 2,
    module: fixture('multi.mjs'),
    execArgv: [],
  }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect(existsSync(first)).toBe(false);
  expect(await childrenOf(process.pid)).toEqual([]);
});

it('refuses socket and sockets together, an empty list and a UNIX path listed twice', async () => {
  const base = { workers: 1, module: fixture('multi.mjs') } as const;
  const udp = { kind: 'udp', host: '127.0.0.1', port: 0 } as const;
  expect(await codeOf(startWorkerPool({ ...base, socket: udp, sockets: [udp] }))).toBe(
    'INVALID_OPTIONS',
  );
  expect(await codeOf(startWorkerPool({ ...base, sockets: [] }))).toBe('INVALID_OPTIONS');
  expect(await codeOf(startWorkerPool({ ...base }))).toBe('INVALID_OPTIONS');
  const twice = { kind: 'unix', path: tempPath('twice.sock') } as const;
  expect(await codeOf(startWorkerPool({ ...base, sockets: [twice, twice] }))).toBe(
    'INVALID_OPTIONS',
  );
  expect(existsSync(twice.path)).toBe(false);
});

it.each([
  ['the same socket twice', { adoptTwice: true }, /once per socket/],
  [
    'a socket index out of range',
    { adoptOutOfRange: true },
    /options\.socket must be an index 0\.\.1/,
  ],
])('adopting %s fails the worker start with a clear reason', async (_name, workerData, reason) => {
  const error = await startWorkerPool({
    sockets: [
      { kind: 'udp', host: '127.0.0.1', port: 0 },
      { kind: 'unix', path: tempPath('adopt.sock') },
    ],
    workers: 1,
    module: fixture('multi.mjs'),
    workerData,
    restart: { maxStartAttempts: 1 },
    execArgv: [],
  }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkerPoolError);
  expect((error as WorkerPoolError).code).toBe('WORKER_START_FAILED');
  expect((error as WorkerPoolError).message).toMatch(reason);
  expect(existsSync(tempPath('adopt.sock'))).toBe(false);
});
