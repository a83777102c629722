/**
 * N = 1..4 workers on one socket: every datagram is answered by a worker
 * (none is swallowed by the primary), and the kernel spreads them over the
 * workers, unevenly (no round-robin). The measured distribution is printed.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startWorkerPool } from '../dist/index.js';
import { childrenOf, fixture, isAlive, openClient, useTempDir } from './helpers.js';

const CLIENTS = 8;
const PER_CLIENT = 250;
/** Requests each client keeps outstanding. */
const WINDOW = 8;

const tempPath = useTempDir();

describe.each(['unix', 'udp'] as const)('%s socket', (kind) => {
  it.each([1, 2, 3, 4])('%i worker(s): every datagram is answered by a worker', async (workers) => {
    const path = tempPath(`dist-${workers}.sock`);
    const pool = await startWorkerPool({
      socket: kind === 'unix' ? { kind, path } : { kind, host: '127.0.0.1', port: 0 },
      workers,
      module: fixture('echo.mjs'),
      execArgv: [],
    });
    const pids = [...pool.workers];
    expect(pids).toHaveLength(workers);
    const counts = new Map<string, number>();
    let unanswered = 0;
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, () => openClient(pool, kind)),
    );
    try {
      await Promise.all(
        clients.map(async (client, c) => {
          let sent = 0;
          const lane = async (): Promise<void> => {
            while (sent < PER_CLIENT) {
              const n = sent++;
              const reply = await client.request(`c${c}-${n}`);
              if (reply === null || !reply.endsWith(` c${c}-${n}`)) {
                unanswered += 1;
                continue;
              }
              const pid = reply.slice(0, reply.indexOf(' '));
              counts.set(pid, (counts.get(pid) ?? 0) + 1);
            }
          };
          await Promise.all(Array.from({ length: WINDOW }, lane));
        }),
      );
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await pool.close();
    }
    const distribution = pids.map((pid) => counts.get(String(pid)) ?? 0);
    console.log(
      `[distribution] ${kind} workers=${workers} requests=${CLIENTS * PER_CLIENT} per worker: ${distribution.join(' / ')}`,
    );
    expect(unanswered).toBe(0);
    // Only the workers answered (the primary reads nothing).
    expect([...counts.keys()].every((pid) => pids.includes(Number(pid)))).toBe(true);
    expect(distribution.reduce((a, b) => a + b, 0)).toBe(CLIENTS * PER_CLIENT);
    if (workers >= 2) expect(distribution.filter((n) => n > 0).length).toBeGreaterThan(1);
    // Everything is gone afterwards.
    for (const pid of pids) expect(await isAlive(pid)).toBe(false);
    expect(await childrenOf(process.pid)).toEqual([]);
    if (kind === 'unix') expect(existsSync(path)).toBe(false);
  });
});
