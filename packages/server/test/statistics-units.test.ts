/**
 * Units of the statistics: name selection, the pool merge, the metrics
 * parameters (loopback unless an allowlist is given) and the endpoint's
 * allowlist.
 */
import { describe, expect, it } from 'vitest';
import { metricsEndpointSpec, resolveConfig, validateParams } from '../src/config/index.js';
import { createLogger, startMetricsEndpoint } from '../src/ops/index.js';
import {
  mergeStatistics,
  renderMetrics,
  type StatisticValue,
  selectStatistics,
} from '../src/statistics/index.js';

const v = (
  group: string,
  name: string,
  kind: 'counter' | 'gauge',
  value: number,
  merge: 'sum' | 'max' | 'avg' = 'sum',
): StatisticValue => ({ group, name, kind, value, merge, help: '' });

describe('selectStatistics', () => {
  const values = [v('mi', 'requests', 'counter', 1), v('process', 'rss', 'gauge', 2)];
  it('all, group:, group:name, bare name; unknown skipped; in the order asked', () => {
    const names = (asked: string[]) =>
      selectStatistics(values, asked).map((s) => `${s.group}:${s.name}`);
    expect(names(['all'])).toEqual(['mi:requests', 'process:rss']);
    expect(names(['process:'])).toEqual(['process:rss']);
    expect(names(['rss', 'nosuch', 'mi:requests'])).toEqual(['process:rss', 'mi:requests']);
    expect(names(['mi:rss', 'nosuch:', ''])).toEqual([]);
  });
});

describe('mergeStatistics', () => {
  it('sums counters, merges gauges by their rule and lists them per process', () => {
    const merged = mergeStatistics([
      {
        proc: 2,
        values: [
          v('mi', 'requests', 'counter', 5),
          v('process', 'rss', 'gauge', 100),
          v('process', 'uptime', 'gauge', 7, 'max'),
          v('process', 'elu', 'gauge', 30, 'avg'),
        ],
      },
      {
        proc: 1,
        values: [
          v('mi', 'requests', 'counter', 3),
          v('process', 'rss', 'gauge', 50),
          v('process', 'uptime', 'gauge', 9, 'max'),
          v('process', 'elu', 'gauge', 10, 'avg'),
        ],
      },
    ]);
    const flat = merged.map((s) => [
      `${s.group}:${s.name}${s.proc === undefined ? '' : `-proc-${s.proc}`}`,
      s.value,
    ]);
    expect(flat).toEqual([
      ['mi:requests', 8],
      ['process:rss', 150],
      ['process:rss-proc-1', 50],
      ['process:rss-proc-2', 100],
      ['process:uptime', 9],
      ['process:uptime-proc-1', 9],
      ['process:uptime-proc-2', 7],
      ['process:elu', 20],
      ['process:elu-proc-1', 10],
      ['process:elu-proc-2', 30],
    ]);
  });
});

describe('renderMetrics', () => {
  it('counters as _total, per-process gauges as _by_process, names sanitised, one family per name', () => {
    const text = renderMetrics([
      v('my-app', 'hits.ok', 'counter', 3),
      { ...v('process', 'rss', 'gauge', 9), proc: 2 },
    ]);
    expect(text).toBe(
      [
        '# TYPE mi_datagram_my_app_hits_ok_total counter',
        'mi_datagram_my_app_hits_ok_total 3',
        '# TYPE mi_datagram_process_rss_by_process gauge',
        'mi_datagram_process_rss_by_process{process="2"} 9',
        '',
      ].join('\n'),
    );
  });
});

describe('metrics_listen', () => {
  const resolve = (params: Record<string, unknown>) =>
    resolveConfig([validateParams({ socket_name: '/tmp/x.sock', ...params }, 'test')]).metrics;

  it('off by default; loopback serves loopback clients', () => {
    expect(resolve({})).toBeNull();
    expect(resolve({ metrics_listen: '127.0.0.1:9464' })).toEqual({
      text: '127.0.0.1:9464',
      host: '127.0.0.1',
      port: 9464,
      allow_from: ['127.0.0.0/8', '::1/128'],
    });
  });

  it('a public bind needs metrics_allow_from; bad values are refused', () => {
    expect(() => resolve({ metrics_listen: '0.0.0.0:9464' })).toThrow(
      /invalid metrics_allow_from .*non-loopback/,
    );
    expect(
      resolve({ metrics_listen: '0.0.0.0:9464', metrics_allow_from: ['10.0.0.0/8'] })?.allow_from,
    ).toEqual(['10.0.0.0/8']);
    expect(() => resolve({ metrics_listen: '/tmp/m.sock' })).toThrow(/invalid metrics_listen/);
    expect(() => resolve({ metrics_listen: '127.0.0.1:70000' })).toThrow(/invalid metrics_listen/);
    expect(() => resolve({ metrics_allow_from: ['nope'] })).toThrow(/invalid metrics_allow_from/);
  });

  it('the endpoint answers 403 to a client outside its allowlist', async () => {
    const endpoint = await startMetricsEndpoint(
      metricsEndpointSpec({
        text: '127.0.0.1:0',
        host: '127.0.0.1',
        port: 0,
        allow_from: ['10.0.0.0/8'],
      }),
      () => ({ body: 'x 1\n', contentType: 'text/plain' }),
      createLogger({ write: () => {} }),
    );
    try {
      expect((await fetch(`http://${endpoint.address}/metrics`)).status).toBe(403);
    } finally {
      await endpoint.close();
    }
  });
});
