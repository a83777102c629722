/**
 * Units of issue 8: CIDR parsing and matching (IPv4-mapped IPv6 included),
 * the token-bucket table (rate, burst, bounded memory), the latency
 * histogram, listener resolution and its configuration errors, CLI flags.
 */
import { describe, expect, it } from 'vitest';
import {
  CidrList,
  isIpAddress,
  isLoopbackHost,
  ListenerAccess,
  parseCidr,
  RateLimiter,
  sourceOf,
  UNBOUND_SOURCE,
} from '../src/access/index.js';
import type { MiRequest } from '../src/commands/index.js';
import { CommandRegistry } from '../src/commands/index.js';
import { ConfigError } from '../src/common/index.js';
import { parseCommandLine, resolveConfig, validateParams } from '../src/config/index.js';
import { bucketUpperBound, LatencyHistogram, latencyBucket } from '../src/statistics/index.js';

describe('addresses and CIDR blocks', () => {
  it('accepts IPv4 and IPv6 literals, refuses the rest', () => {
    for (const ok of [
      '0.0.0.0',
      '127.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '1::',
      'fe80::1%eth0',
      '2001:db8::8a2e:370:7334',
      '1:2:3:4:5:6:7:8',
      '::ffff:10.1.2.3',
      '64:ff9b::192.0.2.33',
    ]) {
      expect(isIpAddress(ok), ok).toBe(true);
    }
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1..2.3',
      'a.b.c.d',
      ':1',
      '1:::2',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      '12345::',
      '1:',
      '::1.2.3',
      'localhost',
    ]) {
      expect(isIpAddress(bad), bad).toBe(false);
    }
  });

  it('parses blocks, normalises them, refuses host bits and bad prefixes', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ text: '10.0.0.0/8', prefix128: 104 });
    expect(parseCidr(' 127.0.0.1 ')).toMatchObject({ text: '127.0.0.1/32', prefix128: 128 });
    expect(parseCidr('::1')).toMatchObject({ text: '::1/128', prefix128: 128 });
    expect(parseCidr('2001:db8::/32')).toMatchObject({ prefix128: 32 });
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ prefix128: 96 });
    expect(parseCidr('10.0.0.1/8')).toMatch(/host bits set.*10\.0\.0\.0\/8/);
    expect(parseCidr('2001:db8::1/32')).toMatch(/host bits set/);
    expect(parseCidr('10.0.0.0/33')).toMatch(/prefix length must be 0-32/);
    expect(parseCidr('::/129')).toMatch(/0-128/);
    expect(parseCidr('10.0.0.0/08')).toMatch(/prefix/);
    expect(parseCidr('10.0.0.0/')).toMatch(/prefix/);
    expect(parseCidr('example.com/8')).toMatch(/not an IPv4 or IPv6 address/);
    expect(parseCidr('')).toBe('empty');
  });

  it('matches IPv4, IPv6 and IPv4-mapped IPv6 sources alike', () => {
    const list = new CidrList(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32']);
    expect(list.matches('10.255.0.1')).toBe(true);
    expect(list.matches('::ffff:10.255.0.1')).toBe(true);
    expect(list.matches('::ffff:a00:1')).toBe(true); // the same, hex form
    expect(list.matches('11.0.0.1')).toBe(false);
    expect(list.matches('::ffff:11.0.0.1')).toBe(false);
    expect(list.matches('192.168.1.7')).toBe(true);
    expect(list.matches('192.168.1.8')).toBe(false);
    expect(list.matches('2001:db8:ffff::1')).toBe(true);
    expect(list.matches('2001:db9::1')).toBe(false);
    // An IPv4 block never matches a native IPv6 address with the same low bits.
    expect(list.matches('::10.0.0.1')).toBe(false);
    expect(list.matches('garbage')).toBe(false);
    expect(list.matches('')).toBe(false);
    // A mapped block given in IPv6 form matches IPv4 sources.
    const mapped = new CidrList(['::ffff:0:0/96']);
    expect(mapped.matches('1.2.3.4')).toBe(true);
    expect(mapped.matches('::1')).toBe(false);
    const all = new CidrList(['0.0.0.0/0', '::/0']);
    expect(all.matches('8.8.8.8')).toBe(true);
    expect(all.matches('fe80::1%lo')).toBe(true);
    const loop = new CidrList(['127.0.0.0/8', '::1/128']);
    expect(loop.matches('127.0.0.2')).toBe(true);
    expect(loop.matches('::ffff:127.0.0.1')).toBe(true);
    expect(loop.matches('::1')).toBe(true);
    expect(loop.matches('::2')).toBe(false);
    expect(loop.matches('128.0.0.1')).toBe(false);
  });

  it('tells loopback bind hosts', () => {
    for (const h of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '::ffff:127.0.0.1',
      'localhost',
      'LocalHost.',
    ]) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '::2', 'example.com', '128.0.0.1']) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });
});

