/**
 * Replays the requests of ../shared/conformance/replies-opensips-3.6.txt (a
 * real OpenSIPS 3.6.8 over JSON-RPC) against our server over UNIX and UDP,
 * in the recorded order (the cache entries depend on it), and compares the
 * reply bytes. Excepted, by masking the same fields on both sides: process
 * ids, times, paths, the list of command names, the server's own name and
 * help texts; everything else (key order, numbers vs strings, error codes,
 * messages and `data`) must be byte-identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, startE2eServer, stopE2eServer } from './helpers/e2e-server.js';
import { clientFor, type RawClient } from './helpers/raw.js';
import { type Exchange36, loadExchanges36 } from './helpers/recording-36.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Mask = (value: Json) => Json;

/** What to do with an entry of the recording. */
type Treatment =
  | { readonly kind: 'exact' }
  | { readonly kind: 'masked'; readonly mask: Mask }
  | { readonly kind: 'no-reply' }
  | { readonly kind: 'skip'; readonly why: string };

const EXACT: Treatment = { kind: 'exact' };

function masked(mask: Mask): Treatment {
  return { kind: 'masked', mask };
}

/** Replaces the `result` member through `f`. */
const onResult =
  (f: (result: Json) => Json): Mask =>
  (reply) => {
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return reply;
    return { ...reply, result: f(reply.result ?? null) };
  };

/** Replaces the listed members of an object result with their JSON type. */
const typesOf = (...keys: string[]): Mask =>
  onResult((result) => {
    if (typeof result !== 'object' || result === null || Array.isArray(result)) return result;
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(result)) out[k] = keys.includes(k) ? `<${typeof v}>` : v;
    return out;
  });

/** `{ Processes: [...] }`: each row becomes its keys and value types (distinct rows only). */
const processRows = onResult((result) => {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return result;
  const rows = result.Processes;
  if (!Array.isArray(rows)) return result;
  const shapes = rows.map((row) =>
    typeof row === 'object' && row !== null && !Array.isArray(row)
      ? Object.entries(row)
          .map(([k, v]) => `${k}:${typeof v}`)
          .join(',')
      : typeof row,
  );
  return { ...result, Processes: [...new Set(shapes)] };
});

/** An array of strings whose contents are ours (command names, argv). */
const stringList = onResult((result) =>
  Array.isArray(result) && result.every((v) => typeof v === 'string') ? '<string[]>' : result,
);

/**
 * Our -32600 answers carry a `data` text saying what is wrong with the
 * request (`jsonrpc must be exactly "2.0"`), which OpenSIPS 3.6 leaves out:
 * the rest must match.
 */
const withoutErrorData: Mask = (reply) => {
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return reply;
  const error = reply.error;
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return reply;
  const { data: _data, ...rest } = error;
  return { ...reply, error: rest };
};

const ISSUE_14 =
  "statistics: the names and values are OpenSIPS's own (shmem:, core:); test/statistics.test.ts replays these requests and checks the shapes";

/** Every entry of the recording, by title. The test fails on a title missing here. */
const TREATMENTS: Readonly<Record<string, Treatment>> = {
  which: masked(stringList),
  'which command=cache_fetch': EXACT,
  'which [log_level] (positional)': EXACT,
  'which command=nosuch': EXACT,
  version: masked(typesOf('Server')),
  uptime: masked(typesOf('Now', 'Up since', 'Up time')),
  ps: masked(processRows),
  pwd: masked(typesOf('WD')),
  arg: masked(stringList),
  'log_level (get)': masked(processRows),
  'log_level level=3': EXACT,
  'log_level level=abc': EXACT,
  // The PID is rewritten to one of ours (see `requestFor`).
  'log_level level=2 pid=<SIP receiver 31154>': EXACT,
  'log_level level=2 pid=1': EXACT,
  help: EXACT,
  // Our help text names our server, not OpenSIPS.
  'help mi_cmd=log_level': masked(typesOf('Help')),
  'help mi_cmd=nosuch': EXACT,
  'cache_store local k=v': EXACT,
  'cache_fetch local k': EXACT,
  'cache_fetch local missing': EXACT,
  'cache_fetch [local,k] (positional)': EXACT,
  'cache_fetch attr-first order': EXACT,
  'cache_fetch missing attr param': EXACT,
  'cache_fetch extra bogus param': EXACT,
  'get_statistics [all]': { kind: 'skip', why: ISSUE_14 },
  'get_statistics [core:]': { kind: 'skip', why: ISSUE_14 },
  list_statistics: { kind: 'skip', why: ISSUE_14 },
  'reset_statistics [rcv_requests]': { kind: 'skip', why: ISSUE_14 },
  nosuch_method: EXACT,
  'notification version (no id)': { kind: 'no-reply' },
  // PROTOCOL.md 5, "What we do": deliberately better than the original.
  'batch [version,uptime]': { kind: 'skip', why: 'we answer batches (PROTOCOL.md 5)' },
  'invalid JSON': { kind: 'skip', why: 'we answer -32700 with id null (PROTOCOL.md 5)' },
  'jsonrpc 1.0': masked(withoutErrorData),
  'method is a number': masked(withoutErrorData),
  'params is a string': masked(withoutErrorData),
  'id is an object': {
    kind: 'skip',
    why: 'we answer -32600 with id null as JSON-RPC 2.0 asks (PROTOCOL.md 5), not a text line',
  },
  'legacy 2.x text :version:': { kind: 'skip', why: 'we also speak the legacy text protocol' },
  'empty datagram (no reply expected)': { kind: 'no-reply' },
  '70000-byte JSON (version + pad param)': {
    kind: 'skip',
    why: 'abridged in the recording; we answer a JSON error for an oversized request (PROTOCOL.md 4)',
  },
};

