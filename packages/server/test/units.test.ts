/** Pure pieces: ctime, parameters, command line, OpenSIPS cfg reader, registry, logger. */
import { describe, expect, it } from 'vitest';
import {
  CommandRegistry,
  ConfigError,
  createLogger,
  formatCtime,
  LOG_LEVEL,
  parseCommandLine,
  platformTag,
  readModparams,
  resolveConfig,
  validateParams,
} from '../src/index.js';

describe('formatCtime', () => {
  it('pads the day with a space, like ctime()', () => {
    expect(formatCtime(new Date(2026, 10, 6, 8, 3, 5))).toBe('Fri Nov  6 08:03:05 2026');
    expect(formatCtime(new Date(2026, 10, 26, 18, 33, 50))).toBe('Thu Nov 26 18:33:50 2026');
  });
});

describe('platformTag', () => {
  it('uses the original names', () => {
    expect(platformTag('x64', 'linux')).toBe('x86_64/linux');
    expect(platformTag('arm64', 'darwin')).toBe('aarch64/darwin');
  });
});

describe('parameters', () => {
  it('defaults', () => {
    const c = resolveConfig([]);
    expect(c.sockets).toEqual([
      {
        kind: 'unix',
        text: '/tmp/mi-datagram.sock',
        path: '/tmp/mi-datagram.sock',
        unix_socket_mode: 0o660,
        unix_socket_user: null,
        unix_socket_group: null,
        policy: { level: 'admin', allow_from: null, rate_limit: 0 },
      },
    ]);
    expect([
      c.children_count,
      c.unix_socket_mode,
      c.socket_timeout,
      c.reply_indent,
      c.log_level,
    ]).toEqual([1, 0o660, 2000, '\t', 2]);
  });
  it('later layers win; mode 0 becomes 0600 with a warning', () => {
    const c = resolveConfig([
      validateParams({ socket_timeout: 5, unix_socket_mode: '0' }, 'a'),
      validateParams({ socket_timeout: '7' }, 'b'),
    ]);
    expect(c.socket_timeout).toBe(7);
    expect(c.unix_socket_mode).toBe(0o600);
    expect(c.warnings.join()).toContain('0600');
  });
  it('socket names', () => {
    const c = resolveConfig([
      validateParams({ socket_name: ['udp:[::1]:0', 'udp:localhost:4000', 'rel.sock'] }, 'x'),
    ]);
    expect(c.sockets.map((s) => s.kind)).toEqual(['udp', 'udp', 'unix']);
    expect(() => validateParams({ socket_name: 'udp:1.2.3.4:70000' }, 'x')).toThrow(ConfigError);
    expect(() => validateParams({ socket_name: 5 }, 'x')).toThrow(/socket_name/);
    expect(() => resolveConfig([validateParams({ socket_name: ['/a', '/a'] }, 'x')])).toThrow(
      /listed twice/,
    );
  });
  it('refuses unknown keys and bad types, naming them', () => {
    expect(() => validateParams({ socket: 1 }, 'x')).toThrow(/"socket"/);
    expect(() => validateParams({ sockets: 1 }, 'x')).toThrow(/invalid sockets \(x\)/);
    expect(() => validateParams({ children_count: 1.5 }, 'x')).toThrow(/children_count/);
    expect(() => validateParams({ unix_socket_mode: '8' }, 'x')).toThrow(/unix_socket_mode/);
    expect(() => validateParams({ unix_socket_user: '' }, 'x')).toThrow(/unix_socket_user/);
  });
});

describe('parseCommandLine', () => {
  it('accepts both flag forms, repeats, and ignores a pnpm "--"', () => {
    const o = parseCommandLine([
      '--',
      '--socket-name',
      '/a',
      '--socket-name=udp:127.0.0.1:0',
      '--commands',
      'x.mjs',
      '--reply-indent=  ',
    ]);
    expect(o.params.sockets?.map((s) => s.text)).toEqual(['/a', 'udp:127.0.0.1:0']);
    expect(o.commands).toHaveLength(1);
    expect(o.params.reply_indent).toBe('  ');
  });
  it('refuses positional arguments', () => {
    expect(() => parseCommandLine(['which'])).toThrow(/unexpected argument/);
  });
});

describe('readModparams', () => {
  it('reads only mi_datagram modparams, across lines and comments', () => {
    const text = [
      'modparam("mi_datagram", "socket_name", "udp:1.2.3.4:8080") # trailing',
      '// modparam("mi_datagram", "children_count", 9)',
      '/* modparam("mi_datagram", "children_count", 8) */',
      'modparam("tm", "fr_timeout", 5)',
      "modparam('mi_datagram', 'reply_indent', \"\\t\\t\")",
      'modparam("mi_datagram",',
      '  "children_count", 3)',
    ].join('\n');
    expect(readModparams(text, 'f.cfg').map((m) => [m.param, m.value, m.quoted, m.line])).toEqual([
      ['socket_name', 'udp:1.2.3.4:8080', true, 1],
      ['reply_indent', '\t\t', true, 5],
      ['children_count', '3', false, 6],
    ]);
  });
  it('refuses a malformed mi_datagram statement with its line', () => {
    expect(() => readModparams('\nmodparam("mi_datagram", "x")', 'f.cfg')).toThrow(/f\.cfg:2/);
  });
});

describe('CommandRegistry', () => {
  it('validates and refuses duplicates atomically', () => {
    const r = new CommandRegistry();
    r.register({ name: 'a', handler: () => undefined });
    const gen = r.generation;
    expect(() =>
      r.registerAll([
        { name: 'b', handler: () => undefined },
        { name: 'a', handler: () => undefined },
      ]),
    ).toThrow(/duplicate/);
    expect(r.names()).toEqual(['a']);
    expect(r.generation).toBeGreaterThan(gen);
    for (const bad of [
      { name: 'a:b', handler() {} },
      { name: 'x\ny', handler() {} },
      { name: '', handler() {} },
      { name: 1, handler() {} },
      { name: 'z' },
      { name: 'z', handler() {}, level: 'root' },
    ]) {
      expect(() => r.register(bad)).toThrow(ConfigError);
    }
  });
});

describe('logger', () => {
  it('filters by level and writes JSON lines with error stacks', () => {
    const lines: string[] = [];
    const log = createLogger({ level: LOG_LEVEL.NOTICE, write: (l) => lines.push(l) });
    log.debug('hidden');
    log.info('hidden');
    log.notice('shown', { a: 1 });
    log.error('failed', { error: new Error('boom') });
    expect(lines).toHaveLength(2);
    const last = JSON.parse(lines[1] as string) as { level: string; error: { stack: string } };
    expect(last.level).toBe('error');
    expect(last.error.stack).toContain('boom');
    log.level = LOG_LEVEL.DBG;
    log.debug('now shown');
    expect(lines).toHaveLength(3);
  });
});