describe('rate limiter', () => {
  it('allows a one-second burst, then the rate, per source', () => {
    let now = 0;
    const limiter = new RateLimiter(3, { now: () => now });
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    expect(limiter.take('b')).toBe(true); // another source has its own bucket
    now += 333;
    expect(limiter.take('a')).toBe(false); // 0.999 token
    now += 1;
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    now += 10_000; // refills to the burst, not beyond
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
  });

  it('keeps the table bounded: idle buckets evicted, a full table shares one overflow bucket', () => {
    let now = 0;
    const limiter = new RateLimiter(2, { now: () => now, maxSources: 100 });
    for (let i = 0; i < 100; i++) expect(limiter.take(`s${i}`)).toBe(true);
    expect(limiter.sources).toBe(100);
    // 1000 more sources within the same second (spoofing): no growth; together
    // they get the rate of one source.
    let allowed = 0;
    for (let i = 100; i < 1100; i++) if (limiter.take(`s${i}`)) allowed++;
    expect(limiter.sources).toBe(100);
    expect(allowed).toBe(2);
    expect(limiter.overflowed).toBe(1000);
    // Established sources keep their own bucket meanwhile.
    expect(limiter.take('s0')).toBe(true);
    expect(limiter.take('s0')).toBe(false);
    // After a second every bucket has refilled: the next new source sweeps them.
    now += 1000;
    expect(limiter.take('new')).toBe(true);
    expect(limiter.sources).toBe(1);
    expect(limiter.evicted).toBe(100);
  });

  it('refuses a rate below 1', () => {
    expect(() => new RateLimiter(0)).toThrow(TypeError);
  });
});

