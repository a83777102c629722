/**
 * The statistics commands of one server process, over UNIX and UDP, in
 * both protocols, against the replies of a real OpenSIPS 2.4.11
 * (../shared/conformance/replies-opensips-2.4-statistics.txt, exact bytes
 * where the values do not depend on the machine) and the JSON shapes of a
 * real 3.6.8 (replies-opensips-3.6.txt); the statistics API, and the
 * metrics endpoint checked with a Prometheus text parser.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type RunningServer, StatisticsRegistry, startServer } from '../src/index.js';
import { EXAMPLES } from './helpers/e2e-server.js';
import { clientFor, type RawClient } from './helpers/raw.js';
import { readRecording } from './helpers/recording.js';

const CONFORMANCE = new URL('../../../../shared/conformance/', import.meta.url);
const v24 = readRecording(new URL('replies-opensips-2.4-statistics.txt', CONFORMANCE));
const v36 = readRecording(new URL('replies-opensips-3.6.txt', CONFORMANCE));

function recorded(map: Map<string, { request: Buffer; reply: Buffer | null }>, title: string) {
  const r = map.get(title);
  if (r === undefined || r.reply === null) throw new Error(`no recorded reply for ${title}`);
  return { request: r.request.toString('latin1'), reply: r.reply.toString('latin1') };
}

/** `200 OK`, then `group:name:: value` lines, then the empty line: the 2.4 shape. */
const VALUES_REPLY = /^200 OK\n(?:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+:: -?[0-9]+(?:\.[0-9]+)?\n)+\n$/;
const KINDS_REPLY = /^200 OK\n(?:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+:: (?:non-)?incremental\n)+\n$/;

function lines(reply: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of reply.split('\n').slice(1)) {
    const at = line.indexOf(':: ');
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 3));
  }
  return out;
}

let dir: string;
let running: RunningServer;
const clients = new Map<string, RawClient>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mi-statistics-'));
  running = await startServer({
    socket_name: [join(dir, 'mi.sock'), 'udp:127.0.0.1:0'],
    commandModules: [EXAMPLES],
    metrics_listen: '127.0.0.1:0',
    logger: createLogger({ write: () => {} }),
  });
  clients.set('unix', await clientFor(running.addresses[0] as string, dir));
  clients.set('udp', await clientFor(running.addresses[1] as string, dir));
});

afterAll(async () => {
  for (const c of clients.values()) await c.close();
  await running?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function ask(transport: string, request: string): Promise<string> {
  const client = clients.get(transport);
  if (client === undefined) throw new Error(transport);
  return (await client.request(request, 5000)).toString('latin1');
}

async function rpc(transport: string, method: string, params?: unknown): Promise<unknown> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    method,
    ...(params === undefined ? {} : { params }),
    id: 1,
  });
  return JSON.parse(await ask(transport, body));
}

