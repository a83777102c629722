/**
 * `ps` with children_count 3 (real processes): each worker answers from the
 * table the primary announces, its reply cached per table generation. A
 * SIGKILLed worker's replacement shows with its new PID, and the dead one
 * disappears, in the `ps` of every worker, legacy and JSON-RPC, cached
 * replies included.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { noProcessLeft, startPooled } from './helpers/pooled.js';
import { waitFor } from './helpers/procs.js';
import { clientFor, type RawClient, text } from './helpers/raw.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-pool-ps-'));
  await writeFile(
    join(dir, 'whoami.mjs'),
    "export default [{ name: 'whoami', handler: () => ({ json: { pid: process.pid } }) }];\n",
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(noProcessLeft);

const sorted = (pids: readonly number[]): number[] => [...pids].sort((a, b) => a - b);

function legacyPids(reply: string | null): number[] {
  return (reply ?? '')
    .split('\n')
    .filter((line) => line.startsWith('Process::'))
    .map((line) => Number(/ PID=(\d+) /.exec(line)?.[1]));
}

interface PsResult {
  result: { Processes: Array<{ ID: number; PID: number; Type: string }> };
}

const jsonPids = (reply: Buffer): number[] =>
  (JSON.parse(reply.toString('utf8')) as PsResult).result.Processes.map((p) => p.PID);

const PS_JSON = '{"jsonrpc":"2.0","method":"ps","id":7}';
/** One datagram, so one worker answers both: its `ps` and its PID. */
const PS_AND_WHOAMI =
  '[{"jsonrpc":"2.0","method":"ps","id":1},{"jsonrpc":"2.0","method":"whoami","id":2}]';

describe.each(['unix', 'udp'] as const)('%s: ps after a worker is replaced', (kind) => {
  it('every worker lists the new PID (and not the dead one), cached replies included', async () => {
    const socket = kind === 'unix' ? join(dir, 'ps.sock') : 'udp:127.0.0.1:0';
    const { run, primary, addresses, workers } = await startPooled(
      ['--socket-name', socket, '--commands', join(dir, 'whoami.mjs')],
      3,
    );
    const [address] = addresses;
    const before = await workers();
    expect(before).toHaveLength(3);
    const client: RawClient = await clientFor(address as string, dir);
    try {
      // Every worker fills its caches with the first table.
      await waitFor(
        async () => {
          expect(sorted(legacyPids(text(await client.request(':ps:\n'))))).toEqual(
            sorted([primary, ...before]),
          );
          expect(sorted(jsonPids(await client.request(PS_JSON)))).toEqual(
            sorted([primary, ...before]),
          );
          return true;
        },
        5_000,
        'ps',
      );
      for (let i = 0; i < 30; i++) {
        await client.request(':ps:\n');
        await client.request(PS_JSON);
      }

      const victim = before[0] as number;
      process.kill(victim, 'SIGKILL');
      await waitFor(
        async () => {
          const now = await workers();
          return now.length === 3 && !now.includes(victim);
        },
        15_000,
        'a replacement worker',
      );
      const after = await workers();
      const expected = sorted([primary, ...after]);
      // Poll through whichever worker the kernel picks until each has answered with the new table.
      const upToDate = new Set<number>();
      await waitFor(
        async () => {
          const reply = await client.request(PS_AND_WHOAMI);
          const [ps, who] = JSON.parse(reply.toString('utf8')) as [
            PsResult,
            { result: { pid: number } },
          ];
          const pids = sorted(ps.result.Processes.map((p) => p.PID));
          if (JSON.stringify(pids) === JSON.stringify(expected)) upToDate.add(who.result.pid);
          return after.every((pid) => upToDate.has(pid));
        },
        15_000,
        'every worker to list the replacement',
      );
      // From now on every reply, whoever answers and whether cached or not, is the new table.
      for (let i = 0; i < 30; i++) {
        expect(sorted(legacyPids(text(await client.request(':ps:\n'))))).toEqual(expected);
        expect(sorted(jsonPids(await client.request(PS_JSON)))).toEqual(expected);
      }
    } finally {
      await client.close();
    }
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 60_000);
});