describe('listener access', () => {
  const registry = new CommandRegistry();
  const handler = () => undefined;
  const read = registry.register({ name: 'r', level: 'read', handler });
  const op = registry.register({ name: 'o', level: 'operator', handler });
  const admin = registry.register({ name: 'a', handler }); // user default: admin
  const dyn = registry.register({
    name: 'd',
    level: (req: MiRequest) => (req.args.length === 0 ? 'read' : 'admin'),
    handler,
  });
  const throws = registry.register({
    name: 't',
    level: () => {
      throw new Error('x');
    },
    handler,
  });
  const req = (n: number) => ({
    command: 'x',
    args: Array.from({ length: n }, () => ({ name: null, value: '1' })),
    rawArgs: [],
    datagram: new Uint8Array(0),
  });

  it('user commands default to admin', () => {
    expect(admin.level).toBe('admin');
  });

  it('compares levels, asks level functions, fails closed', () => {
    const access = new ListenerAccess({ level: 'operator', allow_from: null, rate_limit: 0 });
    expect(access.check(read, req(0), '/p')).toBeNull();
    expect(access.check(op, req(0), '/p')).toBeNull();
    expect(access.check(admin, req(0), '/p')).toBe('PERMISSION_DENIED');
    expect(access.check(dyn, req(0), '/p')).toBeNull();
    expect(access.check(dyn, req(1), '/p')).toBe('PERMISSION_DENIED');
    expect(access.check(dyn, null, '/p')).toBe('PERMISSION_DENIED');
    expect(access.check(throws, req(0), '/p')).toBe('PERMISSION_DENIED');
    expect(access.refused).toBe(4);
    const full = new ListenerAccess({ level: 'admin', allow_from: null, rate_limit: 0 });
    expect(full.checksRequests).toBe(false);
  });

  it('keys the rate limit by source address (UDP without the port; UNIX path; one unbound bucket)', () => {
    expect(sourceOf({ address: '127.0.0.2', port: 5, family: 'IPv4' })).toBe('127.0.0.2');
    expect(sourceOf('/tmp/c.sock')).toBe('/tmp/c.sock');
    expect(sourceOf(null)).toBe(UNBOUND_SOURCE);
    const access = new ListenerAccess({ level: 'admin', allow_from: null, rate_limit: 1 });
    expect(access.check(read, null, { address: '127.0.0.2', port: 1 })).toBeNull();
    expect(access.check(read, null, { address: '127.0.0.2', port: 2 })).toBe('RATE_LIMITED');
    expect(access.check(read, null, null)).toBeNull();
    expect(access.check(read, null, null)).toBe('RATE_LIMITED');
    expect(access.rateLimited).toBe(2);
  });

  it('drops sources outside the allowlist, and peers without an address', () => {
    const access = new ListenerAccess({
      level: 'admin',
      allow_from: ['127.0.0.1/32'],
      rate_limit: 0,
    });
    expect(access.admitsSource({ address: '127.0.0.1', port: 9 })).toBe(true);
    expect(access.admitsSource({ address: '127.0.0.2', port: 9 })).toBe(false);
    expect(access.admitsSource(null)).toBe(false);
    expect(access.admitsSource('/path')).toBe(false);
    expect(access.allowlistDropped).toBe(3);
  });

  it('validates a policy it is handed', () => {
    expect(
      () => new ListenerAccess({ level: 'root', allow_from: null, rate_limit: 0 } as never),
    ).toThrow(/level/);
    expect(() => new ListenerAccess({ level: 'read', allow_from: ['x'], rate_limit: 0 })).toThrow(
      /CIDR/,
    );
    expect(() => new ListenerAccess({ level: 'read', allow_from: null, rate_limit: -1 })).toThrow(
      /rate_limit/,
    );
  });
});

describe('latency histogram', () => {
  it('buckets are contiguous, exact below 16 µs, within 1/16 above', () => {
    let previous = -1;
    for (let v = 0; v < 5000; v++) {
      const b = latencyBucket(v);
      expect(b === previous || b === previous + 1).toBe(true);
      previous = b;
      expect(bucketUpperBound(b)).toBeGreaterThanOrEqual(v);
      expect(bucketUpperBound(b)).toBeLessThanOrEqual(v < 16 ? v : v * (1 + 1 / 16));
    }
    expect(latencyBucket(1e12)).toBe(latencyBucket(0x7fffffff));
  });

  it('percentiles of a known distribution', () => {
    const h = new LatencyHistogram();
    expect(h.quantile(0.5)).toBe(0);
    for (let i = 1; i <= 100; i++) h.record(i);
    expect(h.count).toBe(100);
    const p50 = h.quantile(0.5);
    const p90 = h.quantile(0.9);
    const p99 = h.quantile(0.99);
    expect(p50).toBeGreaterThanOrEqual(50);
    expect(p50).toBeLessThanOrEqual(50 * (1 + 1 / 16));
    expect(p90).toBeGreaterThanOrEqual(90);
    expect(p90).toBeLessThanOrEqual(90 * (1 + 1 / 16));
    expect(p99).toBeGreaterThanOrEqual(99);
    expect(p99).toBeLessThanOrEqual(100);
    expect(h.quantile(1)).toBe(100);
    const one = new LatencyHistogram();
    one.record(3.2);
    expect(one.quantile(0.99)).toBe(3);
  });
});