describe.each(['unix', 'udp'])('legacy protocol over %s, as OpenSIPS 2.4', (transport) => {
  it('get_statistics all: group:name:: value lines, the recorded shape', async () => {
    const rec = recorded(v24, 'get_statistics: all groups');
    expect(rec.reply).toMatch(VALUES_REPLY);
    const reply = await ask(transport, rec.request);
    expect(reply).toMatch(VALUES_REPLY);
    const got = lines(reply);
    for (const name of ['mi:requests', 'mi:replies_2xx', 'process:rss', 'process:uptime']) {
      expect(got.has(name), name).toBe(true);
    }
    expect(got.get('example:cache_entries')).toBeDefined();
  });

  it('one group (group:) answers only that group, in registration order', async () => {
    const rec = recorded(v24, 'get_statistics: one group');
    expect(rec.request).toBe(':get_statistics:\ncore:\n');
    const reply = await ask(transport, ':get_statistics:\nmi:\n');
    expect(reply).toMatch(VALUES_REPLY);
    const names = [...lines(reply).keys()];
    expect(names[0]).toBe('mi:requests');
    expect(names.every((n) => n.startsWith('mi:'))).toBe(true);
  });

  it('a bare name and group:name; unknown names are skipped', async () => {
    const reply = await ask(transport, ':get_statistics:\nrequests\nnosuch\nprocess:heap_used\n');
    expect(reply).toMatch(VALUES_REPLY);
    expect([...lines(reply).keys()]).toEqual(['mi:requests', 'process:heap_used']);
  });

  it('unknown name and no name: the recorded bytes', async () => {
    const unknown = recorded(v24, 'get_statistics: unknown name');
    expect(await ask(transport, unknown.request)).toBe(unknown.reply);
    const none = recorded(v24, 'get_statistics: no argument');
    expect(await ask(transport, none.request)).toBe(none.reply);
  });

  it('list_statistics: incremental counters, non-incremental gauges', async () => {
    const rec = recorded(v24, 'list_statistics');
    expect(rec.reply).toMatch(KINDS_REPLY);
    const reply = await ask(transport, rec.request);
    expect(reply).toMatch(KINDS_REPLY);
    const got = lines(reply);
    expect(got.get('mi:requests')).toBe('incremental');
    expect(got.get('process:rss')).toBe('non-incremental');
    expect(got.get('example:cache_stores')).toBe('incremental');
  });

  it('reset_statistics: the recorded 200 and 404; a counter restarts from 0', async () => {
    const ok = recorded(v24, 'reset_statistics: one name');
    const unknown = recorded(v24, 'reset_statistics: unknown name');
    expect(await ask(transport, unknown.request)).toBe(unknown.reply);
    await ask(transport, ':cache_store:\nlocal\nk\nv\n');
    await ask(transport, ':cache_store:\nlocal\nk2\nv\n');
    const before = lines(await ask(transport, ':get_statistics:\nexample:\n'));
    expect(Number(before.get('example:cache_stores'))).toBeGreaterThanOrEqual(2);
    // The recorded request with our name for it.
    const request = ok.request.replace('rcv_requests', 'cache_stores');
    expect(await ask(transport, request)).toBe(ok.reply);
    const after = lines(await ask(transport, ':get_statistics:\ncache_stores\n'));
    expect(after.get('example:cache_stores')).toBe('0');
    // A gauge is found but not reset.
    expect(await ask(transport, ':reset_statistics:\ncache_entries\n')).toBe(ok.reply);
    const entries = lines(await ask(transport, ':get_statistics:\ncache_entries\n'));
    expect(Number(entries.get('example:cache_entries'))).toBeGreaterThanOrEqual(2);
  });

  it('mi counters count the requests, reset_all_statistics resets them', async () => {
    const first = Number(
      lines(await ask(transport, ':get_statistics:\nrequests\n')).get('mi:requests'),
    );
    await ask(transport, ':version:\n');
    const second = Number(
      lines(await ask(transport, ':get_statistics:\nrequests\n')).get('mi:requests'),
    );
    expect(second).toBeGreaterThanOrEqual(first + 2);
    expect(await ask(transport, ':reset_all_statistics:\n')).toBe('200 OK\n\n');
    const third = Number(
      lines(await ask(transport, ':get_statistics:\nrequests\n')).get('mi:requests'),
    );
    // Only requests since the reset (the get_statistics itself, maybe one of the other transport).
    expect(third).toBeLessThan(second);
  });
});

describe.each(['unix', 'udp'])('JSON-RPC over %s, as OpenSIPS 3.6', (transport) => {
  it('get_statistics {statistics: [all]} and [group:]: an object of numbers', async () => {
    for (const [title, ours] of [
      ['get_statistics [all]', ['all']],
      ['get_statistics [core:]', ['mi:']],
    ] as const) {
      const rec = JSON.parse(recorded(v36, title).reply) as { result: Record<string, unknown> };
      const reply = (await rpc(transport, 'get_statistics', { statistics: ours })) as {
        result: Record<string, unknown>;
      };
      for (const r of [rec.result, reply.result]) {
        expect(Object.keys(r).length).toBeGreaterThan(0);
        for (const [k, v] of Object.entries(r)) {
          expect(k).toMatch(/^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$/);
          expect(typeof v).toBe('number');
        }
      }
      if (ours[0] === 'mi:') {
        expect(Object.keys(reply.result).every((k) => k.startsWith('mi:'))).toBe(true);
      }
    }
  });

  it('positional params, list_statistics, reset_statistics, reset_all_statistics', async () => {
    const byPosition = (await rpc(transport, 'get_statistics', [['uptime']])) as {
      result: Record<string, number>;
    };
    expect(Object.keys(byPosition.result)).toEqual(['process:uptime']);
    const list = (await rpc(transport, 'list_statistics')) as { result: Record<string, string> };
    const recList = JSON.parse(recorded(v36, 'list_statistics').reply) as {
      result: Record<string, string>;
    };
    for (const r of [recList.result, list.result]) {
      expect(new Set(Object.values(r))).toEqual(new Set(['incremental', 'non-incremental']));
    }
    const recReset = recorded(v36, 'reset_statistics [rcv_requests]');
    const reset = await ask(transport, recReset.request.replace('rcv_requests', 'requests'));
    expect(reset).toBe(recReset.reply);
    expect(await rpc(transport, 'reset_all_statistics')).toEqual({
      jsonrpc: '2.0',
      result: 'OK',
      id: 1,
    });
    expect(await rpc(transport, 'get_statistics', { statistics: ['nosuch'] })).toEqual({
      jsonrpc: '2.0',
      error: { code: 404, message: 'Statistics Not Found' },
      id: 1,
    });
  });
});

