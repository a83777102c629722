/**
 * The IPC facility: process table from the primary and from a worker,
 * requests addressed by PID (relayed), broadcast, and their error codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ProcessInfo,
  startWorkerPool,
  type WorkerPool,
  WorkerPoolError,
} from '../dist/index.js';
import { childrenOf, fixture, openClient } from './helpers.js';

let pool: WorkerPool;
const primaryRequests: unknown[] = [];

beforeAll(async () => {
  pool = await startWorkerPool({
    socket: { kind: 'udp', host: '127.0.0.1', port: 0 },
    workers: 3,
    module: fixture('echo.mjs'),
    execArgv: [],
    onLog: () => {},
    onRequest: (payload, from) => {
      primaryRequests.push(payload);
      const request = payload as { op?: unknown; level?: unknown } | null;
      if (request?.op === 'setLogLevel' && typeof request.level === 'number') {
        pool.setLogLevel(request.level);
      }
      return { primary: process.pid, from: from.pid };
    },
  });
});
afterAll(async () => {
  await pool.close();
  expect(await childrenOf(process.pid)).toEqual([]);
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof WorkerPoolError
      ? error.code
      : `not a WorkerPoolError: ${String(error)}`;
  }
}

describe('process table', () => {
  it('lists the primary and every worker, the same from the primary and from a worker', async () => {
    const table = pool.processTable();
    expect(table.map((row) => [row.id, row.type, row.state])).toEqual([
      [0, 'primary', 'running'],
      [1, 'worker', 'ready'],
      [2, 'worker', 'ready'],
      [3, 'worker', 'ready'],
    ]);
    expect(table[0]!.pid).toBe(process.pid);
    expect(table.slice(1).map((row) => row.pid)).toEqual(pool.workers);
    // A worker asks for it while answering a datagram (what the server's `ps` does).
    const client = await openClient(pool, 'udp');
    try {
      const reply = await client.request('table');
      const fromWorker = JSON.parse(reply!.slice(reply!.indexOf(' ') + 1)) as ProcessInfo[];
      expect(fromWorker).toEqual(pool.processTable());
    } finally {
      await client.close();
    }
  });

  it('every worker knows the membership without asking (the announced snapshot)', async () => {
    const members = pool.processTable().map(({ id, pid, type }) => ({ id, pid, type }));
    const generations = new Set<number>();
    for (const pid of pool.workers) {
      const snapshot = (await pool.request(pid, { op: 'snapshot' })) as {
        generation: number;
        members: unknown[];
      } | null;
      expect(snapshot?.members).toEqual(members);
      generations.add(snapshot?.generation ?? -1);
    }
    // One pool, one sequence of announcements: every worker got the latest one.
    expect(generations.size).toBe(1);
    expect([...generations][0]).toBeGreaterThanOrEqual(members.length - 1);
    // Also while answering a datagram (what the server's `ps` does).
    const client = await openClient(pool, 'udp');
    try {
      const reply = await client.request('snapshot');
      const fromWorker = JSON.parse(reply!.slice(reply!.indexOf(' ') + 1)) as { members: unknown };
      expect(fromWorker.members).toEqual(members);
    } finally {
      await client.close();
    }
  });

  it('a log level change aimed at one PID reaches that process and shows in the table', async () => {
    const [first, second, third] = pool.workers as [number, number, number];
    // Worker 1 relays to worker 3 (what `log_level 4 PID` received by worker 1 does).
    const answer = await pool.request(first, {
      op: 'relay',
      pid: third,
      payload: { op: 'setLogLevel', level: 4 },
    });
    expect(answer).toEqual({ pid: third, level: 4 });
    const table = pool.processTable();
    expect(table.find((row) => row.pid === third)?.logLevel).toBe(4);
    expect(table.find((row) => row.pid === second)?.logLevel).toBeUndefined();
    // The same through the worker's own view of the table.
    const seen = (await pool.request(second, { op: 'table' })) as ProcessInfo[];
    expect(seen.find((row) => row.pid === third)?.logLevel).toBe(4);
    // Addressed to the primary's PID: answered by onRequest.
    const toPrimary = await pool.request(first, {
      op: 'relay',
      pid: process.pid,
      payload: { op: 'setLogLevel', level: 2 },
    });
    expect(toPrimary).toEqual({ primary: process.pid, from: first });
    expect(pool.processTable()[0]!.logLevel).toBe(2);
  });
});

describe('requests', () => {
  it('primary → worker, worker → primary, and a worker addressing itself', async () => {
    const [first] = pool.workers as [number];
    expect(await pool.request(first, { op: 'ping' })).toEqual({
      pid: first,
      workerId: 1,
      from: process.pid,
    });
    expect(await pool.request(first, { op: 'askPrimary', payload: { hello: 1 } })).toEqual({
      primary: process.pid,
      from: first,
    });
    expect(primaryRequests).toContainEqual({ hello: 1 });
    expect(await pool.request(first, { op: 'relay', pid: first, payload: { op: 'ping' } })).toEqual(
      {
        pid: first,
        workerId: 1,
        from: first,
      },
    );
  });

  it('broadcast from the primary reaches every worker; from a worker, the primary and the others', async () => {
    const fromPrimary = await pool.broadcast({ op: 'ping' });
    expect(fromPrimary.map((r) => r.pid).sort()).toEqual([...pool.workers].sort());
    expect(fromPrimary.every((r) => r.ok)).toBe(true);
    const [first] = pool.workers as [number];
    const fromWorker = (await pool.request(first, {
      op: 'broadcast',
      payload: { op: 'ping' },
    })) as Array<{
      pid: number;
      ok: boolean;
    }>;
    expect(fromWorker.map((r) => r.pid).sort()).toEqual(
      [process.pid, ...pool.workers.filter((pid) => pid !== first)].sort(),
    );
    expect(fromWorker.every((r) => r.ok)).toBe(true);
  });

  it('errors carry stable codes', async () => {
    const [first] = pool.workers as [number];
    expect(await codeOf(pool.request(1, { op: 'ping' }))).toBe('NO_SUCH_PROCESS');
    expect(await codeOf(pool.request(first, { op: 'relay', pid: 1, payload: null }))).toBe(
      'NO_SUCH_PROCESS',
    );
    expect(await codeOf(pool.request(first, { op: 'fail' }))).toBe('REQUEST_FAILED');
    expect(
      await codeOf(
        pool.request(first, { op: 'relay', pid: pool.workers[1]!, payload: { op: 'fail' } }),
      ),
    ).toBe('REQUEST_FAILED');
    // @ts-expect-error a function is not JSON
    expect(await codeOf(pool.request(first, { f: () => 1 }))).toBe('INVALID_MESSAGE');
  });
});

it('NO_HANDLER when the target registered none; POOL_CLOSED after close', async () => {
  const bare = await startWorkerPool({
    socket: { kind: 'udp', host: '127.0.0.1', port: 0 },
    workers: 1,
    module: fixture('echo.mjs'),
    workerData: { noHandler: true },
    execArgv: [],
  });
  const [only] = bare.workers as [number];
  expect(await codeOf(bare.request(only, { op: 'ping' }))).toBe('NO_HANDLER');
  expect(await codeOf(bare.request(process.pid, { op: 'ping' }))).toBe('NO_HANDLER');
  await bare.close();
  expect(await codeOf(bare.request(only, { op: 'ping' }))).toBe('POOL_CLOSED');
});

it('rejects invalid options with INVALID_OPTIONS before binding anything', async () => {
  const base = {
    socket: { kind: 'udp', host: '127.0.0.1', port: 0 },
    workers: 1,
    module: fixture('echo.mjs'),
  } as const;
  expect(await codeOf(startWorkerPool({ ...base, workers: 0 }))).toBe('INVALID_OPTIONS');
  expect(await codeOf(startWorkerPool({ ...base, module: 'relative/echo.mjs' }))).toBe(
    'INVALID_OPTIONS',
  );
  expect(await codeOf(startWorkerPool({ ...base, restart: { maxStartAttempts: 0 } }))).toBe(
    'INVALID_OPTIONS',
  );
  expect(
    await codeOf(startWorkerPool({ ...base, restart: { minBackoffMs: 500, maxBackoffMs: 100 } })),
  ).toBe('INVALID_OPTIONS');
  // @ts-expect-error not JSON
  expect(await codeOf(startWorkerPool({ ...base, workerData: { when: new Date() } }))).toBe(
    'INVALID_OPTIONS',
  );
});

it('malformed pool messages from a worker are counted and ignored; foreign ones are left alone', async () => {
  const odd = await startWorkerPool({
    socket: { kind: 'udp', host: '127.0.0.1', port: 0 },
    workers: 1,
    module: fixture('garbage.mjs'),
    execArgv: [],
  });
  try {
    expect(odd.stats().invalidMessages).toBe(2);
    expect(odd.processTable()[1]).toMatchObject({ state: 'ready' });
    expect(odd.processTable()[1]!.logLevel).toBeUndefined();
  } finally {
    await odd.close();
  }
});