describe('listener configuration', () => {
  const resolve = (params: Record<string, unknown>) =>
    resolveConfig([validateParams(params, 'test')]);
  const failure = (fn: () => unknown): ConfigError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('no ConfigError');
  };

  it('defaults: UNIX and loopback UDP admin with a loopback allowlist, no rate limit', () => {
    const c = resolve({
      socket_name: ['/tmp/x.sock', 'udp:127.0.0.1:0', 'udp:[::1]:0', 'udp:localhost:0'],
    });
    expect(c.sockets.map((s) => s.policy)).toEqual([
      { level: 'admin', allow_from: null, rate_limit: 0 },
      { level: 'admin', allow_from: ['127.0.0.0/8', '::1/128'], rate_limit: 0 },
      { level: 'admin', allow_from: ['127.0.0.0/8', '::1/128'], rate_limit: 0 },
      { level: 'admin', allow_from: ['127.0.0.0/8', '::1/128'], rate_limit: 0 },
    ]);
  });

  it('non-loopback UDP: refused without allow_from, read by default with it', () => {
    for (const name of [
      'udp:0.0.0.0:0',
      'udp:[::]:0',
      'udp:10.1.2.3:9000',
      'udp:example.com:9000',
    ]) {
      const e = failure(() => resolve({ socket_name: name }));
      expect(e.parameter).toBe('allow_from');
      expect(e.message).toMatch(/allow_any_source/);
    }
    const c = resolve({ socket_name: 'udp:0.0.0.0:0', allow_from: ['10.0.0.0/8'] });
    expect(c.sockets[0]?.policy).toEqual({
      level: 'read',
      allow_from: ['10.0.0.0/8'],
      rate_limit: 0,
    });
    const any = resolve({ socket_name: 'udp:0.0.0.0:0', allow_any_source: true });
    expect(any.sockets[0]?.policy.allow_from).toBeNull();
  });

  it('sockets entries override the top-level defaults', () => {
    const c = resolve({
      level: 'operator',
      rate_limit: 50,
      unix_socket_mode: '0600',
      allow_from: '127.0.0.1',
      sockets: [
        { socket_name: '/tmp/a.sock' },
        { socket_name: '/tmp/b.sock', level: 'admin', unix_socket_mode: '0660', rate_limit: 0 },
        { socket_name: 'udp:127.0.0.1:0' },
        { socket_name: 'udp:127.0.0.1:0', allow_from: ['127.0.0.2'], level: 'read' },
      ],
    });
    expect(c.sockets.map((s) => [s.text, s.unix_socket_mode, s.policy])).toEqual([
      ['/tmp/a.sock', 0o600, { level: 'operator', allow_from: null, rate_limit: 50 }],
      ['/tmp/b.sock', 0o660, { level: 'admin', allow_from: null, rate_limit: 0 }],
      [
        'udp:127.0.0.1:0',
        0o600,
        { level: 'operator', allow_from: ['127.0.0.1/32'], rate_limit: 50 },
      ],
      ['udp:127.0.0.1:0', 0o600, { level: 'read', allow_from: ['127.0.0.2/32'], rate_limit: 50 }],
    ]);
    // JSON-serialisable as is (handed to worker processes).
    expect(JSON.parse(JSON.stringify(c.sockets))).toEqual(c.sockets);
  });

  it('errors name the parameter, sockets[i].key included', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ level: 'root' }, 'level'],
      [{ rate_limit: -1 }, 'rate_limit'],
      [{ rate_limit: 1.5 }, 'rate_limit'],
      [{ allow_from: [] }, 'allow_from'],
      [{ allow_from: ['10.0.0.1/8'] }, 'allow_from'],
      [{ allow_from: [5] }, 'allow_from'],
      [{ allow_any_source: 'yes' }, 'allow_any_source'],
      [{ sockets: [] }, 'sockets'],
      [{ sockets: 'x' }, 'sockets'],
      [{ sockets: ['/tmp/a.sock'] }, 'sockets[0]'],
      [{ sockets: [{}] }, 'sockets[0].socket_name'],
      [
        { sockets: [{ socket_name: '/a' }, { socket_name: 'udp:1.2.3.4:99999' }] },
        'sockets[1].socket_name',
      ],
      [
        { sockets: [{ socket_name: '/a' }, { socket_name: 'udp:127.0.0.1:0', allow_from: 'x' }] },
        'sockets[1].allow_from',
      ],
      [{ sockets: [{ socket_name: '/a', allow_from: '127.0.0.1' }] }, 'sockets[0].allow_from'],
      [
        { sockets: [{ socket_name: 'udp:127.0.0.1:0', unix_socket_mode: '0600' }] },
        'sockets[0].unix_socket_mode',
      ],
      [{ sockets: [{ socket_name: '/a', unix_socket_mode: '9' }] }, 'sockets[0].unix_socket_mode'],
      [{ sockets: [{ socket_name: '/a', level: 'x' }] }, 'sockets[0].level'],
      [{ sockets: [{ socket_name: '/a', rate_limit: 'fast' }] }, 'sockets[0].rate_limit'],
      [{ sockets: [{ socket_name: '/a', colour: 'red' }] }, 'sockets[0].colour'],
      [{ sockets: [{ socket_name: '/a' }, { socket_name: '/a' }] }, 'sockets[1].socket_name'],
      [
        { sockets: [{ socket_name: '/a' }, { socket_name: 'udp:0.0.0.0:0' }] },
        'sockets[1].allow_from',
      ],
      [{ socket_name: '/a', sockets: [{ socket_name: '/b' }] }, 'sockets'],
    ];
    for (const [params, parameter] of cases) {
      const e = failure(() => resolve(params));
      expect(e.parameter, JSON.stringify(params)).toBe(parameter);
      expect(e.message, JSON.stringify(params)).toContain(parameter);
      expect(e.message).not.toContain('\n');
    }
  });

  it('command line flags', () => {
    const o = parseCommandLine([
      '--socket-name',
      'udp:0.0.0.0:0',
      '--allow-from',
      '10.0.0.0/8',
      '--allow-from=::1',
      '--level',
      'operator',
      '--rate-limit',
      '20',
    ]);
    expect(o.params).toMatchObject({
      allow_from: ['10.0.0.0/8', '::1/128'],
      level: 'operator',
      rate_limit: 20,
    });
    expect(resolveConfig([o.params]).sockets[0]?.policy).toEqual({
      level: 'operator',
      allow_from: ['10.0.0.0/8', '::1/128'],
      rate_limit: 20,
    });
    const any = parseCommandLine(['--socket-name', 'udp:0.0.0.0:0', '--allow-any-source']);
    expect(resolveConfig([any.params]).sockets[0]?.policy.allow_from).toBeNull();
    expect(() => parseCommandLine(['--level', 'god'])).toThrow(/level \(--level\)/);
    expect(() => parseCommandLine(['--allow-from', '1.2.3.4/40'])).toThrow(/allow_from/);
    expect(() => parseCommandLine(['--rate-limit', 'x'])).toThrow(/rate_limit/);
    // The command line's allowlist replaces the file's, as other parameters do.
    const file = validateParams({ allow_from: ['192.168.0.0/16'], level: 'read' }, 'file');
    const cli = parseCommandLine(['--socket-name', 'udp:0.0.0.0:0', '--allow-from', '10.0.0.0/8']);
    expect(resolveConfig([file, cli.params]).sockets[0]?.policy).toEqual({
      level: 'read',
      allow_from: ['10.0.0.0/8'],
      rate_limit: 0,
    });
  });
});