const exchanges = loadExchanges36();

let server: E2eServer;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startE2eServer('mi-replay36-', { commands: [], logLines });
});

afterAll(async () => {
  await stopE2eServer(server);
});

/** The request to send: the recorded one, with a PID of ours where it names an OpenSIPS process. */
function requestFor(exchange: Exchange36): Buffer {
  const request = exchange.request;
  if (request === null) throw new Error(`${exchange.title}: abridged request`);
  if (!exchange.title.includes('<SIP receiver')) return request;
  return Buffer.from(request.toString('latin1').replace('31154', String(process.pid)), 'latin1');
}

function parse(bytes: Buffer): Json {
  return JSON.parse(bytes.toString('utf8')) as Json;
}

it('every entry of the recording has a treatment', () => {
  expect(exchanges.length).toBeGreaterThan(30);
  expect(exchanges.map((e) => e.title).filter((t) => TREATMENTS[t] === undefined)).toEqual([]);
});

describe.each([
  ['UNIX', 0],
  ['UDP', 1],
])('the 3.6 recording replayed over %s', (_kind, listener) => {
  let client: RawClient;
  beforeAll(async () => {
    client = await clientFor(server.running.addresses[listener] ?? '', server.dir);
  });
  afterAll(async () => {
    await client.close();
  });

  it('answers every deterministic request as OpenSIPS 3.6 did', async () => {
    let compared = 0;
    for (const exchange of exchanges) {
      const treatment = TREATMENTS[exchange.title] ?? EXACT;
      if (treatment.kind === 'skip') continue;
      const request = requestFor(exchange);
      if (treatment.kind === 'no-reply') {
        expect(exchange.reply, exchange.title).toBeNull();
        // Nothing comes back: the next reply is the answer to the next request.
        client.send(request);
        const probe = '{"jsonrpc":"2.0","method":"help","id":"probe"}';
        expect((await client.request(probe)).toString(), exchange.title).toContain('"id":"probe"');
        compared++;
        continue;
      }
      const expected = exchange.reply;
      if (expected === null) throw new Error(`${exchange.title}: no recorded reply`);
      const reply = await client.request(request);
      if (treatment.kind === 'exact') {
        expect(reply.toString('latin1'), exchange.title).toBe(expected.toString('latin1'));
      } else {
        // Masked: the same compact encoding (key order included), then the same masked value.
        expect(JSON.stringify(parse(reply)), exchange.title).toBe(reply.toString('utf8'));
        expect(JSON.stringify(treatment.mask(parse(reply))), exchange.title).toBe(
          JSON.stringify(treatment.mask(parse(expected))),
        );
      }
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(28);
  });

  it('the masked values are ours: command names, argv, process table', async () => {
    const which = parse(await client.request('{"jsonrpc":"2.0","method":"which","id":1}'));
    expect(which).toMatchObject({ result: server.running.registry.names() });
    const ps = parse(await client.request('{"jsonrpc":"2.0","method":"ps","id":1}'));
    expect(ps).toMatchObject({ result: { Processes: [{ ID: 0, PID: process.pid }] } });
  });
});
