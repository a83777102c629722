/**
 * `ps` answered from its encoded reply (legacy bytes, JSON-RPC template with
 * the id spliced in), kept per process-table generation and registry
 * generation: the same bytes as the full encoder for every id, a new reply
 * as soon as the table's generation changes, never cached for a table that
 * has no snapshot, and the statistics, rate limit and debug line of an
 * ordinary call.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJsonRpcResponse, encodeReply } from '@mi-datagram/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  defineCommand,
  type ProcessEntry,
  type ProcessInfo,
  type ProcessSnapshot,
  type ProcessTable,
  type RunningServer,
  startServer,
} from '../src/index.js';
import { clientFor, type RawClient } from './helpers/raw.js';

/**
 * A table whose membership the test changes, as a pool worker's changes when
 * the primary announces a replacement. `reads` counts how often the rows of
 * a snapshot were read: only a `ps` handler run reads them.
 */
class MovingTable implements ProcessTable {
  reads = 0;
  lists = 0;
  #generation = 1;
  #rows: ProcessEntry[];
  #snapshot: ProcessSnapshot;

  constructor(rows: ProcessEntry[]) {
    this.#rows = rows;
    this.#snapshot = this.#build();
  }

  snapshot(): ProcessSnapshot {
    return this.#snapshot;
  }

  #build(): ProcessSnapshot {
    const rows = this.#rows;
    const table = this;
    return {
      generation: this.#generation,
      get processes() {
        table.reads++;
        return rows;
      },
    };
  }

  /** Worker `id` replaced by a process with `pid`: a new generation. */
  replace(id: number, pid: number): void {
    this.#rows = this.#rows.map((row) => (row.id === id ? { ...row, pid } : row));
    this.#generation++;
    this.#snapshot = this.#build();
  }

  get rows(): readonly ProcessEntry[] {
    return this.#rows;
  }

  list(): readonly ProcessInfo[] {
    this.lists++;
    return this.#rows.map((row) => ({ ...row, logLevel: 3 }));
  }

  setGlobalLogLevel(): void {}

  setProcessLogLevel(): boolean {
    return false;
  }
}