describe('which', () => {
  it('lists the statistics commands first, as OpenSIPS does', async () => {
    const reply = await ask('unix', ':which:\n');
    expect(reply.split('\n').slice(1, 5)).toEqual([
      'get_statistics',
      'list_statistics',
      'reset_statistics',
      'reset_all_statistics',
    ]);
  });
});

describe('metrics endpoint', () => {
  it('serves GET /metrics in the Prometheus text format (parsed by a real parser)', async () => {
    await ask('unix', ':echo:\na\n');
    const address = running.metricsAddress;
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await fetch(`http://${address}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    const families = parsePrometheusTextFormat(body);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('mi_datagram_mi_requests_total')?.type).toBe('COUNTER');
    expect(Number(byName.get('mi_datagram_mi_requests_total')?.metrics[0]?.value)).toBeGreaterThan(
      0,
    );
    expect(byName.get('mi_datagram_process_rss')?.type).toBe('GAUGE');
    expect(byName.get('mi_datagram_example_cache_stores_total')?.type).toBe('COUNTER');
    const hist = byName.get('mi_datagram_command_duration_seconds');
    expect(hist?.type).toBe('HISTOGRAM');
    // This parser folds a family's buckets into one object keyed by `le` (it drops other labels).
    const buckets = hist?.metrics[0]?.buckets ?? {};
    expect(Object.keys(buckets)).toHaveLength(29);
    expect(Object.keys(buckets).at(-1)).toBe('+Inf');
    const counts = Object.values(buckets).map(Number);
    for (let i = 1; i < counts.length; i++) {
      expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1] as number);
    }
    // The echo command's own series: +Inf bucket = count >= 1.
    const sample = (suffix: string) =>
      body.split('\n').find((l) => l.startsWith(`mi_datagram_command_duration_seconds_${suffix}`));
    const inf = sample('bucket{command="echo",le="+Inf"}');
    const count = sample('count{command="echo"}');
    expect(Number(inf?.split(' ')[1])).toBeGreaterThanOrEqual(1);
    expect(count?.split(' ')[1]).toBe(inf?.split(' ')[1]);
  });

  it('the parser refuses malformed text (so the check above can fail)', () => {
    expect(() => parsePrometheusTextFormat('# TYPE x counter\nx{a="1" 3\n')).toThrow();
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    const address = running.metricsAddress;
    expect((await fetch(`http://${address}/other`)).status).toBe(404);
    expect((await fetch(`http://${address}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('statistics API', () => {
  it('counters and gauges in groups; registered once; names checked', () => {
    const registry = new StatisticsRegistry();
    const hits = registry.counter('app', 'hits');
    expect(registry.counter('app', 'hits')).toBe(hits);
    hits.inc();
    hits.inc(4);
    let depth = 7;
    registry.gauge('app', 'depth', { read: () => depth });
    const queued = registry.gauge('app', 'queued');
    queued.set(3);
    queued.dec();
    registry.gauge('app', 'broken', {
      read: () => {
        throw new Error('no');
      },
    });
    const read = () =>
      Object.fromEntries([...registry.entries()].map((e) => [`${e.group}:${e.name}`, e.read()]));
    expect(read()).toEqual({ 'app:hits': 5, 'app:depth': 7, 'app:queued': 2, 'app:broken': 0 });
    depth = 9;
    for (const e of registry.entries()) e.reset();
    expect(read()).toEqual({ 'app:hits': 0, 'app:depth': 9, 'app:queued': 2, 'app:broken': 0 });
    expect(() => registry.gauge('app', 'hits')).toThrow(/already registered as a counter/);
    expect(() => registry.counter('bad:group', 'x')).toThrow(/invalid statistic group/);
    expect(() => registry.counter('app', 'with space')).toThrow(/invalid statistic name/);
  });
});
