/**
 * Lifecycle: close() drains in-flight requests, then kills what is left after
 * its timeout; destroy() kills at once; a SIGKILLed primary leaves no orphan;
 * a worker can shut the whole pool down.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { type LogEntry, type PoolEvent, startWorkerPool } from '../dist/index.js';
import {
  childrenOf,
  expectNoChildrenAfterEach,
  fixture,
  isAlive,
  openClient,
  useTempDir,
  waitFor,
} from './helpers.js';

const tempPath = useTempDir();
expectNoChildrenAfterEach();

describe.each(['unix', 'udp'] as const)('%s socket', (kind) => {
  it('close() lets a slow in-flight request finish and reply, then removes everything', async () => {
    const path = tempPath(`drain-${kind}.sock`);
    const logs: LogEntry[] = [];
    const events: PoolEvent[] = [];
    const pool = await startWorkerPool({
      socket: kind === 'unix' ? { kind, path } : { kind, host: '127.0.0.1', port: 0 },
      workers: 2,
      module: fixture('echo.mjs'),
      execArgv: [],
      onLog: (entry) => logs.push(entry),
      onEvent: (event) => events.push(event),
    });
    const pids = [...pool.workers];
    const client = await openClient(pool, kind);
    try {
      const slow = client.request('slow:600:drain', 5_000);
      await waitFor(
        () => logs.some((l) => l.message === 'slow started drain'),
        5_000,
        'the slow request to start',
      );
      const closing = pool.close({ timeoutMs: 5_000 });
      expect(pool.state).toBe('closing');
      const reply = await slow;
      expect(reply).toMatch(/^\d+ slow:600:drain$/);
      await closing;
      expect(pool.state).toBe('closed');
      // Every worker left by itself (exit code 0), none was killed.
      const exits = events.filter((e) => e.type === 'exit');
      expect(exits).toHaveLength(2);
      for (const exit of exits)
        expect(exit).toMatchObject({ code: 0, signal: null, unexpected: false });
    } finally {
      await client.close();
      await pool.destroy();
    }
    for (const pid of pids) expect(await isAlive(pid)).toBe(false);
    if (kind === 'unix') expect(existsSync(path)).toBe(false);
    expect(pool.stats().live).toBe(0);
  });
});

it('close() SIGKILLs a worker whose request outlasts the timeout', async () => {
  const path = tempPath('close-timeout.sock');
  const logs: LogEntry[] = [];
  const events: PoolEvent[] = [];
  const pool = await startWorkerPool({
    socket: { kind: 'unix', path },
    workers: 1,
    module: fixture('echo.mjs'),
    execArgv: [],
    onLog: (entry) => logs.push(entry),
    onEvent: (event) => events.push(event),
  });
  const client = await openClient(pool, 'unix');
  try {
    void client.request('slow:30000:stuck', 100);
    await waitFor(
      () => logs.some((l) => l.message === 'slow started stuck'),
      5_000,
      'the slow request',
    );
    const started = Date.now();
    await pool.close({ timeoutMs: 300 });
    // Far from the 30 s the request would take, with room for a slow machine.
    expect(Date.now() - started).toBeLessThan(15_000);
  } finally {
    await client.close();
  }
  const exit = events.find((e) => e.type === 'exit');
  expect(exit).toMatchObject({ signal: 'SIGKILL', unexpected: false });
  expect(logs.some((l) => l.level === 'warn' && l.message.includes('did not stop'))).toBe(true);
  expect(existsSync(path)).toBe(false);
});

it('destroy() kills every worker at once and removes the socket file', async () => {
  const path = tempPath('destroy.sock');
  const events: PoolEvent[] = [];
  const pool = await startWorkerPool({
    socket: { kind: 'unix', path },
    workers: 3,
    module: fixture('echo.mjs'),
    execArgv: [],
    onEvent: (event) => events.push(event),
  });
  const pids = [...pool.workers];
  expect(existsSync(path)).toBe(true);
  await pool.destroy();
  await pool.closed;
  const exits = events.filter((e) => e.type === 'exit');
  expect(exits.map((e) => (e.type === 'exit' ? e.signal : null))).toEqual([
    'SIGKILL',
    'SIGKILL',
    'SIGKILL',
  ]);
  for (const pid of pids) expect(await isAlive(pid)).toBe(false);
  expect(existsSync(path)).toBe(false);
  // Idempotent, and close() after destroy() is a no-op.
  await pool.destroy();
  await pool.close();
});

it('workers exit by themselves when their primary is SIGKILLed', async () => {
  const path = tempPath('orphans.sock');
  const primary = spawn(
    process.execPath,
    [new URL('./fixtures/primary.mjs', import.meta.url).pathname, path, '3'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: primary.stdout! });
      lines.once('line', resolve);
      primary.once('exit', (code) => reject(new Error(`primary exited early (${code})`)));
    });
    const { workers } = JSON.parse(line) as { workers: number[] };
    expect(workers).toHaveLength(3);
    expect(await childrenOf(primary.pid!)).toHaveLength(3);
    const killedAt = Date.now();
    primary.kill('SIGKILL');
    await waitFor(
      async () => (await Promise.all(workers.map(isAlive))).every((alive) => !alive),
      3_000,
      'the orphaned workers to exit',
    );
    console.log(
      `[orphans] all 3 workers gone ${Date.now() - killedAt} ms after the primary's SIGKILL`,
    );
  } finally {
    primary.kill('SIGKILL');
  }
  await new Promise<void>((resolve) => {
    if (primary.exitCode !== null || primary.signalCode !== null) resolve();
    else primary.once('exit', () => resolve());
  });
});

it('a worker can shut the whole pool down (requestShutdown), after its reply went out', async () => {
  const path = tempPath('kill.sock');
  const events: PoolEvent[] = [];
  const pool = await startWorkerPool({
    socket: { kind: 'unix', path },
    workers: 2,
    module: fixture('echo.mjs'),
    execArgv: [],
    onEvent: (event) => events.push(event),
    onLog: () => {},
  });
  const client = await openClient(pool, 'unix');
  try {
    const reply = await client.request('kill');
    expect(reply).toMatch(/^\d+ bye$/);
    await pool.closed;
  } finally {
    await client.close();
  }
  expect(pool.state).toBe('closed');
  expect(events.find((e) => e.type === 'shutdown-requested')).toMatchObject({
    reason: 'kill command',
  });
  expect(existsSync(path)).toBe(false);
});

it('onShutdownRequest replaces the default (the pool stays up until its owner closes it)', async () => {
  const requests: string[] = [];
  const pool = await startWorkerPool({
    socket: { kind: 'udp', host: '127.0.0.1', port: 0 },
    workers: 1,
    module: fixture('echo.mjs'),
    execArgv: [],
    onShutdownRequest: ({ reason }) => requests.push(reason),
    onLog: () => {},
  });
  const client = await openClient(pool, 'udp');
  try {
    expect(await client.request('kill')).toMatch(/ bye$/);
    await waitFor(() => requests.length === 1, 3_000, 'the shutdown request');
    expect(pool.state).toBe('running');
    expect(await client.request('still-there')).toMatch(/ still-there$/);
  } finally {
    await client.close();
    await pool.close();
  }
});