/** The table without the optional snapshot: `ps` reads `list()` on every call. */
class ListOnlyTable implements ProcessTable {
  readonly #inner: MovingTable;
  constructor(inner: MovingTable) {
    this.#inner = inner;
  }
  list(): Promise<readonly ProcessInfo[]> {
    return Promise.resolve(this.#inner.list());
  }
  setGlobalLogLevel(): void {}
  setProcessLogLevel(): boolean {
    return false;
  }
}

const ROWS: ProcessEntry[] = [
  { id: 0, pid: 4100, type: 'attendant' },
  { id: 1, pid: 4101, type: 'MI Datagram' },
  { id: 2, pid: 4102, type: 'MI Datagram' },
];

let dir: string;
const debugLines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-ps-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the full legacy encoder answers for `rows` (the cache must hand out these bytes). */
function legacyBytes(rows: readonly ProcessEntry[]): string {
  const nodes = rows.map((p) => ({
    name: 'Process',
    value: '',
    attributes: [
      ['ID', String(p.id)],
      ['PID', String(p.pid)],
      ['Type', p.type],
    ] as Array<[string, string]>,
  }));
  const bytes = encodeReply({ code: 200, reason: 'OK', nodes }, { indent: '\t' });
  return Buffer.from(bytes).toString('latin1');
}

/** What the full JSON-RPC encoder answers for `rows` and `id` (given as JSON text). */
function jsonRpcBytes(rows: readonly ProcessEntry[], idText: string): string {
  const result = { Processes: rows.map((p) => ({ ID: p.id, PID: p.pid, Type: p.type })) };
  const id = JSON.parse(idText) as string | number | null;
  const bytes = encodeJsonRpcResponse({ jsonrpc: '2.0', result, id });
  return Buffer.from(bytes as Uint8Array).toString('utf8');
}

const psRequest = (id: string): Buffer =>
  Buffer.from(`{"jsonrpc":"2.0","method":"ps","id":${id}}`, 'utf8');
const IDS = ['1', '"abc"', '"é\\"x"', 'null', '-7', '123456789012'];

async function withServer(
  processes: ProcessTable,
  f: (running: RunningServer, unix: RawClient, udp: RawClient) => Promise<void>,
): Promise<void> {
  const running = await startServer({
    sockets: [
      { socket_name: join(dir, `ps-${Math.random().toString(36).slice(2)}.sock`) },
      { socket_name: 'udp:127.0.0.1:0', rate_limit: 3 },
    ],
    processes,
    logger: createLogger({ level: 4, write: (line) => debugLines.push(line) }),
  });
  const unix = await clientFor(running.addresses[0] as string, dir);
  const udp = await clientFor(running.addresses[1] as string, dir);
  try {
    await f(running, unix, udp);
  } finally {
    await unix.close();
    await udp.close();
    await running.close();
  }
}

const utf8 = (reply: Uint8Array): string => Buffer.from(reply).toString('utf8');
const latin1 = (reply: Uint8Array): string => Buffer.from(reply).toString('latin1');
const psCalls = (running: RunningServer): number =>
  running.server.stats().commands.find((c) => c.name === 'ps')?.calls ?? 0;

describe('ps from a table with a snapshot', () => {
  it('legacy: the cached bytes are the encoder’s, until the table’s generation changes', async () => {
    const table = new MovingTable(ROWS);
    await withServer(table, async (running, unix) => {
      const first = latin1(await unix.request(':ps:\n'));
      expect(first).toBe(legacyBytes(ROWS));
      expect(first).toBe(
        '200 OK\nProcess::  ID=0 PID=4100 Type=attendant\nProcess::  ID=1 PID=4101 Type=MI Datagram\n' +
          'Process::  ID=2 PID=4102 Type=MI Datagram\n\n',
      );
      const readsAfterFirst = table.reads;
      expect(readsAfterFirst).toBe(1);
      for (let i = 0; i < 5; i++) expect(latin1(await unix.request(':ps:\n'))).toBe(first);
      // Served from the cache: the handler did not run again, the calls were counted.
      expect(table.reads).toBe(readsAfterFirst);
      expect(psCalls(running)).toBe(6);
      // A worker replaced: the next reply lists the new PID, built once for the new generation.
      table.replace(2, 5202);
      const second = latin1(await unix.request(':ps:\n'));
      expect(second).toBe(legacyBytes(table.rows));
      expect(second).toContain('ID=2 PID=5202 Type=MI Datagram');
      expect(table.reads).toBe(readsAfterFirst + 1);
      expect(latin1(await unix.request(':ps:\n'))).toBe(second);
      expect(table.reads).toBe(readsAfterFirst + 1);
      // A request with a body is served the ordinary way, with the same reply.
      expect(latin1(await unix.request(':ps:\nignored\n'))).toBe(second);
      expect(table.lists).toBe(0);
    });
  });

  it('JSON-RPC: every id gets the full encoder’s bytes; a new generation, a new result', async () => {
    const table = new MovingTable(ROWS);
    await withServer(table, async (running, unix) => {
      for (const id of IDS) {
        expect(utf8(await unix.request(psRequest(id)))).toBe(jsonRpcBytes(ROWS, id));
      }
      expect(table.reads).toBe(1);
      expect(psCalls(running)).toBe(IDS.length);
      // The id 18446744073709551616 keeps its digits (spliced in as the request wrote it).
      expect(utf8(await unix.request(psRequest('18446744073709551616')))).toBe(
        jsonRpcBytes(ROWS, '0').replace(/"id":0}$/, '"id":18446744073709551616}'),
      );
      table.replace(1, 6101);
      for (const id of IDS) {
        expect(utf8(await unix.request(psRequest(id)))).toBe(jsonRpcBytes(table.rows, id));
      }
      expect(table.reads).toBe(2);
      // A notification gets nothing, cached or not.
      unix.send('{"jsonrpc":"2.0","method":"ps"}');
      expect(await unix.next(200)).toBeNull();
    });
  });

  it('a registry change also rebuilds the reply', async () => {
    const table = new MovingTable(ROWS);
    await withServer(table, async (running, unix) => {
      expect(latin1(await unix.request(':ps:\n'))).toBe(legacyBytes(ROWS));
      expect(utf8(await unix.request(psRequest('1')))).toBe(jsonRpcBytes(ROWS, '1'));
      expect(table.reads).toBe(2);
      running.registry.register(defineCommand({ name: 'added_later', handler: () => undefined }));
      expect(latin1(await unix.request(':ps:\n'))).toBe(legacyBytes(ROWS));
      expect(utf8(await unix.request(psRequest('2')))).toBe(jsonRpcBytes(ROWS, '2'));
      expect(table.reads).toBe(4);
    });
  });

  it('cached answers keep the rate limit and the debug line of an ordinary call', async () => {
    const table = new MovingTable(ROWS);
    await withServer(table, async (running, _unix, udp) => {
      debugLines.length = 0;
      const legacy: string[] = [];
      for (let i = 0; i < 6; i++) legacy.push(latin1(await udp.request(':ps:\n')));
      const served = legacy.filter((reply) => reply.startsWith('200 OK\n'));
      // Burst of 3 per second: 6 requests in a row take far less than the refill of 3 more.
      expect(served.length).toBeGreaterThanOrEqual(3);
      expect(served.length).toBeLessThan(6);
      for (const reply of served) expect(reply).toBe(legacyBytes(ROWS));
      for (const reply of legacy.slice(served.length)) expect(reply).toMatch(/^429 /);
      const requestLines = debugLines.filter(
        (line) => line.includes('"msg":"request"') && line.includes('"command":"ps"'),
      );
      expect(requestLines.length).toBe(served.length);
      expect(running.server.stats().rateLimited).toBeGreaterThanOrEqual(1);
    });
  });
});

describe('ps from a table without a snapshot', () => {
  it('is built from list() on every call (nothing to key a cache on), and follows it', async () => {
    const inner = new MovingTable(ROWS);
    await withServer(new ListOnlyTable(inner), async (_running, unix) => {
      for (let i = 0; i < 3; i++)
        expect(latin1(await unix.request(':ps:\n'))).toBe(legacyBytes(ROWS));
      expect(utf8(await unix.request(psRequest('1')))).toBe(jsonRpcBytes(ROWS, '1'));
      expect(utf8(await unix.request(psRequest('2')))).toBe(jsonRpcBytes(ROWS, '2'));
      expect(inner.lists).toBe(5);
      inner.replace(2, 7202);
      expect(latin1(await unix.request(':ps:\n'))).toBe(legacyBytes(inner.rows));
      expect(utf8(await unix.request(psRequest('3')))).toBe(jsonRpcBytes(inner.rows, '3'));
      expect(inner.lists).toBe(7);
    });
  });
});
